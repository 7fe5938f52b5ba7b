"""This implementation's extras: start-up errors and the log, the home page
and the reports page, the console watcher. They start processes of their
own, which after_scenario stops."""

import json
import re
import socket
import subprocess
import uuid
from datetime import datetime, timezone
from urllib.parse import urljoin

from behave import given, then, when
from hamcrest import (
    assert_that,
    contains_string,
    equal_to,
    has_items,
    has_key,
    has_length,
    is_not,
    less_than,
    starts_with,
)

from steps.support.checks import answered, answered_with_error, answered_with_order, body_text
from steps.support.delays import AT_ONCE
from steps.support.pages import read_page
from steps.support.processes import (
    WATCHER_DEADLINE,
    LocalServer,
    ReportsServer,
    clean_environment,
    client_of_started,
    free_port,
    run_to_exit,
    start_following_watcher,
    start_watcher,
    stop_process,
)

# The watcher waits up to 10 s between attempts to reach a server.
RECONNECT_DEADLINE = 15
TIMESTAMPED = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z ")
# Seconds within which a file written by the scenario counts as "just now".
JUST_NOW = 120


@when('I start the server with {setting} set to "{value}"')
def step_start_with_setting(context, setting, value):
    if setting.startswith("--"):
        args, env = ["--port", str(free_port()), setting, value], clean_environment()
    else:
        args, env = [], clean_environment(**{setting: value})
    try:
        context.result = run_to_exit(["-m", "trading_server", *args], env)
    except subprocess.TimeoutExpired:
        raise AssertionError(
            f"the server started with {setting}={value!r} instead of refusing it"
        ) from None


@then('it stops with exit status 2 and one error line naming "{flag}" and "{variable}"')
def step_refused_setting(context, flag, variable):
    result = context.result
    described = f"exit status {result.returncode}, stderr {result.stderr!r}"
    assert_that(result.returncode, equal_to(2), described)
    lines = result.stderr.strip().splitlines()
    assert_that(lines, has_length(1), "lines on stderr; " + described)
    assert_that(lines[0], contains_string(flag), described)
    assert_that(lines[0], contains_string(variable), described)


LOG_LINE = re.compile(
    r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z "
    r"(DEBUG|INFO|WARNING|ERROR|CRITICAL) (?P<source>[\w.]+): \S"
)


@when('I start the server with {flag} "{flag_value}" while {variable} is "{variable_value}"')
def step_start_with_flag_and_variable(context, flag, flag_value, variable, variable_value):
    server = LocalServer(flag, flag_value, env=clean_environment(**{variable: variable_value}))
    context.own_server = client_of_started(context, server)


@then("that server places an order without any response delay")
def step_no_response_delay(context):
    reply = context.own_server.place_order("EURUSD", 1)
    assert_that(reply, answered_with_order(201, order_status="PENDING"))
    assert_that(
        reply.elapsed,
        less_than(AT_ONCE),
        "seconds until the order was confirmed (the flag asked for no delay)",
    )


@given('a server that serves a reports folder holding "{name}"')
def step_reports_server(context, name, size=None, env=None):
    context.report_name = name
    context.report_content = f"<html><body>Acceptance report {uuid.uuid4()}</body></html>"
    if size is not None:
        context.report_content = context.report_content.ljust(size)
    context.outside_content = f"Outside the reports folder {uuid.uuid4()}"
    server = ReportsServer(
        name, context.report_content, "CONTRACT.md", context.outside_content, env=env
    )
    context.reports_api = client_of_started(context, server)


@given(
    'a server in another time zone that serves a reports folder holding "{name}" of {size} bytes'
)
def step_reports_server_elsewhere(context, name, size):
    # UTC+9 (POSIX spelling, which Windows' C runtime reads too): a page in
    # local time would be nine hours off.
    step_reports_server(
        context, name, int(size.replace(",", "")), env=clean_environment(TZ="JST-9")
    )


@when("I open the reports page")
def step_open_reports(context):
    context.reply = context.reports_api.request("GET", "/reports/")


@then('it lists "{name}" as {size}, written just now in UTC')
def step_listed_with_size_and_time(context, name, size):
    assert_that(context.reply, answered(200))
    text = read_page(body_text(context.reply)).text
    listed = re.search(re.escape(name) + r" (\S+ \S+) (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) UTC", text)
    assert_that(listed, is_not(None), f"a row for {name}: size, then UTC time, in {text!r}")
    assert_that(listed.group(1), equal_to(size), f"the size listed for {name}")
    written = datetime.strptime(listed.group(2), "%Y-%m-%d %H:%M:%S").replace(tzinfo=timezone.utc)
    assert_that(
        abs((datetime.now(timezone.utc) - written).total_seconds()),
        less_than(JUST_NOW),
        f"seconds between now and the time listed for {name} ({listed.group(2)} UTC)",
    )


@then('it links to "{name}" and back to the home page')
def step_listing_links(context, name):
    links = read_page(body_text(context.reply)).links
    assert_that(links, has_key("/"), "the page's links")
    report = urljoin("/reports/", next((href for href in links if href.endswith(name)), name))
    assert_that(context.reports_api.request("GET", report), answered(200))


@when("I open the reports page of the suite's own server")
def step_open_own_reports(context):
    context.reply = context.api.request("GET", "/reports/")


@then('I see a web page that mentions "{text}"')
def step_page_mentions(context, text):
    assert_that(context.reply, answered(200))
    assert_that(context.reply.content_type, starts_with("text/html"), context.reply.describe())
    assert_that(body_text(context.reply), contains_string(text))


@when('I open the report "{name}"')
def step_open_report(context, name):
    context.reply = context.reports_api.request("GET", f"/reports/{name}")


@then('I get the content of "{name}"')
def step_report_content(context, name):
    assert_that(context.reply, answered(200))
    assert_that(body_text(context.reply), equal_to(context.report_content))


@when("I request the path {path}")
def step_request_raw(context, path):
    context.reply = context.reports_api.request_raw_path("GET", path)


@then("I am told there is no such page, and nothing from outside the folder is shown")
def step_no_escape(context):
    assert_that(context.reply, answered(404))
    assert_that(body_text(context.reply), is_not(contains_string(context.outside_content)))


@then("I am told there is no such page")
def step_no_page(context):
    assert_that(context.reply, answered(404))


@given("the console watcher is following the feed")
def step_watcher_following(context):
    start_following_watcher(context, context.feed_url)


@given("the console watcher is following my server's feed")
def step_watcher_following_mine(context):
    start_watcher(context, context.own_server.feed_url)
    context.watcher.wait_for_line(
        lambda line: "connected" in line.lower(), WATCHER_DEADLINE, "announcing the connection"
    )


@when("I start the console watcher against an address where no server listens")
def step_watcher_nowhere(context):
    start_watcher(context, f"ws://127.0.0.1:{free_port()}/ws")


@when("I start the console watcher against a path of the platform that is not the feed")
def step_watcher_wrong_path(context):
    try:
        context.result = run_to_exit(
            ["-m", "trading_server.watch", context.base_url + "/no-feed-here/ws"],
            clean_environment(),
            timeout=WATCHER_DEADLINE,
        )
    except subprocess.TimeoutExpired:
        raise AssertionError(
            f"the watcher kept running for {WATCHER_DEADLINE} s "
            "at an address where there is no feed"
        ) from None


@then(
    "the watcher stops with exit status 2 and one error line saying the server did not open the feed"
)
def step_watcher_refused(context):
    result = context.result
    described = (
        f"exit status {result.returncode}, stdout {result.stdout!r}, stderr {result.stderr!r}"
    )
    assert_that(result.returncode, equal_to(2), described)
    assert_that(result.stdout, equal_to(""), described)
    lines = result.stderr.strip().splitlines()
    assert_that(lines, has_length(1), "lines on stderr; " + described)
    assert_that(lines[0], contains_string("/no-feed-here/ws"), described)
    assert_that(lines[0], contains_string("404"), described)


@then("the watcher prints the order's {status:w} event with its details")
def step_watcher_prints(context, status):
    order = context.order
    status = status.upper()
    line = context.watcher.wait_for_line(
        lambda text: order["orderId"] in text and status in text.split(),
        WATCHER_DEADLINE,
        f"for order {order['orderId']} as {status}",
    )
    fields = line.split()
    assert_that(fields, has_length(5), f"the fields of the line {line!r}")
    assert_that(fields, has_items(order["stocks"], str(order["quantity"])), f"the line {line!r}")


@then("the watcher prints the order's pending event in the columns of its header row")
def step_watcher_columns(context):
    order = context.order
    header = context.watcher.wait_for_line(
        lambda text: "ORDER ID" in text and "STATUS" in text, WATCHER_DEADLINE, "naming the columns"
    )
    line = context.watcher.wait_for_line(
        lambda text: order["orderId"] in text and "PENDING" in text.split(),
        WATCHER_DEADLINE,
        f"for order {order['orderId']} as PENDING",
    )
    described = f"the header {header!r} and the line {line!r}"
    for heading, value in (
        ("ORDER ID", order["orderId"]),
        ("STOCKS", order["stocks"]),
        ("STATUS", "PENDING"),
    ):
        assert_that(
            line.find(value),
            equal_to(header.find(heading)),
            f"where {value!r} starts, under {heading}; {described}",
        )
    quantity_ends = header.find("QUANTITY") + len("QUANTITY")
    context.shown_quantity = line[
        header.find("STOCKS") + len(order["stocks"]) : quantity_ends
    ].strip()
    assert_that(
        line[quantity_ends], equal_to(" "), f"the quantity ends under QUANTITY's end; {described}"
    )


@then("the watcher shows the quantity exactly as the feed sent it")
def step_watcher_quantity(context):
    event = context.feed.wait_for_status(context.order["orderId"], "PENDING", WATCHER_DEADLINE)
    sent = json.loads(event.raw, parse_int=str, parse_float=str)["quantity"]
    assert_that(
        context.shown_quantity, equal_to(sent), f"the quantity shown; the feed sent {event.raw}"
    )


def wait_for_status_line(context, predicate, what):
    """A line of the watcher's that starts with the UTC time, then says `what`."""

    def timestamped(line):
        return TIMESTAMPED.match(line) and predicate(line.lower())

    return context.watcher.wait_for_line(timestamped, RECONNECT_DEADLINE, what)


@then("the watcher says, with the time, that the server is not reachable and it will try again")
def step_watcher_retries(context):
    wait_for_status_line(
        context,
        lambda line: "not reachable" in line and "retrying in" in line,
        "saying, after the time, that the server is not reachable and when it retries",
    )


@then("the watcher says, with the time, that the connection was lost and it will try again")
def step_watcher_lost(context):
    wait_for_status_line(
        context,
        lambda line: "connection lost" in line and "retrying in" in line,
        "saying, after the time, that the connection was lost and when it retries",
    )


@when("my server restarts")
def step_restart_own_server(context):
    stop_process(context.my_server.process)
    context.my_server = LocalServer(port=context.my_server.port)
    client_of_started(context, context.my_server)


@then("the watcher says, with the time, that it is connected again and events may have been missed")
def step_watcher_reconnected(context):
    wait_for_status_line(
        context,
        lambda line: "connected again" in line and "may have been missed" in line,
        "saying, after the time, that it is connected again and events may have been missed",
    )


@then("the watcher is still running")
def step_watcher_running(context):
    assert_that(context.watcher.process.poll(), equal_to(None), "the watcher's exit status")


@when("I ask the watcher to stop")
def step_stop_watcher(context):
    context.watcher.process.terminate()


@then("the watcher exits promptly")
def step_watcher_exits(context):
    try:
        context.watcher.process.wait(timeout=WATCHER_DEADLINE)
    except subprocess.TimeoutExpired:
        raise AssertionError(
            f"the watcher still runs {WATCHER_DEADLINE} s after being asked to stop"
        ) from None
    assert_that(
        "\n".join(context.watcher.lines),
        is_not(contains_string("Traceback")),
        "the watcher's output",
    )


@when("I open the home page")
def step_open_home(context):
    context.reply = context.api.request("GET", "/")


@then(
    "it links to the live orders, the documentation, the OpenAPI document, the health check "
    "and the metrics"
)
def step_home_links(context):
    context.page = read_page(body_text(context.reply))
    for path in ("/live", "/docs", "/docs/openapi.json", "/health", "/metrics"):
        assert_that(context.page.links, has_key(path), "the home page's links")
        assert_that(context.api.request("GET", path), answered(200))


@then("it gives the feed's address")
def step_home_feed(context):
    assert_that(context.page.text, contains_string(context.feed_url), "the home page's text")


@then("it does not mention test reports")
def step_home_no_reports(context):
    assert_that(context.page.links, is_not(has_key("/reports/")), "the home page's links")


@when("I open that server's home page")
def step_open_reports_home(context):
    context.reply = context.reports_api.request("GET", "/")


@then("it links to the test reports")
def step_home_reports(context):
    assert_that(context.reply, answered(200))
    assert_that(
        read_page(body_text(context.reply)).links, has_key("/reports/"), "the home page's links"
    )


@when("I request the page {path}")
def step_request_page(context, path):
    context.reply = context.api.request("GET", path)


@then("I am told there is no such page at {path}")
def step_no_page_at(context, path):
    assert_that(context.reply, answered_with_error(404, naming=path))


@when("a browser asks for the site icon")
def step_ask_icon(context):
    context.reply = context.api.request("GET", "/favicon.ico")


@then("it is told there is no icon, without an error")
def step_no_icon(context):
    assert_that(context.reply, answered(204))


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
    odd = [line for line in lines if not LOG_LINE.match(line)]
    assert_that(odd, equal_to([]), f"lines in another format, among {lines!r}")
    sources = {LOG_LINE.match(line).group("source").split(".")[0] for line in lines}
    assert_that(
        sources,
        has_items("trading_server", "sanic"),
        f"the sources of the lines (the platform's and Sanic's), in {lines!r}",
    )
