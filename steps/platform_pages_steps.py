"""The pages for people: the home page, unknown paths, the site icon."""

from behave import then, when
from hamcrest import (
    assert_that,
    contains_string,
    has_key,
    is_not,
    starts_with,
)

from steps.support.checks import answered, answered_with_error, body_text
from steps.support.pages import read_page


@when("I open the home page")
def step_open_home(context):
    context.reply = context.api.request("GET", "/")


@then("it links to the live orders, the documentation, the OpenAPI document and the health check")
def step_home_links(context):
    context.page = read_page(body_text(context.reply))
    for path in ("/live", "/docs", "/docs/openapi.json", "/health"):
        assert_that(context.page.links, has_key(path), "the home page's links")
        assert_that(context.api.request("GET", path), answered(200))


@then("it gives the feed's address")
def step_home_feed(context):
    assert_that(context.page.text, contains_string(context.feed_url), "the home page's text")


@then("it does not mention test reports")
def step_home_no_reports(context):
    assert_that(context.page.links, is_not(has_key("/reports/")), "the home page's links")


@when("I open that server's home page")
def step_open_reports_home(context):
    context.reply = context.reports_api.request("GET", "/")


@then("it links to the test reports")
def step_home_reports(context):
    assert_that(context.reply, answered(200))
    assert_that(
        read_page(body_text(context.reply)).links, has_key("/reports/"), "the home page's links"
    )


@then('I see a web page that mentions "{text}"')
def step_page_mentions(context, text):
    assert_that(context.reply, answered(200))
    assert_that(context.reply.content_type, starts_with("text/html"), context.reply.describe())
    assert_that(body_text(context.reply), contains_string(text))


@when("I request the page {path}")
def step_request_page(context, path):
    context.reply = context.api.request("GET", path)


@then("I am told there is no such page at {path}")
def step_no_page_at(context, path):
    assert_that(context.reply, answered_with_error(404, naming=path))


@when("a browser asks for the site icon")
def step_ask_icon(context):
    context.reply = context.api.request("GET", "/favicon.ico")


@then("it is told there is no icon, without an error")
def step_no_icon(context):
    assert_that(context.reply, answered(204))
