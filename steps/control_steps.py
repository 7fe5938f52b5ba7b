"""Steering the platform at run time (the `control` extension).

`context.control` (set up by the hooks for every @control scenario) talks
to the platform's control API; the hooks put the control state back as it
was before the scenario (`context.control_before`).
"""

import time
import uuid

import parse
from behave import given, register_type, then, when
from hamcrest import assert_that, empty, equal_to, has_length, less_than

from steps.support.checks import answered, answered_with_error, answered_with_order
from steps.support.control import (
    CLOSE_DEADLINE,
    QUIET_WINDOW,
    SERVICE_RESTART,
    WRONG_CREDENTIALS,
)
from steps.support.delays import AT_ONCE, execution_deadline
from steps.support.feed import EVENT_IN_FLIGHT, FeedListener

# How soon an order held by a pause executes once execution resumes: the
# time of one timer round and one event on a busy machine, far below any
# execution delay.
RELEASED_DEADLINE = 1.0


def remember_left(context):
    """The control state as the scenario set it, for "changes nothing" checks."""
    context.control_left = context.control.state()


@given("the platform holds every order pending")
def step_hold_pending(context):
    context.control.set(executionPaused=True)
    remember_left(context)


@given("the platform fails every order request")
@when("the platform starts failing every order request")
def step_start_failing(context):
    context.control.set(faults="error=1")
    remember_left(context)


@when("the platform recovers")
def step_recovers(context):
    context.control.set(faults=context.control_before["faults"])


@when("the platform resumes executing orders")
def step_resume(context):
    context.control.set(executionPaused=False)


@given("the longest execution delay has passed")
@when("the longest execution delay has passed")
def step_execution_delay_passed(context):
    """Watch the order's events until its execution was due at the latest:
    a held order must not be executed meanwhile."""
    order_id = context.order["orderId"]
    watcher = FeedListener(context.feed_url)
    context.listeners.append(watcher)
    executed = watcher.watch_until(
        execution_deadline(context.confirmation.received_at),
        lambda event: event.order_id == order_id and event.status != "PENDING",
    )
    assert_that([event.raw for event in executed], empty(), "final events of an order held pending")


@when("I have the platform execute the order now")
def step_execute_now(context):
    context.reply = context.control.execute(context.order["orderId"])


@when("I have the platform execute an order that does not exist")
def step_execute_unknown(context):
    context.reply = context.control.execute(uuid.uuid4())


@then("I am given the order as executed")
def step_given_executed(context):
    order = context.order
    assert_that(
        context.reply,
        answered_with_order(
            200, stocks=order["stocks"], quantity=order["quantity"], order_status="EXECUTED"
        ),
    )
    assert_that(context.reply.json()["orderId"], equal_to(order["orderId"]))


@then("the feed reports the order as pending, then executed, exactly once")
def step_executed_exactly_once(context):
    order_id = context.order["orderId"]
    executed = context.feed.wait_for_status(order_id, "EXECUTED", EVENT_IN_FLIGHT)
    context.feed.watch_until(
        time.monotonic() + QUIET_WINDOW,
        lambda event: (
            event.order_id == order_id and event.status != "PENDING" and event is not executed
        ),
    )
    statuses = [event.status for event in context.feed.events_for(order_id)]
    assert_that(statuses, equal_to(["PENDING", "EXECUTED"]), f"the events for order {order_id}")


@then("the feed reports the order executed at once")
def step_executed_at_once(context):
    context.feed.wait_for_status(context.order["orderId"], "EXECUTED", RELEASED_DEADLINE)


@then("the platform lists the orders placed before and after the failure, and nothing else")
def step_lists_before_and_after(context):
    reply = context.api.list_orders()
    assert_that(reply, answered(200))
    placed_ids = {order["orderId"] for order in context.placed_orders}
    since = context.placed_orders[0]["createdAt"]
    listed = [order for order in reply.json() if order["createdAt"] >= since]
    listed_ids = {order["orderId"] for order in listed}
    assert_that(placed_ids - listed_ids, empty(), "orders confirmed but not listed")
    during = [order for order in listed if order["stocks"] == "DURING"]
    assert_that(during, empty(), "orders placed while every request failed")


@when("the platform's response delay is set to none")
def step_no_response_delay(context):
    context.control.set(responseDelay=[0, 0])


@when("the platform's response delay is set back to where it was")
def step_response_delay_back(context):
    context.control.set(responseDelay=context.control_before["responseDelay"])


@then("looking up an order is answered at once")
def step_answered_at_once(context):
    reply = context.api.get_order(uuid.uuid4())
    assert_that(reply, answered_with_error(404))
    assert_that(reply.elapsed, less_than(AT_ONCE), "seconds to answer, without a response delay")


@then("the control state is as it was before the scenario")
def step_state_as_before(context):
    assert_that(context.control.state(), equal_to(context.control_before), "the control state")


@then("the control state is as the test left it")
def step_state_as_left(context):
    assert_that(context.control.state(), equal_to(context.control_left), "the control state")


@when("the platform is reset")
def step_reset(context):
    assert_that(context.control.reset(), answered(204))


@then("the platform lists no orders")
def step_lists_nothing(context):
    reply = context.api.list_orders()
    assert_that(reply, answered(200))
    assert_that(reply.json(), has_length(0), reply.describe())


@then("my feed is closed with the code that tells me to resynchronise")
def step_feed_closed_restart(context):
    ending = context.feed.wait_until_ended(CLOSE_DEADLINE)
    assert_that(ending, equal_to("closed"), "how the feed ended")
    assert_that(context.feed.close_code, equal_to(SERVICE_RESTART), "the feed's close code")


@when("I watch the order feed again")
def step_watch_again(context):
    context.feed = FeedListener(context.feed_url)
    context.listeners.append(context.feed)


@then("the feed's first event is numbered 1")
def step_first_event_is_one(context):
    first = context.feed.wait_for(lambda event: True, EVENT_IN_FLIGHT, "an event")
    assert_that(first.data.get("seq"), equal_to(1), f"the seq of {first.raw}")


@when("I ask for the control change {body}")
def step_change_with(context, body):
    context.reply = context.control.change(None, raw_body=body)


@then('I am told the change is invalid, naming "{field}"')
def step_invalid_change(context, field):
    assert_that(context.reply, answered_with_error(400, naming=field))


def read_state(context, credentials):
    context.reply = context.control.read(credentials)


def change_state(context, credentials):
    context.reply = context.control.change(
        {"executionPaused": False, "faults": "error=1"}, credentials
    )


def execute_order(context, credentials):
    context.reply = context.control.execute(context.order["orderId"], credentials)


def reset_platform(context, credentials):
    context.reply = context.control.reset(credentials)


CONTROL_OPERATIONS = {
    "read the control state": read_state,
    "change the control state": change_state,
    "execute the order now": execute_order,
    "reset the platform": reset_platform,
}


@parse.with_pattern("|".join(CONTROL_OPERATIONS))
def parse_control_operation(text):
    return CONTROL_OPERATIONS[text]


@parse.with_pattern("|".join(WRONG_CREDENTIALS))
def parse_credentials(text):
    return WRONG_CREDENTIALS[text]


register_type(ControlOperation=parse_control_operation, Credentials=parse_credentials)


@when("I {operation:ControlOperation} with {credentials:Credentials}")
def step_control_without_token(context, operation, credentials):
    operation(context, credentials)


@then("I am told I am not authorized")
def step_not_authorized(context):
    assert_that(context.reply, answered_with_error(401))
