"""PyHamcrest matchers for the contract's shapes, so that a failure shows the
request, the status and the body that came back."""

import math
import re
import uuid
from datetime import datetime, timezone

from hamcrest import all_of, greater_than_or_equal_to, less_than_or_equal_to
from hamcrest.core.base_matcher import BaseMatcher

TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$")
ORDER_FIELDS = {"orderId", "stocks", "quantity", "orderStatus", "createdAt", "updatedAt"}
EVENT_FIELDS = {"orderId", "orderStatus", "stocks", "quantity", "timestamp"}
STATUSES = {"PENDING", "EXECUTED", "CANCELLED"}


def parse_timestamp(text):
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)


def seconds_between(earlier, later):
    return (parse_timestamp(later) - parse_timestamp(earlier)).total_seconds()


def is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def is_positive_integer(value):
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def is_json_media_type(content_type):
    return content_type.split(";")[0].strip().lower() == "application/json"


def order_problems(order, stocks=None, quantity=None, order_status=None):
    """Every way `order` breaks the contract's order shape (empty if none)."""
    if not isinstance(order, dict):
        return [f"is not a JSON object: {order!r}"]
    problems = []
    missing = ORDER_FIELDS - order.keys()
    if missing:
        problems.append(f"lacks {sorted(missing)}")
    try:
        uuid.UUID(str(order.get("orderId")))
    except ValueError:
        problems.append(f"orderId {order.get('orderId')!r} is not a UUID")
    if not isinstance(order.get("stocks"), str):
        problems.append("stocks is not a string")
    if not is_number(order.get("quantity")):
        problems.append("quantity is not a finite number")
    if order.get("orderStatus") not in STATUSES:
        problems.append(
            f"orderStatus {order.get('orderStatus')!r} is not one of {sorted(STATUSES)}"
        )
    for field in ("createdAt", "updatedAt"):
        if not TIMESTAMP.match(str(order.get(field))):
            problems.append(
                f"{field} {order.get(field)!r} is not ISO 8601 UTC with microseconds and Z"
            )
    if stocks is not None and order.get("stocks") != stocks:
        problems.append(f"stocks is {order.get('stocks')!r}, not {stocks!r} as sent")
    if quantity is not None and order.get("quantity") != quantity:
        problems.append(f"quantity is {order.get('quantity')!r}, not {quantity!r} as sent")
    if order_status is not None and order.get("orderStatus") != order_status:
        problems.append(f"orderStatus is {order.get('orderStatus')!r}, not {order_status!r}")
    return problems


def event_problems(event_data, numbered=False):
    """Every way an event breaks the contract's shape; `numbered` when the
    server offers the `sequence` extension, whose events also carry `seq`."""
    if not isinstance(event_data, dict):
        return [f"is not a JSON object: {event_data!r}"]
    problems = []
    expected_fields = EVENT_FIELDS | {"seq"} if numbered else EVENT_FIELDS
    if set(event_data) != expected_fields:
        problems.append(f"has fields {sorted(event_data)}, not {sorted(expected_fields)}")
    if numbered and not is_positive_integer(event_data.get("seq")):
        problems.append(f"seq {event_data.get('seq')!r} is not a positive integer")
    if not TIMESTAMP.match(str(event_data.get("timestamp"))):
        problems.append(
            f"timestamp {event_data.get('timestamp')!r} is not ISO 8601 UTC with microseconds and Z"
        )
    if not is_number(event_data.get("quantity")):
        problems.append("quantity is not a finite number")
    return problems


class _Answered(BaseMatcher):
    """A reply with the given status whose body passes `body_check`
    (a function returning a list of problems)."""

    def __init__(self, status, body_check=None, description=""):
        self.status = status
        self.body_check = body_check
        self.description = description

    def _problems(self, reply):
        if reply.status != self.status:
            return [f"the status is {reply.status}"]
        if self.body_check is None:
            return []
        return self.body_check(reply)

    def _matches(self, reply):
        return not self._problems(reply)

    def describe_to(self, description):
        description.append_text(f"an answer {self.status} {self.description}".rstrip())

    def describe_mismatch(self, reply, mismatch_description):
        mismatch_description.append_text(
            "; ".join(self._problems(reply)) + "\n     the answer: " + reply.describe()
        )


def _json_body(reply):
    if not is_json_media_type(reply.content_type):
        return None, [f"Content-Type is {reply.content_type!r}, not application/json"]
    try:
        return reply.json(), []
    except ValueError:
        return None, ["the body is not JSON"]


def answered(status):
    return _Answered(status)


def answered_with_order(status, **expected):
    def check(reply):
        body, problems = _json_body(reply)
        return problems or [f"the order {problem}" for problem in order_problems(body, **expected)]

    details = ", ".join(f"{name} {value!r}" for name, value in expected.items())
    return _Answered(status, check, f"with an order ({details})" if details else "with an order")


def answered_with_json(status):
    return _Answered(status, lambda reply: _json_body(reply)[1], "with a JSON body")


def answered_with_error(status, naming=None):
    """The contract's error shape: {"code": status, "message": "..."}; the
    message names `naming` (case-insensitive) when given."""

    def check(reply):
        body, problems = _json_body(reply)
        if problems:
            return problems
        if not isinstance(body, dict):
            return [f"the body {body!r} is not a JSON object"]
        if body.get("code") != status or isinstance(body.get("code"), bool):
            problems.append(f"code is {body.get('code')!r}, not {status}")
        message = body.get("message")
        if not isinstance(message, str) or not message.strip():
            problems.append(f"message {message!r} is not a non-empty string")
        elif naming and naming.lower() not in message.lower():
            problems.append(f"the message does not name {naming!r}")
        return problems

    suffix = f" whose message names {naming!r}" if naming else ""
    return _Answered(status, check, f"with an error {{code, message}}{suffix}")


def body_text(reply):
    return reply.body.decode("utf-8", "replace")


def within(low, high):
    return all_of(greater_than_or_equal_to(low), less_than_or_equal_to(high))
