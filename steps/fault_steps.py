"""Seeded runs and injected faults (--seed, --faults). Each scenario starts
platforms of its own; after_scenario stops them and closes their clients."""

import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import parse
from behave import given, register_type, then, when
from hamcrest import (
    all_of,
    assert_that,
    contains_string,
    equal_to,
    greater_than,
    has_entry,
    has_key,
    has_length,
    less_than,
    less_than_or_equal_to,
)

from steps.support.checks import (
    answered,
    answered_with_error,
    answered_with_order,
    seconds_between,
    within,
)
from steps.support.delays import AT_ONCE, EARLY_TOLERANCE, LATE_TOLERANCE, SERVER_LATE_TOLERANCE
from steps.support.feed import FeedListener
from steps.support.processes import (
    WATCHER_DEADLINE,
    LocalServer,
    client_of_started,
    start_following_watcher,
)

SEED = "2026"
ORDERS = 5
# Wide ranges, so that two independent draws are rarely this close: five
# orders' delays all matching by chance is about one run in ten thousand.
SEEDED_RESPONSE_DELAY = "0,1.5"
SEEDED_EXECUTION_DELAY = "0.5,4"
# Two answers to the same request, timed on a busy machine.
SAME_DELAY_TOLERANCE = 0.15
LATEST_EXECUTION = 4 + SERVER_LATE_TOLERANCE + 2
# Long enough for an event of a wrongly placed order to reach the feed (the
# faulty platform executes at once, so it would even send two).
QUIET_FEED_WINDOW = 1.0
FEED_DROP_DEADLINE = 5


def start_platform(context, *arguments):
    """A platform of the scenario's own; the scenario's API calls go to it."""
    context.platform = LocalServer("--quiet", *arguments)
    client = client_of_started(context, context.platform)
    context.clients.append(context.api)
    context.api = client
    return client


def follow_feed(context, client):
    listener = FeedListener(client.feed_url)
    context.listeners.append(listener)
    return listener


@given("two platforms started with the same seed")
def step_two_seeded_platforms(context):
    arguments = (
        "--seed",
        SEED,
        "--response-delay",
        SEEDED_RESPONSE_DELAY,
        "--execution-delay",
        SEEDED_EXECUTION_DELAY,
    )
    servers = [LocalServer("--quiet", *arguments) for _ in range(2)]
    context.platforms = [client_of_started(context, server) for server in servers]


@when("I place the same five orders on each, one at a time")
def step_same_orders_each(context):
    def place_one_at_a_time(client):
        feed = follow_feed(context, client)
        replies = [client.place_order(f"SEED{index}", index + 1) for index in range(ORDERS)]
        for reply in replies:
            assert_that(reply, answered_with_order(201, order_status="PENDING"))
        return feed, replies

    # The platforms run side by side; each gets its requests one at a time.
    with ThreadPoolExecutor(max_workers=len(context.platforms)) as pool:
        context.seeded_runs = list(pool.map(place_one_at_a_time, context.platforms))


@then("both gave the orders the same ids, each a random UUID")
def step_same_ids(context):
    first, second = (
        [reply.json()["orderId"] for reply in replies] for _, replies in context.seeded_runs
    )
    assert_that(second, equal_to(first), "the order ids of the second platform")
    assert_that(set(first), has_length(ORDERS), f"distinct order ids among {first}")
    for order_id in first:
        assert_that(uuid.UUID(order_id).version, equal_to(4), f"the UUID version of {order_id}")


@then("both confirmed each order after the same delay")
def step_same_response_delays(context):
    first, second = ([reply.elapsed for reply in replies] for _, replies in context.seeded_runs)
    described = (
        f"seconds until each confirmation: {[round(value, 3) for value in first]} and "
        f"{[round(value, 3) for value in second]}"
    )
    for one, other in zip(first, second, strict=True):
        assert_that(abs(one - other), less_than_or_equal_to(SAME_DELAY_TOLERANCE), described)
    assert_that(
        max(first) - min(first),
        greater_than(SAME_DELAY_TOLERANCE),
        "the spread of the delays (they must still be random); " + described,
    )


def execution_delays(feed, replies):
    orders = [reply.json() for reply in replies]
    executed = feed.wait_for_all(
        [order["orderId"] for order in orders], "EXECUTED", LATEST_EXECUTION
    )
    return [
        seconds_between(order["createdAt"], executed[order["orderId"]].data["timestamp"])
        for order in orders
    ]


@then("both executed each order after the same delay")
def step_same_execution_delays(context):
    first, second = (execution_delays(feed, replies) for feed, replies in context.seeded_runs)
    described = (
        f"seconds from creation to execution: {[round(value, 3) for value in first]} "
        f"and {[round(value, 3) for value in second]}"
    )
    for one, other in zip(first, second, strict=True):
        assert_that(abs(one - other), less_than_or_equal_to(SERVER_LATE_TOLERANCE), described)


@given("a platform that fails every order request")
def step_failing_platform(context):
    # Orders would execute at once, so a wrongly placed one shows at once.
    start_platform(context, "--faults", "error=1", "--execution-delay", "0,0")


@given("a platform that delays every order answer by {seconds:g} seconds")
def step_slow_platform(context, seconds):
    start_platform(context, "--faults", f"latency=1:{seconds:g}")


@given("a platform that drops feed connections before every event")
def step_dropping_platform(context):
    start_platform(context, "--faults", "disconnect=1")


@given("a platform that drops feed connections now and then")
def step_sometimes_dropping_platform(context):
    # Half the events drop the connection. With this seed the draws for the
    # first three orders' PENDING events (one client, orders placed one at a
    # time) are: pass, drop, and then whatever follows: the watcher sees a
    # first event (so it knows where to resume) and then loses its connection.
    start_platform(
        context,
        "--seed",
        "5",
        "--faults",
        "disconnect=0.5",
        "--response-delay",
        "0,0",
        "--execution-delay",
        "1,1",
    )


@when("I place three orders there, one at a time")
def step_place_three(context):
    context.placed_orders = [
        context.api.place_order("EURUSD", index + 1).json() for index in range(3)
    ]


@then("the watcher prints each order's pending and executed events exactly once")
def step_watcher_prints_all_once(context):
    for order in context.placed_orders:
        for status in ("PENDING", "EXECUTED"):

            def is_event(line, order_id=order["orderId"], status=status):
                return order_id in line and status in line.split()

            context.watcher.wait_for_line(
                is_event, WATCHER_DEADLINE, f"for order {order['orderId']} as {status}"
            )
            printed = [line for line in context.watcher.lines if is_event(line)]
            assert_that(printed, has_length(1), f"the lines for {order['orderId']} as {status}")


@given("the console watcher is following that platform's feed")
def step_watcher_follows_platform(context):
    start_following_watcher(context, context.api.feed_url)


@given("I am following that platform's feed")
def step_follow_platform_feed(context):
    context.feed = follow_feed(context, context.api)


def list_the_orders(context):
    context.reply = context.api.list_orders()


def look_up_an_order(context):
    # Any id will do: nothing can be placed, and the refusal comes before the lookup.
    context.reply = context.api.get_order(uuid.uuid4())


def cancel_an_order(context):
    context.reply = context.api.cancel_order(uuid.uuid4())


def place_an_order(context):
    context.sent = {"stocks": "EURUSD", "quantity": 10}
    context.reply = context.api.place_order(**context.sent)


OPERATIONS = {
    "place an order": place_an_order,
    "list the orders": list_the_orders,
    "look up an order": look_up_an_order,
    "cancel an order": cancel_an_order,
}


@parse.with_pattern("|".join(OPERATIONS))
def parse_operation(text):
    return OPERATIONS[text]


register_type(OrderOperation=parse_operation)


@when("I {operation:OrderOperation} there")
def step_operation_there(context, operation):
    operation(context)


@then("I am told the platform is unavailable and to try again in 1 second")
def step_unavailable(context):
    assert_that(context.reply, answered_with_error(503))
    assert_that(context.reply.headers, has_entry("Retry-After", "1"), context.reply.describe())


@then("no order event reaches the feed")
def step_no_event(context):
    events = context.feed.watch_until(time.monotonic() + QUIET_FEED_WINDOW, lambda event: True)
    assert_that([event.raw for event in events], equal_to([]), "events on the feed")


@then("the platform logs the fault in one line naming my request")
def step_fault_logged(context):
    lines = [line for line in context.platform.output().splitlines() if "injected fault" in line]
    assert_that(lines, has_length(1), "the log lines about injected faults")
    request = f"{context.reply.method} {context.reply.path}"
    assert_that(
        lines[0],
        all_of(contains_string("error"), contains_string(request)),
        "the log line about the fault",
    )


@then("the platform's health check still answers at once")
def step_health_at_once(context):
    reply = context.api.health()
    assert_that(reply, answered(200))
    assert_that(reply.elapsed, less_than(AT_ONCE), "seconds until the health check answered")


@then("every refusal it describes tells when to try again")
def step_refusals_retry_after(context):
    for path, operations in context.openapi["paths"].items():
        for method, operation in operations.items():
            if not isinstance(operation, dict):  # the path's shared parameters
                continue
            refusal = operation.get("responses", {}).get("503")
            if refusal is not None:
                assert_that(
                    refusal.get("headers", {}),
                    has_key("Retry-After"),
                    f"the headers of the 503 answer of {method.upper()} {path}",
                )


@when("I place an order, list the orders, look up the order and cancel it, one after the other")
def step_every_operation(context):
    placed = context.api.place_order("EURUSD", 10)
    assert_that(placed, answered(201))
    order_id = placed.json()["orderId"]
    context.timed_replies = [
        placed,
        context.api.list_orders(),
        context.api.get_order(order_id),
        context.api.cancel_order(order_id),
    ]


@then("each answer came after {seconds:g} seconds")
def step_each_after_spike(context, seconds):
    for reply in context.timed_replies:
        assert_that(
            reply.elapsed,
            within(seconds - EARLY_TOLERANCE, seconds + LATE_TOLERANCE),
            f"seconds until the answer to {reply.method} {reply.path}",
        )


@then("my feed connection is dropped without a close frame, before any event")
def step_dropped(context):
    ending = context.feed.wait_until_ended(FEED_DROP_DEADLINE)
    assert_that(ending, equal_to("dropped"), "how the feed connection ended")
    assert_that(
        [event.raw for event in context.feed.events()],
        equal_to([]),
        "events received before the connection dropped",
    )
