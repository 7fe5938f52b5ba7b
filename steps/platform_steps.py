"""This implementation's extras: settings errors, the reports page and the
console watcher. They start processes of their own, which after_scenario stops."""
import subprocess
import uuid

from behave import given, then, when
from hamcrest import (assert_that, contains_string, equal_to, has_items, has_length, is_not,
                      less_than, starts_with)

from steps.support.checks import answered, answered_with_order, body_text
from steps.support.delays import AT_ONCE
from steps.support.processes import (WATCHER_DEADLINE, LocalServer, ReportsServer,
                                     clean_environment, client_of_started, free_port,
                                     run_to_exit, start_following_watcher, start_watcher)



@when('I start the server with {setting} set to "{value}"')
def step_start_with_setting(context, setting, value):
    if setting.startswith("--"):
        args, env = ["--port", str(free_port()), setting, value], clean_environment()
    else:
        args, env = [], clean_environment(**{setting: value})
    try:
        context.result = run_to_exit(["-m", "trading_server", *args], env)
    except subprocess.TimeoutExpired:
        raise AssertionError(f"the server started with {setting}={value!r} instead of refusing it") from None


@then('it stops with exit status 2 and one error line naming "{flag}" and "{variable}"')
def step_refused_setting(context, flag, variable):
    result = context.result
    described = f"exit status {result.returncode}, stderr {result.stderr!r}"
    assert_that(result.returncode, equal_to(2), described)
    lines = result.stderr.strip().splitlines()
    assert_that(lines, has_length(1), "lines on stderr; " + described)
    assert_that(lines[0], contains_string(flag), described)
    assert_that(lines[0], contains_string(variable), described)


@when('I start the server with {flag} "{flag_value}" while {variable} is "{variable_value}"')
def step_start_with_flag_and_variable(context, flag, flag_value, variable, variable_value):
    server = LocalServer(flag, flag_value, env=clean_environment(**{variable: variable_value}))
    context.own_server = client_of_started(context, server)


@then('that server places an order without any response delay')
def step_no_response_delay(context):
    reply = context.own_server.place_order("EURUSD", 1)
    assert_that(reply, answered_with_order(201, order_status="PENDING"))
    assert_that(reply.elapsed, less_than(AT_ONCE),
                "seconds until the order was confirmed (the flag asked for no delay)")


@given('a server that serves a reports folder holding "{name}"')
def step_reports_server(context, name):
    context.report_name = name
    context.report_content = f"<html><body>Acceptance report {uuid.uuid4()}</body></html>"
    context.outside_content = f"Outside the reports folder {uuid.uuid4()}"
    server = ReportsServer(name, context.report_content, "CONTRACT.md", context.outside_content)
    context.reports_api = client_of_started(context, server)


@when('I open the reports page')
def step_open_reports(context):
    context.reply = context.reports_api.request("GET", "/reports/")


@when("I open the reports page of the suite's own server")
def step_open_own_reports(context):
    context.reply = context.api.request("GET", "/reports/")


@then('I see a web page that mentions "{text}"')
def step_page_mentions(context, text):
    assert_that(context.reply, answered(200))
    assert_that(context.reply.content_type, starts_with("text/html"), context.reply.describe())
    assert_that(body_text(context.reply), contains_string(text))


@when('I open the report "{name}"')
def step_open_report(context, name):
    context.reply = context.reports_api.request("GET", f"/reports/{name}")


@then('I get the content of "{name}"')
def step_report_content(context, name):
    assert_that(context.reply, answered(200))
    assert_that(body_text(context.reply), equal_to(context.report_content))


@when('I request the path {path}')
def step_request_raw(context, path):
    context.reply = context.reports_api.request_raw_path("GET", path)


@then('I am told there is no such page, and nothing from outside the folder is shown')
def step_no_escape(context):
    assert_that(context.reply, answered(404))
    assert_that(body_text(context.reply), is_not(contains_string(context.outside_content)))


@then('I am told there is no such page')
def step_no_page(context):
    assert_that(context.reply, answered(404))


@given('the console watcher is following the feed')
def step_watcher_following(context):
    start_following_watcher(context, context.feed_url)


@when('I start the console watcher against an address where no server listens')
def step_watcher_nowhere(context):
    start_watcher(context, f"ws://127.0.0.1:{free_port()}/ws")


@then("the watcher prints the order's {status:w} event with its details")
def step_watcher_prints(context, status):
    order = context.order
    status = status.upper()
    line = context.watcher.wait_for_line(
        lambda text: order["orderId"] in text and status in text.split(),
        WATCHER_DEADLINE, f"for order {order['orderId']} as {status}")
    fields = line.split()
    assert_that(fields, has_length(5), f"the fields of the line {line!r}")
    assert_that(fields, has_items(order["stocks"], str(order["quantity"])), f"the line {line!r}")


@then('the watcher says it will try again')
def step_watcher_retries(context):
    context.watcher.wait_for_line(
        lambda line: any(word in line.lower() for word in ("retry", "retrying", "reconnect", "again")),
        WATCHER_DEADLINE, "saying that it will try again")


@then('the watcher is still running')
def step_watcher_running(context):
    assert_that(context.watcher.process.poll(), equal_to(None), "the watcher's exit status")


@when('I ask the watcher to stop')
def step_stop_watcher(context):
    context.watcher.process.terminate()


@then('the watcher exits promptly')
def step_watcher_exits(context):
    try:
        context.watcher.process.wait(timeout=WATCHER_DEADLINE)
    except subprocess.TimeoutExpired:
        raise AssertionError(f"the watcher still runs {WATCHER_DEADLINE} s after being asked to stop") from None
    assert_that("\n".join(context.watcher.lines), is_not(contains_string("Traceback")),
                "the watcher's output")
