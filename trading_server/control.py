"""Test control at run time (the contract's `control` extension): the rules and the state.

A client's own tests steer the platform while it runs: the delays, the
faults, holding execution, executing one order now, and resetting
everything. This module holds what does not depend on HTTP: the state
(`ControlState`), how a `PATCH` body is checked (`parse_patch`), how the
bearer token is checked (`authorized`), and how the state travels through
the store so that every process of a shared platform obeys the same one
(`ControlState.to_fields` / `from_fields`). The HTTP side is
`trading_server.control_api`; the Python client for tests is
`trading_server.control_client.Control`.
"""

from __future__ import annotations

import hmac
import json
import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, TypeVar

from .control_client import Control, ControlError
from .faults import FaultSpec
from .randomness import DelayRange

if TYPE_CHECKING:
    from .settings import Settings

T = TypeVar("T")

__all__ = [
    "MAX_DELAY_SECONDS",
    "Control",
    "ControlError",
    "ControlState",
    "InvalidPatch",
    "authorized",
    "parse_patch",
]

#: The longest delay control accepts: longer than any test waits, short
#: enough that an event-loop timer can hold it.
MAX_DELAY_SECONDS = 3600.0

# The JSON fields of `GET /control`, and the store's field for each.
_FIELDS = {
    "responseDelay": "response_delay",
    "executionDelay": "execution_delay",
    "faults": "faults",
    "executionPaused": "execution_paused",
}


@dataclass(frozen=True)
class ControlState:
    """What control may change at run time; at start, the settings' values."""

    response_delay: DelayRange
    execution_delay: DelayRange
    faults: FaultSpec
    execution_paused: bool = False

    @classmethod
    def from_settings(cls, settings: Settings) -> ControlState:
        return cls(settings.response_delay, settings.execution_delay, settings.faults)

    def to_json(self) -> dict:
        """The answer of `GET /control`."""
        return {
            "responseDelay": [self.response_delay.low, self.response_delay.high],
            "executionDelay": [self.execution_delay.low, self.execution_delay.high],
            "faults": _spec_text(self.faults),
            "executionPaused": self.execution_paused,
        }

    def to_fields(self) -> dict[str, str]:
        """The state as the store keeps it: text fields, one per setting."""
        return {
            "response_delay": str(self.response_delay),
            "execution_delay": str(self.execution_delay),
            "faults": _spec_text(self.faults),
            "execution_paused": "1" if self.execution_paused else "0",
        }

    def with_fields(self, fields: dict[str, str]) -> ControlState:
        """This state with the store's `fields` in place of its own (fields
        the store lacks, or cannot be read, keep this state's values)."""
        paused = fields.get("execution_paused")
        return replace(
            self,
            response_delay=_read(fields, "response_delay", DelayRange.parse, self.response_delay),
            execution_delay=_read(
                fields, "execution_delay", DelayRange.parse, self.execution_delay
            ),
            faults=_read(fields, "faults", FaultSpec.parse, self.faults),
            execution_paused=self.execution_paused if paused is None else paused == "1",
        )


def _read(fields: dict[str, str], name: str, parse: Callable[[str], T], current: T) -> T:
    """A store field's value, or `current` when it is missing or cannot be
    read (written by another version of the platform)."""
    try:
        return parse(fields[name])
    except (KeyError, ValueError):
        return current


def _spec_text(spec: FaultSpec) -> str:
    """The faults as `--faults` takes them: empty for none."""
    return str(spec) if spec else ""


class InvalidPatch(ValueError):
    """A `PATCH /control` body that cannot be applied; the message names the field."""


def parse_patch(body: bytes) -> dict[str, str]:
    """The store fields a `PATCH /control` body changes.

    Every field is checked before anything is applied: one invalid field
    refuses the whole body, so an invalid `PATCH` changes nothing.
    """
    try:
        patch = json.loads(body or b"null", parse_constant=_no_constant)
    except (ValueError, UnicodeDecodeError) as problem:
        raise InvalidPatch(f"the body is not valid JSON: {problem}") from None
    if not isinstance(patch, dict):
        raise InvalidPatch("the body must be a JSON object with any of " + ", ".join(_FIELDS))
    unknown = sorted(set(patch) - set(_FIELDS))
    if unknown:
        raise InvalidPatch(
            f"{unknown[0]}: unknown field; control has " + ", ".join(_FIELDS) + " only"
        )
    fields = {}
    for name, value in patch.items():
        if name in ("responseDelay", "executionDelay"):
            fields[_FIELDS[name]] = str(_delay(name, value))
        elif name == "faults":
            fields["faults"] = _spec_text(_faults(value))
        else:
            if not isinstance(value, bool):
                raise InvalidPatch(f"executionPaused: expected true or false, got {value!r}")
            fields["execution_paused"] = "1" if value else "0"
    return fields


def _no_constant(name: str) -> float:
    raise ValueError(f"{name} is not a JSON number")


def _delay(name: str, value: object) -> DelayRange:
    problem = f"{name}: expected [MIN, MAX], seconds from 0 to {MAX_DELAY_SECONDS:g}, MIN <= MAX"
    if not (isinstance(value, list) and len(value) == 2):
        raise InvalidPatch(f"{problem}, got {value!r}")
    low, high = value
    for number in (low, high):
        if isinstance(number, bool) or not isinstance(number, (int, float)):
            raise InvalidPatch(f"{problem}, got {value!r}")
        if not (math.isfinite(number) and 0 <= number <= MAX_DELAY_SECONDS):
            raise InvalidPatch(f"{problem}, got {value!r}")
    if low > high:
        raise InvalidPatch(f"{problem}, got {value!r}")
    return DelayRange(float(low), float(high))


def _faults(value: object) -> FaultSpec:
    if not isinstance(value, str):
        raise InvalidPatch(
            f'faults: expected a string such as "error=0.5,latency=0.1:2" ("" for none), '
            f"got {value!r}"
        )
    try:
        spec = FaultSpec.parse(value)
    except ValueError as problem:
        raise InvalidPatch(f"faults: {problem}") from None
    if spec.latency_seconds > MAX_DELAY_SECONDS:
        raise InvalidPatch(f"faults: latency seconds above {MAX_DELAY_SECONDS:g}")
    return spec


BEARER = "bearer"


def authorized(header_values: list[str], token: str) -> bool:
    """True when the request's `Authorization` headers are exactly one
    `Bearer <token>`. The token is compared in constant time, so the time
    of a refusal does not tell how much of a guess was right."""
    if len(header_values) != 1 or not token:
        return False
    scheme, _, credentials = header_values[0].strip().partition(" ")
    if scheme.lower() != BEARER:
        return False
    # Bytes: compare_digest refuses str with characters outside ASCII.
    return hmac.compare_digest(credentials.strip().encode(), token.encode())
