"""The health check and the API description."""

import json
import re
from urllib.parse import urljoin, urlsplit

from behave import then, when
from hamcrest import (
    assert_that,
    contains_string,
    empty,
    equal_to,
    has_entry,
    has_items,
    has_key,
    instance_of,
    is_in,
    is_not,
    less_than,
    starts_with,
)
from openapi_spec_validator import validate as validate_openapi
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

from steps.support.checks import answered, answered_with_json, body_text
from steps.support.delays import AT_ONCE
from steps.support.pages import read_page

HEALTH_CHECKS = 3
# What browsers accept as a script (RFC 9239 names text/javascript).
JAVASCRIPT = ("text/javascript", "application/javascript")
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


@when("I check the platform's health")
def step_check_health(context):
    context.health_replies = [context.api.health() for _ in range(HEALTH_CHECKS)]


@then("I am told it is ok, without the response delay")
def step_health_ok(context):
    for reply in context.health_replies:
        assert_that(reply, answered_with_json(200))
        assert_that(reply.json(), has_entry("status", "ok"), reply.describe())
        assert_that(reply.json().get("extensions", []), instance_of(list), reply.describe())
        assert_that(reply.elapsed, less_than(AT_ONCE), "seconds until the health check answered")


@when("I fetch the OpenAPI document")
def step_fetch_openapi(context):
    context.reply = context.api.request("GET", "/docs/openapi.json")


@then("it is a valid OpenAPI 3 document")
def step_is_openapi(context):
    assert_that(context.reply, answered_with_json(200))
    context.openapi = context.reply.json()
    assert_that(context.openapi, has_key("openapi"))
    assert_that(str(context.openapi["openapi"]), starts_with("3."))
    try:
        validate_openapi(context.openapi)
    except OpenAPIValidationError as problem:
        raise AssertionError(
            f"the OpenAPI document breaks the specification: {problem.message} "
            f"at {'/'.join(map(str, problem.absolute_path))}"
        ) from None


def path_pattern(path):
    """The contract's /orders/{orderId}, whatever the document names the parameter."""
    return re.compile("^" + re.sub(r"\\\{[^}]*\\\}", r"\\{[^}/]+\\}", re.escape(path)) + "$")


@then("it describes these operations with their answers:")
def step_describes_operations(context):
    paths = context.openapi["paths"]
    for row in context.table:
        pattern = path_pattern(row["path"])
        matching = [path for path in paths if pattern.match(path)]
        assert_that(matching, is_not(empty()), f"paths like {row['path']} among {sorted(paths)}")
        operation = paths[matching[0]].get(row["method"].lower())
        assert_that(
            operation, has_key("responses"), f"{row['method']} {matching[0]} in the document"
        )
        documented = {str(status) for status in operation["responses"]}
        assert_that(
            documented,
            has_items(*row["statuses"].split(", ")),
            f"the answers documented for {row['method']} {matching[0]}",
        )


@then("it tells front-end developers about the preflight, in prose rather than as an operation")
def step_preflight_in_prose(context):
    for path, item in context.openapi["paths"].items():
        assert_that(item, is_not(has_key("options")), f"the operations of {path}")
    description = context.openapi["info"].get("description", "")
    for words in ("preflight", "Access-Control-Allow-Methods", "Access-Control-Allow-Headers"):
        assert_that(description, contains_string(words), "the document's description")


@then("it describes the order feed for WebSocket clients, not as an HTTP call")
def step_feed_not_http(context):
    feed = context.openapi["paths"].get("/ws", {})
    assert_that(json.dumps(context.openapi), contains_string("WebSocket"), "the OpenAPI document")
    for method in HTTP_METHODS:
        if method in feed:
            # An HTTP operation is only honest with the upgrade and the refusal of plain HTTP.
            documented = {str(status) for status in feed[method].get("responses", {})}
            assert_that(documented, has_items("101", "426"), f"the answers of {method.upper()} /ws")


@when("I open the documentation")
def step_open_docs(context):
    context.reply = context.api.request("GET", "/docs")


@then("I see a web page")
def step_web_page(context):
    assert_that(context.reply, answered(200))
    assert_that(context.reply.content_type, starts_with("text/html"), context.reply.describe())


@then("every script and stylesheet the page needs comes from the platform itself")
def step_assets_local(context):
    assert_that(context.reply, answered(200))
    page = read_page(body_text(context.reply))
    assert_that(page.scripts, is_not(empty()), "the scripts of the interactive documentation")
    server = urlsplit(context.base_url)
    for kind, addresses, media_types in (
        ("script", page.scripts, JAVASCRIPT),
        ("stylesheet", page.stylesheets, ("text/css",)),
    ):
        for address in addresses:
            url = urlsplit(urljoin(context.base_url + context.reply.path, address))
            assert_that(
                (url.scheme, url.netloc),
                equal_to((server.scheme, server.netloc)),
                f"where the {kind} {address!r} comes from",
            )
            asset = context.api.request("GET", url.path)
            assert_that(asset, answered(200))
            assert_that(
                asset.content_type.split(";")[0].strip(),
                is_in(media_types),
                f"the media type of the {kind} {address!r}",
            )


@then("the page, read without scripts, lists the order operations")
def step_docs_text(context):
    context.page = read_page(body_text(context.reply))
    for operation in (
        "POST /orders",
        "GET /orders",
        "GET /orders/{orderId}",
        "DELETE /orders/{orderId}",
    ):
        assert_that(
            context.page.text, contains_string(operation), "the page's text without scripts"
        )


@then("it links to the OpenAPI document")
def step_links_openapi(context):
    assert_that(context.page.links, has_key("/docs/openapi.json"), "the page's links")
