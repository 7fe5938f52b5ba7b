"""The console watcher (python -m trading_server.watch), followed line by
line; after_scenario stops it and any server the scenario started."""

import json
import re
import subprocess

from behave import given, then, when
from hamcrest import (
    assert_that,
    contains_string,
    equal_to,
    has_items,
    has_length,
    is_not,
)

from steps.support.processes import (
    WATCHER_DEADLINE,
    LocalServer,
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
    "the watcher stops with exit status 2 "
    "and one error line saying the server did not open the feed"
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
