"""1. HTTP: POST /orders and GET /orders/{orderId} against a Sanic hello-world.

wrk (one thread, 50 keep-alive connections) on CLIENT_CORE, the servers on
SERVER_CORE. Both servers run the whole time; each round measures the
hello-world, then the trading server, for each endpoint (A B A B ...), so a
noisy neighbour hits both sides of a round alike. Every ratio is taken per
round and the median of those is reported, along with requests per second
of server CPU time (from /proc), which a busy neighbour disturbs less than
requests per wall-clock second.
"""

from __future__ import annotations

import json
import os
import subprocess
import urllib.request
from typing import Protocol

from .common import CLIENT_CORE, WRK_DIR, Server, hello_world, median, taskset, trading_server

CONNECTIONS = 50


def wrk(server: Server, path: str, script: str, seconds: float) -> dict:
    """One wrk run; its figures plus the server's CPU time during it."""
    command = [
        *taskset(CLIENT_CORE),
        "wrk",
        "-t1",
        f"-c{CONNECTIONS}",
        f"-d{seconds:g}s",
        "--timeout",
        "5s",
        "-s",
        str(WRK_DIR / script),
        server.url + path,
    ]
    cpu_before = server.cpu_seconds()
    done = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=seconds + 30,
        env={**os.environ, "BENCH_WRK_DIR": str(WRK_DIR)},
    )
    cpu = server.cpu_seconds() - cpu_before
    report = json.loads(done.stdout.strip().splitlines()[-1])
    seconds_run = report["duration_us"] / 1e6
    errors = sum(report["errors"].values())
    return {
        "rps": report["requests"] / seconds_run,
        "p50_ms": report["p50_us"] / 1000,
        "p99_ms": report["p99_us"] / 1000,
        "requests": report["requests"],
        "errors": errors,
        "server_cpu_s": cpu,
        "server_cpu_share": cpu / seconds_run,
        "per_cpu_s": report["requests"] / cpu if cpu > 0 else float("nan"),
    }


class Reachable(Protocol):
    """Any server this bench started: a plain one or one under callgrind."""

    @property
    def url(self) -> str: ...


def place_one_order(server: Reachable) -> str:
    request = urllib.request.Request(
        server.url + "/orders",
        data=b'{"stocks": "EURUSD", "quantity": 10}',
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=5) as answer:
        return json.load(answer)["orderId"]


def run(rounds: int, seconds: float, log=print) -> dict:
    results: dict = {"rounds": rounds, "seconds": seconds, "connections": CONNECTIONS}
    with hello_world() as hello, trading_server() as trading:
        order_id = place_one_order(trading)
        cases = {
            "POST /orders": (("/", "post.lua"), ("/orders", "post.lua")),
            "GET /orders/{orderId}": (("/", "get.lua"), (f"/orders/{order_id}", "get.lua")),
        }
        for (base_path, script), (path, _) in cases.values():  # warm-up
            wrk(hello, base_path, script, 1)
            wrk(trading, path, script, 1)
        for name in cases:
            results[name] = {"hello": [], "trading": []}
        for number in range(1, rounds + 1):
            for name, ((base_path, script), (path, _)) in cases.items():
                base = wrk(hello, base_path, script, seconds)
                ours = wrk(trading, path, script, seconds)
                results[name]["hello"].append(base)
                results[name]["trading"].append(ours)
                log(
                    f"  round {number}/{rounds} {name}: "
                    f"{ours['rps']:,.0f} vs {base['rps']:,.0f} req/s, "
                    f"{ours['per_cpu_s']:,.0f} vs {base['per_cpu_s']:,.0f} req/CPU-s, "
                    f"p99 {ours['p99_ms']:.2f} vs {base['p99_ms']:.2f} ms"
                )
    for name in ("POST /orders", "GET /orders/{orderId}"):
        pairs = list(zip(results[name]["hello"], results[name]["trading"], strict=True))
        results[name]["summary"] = {
            "rps": median([ours["rps"] for _, ours in pairs]),
            "hello_rps": median([base["rps"] for base, _ in pairs]),
            "p50_ms": median([ours["p50_ms"] for _, ours in pairs]),
            "p99_ms": median([ours["p99_ms"] for _, ours in pairs]),
            "hello_p50_ms": median([base["p50_ms"] for base, _ in pairs]),
            "hello_p99_ms": median([base["p99_ms"] for base, _ in pairs]),
            "per_cpu_s": median([ours["per_cpu_s"] for _, ours in pairs]),
            "hello_per_cpu_s": median([base["per_cpu_s"] for base, _ in pairs]),
            "ratio_rps": median([ours["rps"] / base["rps"] for base, ours in pairs]),
            "ratio_per_cpu_s": median(
                [ours["per_cpu_s"] / base["per_cpu_s"] for base, ours in pairs]
            ),
            "ratio_p99": median([ours["p99_ms"] / base["p99_ms"] for base, ours in pairs]),
            "ratio_per_cpu_s_range": (
                min(ours["per_cpu_s"] / base["per_cpu_s"] for base, ours in pairs),
                max(ours["per_cpu_s"] / base["per_cpu_s"] for base, ours in pairs),
            ),
            "errors": sum(ours["errors"] + base["errors"] for base, ours in pairs),
            "server_cpu_share": median([ours["server_cpu_share"] for _, ours in pairs]),
        }
    return results
