"""Refusing malformed settings, and a flag winning over its variable: servers
started for the scenario, which after_scenario stops."""

import subprocess

from behave import then, when
from hamcrest import (
    assert_that,
    contains_string,
    equal_to,
    has_length,
    less_than,
)

from steps.support.checks import answered_with_order
from steps.support.delays import AT_ONCE
from steps.support.processes import (
    LocalServer,
    clean_environment,
    client_of_started,
    free_port,
    run_to_exit,
)


@when('I start the server with {setting} set to "{value}"')
def step_start_with_setting(context, setting, value):
    if setting.startswith("--"):
        args, env = ["--port", str(free_port()), setting, value], clean_environment()
    else:
        args, env = [], clean_environment(**{setting: value})
    try:
        context.result = run_to_exit(["-m", "trading_server", *args], env)
    except subprocess.TimeoutExpired:
        raise AssertionError(
            f"the server started with {setting}={value!r} instead of refusing it"
        ) from None


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


@then("that server places an order without any response delay")
def step_no_response_delay(context):
    reply = context.own_server.place_order("EURUSD", 1)
    assert_that(reply, answered_with_order(201, order_status="PENDING"))
    assert_that(
        reply.elapsed,
        less_than(AT_ONCE),
        "seconds until the order was confirmed (the flag asked for no delay)",
    )
