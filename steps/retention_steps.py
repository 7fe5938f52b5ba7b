"""Retention (`--max-orders`): a platform of the scenario's own with a small
limit, whose oldest final orders are forgotten."""

import time

from behave import given, then, when
from hamcrest import assert_that, equal_to

from steps.support.checks import answered, answered_with_error, answered_with_json
from steps.support.processes import use_own_platform

# Seconds within which an order executed "at once" reads back as executed.
EXECUTED_DEADLINE = 5.0

EXECUTION = {"at once": "0,0", "only after a minute": "60,60"}


@given("a platform of my own that keeps at most {limit:d} orders and executes them {when_}")
def step_limited_platform(context, limit, when_):
    use_own_platform(
        context,
        "--max-orders",
        str(limit),
        "--response-delay",
        "0,0",
        "--execution-delay",
        EXECUTION[when_],
    )


def place_orders(context, count):
    for _ in range(count):
        reply = context.api.place_order("KEEP", 1)
        assert_that(reply, answered(201))
        context.placed_orders.append(reply.json())


def wait_until_executed(context, orders):
    deadline = time.monotonic() + EXECUTED_DEADLINE
    for order in orders:
        while True:
            reply = context.api.get_order(order["orderId"])
            if reply.status == 200 and reply.json()["orderStatus"] == "EXECUTED":
                break
            assert time.monotonic() < deadline, f"not executed in time: {reply.describe()}"
            time.sleep(0.05)  # wait-ok: the poll's interval, inside a deadline


@given("I have placed {count:d} orders there, all executed now")
def step_placed_executed(context, count):
    place_orders(context, count)
    wait_until_executed(context, context.placed_orders)


@given("I have placed {count:d} orders there")
@when("I place {count:d} orders there")
@when("I place {count:d} more orders there")
def step_place_there(context, count):
    place_orders(context, count)


def listed_ids(context):
    reply = context.api.list_orders()
    assert_that(reply, answered_with_json(200))
    return [order["orderId"] for order in reply.json()]


def ids(orders):
    return [order["orderId"] for order in orders]


@then("looking up either of the {count:d} oldest orders, I am told there is no such order")
def step_oldest_forgotten(context, count):
    for order in context.placed_orders[:count]:
        assert_that(context.api.get_order(order["orderId"]), answered_with_error(404))


@then("the order list holds the {count:d} newest orders and no other")
def step_list_newest(context, count):
    assert_that(listed_ids(context), equal_to(ids(context.placed_orders[-count:])))


@then("all {count:d} orders read back as pending")
def step_all_pending(context, count):
    assert_that(len(context.placed_orders), equal_to(count))
    for order in context.placed_orders:
        reply = context.api.get_order(order["orderId"])
        assert_that(reply, answered(200))
        assert_that(reply.json()["orderStatus"], equal_to("PENDING"), reply.describe())


@then("the order list holds all {count:d} orders")
def step_list_all(context, count):
    assert_that(listed_ids(context), equal_to(ids(context.placed_orders)))


@when("I cancel the first of them")
def step_cancel_first(context):
    reply = context.api.cancel_order(context.placed_orders[0]["orderId"])
    assert_that(reply, answered(204))


@then("looking it up, I am told there is no such order")
def step_first_forgotten(context):
    assert_that(
        context.api.get_order(context.placed_orders[0]["orderId"]), answered_with_error(404)
    )


@then("the order list holds the other {count:d} orders")
def step_list_others(context, count):
    assert_that(listed_ids(context), equal_to(ids(context.placed_orders[1:])))
