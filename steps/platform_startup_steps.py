"""Starting the platform: refusing a taken port, and the one format of its log."""

import re
import socket
import subprocess

from behave import given, then, when
from hamcrest import (
    assert_that,
    contains_string,
    equal_to,
    has_items,
    has_length,
)

from steps.support.processes import (
    LocalServer,
    clean_environment,
    client_of_started,
    run_to_exit,
    stop_process,
)

LOG_LINE = re.compile(
    r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z "
    r"(DEBUG|INFO|WARNING|ERROR|CRITICAL) (?P<source>[\w.]+): \S"
)


@given("another program listens on a local port")
def step_port_taken(context):
    taken = socket.socket()
    context.add_cleanup(taken.close)
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    context.taken_port = taken.getsockname()[1]


@when("I start the server on that port")
def step_start_on_taken_port(context):
    try:
        context.result = run_to_exit(
            ["-m", "trading_server", "--port", str(context.taken_port)], clean_environment()
        )
    except subprocess.TimeoutExpired:
        raise AssertionError(
            f"the server kept running on the taken port {context.taken_port}"
        ) from None


@then("it stops with exit status 2 and one error line saying the address is already in use")
def step_refused_port(context):
    result = context.result
    described = f"exit status {result.returncode}, stderr {result.stderr!r}"
    assert_that(result.returncode, equal_to(2), described)
    lines = result.stderr.strip().splitlines()
    assert_that(lines, has_length(1), "lines on stderr; " + described)
    assert_that(lines[0], contains_string(f"127.0.0.1:{context.taken_port}"), described)
    assert_that(lines[0], contains_string("already in use"), described)


@then("it never claimed to be listening")
def step_never_listening(context):
    assert_that(context.result.stdout, equal_to(""), "what the server printed on stdout")


@given("a server of my own")
def step_own_server(context):
    context.my_server = LocalServer()
    context.own_server = client_of_started(context, context.my_server)


@when("I open the home page of my server and a page that does not exist")
def step_visit_own_server(context):
    for path in ("/", "/no-such-page"):
        context.own_server.request("GET", path)


@when("I stop my server")
def step_stop_own_server(context):
    stop_process(context.my_server.process)


@then("every line it printed has the time in UTC, the level, the source and the message")
def step_one_log_format(context):
    lines = context.my_server.output().splitlines()
    matches = [LOG_LINE.match(line) for line in lines]
    odd = [line for line, match in zip(lines, matches, strict=True) if match is None]
    assert_that(odd, equal_to([]), f"lines in another format, among {lines!r}")
    sources = {match.group("source").split(".")[0] for match in matches if match is not None}
    assert_that(
        sources,
        has_items("trading_server", "sanic"),
        f"the sources of the lines (the platform's and Sanic's), in {lines!r}",
    )
