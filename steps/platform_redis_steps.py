"""Several instances of the platform sharing one Redis, which the suite starts.

The Redis server and the instances are stopped by the hooks (instances first)."""

import subprocess
import time

from behave import given, then, when
from hamcrest import assert_that, equal_to, is_not, none

from steps.support.checks import answered_with_error, answered_with_order
from steps.support.delays import execution_deadline
from steps.support.feed import FeedListener
from steps.support.instances import INSTANCES, start_instances

# An instance whose process died leaves its due orders to the others, which
# look for such orders every second.
SWEEP = 1.0
# How long an instance may take to notice that Redis went away.
NOTICE_DEADLINE = 5.0


@given("two instances of the platform share one Redis")
def step_two_instances(context):
    start_instances(context)


def instance(context, which):
    return context.instances[INSTANCES[which]]


@given("I have placed an order on the {which:w} instance for {quantity:Json} of {stocks:Json}")
@when("I place an order on the {which:w} instance for {quantity:Json} of {stocks:Json}")
def step_place_on(context, which, quantity, stocks):
    context.reply = instance(context, which).place_order(stocks, quantity)
    assert_that(
        context.reply,
        answered_with_order(201, stocks=stocks, quantity=quantity, order_status="PENDING"),
    )
    context.order = context.reply.json()
    context.confirmation = context.reply
    context.placed_orders.append(context.order)


@when("I cancel the order on the {which:w} instance")
def step_cancel_on(context, which):
    context.reply = instance(context, which).cancel_order(context.order["orderId"])


@then("the {which:w} instance reads the order back as {status:w}")
def step_read_back_on(context, which, status):
    reply = instance(context, which).get_order(context.order["orderId"])
    assert_that(reply, answered_with_order(200, order_status=status.upper()))


@given("I am watching the order feed of the {which:w} instance")
def step_watch_instance(context, which):
    context.feed = FeedListener(instance(context, which).feed_url)
    context.listeners.append(context.feed)


@when("the first instance dies")
def step_instance_dies(context):
    # Killed (SIGKILL, or TerminateProcess on Windows): no chance to hand anything over.
    context.servers[0].process.kill()
    context.servers[0].process.wait(timeout=10)


@then("the feed reports the order executed once, at most a sweep after its time")
def step_executed_once(context):
    order_id = context.order["orderId"]
    deadline = max(execution_deadline(context.confirmation.received_at), time.monotonic()) + SWEEP
    executed = context.feed.wait_for_status(
        order_id, "EXECUTED", max(0.0, deadline - time.monotonic())
    )
    # A second execution, by another instance, would come within a sweep.
    context.feed.watch_until(
        time.monotonic() + SWEEP,
        lambda event: (
            event.order_id == order_id and event.status != "PENDING" and event is not executed
        ),
    )
    statuses = [event.status for event in context.feed.events_for(order_id)]
    assert_that(statuses, equal_to(["PENDING", "EXECUTED"]), f"the events for order {order_id}")


@when("Redis goes down")
def step_redis_down(context):
    context.redis.take_down()


@given("Redis has been down")
def step_redis_has_been_down(context):
    context.redis.take_down()
    reply = wait_for_health(context, "first", 503)
    assert_that(reply, answered_with_error(503))


@when("Redis is back")
def step_redis_back(context):
    context.redis.start()


def wait_for_health(context, which, status):
    """The instance's health answer, once it is `status` (or the last one at the deadline)."""
    client, server = instance(context, which), context.servers[INSTANCES[which]]
    deadline = time.monotonic() + NOTICE_DEADLINE
    while True:
        reply = client.health()
        if reply.status == status or time.monotonic() > deadline:
            return reply
        try:
            # Doubles as the pause between attempts and as a crash check.
            server.process.wait(timeout=0.1)
        except subprocess.TimeoutExpired:
            continue
        raise AssertionError(f"the {which} instance exited:\n{server.output()}")


@then("placing an order on either instance is refused as unavailable for now")
def step_refused_unavailable(context):
    for client in context.instances:
        reply = client.place_order("EURUSD", 1)
        assert_that(reply, answered_with_error(503))
        assert_that(
            reply.headers.get("Retry-After"),
            is_not(none()),
            "the Retry-After header; " + reply.describe(),
        )


@then("the health check of either instance reports it unavailable")
def step_health_unavailable(context):
    for client in context.instances:
        assert_that(client.health(), answered_with_error(503))


@then("I can place orders on the second instance again")
def step_place_again(context):
    reply = wait_for_health(context, "second", 200)
    assert_that(
        reply.status, equal_to(200), "the health check after Redis came back; " + reply.describe()
    )
    placed = context.instances[1].place_order("EURUSD", 1)
    assert_that(placed, answered_with_order(201, order_status="PENDING"))
