"""How long a control change takes to reach another instance (issue 21).

    python -m bench.control                # 200 changes
    python -m bench.control --changes 50

Two instances of the platform share one Redis (the bench's own
redis-server, on a free loopback port). Each round flips one control
setting (`executionPaused`) with a `PATCH /control` on the first instance,
then polls `GET /control` on the second, on a kept-alive connection, until
it shows the change. The figure is the time from sending the `PATCH` to the
first answer of the second instance that shows it; the baseline, measured
in the same run, is the same poll on the first instance itself (where the
change is applied before the `PATCH` is answered). Needs redis-server and
requirements/redis.txt.
"""

from __future__ import annotations

import argparse
import http.client
import json
import secrets
import time

from .common import Server, percentile
from .redis import Redis

POLL_DEADLINE = 5.0


class ControlConnection:
    """One kept-alive connection to an instance's control API."""

    def __init__(self, url: str, token: str) -> None:
        self._connection = http.client.HTTPConnection(url.split("://", 1)[1], timeout=5)
        self._headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def call(self, method: str, body: dict | None = None) -> dict:
        payload = None if body is None else json.dumps(body)
        self._connection.request(method, "/control", payload, self._headers)
        answer = self._connection.getresponse()
        content = answer.read()
        if answer.status != 200:
            raise RuntimeError(f"{method} /control answered {answer.status}: {content!r}")
        return json.loads(content)

    def close(self) -> None:
        self._connection.close()


def propagation(changer: ControlConnection, watcher: ControlConnection, changes: int) -> list:
    """Seconds from each PATCH sent through `changer` to `watcher` showing it."""
    delays = []
    for change in range(changes):
        paused = change % 2 == 0
        sent = time.perf_counter()
        changer.call("PATCH", {"executionPaused": paused})
        while watcher.call("GET")["executionPaused"] is not paused:
            if time.perf_counter() - sent > POLL_DEADLINE:
                raise RuntimeError(f"change {change} not seen within {POLL_DEADLINE} s")
        delays.append(time.perf_counter() - sent)
    return delays


def summary(delays: list) -> str:
    ms = [delay * 1000 for delay in delays]
    return (
        f"median {percentile(ms, 50):.2f} ms, p95 {percentile(ms, 95):.2f} ms, max {max(ms):.2f} ms"
    )


def run(changes: int) -> dict:
    token = secrets.token_urlsafe()
    with Redis() as redis:
        args = ["--store", redis.url, "--control-token", token, "--quiet"]
        with (
            Server("first", "trading_server", args) as first,
            Server("second", "trading_server", args) as second,
        ):
            changer = ControlConnection(first.url, token)
            same = ControlConnection(first.url, token)
            other = ControlConnection(second.url, token)
            try:
                # Rounds interleaved, so that the machine's noise hits both alike.
                local, remote = [], []
                for _ in range(changes // 10):
                    local += propagation(changer, same, 10)
                    remote += propagation(changer, other, 10)
            finally:
                for connection in (changer, same, other):
                    connection.close()
    return {"same instance": local, "other instance": remote}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.control", description=__doc__)
    parser.add_argument("--changes", type=int, default=200, help="changes per instance (200)")
    args = parser.parse_args(argv)
    results = run(max(args.changes, 10))
    for name, delays in results.items():
        print(f"{name:>15}: {len(delays)} changes, {summary(delays)}")
    ratio = percentile(results["other instance"], 50) / percentile(results["same instance"], 50)
    print(f"median, other instance / same instance: {ratio:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
