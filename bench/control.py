"""How long a control change takes to reach another instance (issue 21).

    python -m bench.control                # 200 changes
    python -m bench.control --changes 50

Two instances of the platform share one Redis (the bench's own
redis-server, on a free loopback port). Each round flips one control
setting (`executionPaused`) with a `PATCH /control` on the first instance,
then polls `GET /control` on the second, on a kept-alive connection, until
it shows the change. The figure is the time from sending the `PATCH` to the
first answer of the second instance that shows it; the baseline, measured
in the same run, is the same poll on the first instance itself. Also
counted: the changes the second instance's first answer after the `PATCH`
did not show yet (0 when the `PATCH` is answered only once every process
applied it, as the Redis store does). Needs redis-server and
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


def propagation(
    changer: ControlConnection, watcher: ControlConnection, changes: int
) -> tuple[list, int]:
    """Seconds from each PATCH sent through `changer` to `watcher` showing
    it, and how many changes the first answer after the PATCH missed."""
    delays, late = [], 0
    for change in range(changes):
        paused = change % 2 == 0
        sent = time.perf_counter()
        changer.call("PATCH", {"executionPaused": paused})
        if watcher.call("GET")["executionPaused"] is not paused:
            late += 1
            while watcher.call("GET")["executionPaused"] is not paused:
                if time.perf_counter() - sent > POLL_DEADLINE:
                    raise RuntimeError(f"change {change} not seen within {POLL_DEADLINE} s")
        delays.append(time.perf_counter() - sent)
    return delays, late


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
                results: dict[str, tuple[list, int]] = {
                    "same instance": ([], 0),
                    "other instance": ([], 0),
                }
                for _ in range(changes // 10):
                    for name, watcher in (("same instance", same), ("other instance", other)):
                        delays, late = propagation(changer, watcher, 10)
                        results[name] = (results[name][0] + delays, results[name][1] + late)
            finally:
                for connection in (changer, same, other):
                    connection.close()
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.control", description=__doc__)
    parser.add_argument("--changes", type=int, default=200, help="changes per instance (200)")
    args = parser.parse_args(argv)
    results = run(max(args.changes, 10))
    for name, (delays, late) in results.items():
        print(f"{name:>15}: {len(delays)} changes, {summary(delays)}; not shown at once: {late}")
    ratio = percentile(results["other instance"][0], 50) / percentile(
        results["same instance"][0], 50
    )
    print(f"median, other instance / same instance: {ratio:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
