"""A Python client for the platform's test control (the `control` extension).

For a trading client's own test suite: it steers the platform inside one
test, with nothing but the standard library (urllib), so a test needs no
other package. The platform must be started with `--control-token TOKEN`.

    from trading_server.control import Control

    control = Control("http://127.0.0.1:8000", "my-token")
    with control.faults("error=1"):
        ...  # every order request is answered 503 until the block ends
    with control.pause_execution():
        ...  # orders stay PENDING; control.execute(order_id) executes one now
    control.reset()  # a fresh platform for the next test

Every change applies at once and returns a `Change` that, used as a
context manager, puts back what it changed when the block ends.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from types import TracebackType

TIMEOUT = 10.0


class ControlError(Exception):
    """The platform refused a control request (or did not answer it)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status}: {message}" if status else message)
        self.status = status
        self.message = message


class Change:
    """A change already applied; as a context manager, undone at the end of the block."""

    def __init__(self, control: Control, previous: dict) -> None:
        self._control = control
        self._previous = previous

    def undo(self) -> None:
        """Put back the fields this change changed, as they were before it."""
        self._control.update(**self._previous)

    def __enter__(self) -> Change:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.undo()


class Control:
    """The control API of one platform, `base_url` being its http:// address."""

    def __init__(self, base_url: str, token: str, timeout: float = TIMEOUT) -> None:
        self.base_url = base_url.rstrip("/")
        self._token = token
        self._timeout = timeout

    def __repr__(self) -> str:  # never the token: it may end up in a test report
        return f"Control({self.base_url!r})"

    def state(self) -> dict:
        """`{"responseDelay": [MIN, MAX], "executionDelay": [...], "faults": "...",
        "executionPaused": bool}`, as the platform has it now."""
        return self._request("GET", "/control")

    def update(self, **fields: object) -> Change:
        """Change the fields given, by their API names (`responseDelay=[0, 0]`, ...)."""
        previous = self.state()
        self._request("PATCH", "/control", fields)
        return Change(self, {name: previous[name] for name in fields})

    def pause_execution(self) -> Change:
        """Hold every pending order `PENDING` until `resume_execution()`
        (or the end of the `with` block)."""
        return self.update(executionPaused=True)

    def resume_execution(self) -> Change:
        """Orders whose time came during the pause execute at once."""
        return self.update(executionPaused=False)

    def faults(self, spec: str) -> Change:
        """Inject faults, `spec` as `--faults` takes it (`"error=1"`, `""` for none)."""
        return self.update(faults=spec)

    def delays(
        self,
        response: tuple[float, float] | None = None,
        execution: tuple[float, float] | None = None,
    ) -> Change:
        """Set the response and/or execution delay, (MIN, MAX) seconds; (0, 0) is none."""
        fields: dict[str, object] = {}
        if response is not None:
            fields["responseDelay"] = list(response)
        if execution is not None:
            fields["executionDelay"] = list(execution)
        return self.update(**fields)

    def execute(self, order_id: str) -> dict:
        """Execute a `PENDING` order now (even while execution is paused); the order.

        Raises `ControlError` with status 409 when the order is final
        already, 404 when there is no such order.
        """
        return self._request("POST", f"/control/orders/{order_id}/execute")

    def reset(self) -> None:
        """Forget every order, event and idempotency key, restore the
        platform's start-up settings; feed clients are disconnected (1012)."""
        self._request("POST", "/control/reset")

    def _request(self, method: str, path: str, body: dict | None = None):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base_url + path, data=data, method=method)
        request.add_header("Authorization", f"Bearer {self._token}")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=self._timeout) as answer:
                content = answer.read()
        except urllib.error.HTTPError as refusal:
            raise ControlError(refusal.code, _message(refusal.read())) from None
        except OSError as problem:  # refused, unreachable, timed out
            raise ControlError(0, f"{method} {self.base_url}{path}: {problem}") from None
        return json.loads(content) if content else None


def _message(body: bytes) -> str:
    try:
        return str(json.loads(body)["message"])
    except (ValueError, KeyError, TypeError):
        return body[:200].decode("utf-8", "replace")
