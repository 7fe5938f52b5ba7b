"""The control operations in the OpenAPI document, only when control is on.

Kept beside the control API rather than in `docs.py`, which describes the
platform every server offers: a platform without a control token has no
control surface, and its document says nothing of one.
"""

from __future__ import annotations

from .control import MAX_DELAY_SECONDS

_SECURITY: list[dict[str, list[str]]] = [{"controlToken": []}]
_TAG = "control"

_DELAY = {
    "type": "array",
    "items": {"type": "number", "minimum": 0, "maximum": MAX_DELAY_SECONDS},
    "minItems": 2,
    "maxItems": 2,
    "description": "[MIN, MAX] seconds, MIN <= MAX; [0, 0] is none",
    "example": [0.1, 1.0],
}


def _error(status: int, description: str, example: str) -> dict:
    return {
        "description": description,
        "content": {
            "application/json": {
                "schema": {"$ref": "#/components/schemas/Error"},
                "example": {"code": status, "message": example},
            }
        },
    }


_UNAUTHORIZED = _error(
    401,
    "the Authorization header is missing or does not bear the platform's control token; "
    "nothing changed",
    "control needs the header Authorization: Bearer <the platform's control token>",
)


def _state(description: str) -> dict:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ControlState"}}},
    }


def _operation(summary: str, description: str, operation_id: str, responses: dict) -> dict:
    return {
        "summary": summary,
        "description": description
        + " Never delayed or faulted. With a shared store, every instance obeys it.",
        "tags": [_TAG],
        "operationId": operation_id,
        "security": _SECURITY,
        "responses": {**responses, "401": _UNAUTHORIZED},
    }


def describe_control(document: dict) -> dict:
    """Add the control operations, their schema and the bearer scheme to `document`."""
    document["tags"].append(
        {
            "name": _TAG,
            "description": "test control at run time: steer delays, faults and execution "
            "from a client's own tests (needs the platform's control token)",
        }
    )
    components = document["components"]
    components.setdefault("securitySchemes", {})["controlToken"] = {
        "type": "http",
        "scheme": "bearer",
        "description": "the token the platform was started with (--control-token / "
        "TRADING_CONTROL_TOKEN)",
    }
    components["schemas"]["ControlState"] = {
        "type": "object",
        "properties": {
            "responseDelay": _DELAY,
            "executionDelay": {**_DELAY, "example": [1.5, 3.0]},
            "faults": {
                "type": "string",
                "description": "as --faults takes them; empty for none",
                "example": "error=0.5,latency=0.1:2",
            },
            "executionPaused": {
                "type": "boolean",
                "description": "true holds every pending order PENDING (still cancellable); "
                "back to false, orders whose time came meanwhile execute at once",
            },
        },
        "additionalProperties": False,
    }
    document["paths"]["/control"] = {
        "get": _operation(
            "The control state",
            "The delays, faults and pause the platform obeys now.",
            "readControl",
            {"200": _state("the control state")},
        ),
        "patch": {
            **_operation(
                "Change the control state",
                "Any of the fields; applied at once, to requests and orders from then on. "
                "An invalid value is a 400 naming the field, and then nothing changes.",
                "changeControl",
                {
                    "200": _state("the control state after the change"),
                    "400": _error(400, "an invalid field; nothing changed", "faults: ..."),
                },
            ),
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {"$ref": "#/components/schemas/ControlState"},
                        "example": {"executionPaused": True},
                    }
                },
            },
        },
    }
    document["paths"]["/control/orders/{orderId}/execute"] = {
        "parameters": [
            {"name": "orderId", "in": "path", "required": True, "schema": {"type": "string"}}
        ],
        "post": _operation(
            "Execute a pending order now",
            "Executes the order at once, with its event, even while execution is paused.",
            "executeOrder",
            {
                "200": {
                    "description": "the order, now EXECUTED",
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Order"}}
                    },
                },
                "404": _error(404, "no such order", "order '...' not found"),
                "409": _error(
                    409, "the order is EXECUTED or CANCELLED already", "order ... is CANCELLED"
                ),
            },
        ),
    }
    document["paths"]["/control/reset"] = {
        "post": _operation(
            "Reset the platform",
            "Forgets every order, event and idempotency key and restores the start-up "
            "settings; seq restarts at 1, and feed clients are disconnected with close "
            "code 1012 (service restart) so that they resynchronise.",
            "resetPlatform",
            {"204": {"description": "a fresh platform"}},
        ),
    }
    return document
