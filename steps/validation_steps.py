"""Refused orders, and orders at the edge of the rules.

To look for a stray order or event without assuming an empty order book,
every body sent here carries this scenario's own symbol and quantity.
"""

import json
import random
import re
import uuid

from behave import then, when
from hamcrest import assert_that, equal_to, has_item

from steps.support.checks import answered_with_error, answered_with_json

MISSING = "(missing)"


def markers(context):
    """This scenario's own instrument symbol and quantity (made on first use)."""
    if not hasattr(context, "marker_symbol"):
        context.marker_symbol = "T" + uuid.uuid4().hex[:10].upper()
        context.marker_quantity = random.randint(100_000_000, 999_999_999)
    return context.marker_symbol, context.marker_quantity


def fill_in(context, template):
    symbol, quantity = markers(context)
    return template.replace("{symbol}", symbol).replace("{quantity}", str(quantity))


def body_with(field, raw_value, others):
    """A JSON object text with the fields in `others` and `field` set to the
    raw JSON text `raw_value` (kept as written: 1e999 must reach the server
    as 1e999) or left out."""
    members = [f"{json.dumps(name)}: {json.dumps(value)}" for name, value in others.items()]
    if raw_value != MISSING:
        members.insert(0 if field == "stocks" else 1, f"{json.dumps(field)}: {raw_value}")
    return "{" + ", ".join(members) + "}"


def spelled_out(raw_value):
    """`(N digits)` in a raw JSON value stands for an N-digit run of nines,
    too long to write in a table: valid JSON, far beyond any range."""
    return re.sub(r"\((\d+) digits\)", lambda match: "9" * int(match.group(1)), raw_value)


def valid_order(context):
    symbol, quantity = markers(context)
    context.sent = {"stocks": symbol, "quantity": quantity}
    return json.dumps(context.sent)


@when("I place an order with stocks {stocks}")
def step_place_with_stocks(context, stocks):
    _, quantity = markers(context)
    context.reply = context.api.send_order_body(body_with("stocks", stocks, {"quantity": quantity}))


@when("I place an order with quantity {quantity}")
def step_place_with_quantity(context, quantity):
    symbol, _ = markers(context)
    context.reply = context.api.send_order_body(
        body_with("quantity", spelled_out(quantity), {"stocks": symbol})
    )


@when("I send the order body {body}")
def step_send_body(context, body):
    context.reply = context.api.send_order_body("" if body == "(empty)" else fill_in(context, body))


@when("I send a valid order with the content type {content_type}")
def step_send_content_type(context, content_type):
    context.reply = context.api.send_order_body(
        valid_order(context), content_type=None if content_type == "(none)" else content_type
    )


@when("I send a valid order padded to {size} bytes")
def step_send_padded(context, size):
    body = valid_order(context).encode("utf-8")
    # Trailing white space keeps the JSON valid, so only the size matters.
    padded = body + b" " * (int(size.replace(",", "")) - len(body))
    context.reply = context.api.send_order_body(padded)


@when("I send a valid order with {method} to {path}")
def step_send_with_method(context, method, path):
    context.reply = context.api.request(
        method,
        path.replace("{id}", str(uuid.uuid4())),
        body=valid_order(context).encode(),
        headers={"Content-Type": "application/json"},
    )


@then('the order is refused with status {status:d} and a message naming "{field}"')
def step_refused_naming(context, status, field):
    assert_that(context.reply, answered_with_error(status, naming=field))


@then("the order is refused with status {status:d}")
def step_refused(context, status):
    assert_that(context.reply, answered_with_error(status))


@then("I am refused with status 405 and told the allowed methods {allowed}")
def step_refused_405(context, allowed):
    assert_that(context.reply, answered_with_error(405))
    allow = {method.strip().upper() for method in context.reply.headers.get("Allow", "").split(",")}
    for method in allowed.split(", "):
        assert_that(allow, has_item(method), "the Allow header; " + context.reply.describe())


@then("no order was created and no event was sent")
def step_nothing_created(context):
    symbol, quantity = markers(context)

    def is_stray(item):
        return isinstance(item, dict) and (
            item.get("stocks") == symbol or item.get("quantity") == quantity
        )

    # Listing the orders takes a response delay, which is also the time an
    # event for a wrongly created order would have had to reach the feed.
    listed = context.api.list_orders()
    assert_that(listed, answered_with_json(200))
    assert_that(
        [order for order in listed.json() if is_stray(order)],
        equal_to([]),
        "orders created from the refused request",
    )
    assert_that(
        [event.raw for event in context.feed.events(lambda event: is_stray(event.data))],
        equal_to([]),
        "events sent for the refused request",
    )
