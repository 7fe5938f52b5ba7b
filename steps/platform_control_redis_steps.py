"""Test control on two instances of the platform sharing one Redis (the suite starts them)."""

import os
import secrets
import time

from behave import given, then, when
from hamcrest import assert_that, empty, equal_to, has_length

from steps.support.checks import answered, answered_with_order
from steps.support.control import CLOSE_DEADLINE, QUIET_WINDOW, SERVICE_RESTART, ControlClient
from steps.support.delays import execution_deadline
from steps.support.feed import EVENT_IN_FLIGHT, FeedListener
from steps.support.instances import INSTANCES, start_instances


@given("two instances of the platform under test control share one Redis")
def step_two_controlled_instances(context):
    token = secrets.token_urlsafe(24)
    # In the environment rather than on the command line, as a deployment would.
    start_instances(context, env={**os.environ, "TRADING_CONTROL_TOKEN": token})
    context.controls = [ControlClient(server.base_url, token) for server in context.servers]
    context.clients.extend(context.controls)


def control_of(context, which):
    return context.controls[INSTANCES[which]]


@given("execution is paused through the {which:w} instance")
def step_pause_through(context, which):
    control_of(context, which).set(executionPaused=True)


@when("the longest execution delay has passed for both orders")
def step_both_delays_passed(context):
    order_ids = {order["orderId"] for order in context.placed_orders}
    watcher = FeedListener(context.instances[1].feed_url)
    context.listeners.append(watcher)
    # The later order's confirmation came last: its deadline covers both.
    executed = watcher.watch_until(
        execution_deadline(context.confirmation.received_at),
        lambda event: event.order_id in order_ids and event.status != "PENDING",
    )
    assert_that([event.raw for event in executed], empty(), "final events of held orders")


@then("either instance reads both orders back as pending")
def step_both_pending_everywhere(context):
    for client in context.instances:
        for order in context.placed_orders:
            reply = client.get_order(order["orderId"])
            assert_that(reply, answered_with_order(200, order_status="PENDING"))


@given("I am watching the order feeds of both instances")
def step_watch_both(context):
    context.feeds = [FeedListener(client.feed_url) for client in context.instances]
    context.listeners.extend(context.feeds)


@when("I have the {which:w} instance execute the order now")
def step_execute_through(context, which):
    reply = control_of(context, which).execute(context.order["orderId"])
    assert_that(reply, answered_with_order(200, order_status="EXECUTED"))


@then("each feed reports the order as pending, then executed, exactly once")
def step_each_feed_once(context):
    order_id = context.order["orderId"]
    for feed in context.feeds:
        executed = feed.wait_for_status(order_id, "EXECUTED", EVENT_IN_FLIGHT)
        feed.watch_until(
            time.monotonic() + QUIET_WINDOW,
            lambda event, executed=executed: (
                event.order_id == order_id and event.status != "PENDING" and event is not executed
            ),
        )
        statuses = [event.status for event in feed.events_for(order_id)]
        assert_that(statuses, equal_to(["PENDING", "EXECUTED"]), f"the events on {feed.url}")


@when("the platform is reset through the {which:w} instance")
def step_reset_through(context, which):
    assert_that(control_of(context, which).reset(), answered(204))


@then("neither instance lists any order")
def step_neither_lists(context):
    for client in context.instances:
        reply = client.list_orders()
        assert_that(reply, answered(200))
        assert_that(reply.json(), has_length(0), reply.describe())


@then("each feed is closed with the code that tells it to resynchronise")
def step_each_feed_closed(context):
    for feed in context.feeds:
        assert_that(feed.wait_until_ended(CLOSE_DEADLINE), equal_to("closed"), feed.url)
        assert_that(feed.close_code, equal_to(SERVICE_RESTART), f"the close code of {feed.url}")
