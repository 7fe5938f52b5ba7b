"""A burst of orders placed at the same moment, and their execution delays."""

import statistics
import sys
import time
from collections import Counter

from behave import then, when
from hamcrest import assert_that, equal_to, less_than

from steps.support.api import concurrently
from steps.support.checks import answered_with_order, seconds_between, within
from steps.support.delays import (
    EXECUTION_DELAY,
    LATE_TOLERANCE,
    RESPONSE_DELAY,
    SERVER_LATE_TOLERANCE,
    execution_deadline,
)
from steps.support.report.chart import histogram_svg

# Starting 100 threads and their connections on a 2-core machine: allowance
# on top of one response delay (the sum of 100 delays would be ~55 s).
BURST_OVERHEAD = 1.5


@when("I place {count:d} orders at the same moment")
def step_place_burst(context, count):
    context.burst = concurrently(
        context.base_url, count, lambda client, index: client.place_order("EURUSD", index + 1)
    )


@then("every order is confirmed as pending")
def step_burst_confirmed(context):
    for index, reply in enumerate(context.burst):
        assert_that(
            reply,
            answered_with_order(201, stocks="EURUSD", quantity=index + 1, order_status="PENDING"),
        )
    context.burst_orders = [reply.json() for reply in context.burst]
    ids = [order["orderId"] for order in context.burst_orders]
    assert_that(len(set(ids)), equal_to(len(ids)), "distinct order ids in the burst")


@then("placing all of them took about one response delay, not the sum of them")
def step_burst_duration(context):
    took = max(reply.received_at for reply in context.burst) - min(
        reply.sent_at for reply in context.burst
    )
    total = sum(reply.elapsed for reply in context.burst)
    limit = RESPONSE_DELAY.maximum + BURST_OVERHEAD
    context.burst_placing = (
        f"Placing all {len(context.burst)} took {took:.3f} s (limit {limit:g} s); "
        f"their answers' delays add up to {total:.1f} s."
    )
    context.attach("text/plain", context.burst_placing.encode("utf-8"))
    assert_that(
        took,
        less_than(limit),
        f"seconds for the whole burst (the answers' delays add up to {total:.1f} s)",
    )


@then("the feed reports every order executed exactly once")
def step_burst_executed(context):
    ids = [order["orderId"] for order in context.burst_orders]
    last_confirmation = max(reply.received_at for reply in context.burst)
    timeout = max(0.0, execution_deadline(last_confirmation) - time.monotonic())
    context.burst_executions = context.feed.wait_for_all(ids, "EXECUTED", timeout)
    wanted = set(ids)
    counts = Counter(
        (event.order_id, event.status)
        for event in context.feed.events()
        if event.order_id in wanted
    )
    repeated = {key: count for key, count in counts.items() if count != 1}
    assert_that(repeated, equal_to({}), "events received more than once")
    assert_that(
        sorted(status for _, status in counts),
        equal_to(["EXECUTED"] * len(ids) + ["PENDING"] * len(ids)),
        "the statuses reported for the burst",
    )


def summary_row(label, values):
    ordered = sorted(values)
    p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]  # nearest rank
    return (
        f"{label:<34}{len(values):>6}{statistics.mean(values):>8.3f}{statistics.pstdev(values):>8.3f}"
        f"{ordered[0]:>8.3f}{ordered[-1]:>8.3f}{p95:>8.3f}"
    )


@then("every order's execution delay is within the expected range")
def step_burst_delays(context):
    client_view, server_view = [], []
    for reply, order in zip(context.burst, context.burst_orders, strict=True):
        executed = context.burst_executions[order["orderId"]]
        client_view.append(executed.received_at - reply.received_at)
        server_view.append(seconds_between(order["createdAt"], executed.data["timestamp"]))
    table = "\n".join(
        [
            f"Execution delay of {len(client_view)} orders placed at once, in seconds "
            f"(expected {EXECUTION_DELAY}):",
            f"{'':<34}{'count':>6}{'mean':>8}{'stdev':>8}{'min':>8}{'max':>8}{'p95':>8}",
            summary_row("client: confirmation -> EXECUTED", client_view),
            summary_row("server: createdAt -> timestamp", server_view),
            context.burst_placing,
        ]
    )
    # Printed past behave's output capture, so it shows on a passing run too.
    if sys.__stdout__ is not None:  # None without a console (pythonw)
        sys.__stdout__.write("\n" + table + "\n\n")
        sys.__stdout__.flush()
    # Bytes, as behave's json formatter requires.
    context.attach("text/plain", table.encode("utf-8"))
    context.attach(
        "image/svg+xml",
        histogram_svg(
            client_view,
            (EXECUTION_DELAY.minimum, EXECUTION_DELAY.maximum),
            f"Execution delays of the {len(client_view)} orders, as the client saw them",
        ).encode("utf-8"),
    )
    assert_that(
        min(server_view),
        within(EXECUTION_DELAY.minimum - 0.001, EXECUTION_DELAY.maximum),
        "the shortest execution delay by the server's timestamps",
    )
    assert_that(
        max(server_view),
        within(EXECUTION_DELAY.minimum, EXECUTION_DELAY.maximum + SERVER_LATE_TOLERANCE),
        "the longest execution delay by the server's timestamps",
    )
    assert_that(
        min(client_view),
        within(EXECUTION_DELAY.minimum - LATE_TOLERANCE, EXECUTION_DELAY.maximum),
        "the shortest execution delay seen by the client",
    )
    assert_that(
        max(client_view),
        within(EXECUTION_DELAY.minimum, EXECUTION_DELAY.maximum + LATE_TOLERANCE),
        "the longest execution delay seen by the client",
    )
