"""What the platform tells browsers about pages on other origins (CORS),
checked over plain HTTP and WebSocket, without a browser."""

import json
import uuid

from behave import given, then, when
from hamcrest import (
    assert_that,
    equal_to,
    greater_than,
    has_entry,
    has_items,
    is_in,
    is_not,
    less_than,
)

from steps.support.checks import answered
from steps.support.delays import AT_ONCE
from steps.support.feed import EVENT_IN_FLIGHT, FeedListener, FeedRefused
from steps.support.processes import use_own_platform

# As in orders_steps (behave loads this module first): values written as JSON.
# A web app's usual address during development; never the platform's own.
OTHER_ORIGIN = "http://localhost:3000"
EXPOSED_HEADERS = ("Location", "Feed-Seq", "Idempotent-Replayed", "Retry-After")
# What a page may ask leave for: the method and the path it would use.
ACTIONS = {
    "place an order": ("POST", "/orders"),
    "list the orders": ("GET", "/orders"),
    "read an order": ("GET", "/orders/{id}"),
    "cancel an order": ("DELETE", "/orders/{id}"),
}


def header_items(reply, name):
    """A comma-separated header as a set of lower-case items."""
    return {item.strip().lower() for item in reply.headers.get(name, "").split(",") if item.strip()}


def allows_origin(reply, origin):
    return reply.headers.get("Access-Control-Allow-Origin") in ("*", origin)


def from_other_origin(context, origin=OTHER_ORIGIN, **headers):
    context.origin = origin
    return {"Origin": origin, **headers}


@given('a platform started with --cors-origins "{setting}"')
def step_platform_with_origins(context, setting):
    use_own_platform(context, "--cors-origins", setting)


@when("a page on another origin asks whether it may {action}")
@when('a page on "{origin}" asks whether it may {action}')
def step_preflight(context, action, origin=OTHER_ORIGIN):
    method, path = ACTIONS[action]
    context.reply = context.api.request(
        "OPTIONS",
        path.format(id=uuid.uuid4()),
        headers=from_other_origin(
            context,
            origin,
            **{
                "Access-Control-Request-Method": method,
                "Access-Control-Request-Headers": "content-type,idempotency-key",
            },
        ),
    )


@then("the platform says yes at once, for the methods {methods}")
def step_preflight_allowed(context, methods):
    reply = context.reply
    assert_that(reply, answered(204))
    assert_that(reply.elapsed, less_than(AT_ONCE), "seconds until the preflight was answered")
    assert_that(
        allows_origin(reply, context.origin),
        equal_to(True),
        f"Access-Control-Allow-Origin allows {context.origin}; "
        f"{reply.describe()} {dict(reply.headers)}",
    )
    assert_that(
        header_items(reply, "Access-Control-Allow-Methods"),
        equal_to({method.lower() for method in methods.split(", ")}),
        f"Access-Control-Allow-Methods; {dict(reply.headers)}",
    )
    assert_that(
        header_items(reply, "Access-Control-Allow-Headers"),
        has_items("content-type", "idempotency-key"),
        f"Access-Control-Allow-Headers; {dict(reply.headers)}",
    )
    max_age = reply.headers.get("Access-Control-Max-Age", "")
    assert_that(
        max_age.isdigit() and int(max_age),
        greater_than(0),
        f"Access-Control-Max-Age; {dict(reply.headers)}",
    )


@when("a page on another origin sends OPTIONS to the orders without asking a browser's question")
def step_plain_options(context):
    context.reply = context.api.request("OPTIONS", "/orders", headers=from_other_origin(context))


@when("a page on another origin places an order for {quantity:Json} of {stocks:Json}")
def step_page_places(context, quantity, stocks):
    context.reply = context.api.request(
        "POST",
        "/orders",
        body=json.dumps({"stocks": stocks, "quantity": quantity}),
        headers=from_other_origin(context, **{"Content-Type": "application/json"}),
    )


@when("a page on another origin lists the orders")
def step_page_lists(context):
    context.reply = context.api.request("GET", "/orders", headers=from_other_origin(context))


@when("a page on another origin reads an order that does not exist")
def step_page_reads_unknown(context):
    context.reply = context.api.request(
        "GET", f"/orders/{uuid.uuid4()}", headers=from_other_origin(context)
    )


@when("a page on another origin sends {method:w} to the orders")
def step_page_wrong_method(context, method):
    context.reply = context.api.request(method, "/orders", headers=from_other_origin(context))


@when("a page on another origin checks the platform's health")
def step_page_health(context):
    context.reply = context.api.request("GET", "/health", headers=from_other_origin(context))


@then(
    "the page may read the answer, and its Location, Feed-Seq, Idempotent-Replayed "
    "and Retry-After headers"
)
def step_page_may_read(context):
    reply = context.reply
    described = f"{reply.describe()} with headers {dict(reply.headers)}"
    assert_that(
        allows_origin(reply, context.origin),
        equal_to(True),
        f"Access-Control-Allow-Origin allows {context.origin}; {described}",
    )
    assert_that(
        header_items(reply, "Access-Control-Expose-Headers"),
        has_items(*(name.lower() for name in EXPOSED_HEADERS)),
        f"Access-Control-Expose-Headers; {described}",
    )


@then("the page is allowed")
def step_page_allowed(context):
    reply = context.reply
    assert_that(reply, answered(204))
    # Under a list, "*" would allow every origin: the answer names this one.
    assert_that(
        reply.headers.get("Access-Control-Allow-Origin"),
        equal_to(context.origin),
        f"Access-Control-Allow-Origin; {dict(reply.headers)}",
    )


@then("the page is refused")
def step_page_refused(context):
    # A browser refuses a preflight answered with anything but 2xx, or one
    # that does not name the page's origin.
    preflight = context.reply
    assert_that(
        200 <= preflight.status < 300 and allows_origin(preflight, context.origin),
        equal_to(False),
        f"the preflight let the page through: {preflight.describe()} {dict(preflight.headers)}",
    )
    listed = context.api.request(
        "GET", "/orders", headers=from_other_origin(context, context.origin)
    )
    assert_that(
        allows_origin(listed, context.origin),
        equal_to(False),
        f"a page on {context.origin} may read the list of orders: {dict(listed.headers)}",
    )


def connect_feed(context, **handshake):
    try:
        context.feed_client = FeedListener(context.feed_url, **handshake)
    except FeedRefused as refusal:
        context.feed_client, context.feed_refusal = None, refusal
        return
    context.listeners.append(context.feed_client)


@when('a feed client connects from the origin "{origin}"')
def step_feed_from(context, origin):
    connect_feed(context, origin=origin)


@when("a feed client connects without an origin")
def step_feed_without_origin(context):
    connect_feed(context, suppress_origin=True)


@when("a feed client connects from the platform's own address")
def step_feed_own_address(context):
    connect_feed(context, origin=context.base_url)


@then("the feed client is subscribed")
def step_feed_subscribed(context):
    refusal = getattr(context, "feed_refusal", None)
    assert_that(context.feed_client, is_not(None), f"the feed refused the handshake: {refusal}")
    reply = context.api.place_order("EURUSD", 1)
    assert_that(reply, answered(201))
    context.feed_client.wait_for_status(reply.json()["orderId"], "PENDING", EVENT_IN_FLIGHT)


@then("the feed client is refused with {status:d}")
def step_feed_refused(context, status):
    assert_that(context.feed_client, equal_to(None), "the feed accepted the handshake")
    refusal = context.feed_refusal
    assert_that(refusal.status, equal_to(status), f"the handshake's answer: {refusal}")
    body = json.loads(refusal.body or b"null")
    assert_that(body, has_entry("code", status), f"the handshake's answer: {refusal}")


@then("I am told it does not offer the cors extension")
def step_no_cors_extension(context):
    for reply in context.health_replies:
        assert_that(reply, answered(200))
        assert_that("cors", is_not(is_in(reply.json().get("extensions", []))), reply.describe())
