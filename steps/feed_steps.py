"""The WebSocket order feed."""

import time

from behave import given, then, when
from hamcrest import assert_that, equal_to, greater_than, less_than

from steps.support.checks import answered_with_order, event_problems
from steps.support.delays import execution_deadline
from steps.support.feed import EVENT_IN_FLIGHT, FeedListener


def start_listener(context):
    listener = FeedListener(context.feed_url)
    context.listeners.append(listener)
    return listener


def expect_lifecycle(context, listener, order, final_status, deadline):
    """The order's events on this listener: PENDING, then `final_status`, each
    well-formed and in time order."""
    numbered = "sequence" in context.server_extensions
    order_id = order["orderId"]
    listener.wait_for_status(order_id, "PENDING", EVENT_IN_FLIGHT)
    listener.wait_for_status(order_id, final_status, max(0.0, deadline - time.monotonic()))
    events = listener.events_for(order_id)
    assert_that(
        [event.status for event in events],
        equal_to(["PENDING", final_status]),
        f"the events for order {order_id}: {[event.raw for event in events]}",
    )
    for event in events:
        assert_that(event_problems(event.data, numbered), equal_to([]), f"the event {event.raw}")
        for field in ("stocks", "quantity"):
            assert_that(
                event.data[field], equal_to(order[field]), f"{field} in the event {event.raw}"
            )
    pending, final = events
    assert_that(
        final.data["timestamp"],
        greater_than(pending.data["timestamp"]),
        "the final event's timestamp, compared with the PENDING one",
    )
    return events


@given("I am watching the order feed")
def step_watching(context):
    context.feed = start_listener(context)


@given("two more clients are watching the order feed")
def step_more_clients(context):
    context.other_listeners = [start_listener(context) for _ in range(2)]


@when("another client starts watching the order feed")
def step_late_client(context):
    context.late_listener = start_listener(context)


@given("I have sent a message on the feed")
def step_send_message(context):
    context.feed.send('{"orderId": "not-an-order", "orderStatus": "CANCELLED"}')


@given("the feed has reported the order as pending")
def step_reported_pending(context):
    context.feed.wait_for_status(context.order["orderId"], "PENDING", EVENT_IN_FLIGHT)


@then("the feed reports the order as pending, then {final:w}")
def step_lifecycle(context, final):
    context.order_events = expect_lifecycle(
        context,
        context.feed,
        context.order,
        final.upper(),
        execution_deadline(context.confirmation.received_at),
    )


@then("the feed's events agree with the order as the API reports it")
def step_events_agree(context):
    reply = context.api.get_order(context.order["orderId"])
    assert_that(reply, answered_with_order(200, order_status="EXECUTED"))
    order = reply.json()
    pending, executed = context.order_events
    assert_that(
        pending.data["timestamp"],
        equal_to(order["createdAt"]),
        "the PENDING event's timestamp, compared with createdAt",
    )
    assert_that(
        executed.data["timestamp"],
        equal_to(order["updatedAt"]),
        "the EXECUTED event's timestamp, compared with updatedAt",
    )


@then("every client is told the order is pending, then executed")
def step_every_client(context):
    for listener in [context.feed, *context.other_listeners]:
        expect_lifecycle(
            context,
            listener,
            context.order,
            "EXECUTED",
            execution_deadline(context.confirmation.received_at),
        )


@then("nothing more is reported for the order past the longest execution delay")
def step_nothing_more(context):
    order_id = context.order["orderId"]
    context.feed.watch_until(
        execution_deadline(context.confirmation.received_at),
        lambda event: (
            event.order_id == order_id and all(event is not seen for seen in context.order_events)
        ),
    )
    statuses = [event.status for event in context.feed.events_for(order_id)]
    assert_that(statuses, equal_to(["PENDING", "CANCELLED"]), "every event for the order")


@then("the late client is told only that the order was executed")
def step_late_client_sees(context):
    order_id = context.order["orderId"]
    context.late_listener.wait_for_status(order_id, "EXECUTED", EVENT_IN_FLIGHT)
    statuses = [event.status for event in context.late_listener.events_for(order_id)]
    assert_that(statuses, equal_to(["EXECUTED"]), "the late client's events for the order")


@when("I open the feed address without asking for a WebSocket")
def step_plain_get_feed(context):
    context.reply = context.api.request("GET", "/ws")


@then("I am refused with a client error")
def step_client_error(context):
    assert_that(context.reply.status, greater_than(399), context.reply.describe())
    assert_that(context.reply.status, less_than(500), context.reply.describe())
