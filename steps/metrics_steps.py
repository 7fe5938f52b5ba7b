"""`/metrics`, read with prometheus-client's own parser."""

import time

from behave import given, then, when
from hamcrest import assert_that, equal_to, less_than

from steps.support.api import ApiClient
from steps.support.checks import answered
from steps.support.delays import AT_ONCE
from steps.support.feed import FeedListener
from steps.support.metrics import samples, total
from steps.support.processes import LocalServer, RedisServer, use_own_platform

PLACED = "trading_orders_placed_total"
# The latency histogram's count: requests by route and status.
ANSWERS = "trading_http_request_duration_seconds_count"
FEED_CLIENTS = "trading_feed_clients"
# Reads of /metrics from as many new connections, so that each worker answers some.
READS = 6
# Seconds within which a placed order is counted (the count happens as it is placed).
COUNTED_DEADLINE = 5.0


@given("a platform of my own")
def step_own_platform(context):
    use_own_platform(context, "--response-delay", "0,0")


@given("a platform of my own that refuses every order request")
def step_own_faulty_platform(context):
    use_own_platform(context, "--faults", "error=1,latency=1:5")


@given("a platform of my own with two workers sharing a Redis")
def step_own_workers(context):
    context.redis = RedisServer()
    context.processes.append(context.redis)
    server = LocalServer("--store", context.redis.url, "--workers", "2", "--response-delay", "0,0")
    # The hooks stop them in this order: the platform, then Redis.
    context.processes.insert(0, server)
    server.wait_until_healthy()
    context.api.close()
    context.api = ApiClient(server.base_url)


@given("{count:d} clients are watching its order feed")
def step_feed_clients(context, count):
    for _ in range(count):
        context.listeners.append(FeedListener(context.feed_url))


@when("I place {count:d} orders there, each on a new connection")
def step_place_apart(context, count):
    for _ in range(count):
        with ApiClient(context.api.base_url) as client:
            assert_that(client.place_order("COUNTED", 1), answered(201))


@when("I open its metrics page")
def step_open_metrics(context):
    context.reply = context.api.metrics()


def read_metrics(client):
    reply = client.metrics()
    assert_that(reply, answered(200))
    try:
        return samples(reply.body.decode("utf-8"))
    except ValueError as problem:
        raise AssertionError(f"the metrics page is not in Prometheus's format: {problem}") from None


def eventually(context, check):
    """`check(parsed metrics)` passes within the deadline (a count may land
    a moment after the answer that caused it)."""
    deadline = time.monotonic() + COUNTED_DEADLINE
    while True:
        try:
            return check(read_metrics(context.api))
        except AssertionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)  # wait-ok: the poll's interval, inside a deadline


@then("its metrics page counts {count:d} orders placed")
def step_counts_placed(context, count):
    eventually(
        context,
        lambda parsed: assert_that(total(parsed, PLACED), equal_to(count), "orders placed"),
    )


@then("it counts the {count:d} answers to placing an order, with their response times")
def step_counts_answers(context, count):
    parsed = read_metrics(context.api)
    route = {"method": "POST", "route": "/orders"}
    assert_that(total(parsed, ANSWERS, status="201", **route), equal_to(count), "POSTs timed")


@then("it answers at once with the metrics")
def step_metrics_at_once(context):
    assert_that(context.reply, answered(200))
    assert_that(context.reply.elapsed, less_than(AT_ONCE), "seconds until the metrics came")
    samples(context.reply.body.decode("utf-8"))


@then("it counts {count:d} feed clients connected")
def step_counts_feed_clients(context, count):
    eventually(
        context,
        lambda parsed: assert_that(total(parsed, FEED_CLIENTS), equal_to(count), "feed clients"),
    )


@then("its metrics page counts {count:d} orders placed, whichever worker answers it")
def step_counts_placed_everywhere(context, count):
    for _ in range(READS):
        with ApiClient(context.api.base_url) as client:
            parsed = read_metrics(client)
        assert_that(total(parsed, PLACED), equal_to(count), "orders placed, as one worker reports")
