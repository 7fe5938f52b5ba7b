"""Order lists in pages (the `paging` extension): status, limit, after and
the `next` links."""

import time

from behave import given, then, when
from hamcrest import assert_that, equal_to, has_length, is_in, is_not, less_than_or_equal_to

from steps.support.api import next_page
from steps.support.checks import answered_with_error, answered_with_json, answered_with_order
from steps.support.delays import execution_deadline

# Pages followed at most: other clients may keep placing orders meanwhile.
MAX_PAGES = 500


def place(context, stocks, quantity):
    reply = context.api.place_order(stocks, quantity)
    assert_that(reply, answered_with_order(201))
    context.order, context.confirmation = reply.json(), reply
    context.placed_orders.append(context.order)


def listed(reply):
    assert_that(reply, answered_with_json(200))
    orders = reply.json()
    assert_that(isinstance(orders, list), equal_to(True), "the list is a JSON array")
    return orders


@given("I remember where the order list ends")
def step_remember_end(context):
    orders = listed(context.api.list_orders())
    context.list_end = orders[-1]["orderId"] if orders else None


@given("I have placed an order that is now cancelled, one now executed and one still pending")
def step_one_of_each(context):
    context.mine = {}
    place(context, "CANCELME", 1)
    assert_that(context.api.cancel_order(context.order["orderId"]).status, equal_to(204))
    context.mine["CANCELLED"] = context.order
    place(context, "EXECUTEME", 2)
    remaining = execution_deadline(context.confirmation.received_at) - time.monotonic()
    context.feed.wait_for_status(context.order["orderId"], "EXECUTED", max(0.0, remaining))
    context.mine["EXECUTED"] = context.order
    place(context, "KEEPME", 3)
    context.mine["PENDING"] = context.order


@when("I list the orders since then, {limit:d} at a time")
def step_list_in_pages(context, limit):
    # What the feed reported before listing: final statuses no list may change.
    context.final_before = {
        event.order_id: event.status
        for event in context.feed.events()
        if event.status in ("EXECUTED", "CANCELLED")
    }
    context.limit = limit
    context.pages = context.api.follow_pages(MAX_PAGES, limit=limit, after=context.list_end)


@then("no page holds more than {limit:d} orders, and each but the last points to the next")
def step_pages_bounded(context, limit):
    for number, reply in enumerate(context.pages, start=1):
        orders = listed(reply)
        assert_that(len(orders), less_than_or_equal_to(limit), f"orders on page {number}")
        last = number == len(context.pages)
        assert_that(
            next_page(reply) is None,
            equal_to(last),
            f"page {number} of {len(context.pages)} points to a next page; {reply.describe()}",
        )


@then("I see each of my orders once, in the order I placed them, with its status now")
def step_each_once(context):
    seen = [order for reply in context.pages for order in listed(reply)]
    ids = [order["orderId"] for order in seen]
    assert_that(len(set(ids)), equal_to(len(ids)), f"orders listed more than once: {ids}")
    positions = {order_id: index for index, order_id in enumerate(ids)}
    mine = [order["orderId"] for order in context.placed_orders]
    for order_id in mine:
        assert_that(order_id, is_in(positions), "an order I placed, on one of the pages")
        status = seen[positions[order_id]]["orderStatus"]
        if order_id in context.final_before:
            assert_that(
                status, equal_to(context.final_before[order_id]), f"the status of {order_id}"
            )
    assert_that(
        [positions[order_id] for order_id in mine],
        equal_to(sorted(positions[order_id] for order_id in mine)),
        "the places of my orders in the pages, in the order I placed them",
    )


@when("I list the {status:w} orders since then")
def step_list_status(context, status):
    context.reply = context.api.list_orders(status=status, after=context.list_end)


@then("I see only {status:w} orders, my {same:w} order among them")
def step_only_status(context, status, same):
    orders = listed(context.reply)
    others = [order for order in orders if order["orderStatus"] != status]
    assert_that(others, has_length(0), f"orders listed that are not {status}")
    ids = [order["orderId"] for order in orders]
    for kind, order in context.mine.items():
        matcher = is_in(ids) if kind == status else is_not(is_in(ids))
        assert_that(order["orderId"], matcher, f"my {kind.lower()} order in the {status} list")


@when('I list the orders with {parameter:w} set to "{value:AnyText}"')
def step_list_with(context, parameter, value):
    context.reply = context.api.list_orders(**{parameter: value})


@then("I am told the list cannot be given, naming the {parameter:w}")
def step_list_refused(context, parameter):
    assert_that(context.reply, answered_with_error(400, naming=parameter))
