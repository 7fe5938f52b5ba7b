"""Test control offered only with a token, and the token kept secret (own platforms)."""

import json
import os
import secrets

from behave import given, then, when
from hamcrest import (
    assert_that,
    empty,
    equal_to,
    has_entries,
    has_item,
    has_length,
    is_not,
)

from steps.support.checks import answered_with_error, answered_with_json
from steps.support.control import ControlClient
from steps.support.processes import use_own_platform

CONTROL_PATHS = ("/control", "/control/orders/{orderId}/execute", "/control/reset")
WRONG_TOKEN = "a-guess-at-the-token"


@given("a platform started without a control token")
def step_platform_without_token(context):
    # Not even one from the suite's environment.
    env = {name: value for name, value in os.environ.items() if name != "TRADING_CONTROL_TOKEN"}
    use_own_platform(context, env=env)
    context.own_control = ControlClient(context.base_url, secrets.token_urlsafe(24))
    context.clients.append(context.own_control)


@given("a platform started with a control token")
def step_platform_with_token(context):
    token = secrets.token_urlsafe(24)
    use_own_platform(context, "--control-token", token)
    context.own_control = ControlClient(context.base_url, token)
    context.clients.append(context.own_control)


@then("its health check does not list control")
def step_health_without_control(context):
    reply = context.api.health()
    assert_that(reply, answered_with_json(200))
    assert_that(reply.json().get("extensions", []), is_not(has_item("control")), reply.describe())


@then("every control operation there is an unknown path")
def step_control_unknown(context):
    for reply in (
        context.own_control.read(),
        context.own_control.change({"executionPaused": True}),
        context.own_control.execute("any-order"),
        context.own_control.reset(),
    ):
        assert_that(reply, answered_with_error(404))


def openapi(context):
    reply = context.api.request("GET", "/docs/openapi.json")
    assert_that(reply, answered_with_json(200))
    return reply.json()


@then("its API description has no control operations")
def step_no_control_in_openapi(context):
    paths = [path for path in openapi(context)["paths"] if path.startswith("/control")]
    assert_that(paths, empty(), "control paths in the OpenAPI document")


@then("it describes the control operations, each needing the bearer token")
def step_control_in_openapi(context):
    document = context.openapi
    schemes = document.get("components", {}).get("securitySchemes", {})
    bearer = [name for name, scheme in schemes.items() if scheme.get("scheme") == "bearer"]
    assert_that(bearer, has_length(1), f"bearer security schemes in {schemes}")
    for path in CONTROL_PATHS:
        operations = document["paths"].get(path, {})
        methods = [method for method in operations if method != "parameters"]
        assert_that(methods, is_not(empty()), f"the operations at {path}")
        for method in methods:
            operation = operations[method]
            assert_that(operation.get("security"), equal_to([{bearer[0]: []}]), f"{method} {path}")
            assert_that(operation["responses"], has_entries({"401": is_not(None)}))


@when("a control request there bears a wrong token")
def step_wrong_token_request(context):
    context.reply = context.own_control.read(f"Bearer {WRONG_TOKEN}")
    assert_that(context.reply, answered_with_error(401))


@then("the platform logs the refusal in one warning line")
def step_refusal_logged(context):
    lines = [line for line in context.platform.output().splitlines() if "refused" in line]
    assert_that(lines, has_length(1), "the log lines of refusals")
    assert "WARNING" in lines[0], f"the refusal is logged as a warning: {lines[0]!r}"


@then("neither token appears in its log, health check, documentation or API description")
def step_token_secret(context):
    texts = {
        "the log": context.platform.output(),
        "the health check": context.api.health().body.decode(),
        "the documentation page": context.api.request("GET", "/docs").body.decode(),
        "the API description": json.dumps(openapi(context)),
    }
    for what, text in texts.items():
        for token in (context.own_control.token, WRONG_TOKEN):
            assert token not in text, f"{what} shows a control token"
