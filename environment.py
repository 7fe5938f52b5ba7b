"""behave hooks: which server to test, and cleaning up after every scenario.

With API_URL set, the suite tests that server. Without it, it starts
`python -m trading_server` on a free local port, with this process's
environment (so TRADING_* delay settings reach both), and stops it at the end.
"""
import atexit
import importlib.util
import os

from steps.support.api import ApiClient
from steps.support.delays import EXECUTION_DELAY, RESPONSE_DELAY
from steps.support.processes import LocalServer, RedisServer

PLATFORM_TAG = "platform"
# Scenarios that start their own Redis (and instances using it).
REDIS_TAG = "redis"
# The contract's extensions: a scenario tagged with one runs only against a
# server whose /health lists it.
EXTENSION_TAGS = {"sequence", "idempotency", "cors"}


def before_all(context):
    api_url = os.environ.get("API_URL", "").strip()
    context.local_server = None
    if api_url:
        context.base_url = api_url
        print(f"Scenarios tagged @{PLATFORM_TAG} are skipped: they test this implementation's "
              "extras, and run only when the suite starts the server itself.")
    else:
        server = LocalServer()
        # Also stops the server when the run dies before after_all.
        atexit.register(server.stop)
        context.local_server = server
        server.wait_until_healthy()
        context.base_url = server.base_url
    with ApiClient(context.base_url) as client:
        context.feed_url = client.feed_url
        context.server_extensions = set(client.health().json().get("extensions", []))
    print(f"Testing {context.base_url} (response delay {RESPONSE_DELAY}, "
          f"execution delay {EXECUTION_DELAY})")


def before_scenario(context, scenario):
    if PLATFORM_TAG in scenario.effective_tags and context.local_server is None:
        scenario.skip(reason="tests this implementation's extras: "
                             "runs only when the suite starts the server itself (API_URL is set)")
        return
    if REDIS_TAG in scenario.effective_tags and not redis_installed():
        scenario.skip(reason="needs redis-server and the Redis client "
                             "(pip install -r requirements/redis.txt)")
        return
    missing = sorted((EXTENSION_TAGS & set(scenario.effective_tags)) - context.server_extensions)
    if missing:
        scenario.skip(reason=f"the server does not offer the {', '.join(missing)} extension "
                             "(not listed by /health)")
        return
    context.api = ApiClient(context.base_url)
    # Everything a scenario opens is closed in after_scenario, failed or not.
    context.listeners = []
    context.processes = []
    context.clients = []  # API clients of servers a scenario starts itself
    context.placed_orders = []


def redis_installed():
    return RedisServer.EXECUTABLE is not None and importlib.util.find_spec("redis") is not None


def after_scenario(context, scenario):
    for listener in getattr(context, "listeners", []):
        listener.close()
    for process in getattr(context, "processes", []):
        process.stop()
    for client in getattr(context, "clients", []):
        client.close()
    if hasattr(context, "api"):
        context.api.close()


def after_all(context):
    if context.local_server is not None:
        context.local_server.stop()
        atexit.unregister(context.local_server.stop)
