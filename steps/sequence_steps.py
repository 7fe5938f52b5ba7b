"""Numbered events, resuming the feed and consistent snapshots (the
contract's `sequence` extension)."""

import time

from behave import given, then, when
from hamcrest import (
    assert_that,
    equal_to,
    greater_than,
    has_length,
    less_than_or_equal_to,
    matches_regexp,
)
from requests.structures import CaseInsensitiveDict

from steps.support.api import ApiClient, BackgroundOrders, Reply, place_many
from steps.support.checks import answered, answered_with_error
from steps.support.delays import EXECUTION_DELAY, LATE_TOLERANCE
from steps.support.feed import EVENT_IN_FLIGHT, FeedListener, refused_handshake
from steps.support.processes import LocalServer, clean_environment

RETAINED_EVENTS = 10_000  # the contract's minimum
# Enough orders (a PENDING and an EXECUTED event each) to push the first
# events out of the retained ones.
ORDERS_PAST_RETENTION = RETAINED_EVENTS // 2 + 1
# Events that a busy platform may still be sending a client once its answers are in.
CATCH_UP = EVENT_IN_FLIGHT + EXECUTION_DELAY.maximum + LATE_TOLERANCE


def listen(context, url, since=None):
    listener = FeedListener(url, since)
    context.listeners.append(listener)
    return listener


def feed_seq(reply):
    """The answer's Feed-Seq header, checked to be a non-negative integer."""
    value = reply.headers.get("Feed-Seq", "")
    assert_that(value, matches_regexp(r"^[0-9]+$"), "the Feed-Seq header; " + reply.describe())
    return int(value)


def assert_consecutive(seqs, first, last, what):
    assert_that(
        seqs,
        equal_to(list(range(first, last + 1))),
        f"{what}: the seqs should be {first} to {last}, each once and in order",
    )


@then("the feed's events for the order are numbered one after the other")
def step_numbered(context):
    order_id = context.order["orderId"]
    context.feed.wait_for_status(order_id, "CANCELLED", EVENT_IN_FLIGHT)
    pending, cancelled = (event.data["seq"] for event in context.feed.events_for(order_id))
    # Other clients' orders may change in between, but never with the same number.
    assert_that(
        cancelled, greater_than(pending), "the CANCELLED event's seq after the PENDING one's"
    )
    seqs = context.feed.seqs()
    assert_consecutive(seqs, seqs[0], seqs[-1], "every event this client received")


@given("another client watches the order feed throughout")
def step_bystander(context):
    context.bystander = listen(context, context.feed_url)


@when("I lose my connection to the feed")
def step_lose_connection(context):
    context.feed.close()
    context.last_seen = max(context.feed.seqs())


@when("orders are placed and cancelled while I am away")
def step_changes_while_away(context):
    for quantity in (1, 2):
        reply = context.api.place_order("AWAY", quantity)
        assert_that(reply, answered(201))
    assert_that(context.api.cancel_order(reply.json()["orderId"]), answered(204))


@when("I reconnect to the feed with the last number I saw")
def step_reconnect(context):
    context.feed = listen(context, context.feed_url, since=context.last_seen)


@when("another order is placed")
def step_another_order(context):
    reply = context.api.place_order("AFTER", 1)
    assert_that(reply, answered(201))
    context.after_order_id = reply.json()["orderId"]


@then("I receive exactly the events I missed, then the new ones, each once and in order")
def step_exactly_missed(context):
    # The bystander never left: what it saw after my last number is what I missed.
    newest = context.bystander.wait_for_status(context.after_order_id, "PENDING", EVENT_IN_FLIGHT)
    context.feed.wait_for_seq(newest.data["seq"], EVENT_IN_FLIGHT)
    expected = [
        seq for seq in context.bystander.seqs() if context.last_seen < seq <= newest.data["seq"]
    ]
    received = [seq for seq in context.feed.seqs() if seq <= newest.data["seq"]]
    assert_that(received, equal_to(expected), "the events received after reconnecting")
    assert_consecutive(
        received,
        context.last_seen + 1,
        newest.data["seq"],
        "the events received after reconnecting",
    )


@given("orders keep being placed and cancelled")
def step_background_orders(context):
    context.traffic = BackgroundOrders(context.base_url)
    context.clients.append(context.traffic)
    context.traffic.wait_for_changes(3, CATCH_UP)


@when("I take a snapshot of all orders")
def step_snapshot(context):
    reply = context.api.list_orders()
    assert_that(reply, answered(200))
    context.snapshot = {order["orderId"]: order["orderStatus"] for order in reply.json()}
    context.snapshot_seq = feed_seq(reply)


@when("I subscribe to the feed since that snapshot")
def step_subscribe_since_snapshot(context):
    # Changes between the snapshot and the subscription: replayed.
    context.traffic.wait_for_changes(3, CATCH_UP)
    context.feed = listen(context, context.feed_url, since=context.snapshot_seq)
    # And changes after it: live.
    context.traffic.wait_for_changes(3, CATCH_UP)


@then("the snapshot and the events I receive add up to the orders as they are now")
def step_adds_up(context):
    reply = context.api.list_orders()
    now_seq = feed_seq(reply)
    context.feed.wait_for_seq(now_seq, CATCH_UP)
    statuses = dict(context.snapshot)
    received = [event.data for event in context.feed.events() if event.data["seq"] <= now_seq]
    assert_consecutive(
        [event["seq"] for event in received],
        context.snapshot_seq + 1,
        now_seq,
        "the events received since the snapshot",
    )
    for event in received:
        statuses[event["orderId"]] = event["orderStatus"]
    now = {order["orderId"]: order["orderStatus"] for order in reply.json()}
    assert_that(
        statuses,
        equal_to(now),
        "the snapshot with every event since, "
        "compared with the orders listed at Feed-Seq "
        f"{now_seq}",
    )


@then("the answer tells the number of the latest event it reflects")
def step_tells_feed_seq(context):
    assert_that(context.reply, answered(200))
    # The order's own PENDING event is among those the answer reflects.
    pending = context.feed.wait_for_status(context.order["orderId"], "PENDING", EVENT_IN_FLIGHT)
    assert_that(
        pending.data["seq"],
        less_than_or_equal_to(feed_seq(context.reply)),
        "the order's PENDING event's seq, compared with Feed-Seq",
    )


@given("a platform without response or execution delays")
def step_platform_without_delays(context):
    server = LocalServer(
        "--response-delay", "0,0", "--execution-delay", "0,0", env=clean_environment()
    )
    context.processes.append(server)
    server.wait_until_healthy()
    context.own_server = ApiClient(server.base_url)
    context.clients.append(context.own_server)


@given("I have seen the first event of its feed")
def step_seen_first_event(context):
    context.own_feed_url = context.own_server.feed_url
    listener = listen(context, context.own_feed_url)
    assert_that(context.own_server.place_order("FIRST", 1), answered(201))
    listener.wait_for_seq(1, EVENT_IN_FLIGHT)
    listener.close()
    context.last_seen = listener.seqs()[0]


@when("more than 10,000 events happen while I am away")
def step_many_events(context):
    statuses = place_many(context.own_server.base_url, ORDERS_PAST_RETENTION)
    assert_that(
        [status for status in statuses if status != 201],
        has_length(0),
        "answers other than 201 to the burst of orders",
    )
    context.latest_seq = feed_seq(context.own_server.list_orders())
    assert_that(
        context.latest_seq - context.last_seen,
        greater_than(RETAINED_EVENTS),
        "events since the one I saw",
    )


@when("I reconnect to that platform's feed with the last number I saw")
def step_reconnect_own(context):
    context.feed = listen(context, context.own_feed_url, since=context.last_seen)
    context.feed.wait_for_seq(context.latest_seq, CATCH_UP)


@then("the first event I receive is not the next number: I see the gap")
def step_see_gap(context):
    assert_that(
        context.feed.seqs()[0],
        greater_than(context.last_seen + 1),
        "the first seq received after reconnecting",
    )


@then("from there I receive the latest 10,000 events or more, one after the other")
def step_latest_retained(context):
    seqs = context.feed.seqs()
    assert_that(
        seqs[0],
        less_than_or_equal_to(context.latest_seq - RETAINED_EVENTS + 1),
        "the first seq replayed: at least 10,000 events are retained",
    )
    assert_consecutive(seqs, seqs[0], context.latest_seq, "the events replayed")


@when('I ask to follow the feed since "{since}"')
@when('I ask to follow the feed since ""')
def step_follow_since(context, since=""):
    refusal = refused_handshake(f"{context.feed_url}?since={since}")
    now = time.monotonic()
    context.reply = Reply(
        "GET",
        f"/ws?since={since}",
        refusal.status,
        CaseInsensitiveDict(refusal.headers),
        refusal.body,
        now,
        now,
    )


@then('I am refused with an error naming "{name}"')
def step_refused_naming(context, name):
    assert_that(context.reply, answered_with_error(400, naming=name))
