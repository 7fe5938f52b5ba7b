"""Safe retries of an order with a retry key (the contract's `idempotency`
extension, header `Idempotency-Key`)."""

import json
import time
import uuid

from behave import given, then, when
from hamcrest import assert_that, contains_inanyorder, equal_to, has_length, is_not

from steps.support.api import concurrently
from steps.support.checks import answered, answered_with_error, answered_with_order
from steps.support.delays import RESPONSE_DELAY
from steps.support.feed import EVENT_IN_FLIGHT

# As in orders_steps.py, which behave loads after this module.

KEY_HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MALFORMED_KEYS = {
    "an empty key": "",
    "a key of 256 characters": "k" * 256,
    "a key with a space": "retry key",
    "a key with an accented letter": "clé",
}
# Two requests released together reach the server well within this of each
# other; the first is still being answered only if its delay is longer.
SIMULTANEOUS = 0.05


def new_key():
    return f"retry-{uuid.uuid4()}"


def send_with_key(context, stocks, quantity, key):
    context.sent = {"stocks": stocks, "quantity": quantity}
    context.reply = context.api.place_order(stocks, quantity, headers={KEY_HEADER: key})
    return context.reply


@given("I have placed an order for {quantity:Json} of {stocks:Json} with a retry key")
def step_placed_with_key(context, quantity, stocks):
    context.key = new_key()
    context.first_answer = send_with_key(context, stocks, quantity, context.key)
    assert_that(
        context.first_answer,
        answered_with_order(201, stocks=stocks, quantity=quantity, order_status="PENDING"),
    )
    assert_that(
        context.first_answer.headers.get(REPLAYED_HEADER),
        equal_to(None),
        f"the first answer's {REPLAYED_HEADER} header",
    )
    context.order = context.first_answer.json()


@when("I send the same order again with the same key")
def step_same_again(context):
    send_with_key(context, context.sent["stocks"], context.sent["quantity"], context.key)


@when("I send an order for {quantity:Json} of {stocks:Json} with the same key")
def step_other_with_same_key(context, quantity, stocks):
    send_with_key(context, stocks, quantity, context.key)


@then("I am answered exactly as the first time, marked as a replay")
def step_replayed(context):
    first, retry = context.first_answer, context.reply
    assert_that(retry, answered(first.status))
    assert_that(retry.body, equal_to(first.body), "the retry's body, compared with the first's")
    assert_that(
        retry.headers.get("Location"),
        equal_to(first.headers.get("Location")),
        "the retry's Location, compared with the first's",
    )
    assert_that(
        retry.headers.get(REPLAYED_HEADER),
        equal_to("true"),
        f"the retry's {REPLAYED_HEADER} header; " + retry.describe(),
    )


@then("only one order was placed for that key")
def step_one_order(context):
    order_id = context.order["orderId"]
    listed_ids = [
        order["orderId"]
        for order in context.api.list_orders().json()
        if order["stocks"] == context.order["stocks"]
    ]
    # Oldest first: the orders of this symbol from my order on (earlier
    # scenarios and runs may have used the symbol too).
    mine_and_later = listed_ids[listed_ids.index(order_id) :] if order_id in listed_ids else []
    assert_that(
        mine_and_later,
        equal_to([order_id]),
        f"the orders of {context.order['stocks']!r} listed from mine on",
    )
    context.feed.wait_for_status(order_id, "PENDING", EVENT_IN_FLIGHT)
    # A second order would have been announced before its answer left the server.
    others = context.feed.watch_until(
        time.monotonic() + EVENT_IN_FLIGHT,
        lambda event: (
            event.status == "PENDING"
            and event.order_id != order_id
            and event.data.get("stocks") == context.order["stocks"]
        ),
    )
    assert_that([event.raw for event in others], has_length(0), "other orders announced")


@then("I am told the key was used for another order")
def step_key_mismatch(context):
    assert_that(context.reply, answered_with_error(422, naming=KEY_HEADER))


@when("I send an order with a retry key twice at the same moment")
def step_twice_at_once(context):
    if RESPONSE_DELAY.minimum < SIMULTANEOUS:
        context.scenario.skip(
            reason=f"needs a response delay of at least {SIMULTANEOUS} s "
            "to hold the first request in flight"
        )
        return
    key = new_key()
    stocks = f"TWICE-{key[-8:]}"
    context.answers = concurrently(
        context.base_url,
        2,
        lambda client, index: client.place_order(stocks, 1, headers={KEY_HEADER: key}),
    )


@then("one of them is placed and the other is told the first is still being answered")
def step_one_placed_one_in_flight(context):
    described = [answer.describe() for answer in context.answers]
    assert_that(
        [answer.status for answer in context.answers],
        contains_inanyorder(201, 409),
        f"the two answers: {described}",
    )
    placed, refused = sorted(context.answers, key=lambda answer: answer.status)
    assert_that(placed, answered_with_order(201, order_status="PENDING"))
    assert_that(refused, answered_with_error(409, naming=KEY_HEADER))
    context.order = placed.json()


@given("I have sent an order without a quantity with a retry key")
def step_refused_with_key(context):
    context.key = new_key()
    reply = context.api.send_order_body(
        json.dumps({"stocks": "RETRY"}), headers={KEY_HEADER: context.key}
    )
    assert_that(reply, answered_with_error(400, naming="quantity"))


@then("it is not marked as a replay")
def step_not_replayed(context):
    assert_that(
        context.reply.headers.get(REPLAYED_HEADER),
        is_not(equal_to("true")),
        f"the {REPLAYED_HEADER} header; " + context.reply.describe(),
    )


@when("I place an order with {key} as its retry key")
def step_malformed_key(context, key):
    send_with_key(context, "RETRY", 1, MALFORMED_KEYS[key])
