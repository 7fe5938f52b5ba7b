"""`python -m bench.instructions`: the server's CPU cost per request, counted
in instructions by callgrind, so that it reads the same on a busy machine.

    python -m bench.instructions                    # hello-world and the memory store
    python -m bench.instructions --store redis      # and the Redis store beside them
    python -m bench.instructions --against 321bcb9  # and the server at that commit

Each server runs under `valgrind --tool=callgrind` with counting off; after
a warm-up, counting is turned on for exactly `--requests` requests sent over
`--connections` keep-alive connections (as wrk does in the http section),
then the count is dumped. The same server and requests count the same
within about 0.2% however loaded the machine is; wall-clock figures cannot
be compared that closely here. Every figure is also given as a ratio to the
Sanic hello-world measured in the same run, so it reads like the http
section's "requests per server CPU-second" ratios.

Needs valgrind (Debian's `valgrind`); about 30 s per server and endpoint.
`--store redis` needs `redis-server` and requirements/redis.txt; Redis's own
work is not counted (it is the price of a shared store, reported by the
redis section in CPU time).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from .common import NO_DELAYS, ROOT, free_port
from .http import place_one_order
from .httpclient import ORDER, Connection

ENDPOINTS = ("POST /orders", "GET /orders/{orderId}")
WARM_UP_REQUESTS = 200


@dataclass
class Target:
    """A server to count: its name, the tree it runs from, its module and arguments."""

    name: str
    tree: Path
    module: str
    args: list[str]

    @property
    def is_hello_world(self) -> bool:
        return self.module == "bench.hello"


class CountedServer:
    """A server under callgrind, counting only while `counting()` is open."""

    def __init__(self, target: Target, out_dir: Path) -> None:
        self.target = target
        self.port = free_port()
        self.out_file = out_dir / f"callgrind.{target.name.replace(' ', '_')}.{self.port}"
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> CountedServer:
        self.process = subprocess.Popen(
            [
                "valgrind",
                "--tool=callgrind",
                "--instr-atstart=no",
                f"--callgrind-out-file={self.out_file}",
                sys.executable,
                "-m",
                self.target.module,
                "--port",
                str(self.port),
                *self.target.args,
            ],
            cwd=self.target.tree,
            # One hash seed for every run: dict and set layouts, and so the
            # counts, do not change from run to run.
            env={**os.environ, "PYTHONHASHSEED": "0", "PYTHONPATH": str(self.target.tree)},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 300  # Python under valgrind starts in tens of seconds
        while True:
            if self.process.poll() is not None:
                errors = self.process.stderr.read() if self.process.stderr else ""
                raise RuntimeError(f"{self.target.name} exited: {errors[-2000:]}")
            with (
                contextlib.suppress(OSError),
                urllib.request.urlopen(f"{self.url}/health", timeout=30),
            ):
                return self
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.target.name} did not start under valgrind")
            time.sleep(0.5)

    def __exit__(self, *exc) -> None:
        assert self.process is not None
        self.process.terminate()
        try:
            self.process.wait(60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def _control(self, *args: str) -> None:
        assert self.process is not None
        subprocess.run(
            ["callgrind_control", *args, str(self.process.pid)], check=True, capture_output=True
        )

    @contextlib.contextmanager
    def counting(self):
        self._control("--instr=on")
        yield
        self._control("--dump")
        self._control("--instr=off")

    def instructions(self) -> int:
        """Instructions counted by the latest dump."""
        dumps = sorted(
            self.out_file.parent.glob(self.out_file.name + ".*"),
            key=lambda path: int(path.suffix[1:]),
        )
        for line in dumps[-1].read_text().splitlines():
            if line.startswith("summary:"):
                return int(line.split()[1])
        raise RuntimeError(f"no summary in {dumps[-1]}")


async def send(port: int, method: str, path: str, total: int, connections: int) -> None:
    """`total` requests over `connections` keep-alive connections, each
    connection sending its next request once answered; every answer must succeed."""
    pool = [await Connection("127.0.0.1", port).open() for _ in range(connections)]
    body = ORDER if method == "POST" else b""
    shares = [total // connections + (index < total % connections) for index in range(connections)]

    async def worker(connection: Connection, count: int) -> None:
        for _ in range(count):
            status, answer = await connection.request(method, path, body)
            if status >= 300:
                raise RuntimeError(f"{method} {path} answered {status}: {answer[:200]!r}")

    try:
        await asyncio.gather(
            *(worker(connection, share) for connection, share in zip(pool, shares, strict=True))
        )
    finally:
        for connection in pool:
            await connection.close()


def count(target: Target, endpoint: str, requests: int, connections: int, out_dir: Path) -> float:
    """Instructions per request of `endpoint` on `target`."""
    method = endpoint.split()[0]
    with CountedServer(target, out_dir) as server:
        if target.is_hello_world:
            path = "/"
        elif method == "POST":
            path = "/orders"
        else:
            path = f"/orders/{place_one_order(server)}"
        asyncio.run(send(server.port, method, path, WARM_UP_REQUESTS, connections))
        with server.counting():
            asyncio.run(send(server.port, method, path, requests, connections))
        return server.instructions() / requests


def checkout(revision: str, into: Path) -> Path:
    """The tree at `revision`, unpacked from `git archive`."""
    archive = subprocess.run(
        ["git", "archive", "--format=tar", revision], cwd=ROOT, check=True, capture_output=True
    ).stdout
    tree = into / f"tree-{revision}"
    tree.mkdir()
    with tempfile.TemporaryFile() as file:
        file.write(archive)
        file.seek(0)
        with tarfile.open(fileobj=file) as tar:
            tar.extractall(tree, filter="data")
    return tree


@contextlib.contextmanager
def redis_url():
    from .redis import Redis

    with Redis() as redis:
        yield redis.url


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.instructions",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--requests", type=int, default=2000, help="requests counted (default 2000)"
    )
    parser.add_argument(
        "--connections", type=int, default=50, help="keep-alive connections (default 50)"
    )
    parser.add_argument(
        "--store",
        choices=("memory", "redis"),
        action="append",
        help="the trading server's stores to count (default memory; repeat for both)",
    )
    parser.add_argument(
        "--against",
        metavar="REVISION",
        help="also count the trading server (memory store) at this git revision",
    )
    args = parser.parse_args(argv)
    if shutil.which("valgrind") is None:
        parser.error("needs valgrind (apt-get install valgrind)")
    stores = args.store or ["memory"]
    with tempfile.TemporaryDirectory() as scratch, contextlib.ExitStack() as stack:
        scratch_dir = Path(scratch)
        targets = [Target("hello-world", ROOT, "bench.hello", [])]
        if args.against:
            targets.append(
                Target(
                    f"memory @ {args.against}",
                    checkout(args.against, scratch_dir),
                    "trading_server",
                    NO_DELAYS,
                )
            )
        for store in stores:
            url = stack.enter_context(redis_url()) if store == "redis" else "memory"
            targets.append(Target(store, ROOT, "trading_server", [*NO_DELAYS, "--store", url]))
        figures: dict[str, dict[str, float]] = {}
        for endpoint in ENDPOINTS:
            for target in targets:
                figures.setdefault(target.name, {})[endpoint] = per_request = count(
                    target, endpoint, args.requests, args.connections, scratch_dir
                )
                print(
                    f"  {endpoint:<24} {target.name:<20} {per_request:>10,.0f} "
                    "instructions/request",
                    flush=True,
                )
    print()
    print(render(figures, args.requests, args.connections))
    return 0


def render(figures: dict[str, dict[str, float]], requests: int, connections: int) -> str:
    """Each server's instructions per request, and the hello-world's over
    them: the share of the hello-world's speed it keeps (higher is faster)."""
    hello = figures["hello-world"]
    lines = [
        f"Instructions per request ({requests} requests over {connections} connections; "
        "×: hello-world's count over the server's)",
        "",
        f"| server | {' | '.join(ENDPOINTS)} |",
        f"|---|{'---|' * len(ENDPOINTS)}",
    ]
    for name, counts in figures.items():
        cells = [
            f"{counts[endpoint]:,.0f}"
            + ("" if name == "hello-world" else f" (×{hello[endpoint] / counts[endpoint]:.3f})")
            for endpoint in ENDPOINTS
        ]
        lines.append(f"| {name} | {' | '.join(cells)} |")
    if "memory" in figures and "redis" in figures:
        ratios = [f"×{figures['redis'][e] / figures['memory'][e]:.2f}" for e in ENDPOINTS]
        lines += ["", f"Redis over memory (server instructions per request): {', '.join(ratios)}"]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
