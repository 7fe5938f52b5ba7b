"""`python -m bench.startup`: what it costs to start the server, up to its
first answer to /health.

    python -m bench.startup                    # hello-world and the trading server
    python -m bench.startup --against 8a68ce8  # and the trading server at that commit

The acceptance suite starts about a hundred servers per run (one per worker,
and those its @platform scenarios start with flags of their own), all while
the CPU is busy: their start-up CPU is a good part of a run's. Each round
starts every target once, in turn (A B C A B C ...), pinned to one core,
and reads the process's CPU time the moment /health first answers; the
median of the rounds is reported, and the ratio to the Sanic hello-world
of the same run (its start is Python's and Sanic's, none of ours).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from .common import NO_DELAYS, ROOT, SERVER_CORE, free_port, process_cpu_seconds, taskset
from .instructions import Target, checkout

START_DEADLINE = 20
POLL = 0.005


def start_once(target: Target) -> tuple[float, float]:
    """(seconds until /health answered, CPU seconds the server used by then)."""
    port = free_port()
    started = time.monotonic()
    command = [sys.executable, "-m", target.module, "--port", str(port), *target.args]
    process = subprocess.Popen(
        [*taskset(SERVER_CORE), *command],
        cwd=target.tree,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = started + START_DEADLINE
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1):
                    return time.monotonic() - started, process_cpu_seconds(process.pid)
            except OSError:
                if process.poll() is not None:
                    raise RuntimeError(f"{target.name} exited with {process.returncode}") from None
                time.sleep(POLL)  # wait-ok: the poll's interval, inside a deadline
        raise RuntimeError(f"{target.name} did not answer /health within {START_DEADLINE} s")
    finally:
        process.terminate()
        process.wait(10)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.startup",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--rounds", type=int, default=15, help="starts per target (default 15)")
    parser.add_argument(
        "--against", metavar="REVISION", help="also start the trading server at this revision"
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch:
        targets = [
            Target("hello-world", ROOT, "bench.hello", []),
            Target("trading server", ROOT, "trading_server", NO_DELAYS),
        ]
        if args.against:
            tree = checkout(args.against, Path(scratch))
            targets.append(Target(f"at {args.against}", tree, "trading_server", NO_DELAYS))
        figures: dict[str, list[tuple[float, float]]] = {target.name: [] for target in targets}
        for _ in range(args.rounds):
            for target in targets:
                figures[target.name].append(start_once(target))
    baseline = statistics.median(cpu for _, cpu in figures["hello-world"])
    print(f"{args.rounds} starts each, interleaved; medians\n")
    print(f"| {'server':<24} | until /health | CPU used | CPU / hello-world's |")
    print(f"|{'-' * 26}|---------------|----------|---------------------|")
    for name, starts in figures.items():
        wall = statistics.median(seconds for seconds, _ in starts)
        cpu = statistics.median(cpu for _, cpu in starts)
        print(
            f"| {name:<24} | {wall * 1000:>10.0f} ms | {cpu * 1000:>5.0f} ms "
            f"| {cpu / baseline:>19.2f} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
