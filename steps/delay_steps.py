"""Response delays, measured on five calls sent at the same moment."""

import uuid

from behave import then, when
from hamcrest import assert_that, greater_than

from steps.support.api import concurrently
from steps.support.checks import answered, within
from steps.support.delays import EARLY_TOLERANCE, LATE_TOLERANCE, RESPONSE_DELAY

CALLS = 5


def place_an_order(client):
    return client.place_order("EURUSD", 1), 201


def list_the_orders(client):
    return client.list_orders(), 200


def look_up_an_order(client):
    order_id = client.place_order("EURUSD", 1).json()["orderId"]
    return client.get_order(order_id), 200


def cancel_a_pending_order(client):
    # Each call cancels its own order right after its confirmation, so every
    # order is still pending (the execution delay outlasts a response delay).
    order_id = client.place_order("EURUSD", 1).json()["orderId"]
    return client.cancel_order(order_id), 204


def place_an_invalid_order(client):
    return client.send_order_body('{"stocks": "", "quantity": 1}'), 400


def look_up_an_unknown_order(client):
    return client.get_order(uuid.uuid4()), 404


def cancel_an_unknown_order(client):
    return client.cancel_order(uuid.uuid4()), 404


OPERATIONS = {
    "place an order": place_an_order,
    "list the orders": list_the_orders,
    "look up an order": look_up_an_order,
    "cancel a pending order": cancel_a_pending_order,
    "place an invalid order": place_an_invalid_order,
    "look up an unknown order": look_up_an_unknown_order,
    "cancel an unknown order": cancel_an_unknown_order,
}


@when("I {operation} five times at once")
def step_five_at_once(context, operation):
    results = concurrently(context.base_url, CALLS, lambda client, _: OPERATIONS[operation](client))
    for reply, status in results:
        assert_that(reply, answered(status))
    context.timed_replies = [reply for reply, _ in results]


@then("every answer came after the response delay")
def step_within_delay(context):
    for reply in context.timed_replies:
        assert_that(
            reply.elapsed,
            within(
                RESPONSE_DELAY.minimum - EARLY_TOLERANCE, RESPONSE_DELAY.maximum + LATE_TOLERANCE
            ),
            f"seconds until the answer to {reply.method} {reply.path} "
            f"(response delay {RESPONSE_DELAY})",
        )


@then("the delays vary from call to call")
def step_delays_vary(context):
    if not RESPONSE_DELAY.varies:
        context.scenario.skip(reason=f"the response delay is fixed ({RESPONSE_DELAY})")
        return
    elapsed = [reply.elapsed for reply in context.timed_replies]
    # Five uniform draws over 0.9 s all within 20 ms: about one run in a million.
    assert_that(
        max(elapsed) - min(elapsed),
        greater_than(0.02),
        f"the spread of the delays {[round(value, 3) for value in elapsed]}",
    )
