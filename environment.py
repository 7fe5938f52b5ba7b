"""behave hooks: which server to test, what the reports say about the run,
and cleaning up after every scenario.

With API_URL set, the suite tests that server, and stops at once if it does
not answer /health. Without it, it starts `python -m trading_server` on a free
local port, with this process's environment (so TRADING_* delay settings reach
both), and stops it at the end.
"""

import atexit
import importlib.util
import os
import secrets
from pathlib import Path
from xml.etree import ElementTree

from behave.formatter._registry import register_as

from steps.support.api import ApiClient, ServerDidNotAnswer
from steps.support.browser import Chromium, find_chromium
from steps.support.control import ControlClient
from steps.support.delays import EXECUTION_DELAY, RESPONSE_DELAY
from steps.support.parameter_types import register_parameter_types
from steps.support.processes import LocalServer, RedisServer
from steps.support.report.console import ConsoleReport
from steps.support.report.page import HtmlReport
from steps.support.report.run import RUN

# behave loads this file before it builds the formatters (see behave.ini).
register_as("html", HtmlReport)
register_as("pretty", ConsoleReport)
# ... and before the step modules, whose patterns use the suite's types.
register_parameter_types()

PLATFORM_TAG = "platform"
BROWSER_TAG = "browser"
NO_CHROMIUM = "no Chromium found (apt-get install chromium, or set CHROMIUM to its path)"
# Scenarios that start their own Redis (and instances using it).
REDIS_TAG = "redis"
# The contract's extensions: a scenario tagged with one runs only against a
# server whose /health lists it.
EXTENSION_TAGS = {"sequence", "idempotency", "cors", "control", "paging"}
CONTROL_TAG = "control"
# The control token of the server under test: the suite's own server is
# started with it (a fresh one per run when it is not set).
CONTROL_TOKEN = "TRADING_CONTROL_TOKEN"
# A server at API_URL that does not answer /health within these (connect,
# read) seconds stops the run before its first scenario.
HEALTH_TIMEOUT = (4, 4)
REPORTS_DIR = Path(__file__).resolve().parent / "reports"


class ServerUnavailable(Exception):
    """The server to test is not there: nothing can be tested."""


def before_all(context):
    remove_earlier_junit_files(context.config)
    api_url = os.environ.get("API_URL", "").strip()
    context.local_server = None
    context.control_token = os.environ.get(CONTROL_TOKEN) or None
    RUN.expected = f"response delay {RESPONSE_DELAY}, execution delay {EXECUTION_DELAY}"
    try:
        if api_url:
            context.base_url = api_url
            RUN.server = f"{api_url} (API_URL; @{PLATFORM_TAG} scenarios skipped)"
        else:
            # The suite's own server offers test control (the @control scenarios).
            context.control_token = context.control_token or secrets.token_urlsafe(24)
            server = LocalServer(env={**os.environ, CONTROL_TOKEN: context.control_token})
            # Also stops the server when the run dies before after_all.
            atexit.register(server.stop)
            context.local_server = server
            RUN.server = f"{server.base_url} (started by the suite: python -m trading_server)"
            server.wait_until_healthy()
            context.base_url = server.base_url
        context.server_extensions = offered_extensions(context.base_url)
    except Exception as error:
        RUN.stopped = (str(error).splitlines() or [type(error).__name__])[0]
        raise
    if api_url:
        print(
            f"@{PLATFORM_TAG} scenarios are skipped: they test this implementation's extras "
            "and need the suite to start the server."
        )
    with ApiClient(context.base_url) as client:
        context.feed_url = client.feed_url
    print(f"Testing {context.base_url} ({RUN.expected})")
    chromium = find_chromium()
    if not chromium:
        print(f"Scenarios tagged @{BROWSER_TAG} are skipped: {NO_CHROMIUM}.")
    # Started by the first browser scenario; each gets a browser context of its own.
    context.chromium = Chromium(chromium)
    atexit.register(context.chromium.stop)  # also when the run dies before after_all


def offered_extensions(base_url):
    """The contract's extensions the server lists on /health."""
    with ApiClient(base_url) as client:
        try:
            reply = client.health(timeout=HEALTH_TIMEOUT)
        except ServerDidNotAnswer as error:
            raise ServerUnavailable(f"no server to test: {error}") from None
    if reply.status != 200:
        raise ServerUnavailable(f"no server to test: {reply.describe()}")
    return set(reply.json().get("extensions", []))


def junit_files(config):
    """behave's JUnit files, if the folder is inside reports/ (the only
    folder the suite empties)."""
    folder = Path(config.junit_directory).resolve()
    if config.junit and folder.is_relative_to(REPORTS_DIR):
        return list(folder.glob("TESTS-*.xml"))
    return []


def remove_earlier_junit_files(config):
    """CI reads every file in the JUnit folder: leave none from an earlier run."""
    for earlier in junit_files(config):
        earlier.unlink()


def report_stop_in_junit(config, reason):
    """With show_skipped off, behave's JUnit files count the scenarios of a
    run stopped before its first scenario as passed: replace them by one
    test in error, so that CI does not read a run that tested nothing as green."""
    files = junit_files(config)
    if not files:
        return
    for file in files:
        file.unlink()
    suite = ElementTree.Element(
        "testsuite", name="acceptance", tests="1", errors="1", failures="0", skipped="0"
    )
    case = ElementTree.SubElement(suite, "testcase", classname="acceptance", name="the run")
    ElementTree.SubElement(case, "error", type="stopped", message=reason)
    ElementTree.ElementTree(suite).write(
        files[0].parent / "TESTS-run.xml", encoding="utf-8", xml_declaration=True
    )


def before_scenario(context, scenario):
    if PLATFORM_TAG in scenario.effective_tags and context.local_server is None:
        scenario.skip(
            reason="tests this implementation's extras: "
            "runs only when the suite starts the server itself (API_URL is set)"
        )
        return
    if BROWSER_TAG in scenario.effective_tags and not find_chromium():
        scenario.skip(reason=NO_CHROMIUM)
        return
    if REDIS_TAG in scenario.effective_tags and not redis_installed():
        scenario.skip(
            reason="needs redis-server and the Redis client (pip install -r requirements/redis.txt)"
        )
        return
    missing = sorted((EXTENSION_TAGS & set(scenario.effective_tags)) - context.server_extensions)
    if missing:
        scenario.skip(
            reason=f"the server does not offer the {', '.join(missing)} extension "
            "(not listed by /health)"
        )
        return
    if CONTROL_TAG in scenario.effective_tags and not context.control_token:
        scenario.skip(reason=f"the server's control token is not known (set {CONTROL_TOKEN})")
        return
    context.api = ApiClient(context.base_url)
    if CONTROL_TAG in scenario.effective_tags:
        context.control = ControlClient(context.base_url, context.control_token)
        # Put back in after_scenario, so that the next scenario meets the
        # platform as it was.
        context.control_before = context.control.state()
    # Everything a scenario opens is closed in after_scenario, failed or not.
    context.listeners = []
    context.processes = []
    context.clients = []  # API clients of servers a scenario starts itself
    context.placed_orders = []


def redis_installed():
    return RedisServer.EXECUTABLE is not None and importlib.util.find_spec("redis") is not None


def after_scenario(context, scenario):
    if hasattr(context, "control"):
        context.control.change(context.control_before)
        context.control.close()
    for listener in getattr(context, "listeners", []):
        listener.close()
    for process in getattr(context, "processes", []):
        process.stop()
    for client in getattr(context, "clients", []):
        client.close()
    if hasattr(context, "api"):
        context.api.close()


def after_all(context):
    if RUN.stopped:
        report_stop_in_junit(context.config, RUN.stopped)
    if hasattr(context, "chromium"):
        context.chromium.stop()
        atexit.unregister(context.chromium.stop)
    if context.local_server is not None:
        context.local_server.stop()
        atexit.unregister(context.local_server.stop)
