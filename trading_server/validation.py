"""The input rules for a new order: the body of `POST /orders`.

Every rule of the contract's "Input rules" is here; each failure is an
`InvalidOrder` whose message names the field or the problem.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

FIELDS = ("stocks", "quantity")
MAX_STOCKS_LENGTH = 32
MAX_QUANTITY = 1_000_000_000


class InvalidOrder(ValueError):
    """The request body breaks an input rule."""


@dataclass(frozen=True)
class NewOrder:
    stocks: str
    quantity: int | float


@dataclass(frozen=True)
class OutOfRangeNumber:
    """A valid JSON number that Python cannot hold: an integer longer than
    `sys.get_int_max_str_digits()` digits (int() refuses it), or a float
    that overflows to infinity. Either is far outside every rule's range."""

    text: str

    def __str__(self) -> str:
        if len(self.text) <= 24:
            return self.text
        return f"{self.text[:12]}... ({len(self.text)} characters)"


def _parse_int(text: str) -> int | OutOfRangeNumber:
    try:
        return int(text)
    except ValueError:
        return OutOfRangeNumber(text)


def _parse_float(text: str) -> float | OutOfRangeNumber:
    value = float(text)
    return value if math.isfinite(value) else OutOfRangeNumber(text)


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not valid JSON")


# One decoder for every request: json.loads(..., parse_constant=...) builds a new one each call.
_decoder = json.JSONDecoder(
    parse_int=_parse_int, parse_float=_parse_float, parse_constant=_reject_constant
)


def parse_new_order(body: bytes) -> NewOrder:
    if not body:
        raise InvalidOrder("the body is empty; expected a JSON object with stocks and quantity")
    try:
        # What json.loads does with bytes: UTF-8, -16 or -32, detected.
        document = _decoder.decode(body.decode(json.detect_encoding(body), "surrogatepass"))
    except (ValueError, RecursionError) as error:
        raise InvalidOrder(f"the body is not valid JSON: {error}") from None
    if not isinstance(document, dict):
        raise InvalidOrder(
            f"the body must be a JSON object with stocks and quantity, not {_json_type(document)}"
        )
    unknown = [name for name in document if name not in FIELDS]
    if unknown:
        raise InvalidOrder(
            f"unknown field {', '.join(map(repr, unknown))}; "
            "the only fields are 'stocks' and 'quantity'"
        )
    for name in FIELDS:
        if name not in document:
            raise InvalidOrder(f"{name}: the field is missing")
    return NewOrder(_stocks(document["stocks"]), _quantity(document["quantity"]))


def _stocks(value: object) -> str:
    if not isinstance(value, str):
        raise InvalidOrder(f"stocks: must be a string, not {_json_type(value)}")
    if not 1 <= len(value) <= MAX_STOCKS_LENGTH:
        raise InvalidOrder(
            f"stocks: must be 1 to {MAX_STOCKS_LENGTH} characters long, not {len(value)}"
        )
    if value.isspace():
        raise InvalidOrder("stocks: must not be only white space")
    return value


def _quantity(value: object) -> int | float:
    if isinstance(value, OutOfRangeNumber):
        raise _quantity_out_of_range(value)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidOrder(f"quantity: must be a number, not {_json_type(value)}")
    if not 0 < value <= MAX_QUANTITY:
        raise _quantity_out_of_range(value)
    return value


def _quantity_out_of_range(value: object) -> InvalidOrder:
    return InvalidOrder(
        f"quantity: must be greater than 0 and at most {MAX_QUANTITY:,}, not {value}"
    )


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float, OutOfRangeNumber)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"
