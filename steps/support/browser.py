"""A real browser for the suite: headless Chromium driven over the DevTools
protocol.

Chromium started with `--remote-debugging-port` accepts JSON commands
(`Page.navigate`, `Runtime.evaluate`, `Page.captureScreenshot`) on a
WebSocket, which websocket-client speaks: no WebDriver to install. Waits
run inside the page (a promise that settles when a condition holds or its
deadline passes), so the suite never sleeps.

Also here: a web page on another origin, served from a second local port.
"""

import base64
import contextlib
import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote

import requests
import websocket

from steps.support.processes import STOP_DEADLINE, stop_process

START_DEADLINE = 30
COMMAND_TIMEOUT = 30
WINDOW = (1280, 900)
# The flags recommended for a headless browser in CI: no GPU, no sandbox
# (containers run as root), nothing fetched from the network by itself.
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size={},{}".format(*WINDOW),
    "--remote-debugging-port=0",
]
SCREENSHOTS = Path("reports") / "screenshots"
OTHER_ORIGIN_PAGE = Path(__file__).with_name("other_origin.html")


def find_chromium():
    """The browser to drive: $CHROMIUM, else chromium on the PATH (None if neither)."""
    return (
        os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    )


class PageError(AssertionError):
    """A script in the page failed, or a wait in the page ran out."""


class DevTools:
    """One DevTools connection (the browser's, or a tab's): a command's answer
    is told apart by its id; the events that arrive meanwhile are kept."""

    def __init__(self, address):
        # No Origin header: Chromium refuses DevTools clients that send one it does not know.
        self.socket = websocket.create_connection(
            address, timeout=COMMAND_TIMEOUT, suppress_origin=True
        )
        self.events = []
        self._next_id = 0

    def send(self, method, **params):
        self._next_id += 1
        self.socket.send(json.dumps({"id": self._next_id, "method": method, "params": params}))
        return self._next_id

    def command(self, method, timeout=COMMAND_TIMEOUT, **params):
        """Send one command and return its result."""
        self.socket.settimeout(timeout)
        sent = self.send(method, **params)
        while True:
            message = self._receive()
            if message.get("id") == sent:
                if "error" in message:
                    raise RuntimeError(f"Chromium refused {method}: {message['error']}")
                return message["result"]

    def wait_for_event(self, method, timeout):
        deadline = time.monotonic() + timeout
        while not any(event["method"] == method for event in self.events):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise PageError(f"the browser did not report {method} within {timeout} s")
            self.socket.settimeout(remaining)
            self._receive()

    def _receive(self):
        """The next message; an event is also kept."""
        message = json.loads(self.socket.recv())
        if "method" in message:
            self.events.append(message)
        return message

    def close(self):
        self.socket.close()


class Chromium:
    """The headless Chromium of a behave process, started by its first
    browser scenario. Each scenario gets a tab in a browser context of its
    own (Browser), as isolated as a browser of its own, without paying for
    a Chromium start each time."""

    def __init__(self, executable):
        self.executable = executable
        self.running = None

    def new_tab(self):
        if self.running is None or not self.running.alive():
            self.stop()
            self.running = _RunningChromium(self.executable)
        return self.running.new_tab()

    def stop(self):
        if self.running is not None:
            self.running.stop()
            self.running = None


class _RunningChromium:
    """A Chromium process with a fresh profile, and its browser-wide
    DevTools connection."""

    def __init__(self, executable):
        self.profile = tempfile.TemporaryDirectory(
            prefix="suite-chromium-", ignore_cleanup_errors=True
        )
        # Open as long as Chromium runs; stop() closes it.
        self.log = tempfile.TemporaryFile()  # noqa: SIM115
        self.process = subprocess.Popen(
            [executable, *CHROMIUM_FLAGS, f"--user-data-dir={self.profile.name}"],
            stdin=subprocess.DEVNULL,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self._devtools = None
        try:
            self.port = self._debugging_port()
            version = requests.get(f"http://127.0.0.1:{self.port}/json/version", timeout=5)
            self._devtools = DevTools(version.json()["webSocketDebuggerUrl"])
        except BaseException:
            self.stop()
            raise

    def alive(self):
        return self.process.poll() is None

    def new_tab(self):
        context_id = self._browser_command("Target.createBrowserContext")["browserContextId"]
        try:
            target = self._browser_command(
                "Target.createTarget", url="about:blank", browserContextId=context_id
            )["targetId"]
            address = f"ws://127.0.0.1:{self.port}/devtools/page/{target}"
            return Browser(address, on_stop=lambda: self.close_context(context_id))
        except BaseException:
            self.close_context(context_id)
            raise

    def close_context(self, context_id):
        """Closes the context's tabs and forgets its cookies, storage and cache."""
        # A Chromium that died meanwhile is replaced by the next scenario's tab.
        with contextlib.suppress(websocket.WebSocketException, OSError, RuntimeError):
            self._browser_command("Target.disposeBrowserContext", browserContextId=context_id)

    def _browser_command(self, method, **params):
        if self._devtools is None:
            raise RuntimeError("Chromium is stopped")
        return self._devtools.command(method, **params)

    def _debugging_port(self):
        """Chromium writes the port it chose to DevToolsActivePort in the profile."""
        port_file = Path(self.profile.name) / "DevToolsActivePort"
        deadline = time.monotonic() + START_DEADLINE
        while time.monotonic() < deadline:
            if port_file.exists():
                lines = port_file.read_text().splitlines()
                if lines and lines[0].isdigit():
                    return int(lines[0])
            try:
                # Doubles as the pause between looks and as a crash check.
                self.process.wait(timeout=0.1)
            except subprocess.TimeoutExpired:
                continue
            raise RuntimeError(
                f"Chromium exited with status {self.process.returncode}:\n{self.output()}"
            )
        raise RuntimeError(f"Chromium did not open its debugging port within {START_DEADLINE} s")

    def output(self):
        self.log.seek(0)
        return self.log.read().decode("utf-8", "replace")[-3000:]

    def stop(self):
        if self._devtools is not None:
            # Closed this way, Chromium's helper processes finish writing to
            # the profile before it exits, so the profile can be removed.
            try:
                self._devtools.send("Browser.close")
                self.process.wait(timeout=STOP_DEADLINE)
            except (websocket.WebSocketException, OSError, subprocess.TimeoutExpired):
                pass  # stop_process insists
            self._devtools.close()
            self._devtools = None
        stop_process(self.process)
        self.log.close()
        self.profile.cleanup()


class Browser:
    """What a scenario drives: one tab, in a browser context of its own,
    closed with it by stop()."""

    def __init__(self, address, on_stop):
        self._on_stop = on_stop
        try:
            self._devtools = DevTools(address)
        except BaseException:
            on_stop()
            raise
        try:
            # The whole window is the page, so screenshots are WIDTH x HEIGHT.
            self.command(
                "Emulation.setDeviceMetricsOverride",
                width=WINDOW[0],
                height=WINDOW[1],
                deviceScaleFactor=1,
                mobile=False,
            )
            self.command("Page.enable")
            self.command("Runtime.enable")
        except BaseException:
            self.stop()
            raise

    def stop(self):
        self._devtools.close()
        self._on_stop()

    def command(self, method, timeout=COMMAND_TIMEOUT, **params):
        return self._devtools.command(method, timeout, **params)

    def page_errors(self):
        """Uncaught errors and console errors of the page's scripts so far."""
        errors = []
        for event in self._devtools.events:
            if event["method"] == "Runtime.exceptionThrown":
                details = event["params"]["exceptionDetails"]
                errors.append(details.get("exception", {}).get("description") or details["text"])
            elif (
                event["method"] == "Runtime.consoleAPICalled" and event["params"]["type"] == "error"
            ):
                errors.append(
                    " ".join(
                        str(arg.get("value", arg.get("description")))
                        for arg in event["params"]["args"]
                    )
                )
        return errors

    # -- What the steps use ---------------------------------------------------

    def open(self, url):
        """Load `url` in the tab and wait for its load event."""
        self._devtools.events.clear()
        result = self.command("Page.navigate", url=url)
        if result.get("errorText"):
            raise PageError(f"the browser could not open {url}: {result['errorText']}")
        self._devtools.wait_for_event("Page.loadEventFired", COMMAND_TIMEOUT)

    def evaluate(self, expression, timeout=COMMAND_TIMEOUT):
        """The value of a JavaScript expression in the page (a promise is awaited)."""
        result = self.command(
            "Runtime.evaluate",
            timeout=timeout + 5,
            expression=expression,
            awaitPromise=True,
            returnByValue=True,
        )
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            raise PageError(
                "the page's script failed: "
                + (details.get("exception", {}).get("description") or details["text"])
            )
        return result["result"].get("value")

    def wait_until(self, condition, timeout, what):
        """Wait in the page until the JavaScript expression `condition` is
        truthy, up to `timeout` seconds; returns its value."""
        value = self.evaluate(
            f"""new Promise(resolve => {{
            const deadline = performance.now() + {timeout * 1000};
            const check = () => {{
                let value = null;
                try {{ value = ({condition}); }} catch (error) {{}}
                if (value || performance.now() > deadline) resolve(value || null);
                else setTimeout(check, 25);
            }};
            check();
        }})""",
            timeout=timeout,
        )
        if value is None:  # (a truthy DOM element comes back as {})
            errors = self.page_errors()
            raise PageError(
                f"the page did not show {what} within {timeout:.1f} s"
                + (f"; its scripts reported: {errors}" if errors else "")
            )
        return value

    def screenshot(self, name):
        """Save what the tab shows as reports/screenshots/NAME.png."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        path.write_bytes(
            base64.b64decode(self.command("Page.captureScreenshot", format="png")["data"])
        )
        return path


class OtherOriginSite:
    """A web page on another origin than the platform's: a second local port
    serving a small web trading client (other_origin.html)."""

    def __init__(self):
        page = OTHER_ORIGIN_PAGE.read_bytes()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(page)))
                self.end_headers()
                self.wfile.write(page)

            def log_message(self, *args):
                pass  # the suite's console is for the scenarios

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="other-origin", daemon=True
        )
        self._thread.start()

    def page_url(self, api_url):
        return f"{self.origin}/?api={quote(api_url, safe='')}"

    def stop(self):
        self._server.shutdown()
        self._server.server_close()
