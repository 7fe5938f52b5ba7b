"""Browser clients in a real, headless Chromium: a web page on another
origin, and the platform's live order page. The browser, the other origin's
site and the scenario's own platform are stopped by the hooks."""

import json
import time
from collections import Counter

from behave import given, then, when
from hamcrest import assert_that, equal_to, has_entry, has_key, is_in

from steps.support.browser import OtherOriginSite, PageError
from steps.support.checks import answered, answered_with_order, order_problems
from steps.support.delays import execution_deadline
from steps.support.feed import EVENT_IN_FLIGHT
from steps.support.processes import use_own_platform

# As in orders_steps (behave loads this module first): values written as JSON.
# The browser's share of any deadline: receiving an event, running the
# page's script and rendering, on a busy 2-core machine.
PAGE_LATENCY = 1.0
PAGE_READY = 10  # seconds to load the live page and connect it to the feed
# The live page retries every 2 s at most; the platform takes about 1 s to start.
RECONNECTED_WITHIN = 10

# Installed in the live page after it loads: records every status a row
# shows, so a step can tell what the page showed even if it changed since.
RECORD_SHOWN_STATUSES = """
window.suiteShown = [];
new MutationObserver((mutations) => {
  for (const mutation of mutations) {
    const rows = mutation.type === "attributes" ? [mutation.target] : [...mutation.addedNodes];
    for (const row of rows) {
      if (row.dataset && row.dataset.status) {
        suiteShown.push([row.dataset.orderId, row.dataset.status]);
      }
    }
  }
}).observe(document.getElementById("orders"),
           {subtree: true, childList: true, attributes: true, attributeFilter: ["data-status"]});
"""


def start_browser(context):
    context.browser = context.chromium.new_tab()
    context.processes.append(context.browser)
    return context.browser


def js(value):
    """A Python value written as a JavaScript literal."""
    return json.dumps(value)


# -- A web page on another origin -------------------------------------------


@given("a web page on another origin")
def step_other_origin_page(context):
    site = OtherOriginSite()
    context.processes.append(site)
    start_browser(context).open(site.page_url(context.base_url))


def page_places(context, stocks, quantity):
    context.page_reply = context.browser.evaluate(f"client.place({js(stocks)}, {js(quantity)})")


@when("the page places an order for {quantity:Json} of {stocks:Json}")
@when("the page tries to place an order for {quantity:Json} of {stocks:Json}")
def step_page_places(context, quantity, stocks):
    context.sent = {"stocks": stocks, "quantity": quantity}
    page_places(context, stocks, quantity)


@then("the page is told the order is confirmed as pending, and where to find it")
def step_page_confirmed(context):
    reply = context.page_reply
    assert_that(reply, has_entry("status", 201), f"what the page was told: {reply}")
    order = reply["body"]
    assert_that(
        order_problems(order, order_status="PENDING", **context.sent),
        equal_to([]),
        f"the order the page was told about: {order}",
    )
    # Readable only because the platform exposes the header to other origins.
    assert_that(
        reply["location"],
        equal_to(f"/orders/{order['orderId']}"),
        "the Location the page could read",
    )
    context.order = order


@given("a web page on another origin has placed an order for {quantity:Json} of {stocks:Json}")
def step_page_has_placed(context, quantity, stocks):
    step_other_origin_page(context)
    step_page_places(context, quantity, stocks)
    step_page_confirmed(context)


@when("the page cancels the order")
def step_page_cancels(context):
    context.page_reply = context.browser.evaluate(f"client.cancel({js(context.order['orderId'])})")


@then("the page is told the cancellation is accepted")
def step_page_cancel_accepted(context):
    assert_that(context.page_reply, has_entry("status", 204), "what the page was told")


@then("the page reads the order as cancelled")
def step_page_reads_cancelled(context):
    reply = context.browser.evaluate(f"client.read({js(context.order['orderId'])})")
    assert_that(reply, has_entry("status", 200), "what the page read")
    assert_that(
        order_problems(reply["body"], order_status="CANCELLED", **context.sent),
        equal_to([]),
        f"the order the page read: {reply['body']}",
    )


@then("the page finds the order in the list of all orders")
def step_page_lists(context):
    reply = context.browser.evaluate("client.list()")
    assert_that(reply, has_entry("status", 200), "what the page was told")
    assert_that(
        context.order["orderId"],
        is_in([order["orderId"] for order in reply["body"]]),
        "the ids in the list the page read",
    )


@given("a web page on another origin is watching the order feed")
def step_page_watching(context):
    step_other_origin_page(context)
    assert_that(
        context.browser.evaluate("client.watch()"), equal_to("open"), "the page's feed connection"
    )


@then("the page is told the order is pending, then executed")
def step_page_told_lifecycle(context):
    order_id = js(context.order["orderId"])
    timeout = execution_deadline(context.confirmation.received_at) - time.monotonic() + PAGE_LATENCY
    context.browser.wait_until(
        f'events.some((event) => event.orderId === {order_id} && event.orderStatus === "EXECUTED")',
        timeout,
        "the EXECUTED event",
    )
    statuses = context.browser.evaluate(
        f"events.filter((event) => event.orderId === {order_id}).map((event) => event.orderStatus)"
    )
    assert_that(
        statuses, equal_to(["PENDING", "EXECUTED"]), "the events the page received for the order"
    )


@then("the browser does not let the page place it")
def step_page_refused(context):
    assert_that(
        context.page_reply,
        has_key("refused"),
        "what the page was told (the browser should have refused before any answer)",
    )


@then("the browser does not let the page watch the order feed")
def step_page_feed_refused(context):
    assert_that(
        context.browser.evaluate("client.watch()"),
        equal_to("refused"),
        "the page's feed connection",
    )


@then("no order was placed")
def step_nothing_placed(context):
    reply = context.api.list_orders()
    assert_that(reply, answered(200))
    assert_that(reply.json(), equal_to([]), "the platform's orders")


# -- The live order page ----------------------------------------------------


def wait_for_connection(context, state, timeout):
    context.browser.wait_until(
        f"document.body.dataset.connection === {js(state)}", timeout, f'its connection as "{state}"'
    )


@given("the live order page is open")
def step_live_page_open(context):
    use_own_platform(context)
    start_browser(context).open(context.base_url + "/live")
    wait_for_connection(context, "live", PAGE_READY)
    context.browser.evaluate(RECORD_SHOWN_STATUSES)


def wait_until_shown(context, order_id, status, timeout):
    try:
        context.browser.wait_until(
            f"suiteShown.some(([id, status]) => id === {js(order_id)} && status === {js(status)})",
            timeout,
            f"order {order_id} as {status}",
        )
    finally:
        # A reload would lose the record (and with it what the page showed).
        assert_that(
            context.browser.evaluate("typeof suiteShown"),
            equal_to("object"),
            "whether the live page kept its record: it was reloaded",
        )


@then("the live page shows the order as {status:w}")
def step_live_shows(context, status):
    wait_until_shown(
        context, context.order["orderId"], status.upper(), EVENT_IN_FLIGHT + PAGE_LATENCY
    )
    context.browser.screenshot(f"live-{status}")


@then("then as executed, without being reloaded")
def step_live_executed(context):
    order_id = context.order["orderId"]
    timeout = execution_deadline(context.confirmation.received_at) - time.monotonic() + PAGE_LATENCY
    wait_until_shown(context, order_id, "EXECUTED", timeout)
    shown = context.browser.evaluate(
        f"suiteShown.filter(([id]) => id === {js(order_id)}).map(([, status]) => status)"
    )
    assert_that(
        shown,
        equal_to(["PENDING", "EXECUTED"]),
        "the statuses the page showed for the order, in order",
    )


def expect_counts(context, executed, pending, cancelled, timeout):
    wanted = {
        "executed": executed,
        "pending": pending,
        "cancelled": cancelled,
        "total": executed + pending + cancelled,
    }
    counts = ", ".join(
        f'{name}: Number(document.getElementById("count-{name}").textContent)' for name in wanted
    )
    read = f"({{{counts}}})"
    try:
        context.browser.wait_until(
            f"JSON.stringify({read}) === {js(json.dumps(wanted, separators=(',', ':')))}",
            timeout,
            f"the counts {wanted}",
        )
    except PageError:
        raise AssertionError(
            f"the live page counts {context.browser.evaluate(read)}, not {wanted}"
        ) from None
    rows = context.browser.evaluate('document.querySelectorAll("#orders tr").length')
    assert_that(rows, equal_to(wanted["total"]), "the rows of the blotter")
    # The page's counts are the platform's.
    reply = context.api.list_orders()
    assert_that(reply, answered(200))
    platform = Counter(order["orderStatus"] for order in reply.json())
    assert_that(
        {name: platform[name.upper()] for name in ("executed", "pending", "cancelled")},
        equal_to({name: wanted[name] for name in ("executed", "pending", "cancelled")}),
        "the platform's orders per status",
    )


@then("the live page counts {executed:d} executed, {pending:d} pending and {cancelled:d} cancelled")
def step_live_counts(context, executed, pending, cancelled):
    expect_counts(context, executed, pending, cancelled, EVENT_IN_FLIGHT + PAGE_LATENCY)


@when("I place an order for {quantity:Json} of {stocks:Json} on the live page")
def step_place_on_live_page(context, quantity, stocks):
    context.sent = {"stocks": stocks, "quantity": quantity}
    context.browser.evaluate(f"""(() => {{
        const form = document.getElementById("place");
        form.stocks.value = {js(stocks)};
        form.quantity.value = {js(str(quantity))};
        form.requestSubmit();
    }})()""")
    message = context.browser.wait_until(
        'document.getElementById("message").textContent',
        EVENT_IN_FLIGHT + PAGE_LATENCY,
        "what became of the order",
    )
    assert_that(message.startswith("Placed"), equal_to(True), f"the page said {message!r}")
    # The platform of this scenario has no other order: it is the page's newest row.
    context.order = {
        "orderId": context.browser.evaluate('document.querySelector("#orders tr").dataset.orderId')
    }


@then("the platform has the order as it was placed on the page")
def step_platform_has_page_order(context):
    reply = context.api.get_order(context.order["orderId"])
    assert_that(reply, answered_with_order(200, **context.sent))


@when("I cancel the order on the live page")
def step_cancel_on_live_page(context):
    selector = f"tr[data-order-id={js(context.order['orderId'])}] button"
    button = f"document.querySelector({js(selector)})"
    context.browser.wait_until(button, EVENT_IN_FLIGHT + PAGE_LATENCY, "the order's Cancel button")
    context.browser.evaluate(f"{button}.click()")
    message = context.browser.wait_until(
        'document.getElementById("message").textContent',
        EVENT_IN_FLIGHT + PAGE_LATENCY,
        "what became of the cancellation",
    )
    assert_that(message.startswith("Cancelled"), equal_to(True), f"the page said {message!r}")


@then("the live page shows every one of them within moments of its confirmation")
def step_live_shows_burst(context):
    ids = js([order["orderId"] for order in context.burst_orders])
    context.browser.wait_until(
        "(() => { const shown = new Set(suiteShown.map(([id]) => id)); "
        f"return {ids}.every((id) => shown.has(id)); }})()",
        EVENT_IN_FLIGHT + PAGE_LATENCY,
        "every order of the burst",
    )
    context.browser.screenshot("live-burst")


@then(
    "once they are executed, the live page counts {executed:d} executed, "
    "{pending:d} pending and {cancelled:d} cancelled"
)
def step_live_counts_after_burst(context, executed, pending, cancelled):
    last_confirmation = max(reply.received_at for reply in context.burst)
    deadline = execution_deadline(last_confirmation) + PAGE_LATENCY
    # The picture for the README: the burst half executed.
    context.browser.wait_until(
        f'Number(document.getElementById("count-executed").textContent) >= {executed // 2}',
        deadline - time.monotonic(),
        "half of the orders executed",
    )
    context.browser.screenshot("live")
    expect_counts(context, executed, pending, cancelled, deadline - time.monotonic())
    context.browser.screenshot("live-burst-executed")


@when("the platform stops")
def step_platform_stops(context):
    context.platform.stop()


@then("the live page says it is reconnecting")
def step_live_reconnecting(context):
    # The platform closes the feed as it stops (close code 1001).
    wait_for_connection(context, "reconnecting", EVENT_IN_FLIGHT + PAGE_LATENCY)
    context.browser.screenshot("live-reconnecting")


@when("the platform starts again")
def step_platform_starts_again(context):
    use_own_platform(context, port=context.platform.port)


@then("the live page says it is live again")
def step_live_again(context):
    wait_for_connection(context, "live", RECONNECTED_WITHIN)


@then("an order placed now appears on the live page")
def step_new_order_appears(context):
    reply = context.api.place_order("USDJPY", 8)
    assert_that(reply, answered(201))
    wait_until_shown(context, reply.json()["orderId"], "PENDING", EVENT_IN_FLIGHT + PAGE_LATENCY)
    context.browser.screenshot("live-after-restart")
