"""6. The Redis store side by side with the memory store, in one run.

- HTTP: `POST /orders` and `GET /orders/{orderId}` with wrk against one
  worker on the memory store and one worker on Redis, rounds interleaved
  (memory, Redis, memory, ...). Requests per server CPU-second as in the
  http section; Redis's own CPU during the Redis runs is reported apart
  (per request), not added to the server's.
- Fan-out: 1000 subscribers spread over two workers on Redis, bursts of
  100 orders (the fanout section's measure); p99 from each event's
  `timestamp` to its arrival.
- The 100-order scenario (default delays) on two workers on Redis.
- Memory per order in Redis: `used_memory` before and after placing
  orders (executed at once, so each is its final version plus its share
  of the capped event stream).

redis-server runs on the server core beside the trading server; needs
`redis-server` and requirements/redis.txt.
"""

from __future__ import annotations

import asyncio
import shutil
import socket
import subprocess
import tempfile
import time

from . import fanout, scenario
from .common import NO_DELAYS, SERVER_CORE, Server, median, process_cpu_seconds, taskset
from .http import place_one_order, wrk
from .httpclient import place_orders

MEMORY_ORDERS = 20_000


class Redis:
    """A redis-server of the bench's own, on a free port, pinned to the server core."""

    def __enter__(self) -> Redis:
        self.directory = tempfile.TemporaryDirectory()
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = subprocess.Popen(
            [
                *taskset(SERVER_CORE),
                shutil.which("redis-server") or "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--dir",
                self.directory.name,
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 10
        while self.command("PING") != "PONG":
            if time.monotonic() > deadline:
                raise RuntimeError("redis-server did not start")
            time.sleep(0.05)
        return self

    def command(self, *words: str) -> str:
        """One command over a raw socket (the bench needs no Redis client); '' if unreachable."""
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=5) as connection:
                request = f"*{len(words)}\r\n" + "".join(f"${len(w)}\r\n{w}\r\n" for w in words)
                connection.sendall(request.encode())
                reply = b""
                while True:
                    chunk = connection.recv(65536)
                    reply += chunk
                    if not chunk or _complete(reply):
                        break
        except OSError:
            return ""
        head, _, rest = reply.partition(b"\r\n")
        return (rest if head.startswith(b"$") else head[1:]).decode().strip()

    def info(self, field: str) -> int:
        for line in self.command("INFO", "memory").splitlines():
            if line.startswith(field + ":"):
                return int(line.split(":", 1)[1])
        raise RuntimeError(f"INFO has no {field}")

    def cpu_seconds(self) -> float:
        return process_cpu_seconds(self.process.pid)

    def __exit__(self, *exc) -> None:
        self.process.terminate()
        self.process.wait(10)
        self.directory.cleanup()


def _complete(reply: bytes) -> bool:
    head, separator, rest = reply.partition(b"\r\n")
    if not separator:
        return False
    if head.startswith(b"$"):
        return len(rest) >= int(head[1:]) + 2
    return True


class Workers(Server):
    """A server with worker processes: CPU time of the whole process tree."""

    def cpu_seconds(self) -> float:
        return sum(process_cpu_seconds(pid) for pid in _tree(self.pid))


def _tree(pid: int) -> list[int]:
    pids = [pid]
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as children:
            for child in children.read().split():
                pids += _tree(int(child))
    except OSError:
        pass
    return pids


def http(redis: Redis, rounds: int, seconds: float, log) -> dict:
    memory = Server("memory store", "trading_server", list(NO_DELAYS))
    shared = Server("Redis store", "trading_server", [*NO_DELAYS, "--store", redis.url])
    results: dict = {}
    with memory, shared:
        cases = {
            "POST /orders": ("/orders", "/orders", "post.lua"),
            "GET /orders/{orderId}": (
                f"/orders/{place_one_order(memory)}",
                f"/orders/{place_one_order(shared)}",
                "get.lua",
            ),
        }
        for name, (memory_path, shared_path, script) in cases.items():  # warm-up
            wrk(memory, memory_path, script, 1)
            wrk(shared, shared_path, script, 1)
            results[name] = {"memory": [], "redis": []}
        for number in range(1, rounds + 1):
            for name, (memory_path, shared_path, script) in cases.items():
                base = wrk(memory, memory_path, script, seconds)
                redis_cpu = redis.cpu_seconds()
                ours = wrk(shared, shared_path, script, seconds)
                ours["redis_us_per_request"] = (
                    (redis.cpu_seconds() - redis_cpu) / max(ours["requests"], 1) * 1e6
                )
                results[name]["memory"].append(base)
                results[name]["redis"].append(ours)
                log(
                    f"  round {number}/{rounds} {name}: Redis store {ours['per_cpu_s']:,.0f}, "
                    f"memory {base['per_cpu_s']:,.0f} req per server CPU-s; Redis itself "
                    f"{ours['redis_us_per_request']:.1f} µs CPU per request; "
                    f"p99 {ours['p99_ms']:.2f} vs {base['p99_ms']:.2f} ms"
                )
    for figures in results.values():
        pairs = list(zip(figures["memory"], figures["redis"], strict=True))
        figures["summary"] = {
            "per_cpu_s": median([ours["per_cpu_s"] for _, ours in pairs]),
            "memory_per_cpu_s": median([base["per_cpu_s"] for base, _ in pairs]),
            # How many times a memory-store request's server CPU a Redis one costs.
            "cost_ratio": median([base["per_cpu_s"] / ours["per_cpu_s"] for base, ours in pairs]),
            "redis_us_per_request": median([ours["redis_us_per_request"] for _, ours in pairs]),
            "rps": median([ours["rps"] for _, ours in pairs]),
            "memory_rps": median([base["rps"] for base, _ in pairs]),
            "p99_ms": median([ours["p99_ms"] for _, ours in pairs]),
            "memory_p99_ms": median([base["p99_ms"] for base, _ in pairs]),
            "errors": sum(ours["errors"] + base["errors"] for base, ours in pairs),
        }
    return results


def memory_per_order(redis: Redis, orders: int) -> dict:
    with Server("Redis store", "trading_server", [*NO_DELAYS, "--store", redis.url]) as server:
        place_one_order(server)  # the keys exist: measure orders, not empty structures
        before = redis.info("used_memory")
        asyncio.run(place_orders("127.0.0.1", server.port, orders))
        after = redis.info("used_memory")
    return {"orders": orders, "bytes_per_order": (after - before) / orders}


def run(rounds: int = 3, seconds: float = 5, bursts: int = 3, log=print) -> dict:
    results: dict = {"rounds": rounds, "seconds": seconds}
    with Redis() as redis:
        results["http"] = http(redis, rounds, seconds, log)
        redis.command("FLUSHALL")
        store = ["--store", redis.url, "--workers", "2"]
        with Workers("Redis store, 2 workers", "trading_server", [*NO_DELAYS, *store]) as server:
            results["fanout"] = asyncio.run(fanout.measure(server, 1000, bursts, log))
        redis.command("FLUSHALL")
        results["memory"] = memory_per_order(redis, MEMORY_ORDERS)
        redis.command("FLUSHALL")
        with Workers("Redis store, 2 workers", "trading_server", ["--quiet", *store]) as server:
            results["scenario"] = asyncio.run(scenario.measure(server))
    return results
