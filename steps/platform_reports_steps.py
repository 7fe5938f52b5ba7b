"""Test reports served by the platform: servers publishing a reports folder
of their own, which after_scenario stops."""

import re
import uuid
from datetime import datetime, timezone
from urllib.parse import urljoin

from behave import given, then, when
from hamcrest import (
    assert_that,
    contains_string,
    equal_to,
    has_key,
    is_not,
    less_than,
)

from steps.support.checks import answered, body_text
from steps.support.pages import read_page
from steps.support.processes import (
    ReportsServer,
    clean_environment,
    client_of_started,
)

# Seconds within which a file written by the scenario counts as "just now".
JUST_NOW = 120


@given('a server that serves a reports folder holding "{name}"')
def step_reports_server(context, name, size=None, env=None):
    context.report_name = name
    context.report_content = f"<html><body>Acceptance report {uuid.uuid4()}</body></html>"
    if size is not None:
        context.report_content = context.report_content.ljust(size)
    context.outside_content = f"Outside the reports folder {uuid.uuid4()}"
    server = ReportsServer(
        name, context.report_content, "CONTRACT.md", context.outside_content, env=env
    )
    context.reports_api = client_of_started(context, server)


@given(
    'a server in another time zone that serves a reports folder holding "{name}" of {size} bytes'
)
def step_reports_server_elsewhere(context, name, size):
    # UTC+9 (POSIX spelling, which Windows' C runtime reads too): a page in
    # local time would be nine hours off.
    step_reports_server(
        context, name, int(size.replace(",", "")), env=clean_environment(TZ="JST-9")
    )


@when("I open the reports page")
def step_open_reports(context):
    context.reply = context.reports_api.request("GET", "/reports/")


@then('it lists "{name}" as {size}, written just now in UTC')
def step_listed_with_size_and_time(context, name, size):
    assert_that(context.reply, answered(200))
    text = read_page(body_text(context.reply)).text
    listed = re.search(re.escape(name) + r" (\S+ \S+) (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) UTC", text)
    assert listed is not None, f"a row for {name}: size, then UTC time, in {text!r}"
    assert_that(listed.group(1), equal_to(size), f"the size listed for {name}")
    written = datetime.strptime(listed.group(2), "%Y-%m-%d %H:%M:%S").replace(tzinfo=timezone.utc)
    assert_that(
        abs((datetime.now(timezone.utc) - written).total_seconds()),
        less_than(JUST_NOW),
        f"seconds between now and the time listed for {name} ({listed.group(2)} UTC)",
    )


@then('it links to "{name}" and back to the home page')
def step_listing_links(context, name):
    links = read_page(body_text(context.reply)).links
    assert_that(links, has_key("/"), "the page's links")
    report = urljoin("/reports/", next((href for href in links if href.endswith(name)), name))
    assert_that(context.reports_api.request("GET", report), answered(200))


@when("I open the reports page of the suite's own server")
def step_open_own_reports(context):
    context.reply = context.api.request("GET", "/reports/")


@when('I open the report "{name}"')
def step_open_report(context, name):
    context.reply = context.reports_api.request("GET", f"/reports/{name}")


@then('I get the content of "{name}"')
def step_report_content(context, name):
    assert_that(context.reply, answered(200))
    assert_that(body_text(context.reply), equal_to(context.report_content))


@when("I request the path {path}")
def step_request_raw(context, path):
    context.reply = context.reports_api.request_raw_path("GET", path)


@then("I am told there is no such page, and nothing from outside the folder is shown")
def step_no_escape(context):
    assert_that(context.reply, answered(404))
    assert_that(body_text(context.reply), is_not(contains_string(context.outside_content)))


@then("I am told there is no such page")
def step_no_page(context):
    assert_that(context.reply, answered(404))
