"""Placing, reading, listing and cancelling orders."""

import time
import uuid
from urllib.parse import urlsplit

from behave import given, then, when
from hamcrest import assert_that, equal_to, greater_than, has_length, is_in

from steps.support.checks import (
    answered,
    answered_with_error,
    answered_with_json,
    answered_with_order,
    order_problems,
    seconds_between,
    within,
)
from steps.support.delays import EXECUTION_DELAY, SERVER_LATE_TOLERANCE, execution_deadline

# Quantities and symbols are written in features as JSON (10, 2.5, "EURUSD"),
# so a step sends exactly the value the reader sees.


def place(context, stocks, quantity):
    context.sent = {"stocks": stocks, "quantity": quantity}
    context.reply = context.api.place_order(stocks, quantity)
    remember_confirmation(context)


def remember_confirmation(context):
    """Keep a confirmed order for the steps that follow the order."""
    reply = context.reply
    if reply.status == 201:
        try:
            order = reply.json()
        except ValueError:
            return
        if isinstance(order, dict):
            context.order = order
            context.confirmation = reply
            context.placed_orders.append(order)


def read_back(context, status):
    reply = context.api.get_order(context.order["orderId"])
    assert_that(
        reply,
        answered_with_order(
            200,
            stocks=context.order["stocks"],
            quantity=context.order["quantity"],
            order_status=status,
        ),
    )
    assert_that(reply.json()["orderId"], equal_to(context.order["orderId"]), reply.describe())
    context.read_back = reply.json()


@given("I have placed an order for {quantity:Json} of {stocks:Json}")
@given("I have then placed another order for {quantity:Json} of {stocks:Json}")
def step_have_placed(context, quantity, stocks):
    place(context, stocks, quantity)
    assert_that(
        context.reply,
        answered_with_order(201, stocks=stocks, quantity=quantity, order_status="PENDING"),
    )


@when("I place an order for {quantity:Json} of {stocks:Json}")
def step_place(context, quantity, stocks):
    place(context, stocks, quantity)


@then("the order is confirmed as pending")
@then("the order is confirmed as pending, exactly as sent")
def step_confirmed_pending(context):
    assert_that(context.reply, answered_with_order(201, order_status="PENDING", **context.sent))


@then("the confirmation tells where to find the order")
def step_location(context):
    location = context.reply.headers.get("Location")
    assert_that(
        location is not None and urlsplit(location).path,
        equal_to(f"/orders/{context.order['orderId']}"),
        "the Location header; " + context.reply.describe(),
    )


@then("the order was last updated when it was created")
def step_updated_is_created(context):
    assert_that(
        context.order["updatedAt"], equal_to(context.order["createdAt"]), "updatedAt of a new order"
    )


@when("I look up the order by its id")
def step_look_up(context):
    context.reply = context.api.get_order(context.order["orderId"])


@then("I see the order as it was confirmed")
def step_same_order(context):
    assert_that(context.reply, answered_with_order(200))
    assert_that(context.reply.json(), equal_to(context.order), "the order read back")


@when("I list all orders")
def step_list(context):
    context.reply = context.api.list_orders()


@then("I see both orders, the first one before the second")
def step_both_in_order(context):
    assert_that(context.reply, answered_with_json(200))
    listed = context.reply.json()
    assert_that(isinstance(listed, list), equal_to(True), "the list is a JSON array")
    for entry in listed:
        assert_that(order_problems(entry), equal_to([]), f"the listed order {entry!r}")
    positions = {entry["orderId"]: index for index, entry in enumerate(listed)}
    first, second = context.placed_orders
    for order in (first, second):
        assert_that(order["orderId"], is_in(positions), "an order I placed, in the list")
        entry = listed[positions[order["orderId"]]]
        for field in ("stocks", "quantity", "createdAt"):
            assert_that(entry[field], equal_to(order[field]), f"{field} of the listed order")
    assert_that(
        positions[second["orderId"]],
        greater_than(positions[first["orderId"]]),
        "the position of the later order in the list",
    )


@given("the order has been executed")
@when("the order has been executed")
def step_executed(context):
    timeout = max(0.0, execution_deadline(context.confirmation.received_at) - time.monotonic())
    context.feed.wait_for_status(context.order["orderId"], "EXECUTED", timeout)


@then("the order reads back as {status:w}")
def step_reads_back(context, status):
    read_back(
        context, {"executed": "EXECUTED", "cancelled": "CANCELLED", "pending": "PENDING"}[status]
    )


@then("the order was executed one execution delay after it was created")
def step_execution_delay(context):
    delay = seconds_between(context.read_back["createdAt"], context.read_back["updatedAt"])
    assert_that(
        delay,
        within(EXECUTION_DELAY.minimum - 0.001, EXECUTION_DELAY.maximum + SERVER_LATE_TOLERANCE),
        f"seconds from createdAt to updatedAt (execution delay {EXECUTION_DELAY})",
    )


@when("I cancel the order")
def step_cancel(context):
    context.reply = context.api.cancel_order(context.order["orderId"])


@given("I have cancelled the order")
def step_have_cancelled(context):
    step_cancel(context)
    assert_that(context.reply, answered(204))


@then("the cancellation is accepted")
def step_cancellation_accepted(context):
    assert_that(context.reply, answered(204))
    assert_that(context.reply.body, has_length(0), "the body of a 204; " + context.reply.describe())


@then("I am told the order is already {status:w}")
def step_already(context, status):
    assert_that(context.reply, answered_with_error(409, naming=status))


@when("I watch the feed past the longest execution delay")
def step_watch_past_execution(context):
    order_id = context.order["orderId"]
    context.feed.watch_until(
        execution_deadline(context.confirmation.received_at),
        lambda event: event.order_id == order_id and event.status == "EXECUTED",
    )


@then("the order was never executed")
def step_never_executed(context):
    statuses = [event.status for event in context.feed.events_for(context.order["orderId"])]
    assert_that(statuses, equal_to(["PENDING", "CANCELLED"]), "the order's events on the feed")


@given("an order id that is {kind}")
def step_order_id(context, kind):
    if kind == "a UUID no order has":
        context.order_id = str(uuid.uuid4())
    elif kind == "not a UUID":
        context.order_id = "not-a-uuid"
    elif kind == "a known order's id in other letters":
        step_have_placed(context, 1, "EURUSD")
        context.order_id = context.order["orderId"].swapcase()
    else:
        raise NotImplementedError(f"no order id of the kind {kind!r}")


@when("I {action} the order with that id")
def step_act_on_id(context, action):
    actions = {"look up": context.api.get_order, "cancel": context.api.cancel_order}
    context.reply = actions[action](context.order_id)


@then("I am told there is no such order")
def step_no_such_order(context):
    assert_that(context.reply, answered_with_error(404))
