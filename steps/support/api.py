"""A thin, timed client for the order API.

Steps call these methods and never build URLs themselves. Every call records
when it was sent and when its answer arrived, on the monotonic clock that the
feed listener also uses, so REST and WebSocket timings can be compared.
"""

import http.client
import json
import threading
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests

TIMEOUT = (5, 15)  # connect, read: well above the longest response delay


class ServerDidNotAnswer(AssertionError):
    """The server under test did not answer a request: a broken contract,
    reported in one line like any other failed check, not as a traceback of
    the HTTP library's internals."""


def did_not_answer(method, url, error, timeout=TIMEOUT):
    """`error` (from requests or http.client) as one line naming the request."""
    text = str(error)
    if isinstance(error, requests.ConnectTimeout):
        cause = f"no connection within {timeout[0]} s"
    elif isinstance(error, (requests.Timeout, TimeoutError)):
        cause = f"no answer within {timeout[1]} s"
    elif isinstance(error, ConnectionRefusedError) or "refused" in text.lower():
        cause = "connection refused (is the server running?)"
    elif isinstance(error, http.client.RemoteDisconnected) or "RemoteDisconnected" in text:
        cause = "the server closed the connection without answering"
    else:
        cause = f"the connection failed ({type(error).__name__})"
    return ServerDidNotAnswer(f"{method} {url}: {cause}")


@dataclass
class Reply:
    method: str
    path: str
    status: int
    headers: Mapping[str, str]
    body: bytes
    sent_at: float
    received_at: float

    @property
    def elapsed(self):
        return self.received_at - self.sent_at

    @property
    def content_type(self):
        return self.headers.get("Content-Type", "")

    def json(self):
        return json.loads(self.body)

    def describe(self):
        """What an assertion message needs: the request and the whole answer."""
        text = self.body[:2000].decode("utf-8", "replace")
        return f"{self.method} {self.path} answered {self.status} {text!r}"


class ApiClient:
    """One HTTP session against the server's base URL (not thread-safe:
    use one client per thread, as `concurrently` does)."""

    def __init__(self, base_url):
        self.base_url = base_url.rstrip("/")
        self.session = requests.Session()

    @property
    def feed_url(self):
        scheme, rest = self.base_url.split("://", 1)
        return ("wss" if scheme == "https" else "ws") + "://" + rest + "/ws"

    def close(self):
        self.session.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def request(self, method, path, body=None, headers=None, timeout=TIMEOUT):
        sent_at = time.monotonic()
        try:
            response = self.session.request(
                method,
                self.base_url + path,
                data=body,
                headers=headers,
                timeout=timeout,
                allow_redirects=False,
            )
        except requests.RequestException as error:
            raise did_not_answer(method, self.base_url + path, error, timeout) from None
        received_at = time.monotonic()
        return Reply(
            method,
            path,
            response.status_code,
            response.headers,
            response.content,
            sent_at,
            received_at,
        )

    def request_raw_path(self, method, path):
        """Send the path exactly as written: requests would resolve `..`
        segments before sending, which hides path-escape attempts."""
        target = urlsplit(self.base_url)
        connection_class = (
            http.client.HTTPSConnection if target.scheme == "https" else http.client.HTTPConnection
        )
        connection = connection_class(target.netloc, timeout=TIMEOUT[1])
        try:
            sent_at = time.monotonic()
            try:
                connection.request(method, target.path + path)
                response = connection.getresponse()
                body = response.read()
            except (OSError, http.client.HTTPException) as error:
                raise did_not_answer(method, self.base_url + path, error) from None
            received_at = time.monotonic()
            return Reply(
                method,
                path,
                response.status,
                requests.structures.CaseInsensitiveDict(response.getheaders()),
                body,
                sent_at,
                received_at,
            )
        finally:
            connection.close()

    def place_order(self, stocks, quantity, headers=None):
        return self.send_order_body(
            json.dumps({"stocks": stocks, "quantity": quantity}), headers=headers
        )

    def send_order_body(self, body, content_type="application/json", headers=None):
        """`headers` adds to (or overrides) the Content-Type header."""
        headers = {**({"Content-Type": content_type} if content_type else {}), **(headers or {})}
        if isinstance(body, str):
            body = body.encode("utf-8")
        return self.request("POST", "/orders", body=body, headers=headers)

    def list_orders(self):
        return self.request("GET", "/orders")

    def get_order(self, order_id):
        return self.request("GET", f"/orders/{order_id}")

    def cancel_order(self, order_id):
        return self.request("DELETE", f"/orders/{order_id}")

    def health(self, timeout=TIMEOUT):
        return self.request("GET", "/health", timeout=timeout)


class BackgroundOrders:
    """Orders placed and at once cancelled, one after another on a few
    threads, until `close()`: a platform where orders keep changing."""

    def __init__(self, base_url, threads=3):
        self._base_url = base_url
        self._stopping = threading.Event()
        self._changes = 0
        self._changed = threading.Condition()
        self._threads = [
            threading.Thread(target=self._trade, name="background-orders", daemon=True)
            for _ in range(threads)
        ]
        for thread in self._threads:
            thread.start()

    def _trade(self):
        with ApiClient(self._base_url) as client:
            while not self._stopping.is_set():
                reply = client.place_order("TRAFFIC", 1)
                if reply.status == 201 and not self._stopping.is_set():
                    self._count_change()
                    if client.cancel_order(reply.json()["orderId"]).status == 204:
                        self._count_change()

    def _count_change(self):
        with self._changed:
            self._changes += 1
            self._changed.notify_all()

    def wait_for_changes(self, count, timeout):
        """Wait until `count` more orders have been placed or cancelled."""
        with self._changed:
            wanted = self._changes + count
            if not self._changed.wait_for(lambda: self._changes >= wanted, timeout):
                raise AssertionError(
                    f"the background orders made fewer than {count} changes within {timeout:.1f} s"
                )

    def close(self):
        self._stopping.set()
        for thread in self._threads:
            thread.join(timeout=TIMEOUT[1])


def place_many(base_url, count, threads=8):
    """Place `count` orders as fast as `threads` connections allow; the statuses."""

    def place_share(index):
        with ApiClient(base_url) as client:
            share = count // threads + (1 if index < count % threads else 0)
            return [client.place_order("BURST", 1).status for _ in range(share)]

    with ThreadPoolExecutor(max_workers=threads) as pool:
        return [status for statuses in pool.map(place_share, range(threads)) for status in statuses]


def concurrently(base_url, count, call):
    """Run ``call(client, index)`` `count` times, each on its own thread and
    HTTP session, all released at the same moment by a barrier. Returns the
    results in index order. If a call fails, raises its error rather than
    the broken barrier the other threads then see."""
    barrier = threading.Barrier(count)

    def run(index):
        client = ApiClient(base_url)
        try:
            client.health()  # open the connection before the start signal
            barrier.wait(timeout=30)
            return call(client, index)
        except BaseException:
            barrier.abort()  # the others stop waiting for this thread at once
            raise
        finally:
            client.close()

    with ThreadPoolExecutor(max_workers=count) as pool:
        futures = [pool.submit(run, index) for index in range(count)]
    errors = [error for future in futures if (error := future.exception()) is not None]
    causes = [error for error in errors if not isinstance(error, threading.BrokenBarrierError)]
    if errors:
        raise (causes or errors)[0]
    return [future.result() for future in futures]
