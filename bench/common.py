"""What every benchmark shares: servers started on free ports and pinned to a
core, their CPU time and memory read from /proc, and small statistics."""

from __future__ import annotations

import math
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
WRK_DIR = BENCH / "wrk"
RESULTS_DIR = BENCH / "results"

# The server gets core 0, the load generator or the clients core 1.
SERVER_CORE = 0
CLIENT_CORE = 1

NO_DELAYS = ["--response-delay", "0,0", "--execution-delay", "0,0", "--quiet"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def pin_self_to(core: int) -> None:
    cores = os.cpu_count()
    if hasattr(os, "sched_setaffinity") and cores is not None and cores > core:
        os.sched_setaffinity(0, {core})


def taskset(core: int) -> list[str]:
    if shutil.which("taskset") and (os.cpu_count() or 1) > core:
        return ["taskset", "-c", str(core)]
    return []


@dataclass
class LogLine:
    at: float
    text: str


@dataclass
class Server:
    """A server process on a free loopback port, pinned to SERVER_CORE."""

    name: str
    module: str
    args: list[str] = field(default_factory=list)
    port: int = 0
    process: subprocess.Popen | None = None
    lines: list[LogLine] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def start(self, timeout: float = 20.0) -> Server:
        self.port = free_port()
        command = [
            *taskset(SERVER_CORE),
            sys.executable,
            "-m",
            self.module,
            "--port",
            str(self.port),
            *self.args,
        ]
        self.process = subprocess.Popen(
            command,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        threading.Thread(target=self._collect_output, daemon=True).start()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited: {self.output()}")
            try:
                with urllib.request.urlopen(self.url + "/health", timeout=1) as answer:
                    if answer.status == 200:
                        return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"{self.name} did not answer /health within {timeout} s")

    def _collect_output(self) -> None:
        assert self.process is not None
        assert self.process.stdout is not None
        for text in self.process.stdout:
            self.lines.append(LogLine(time.time(), text.rstrip("\n")))

    def output(self) -> str:
        return "\n".join(line.text for line in self.lines[-20:])

    def cpu_seconds(self) -> float:
        """User + system CPU time of every thread of the server so far (ns precision)."""
        return process_cpu_seconds(self.pid)

    def rss_bytes(self) -> int:
        return process_rss_bytes(self.pid)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def trading_server(*args: str) -> Server:
    return Server("trading server", "trading_server", list(args or NO_DELAYS))


def hello_world() -> Server:
    return Server("hello-world", "bench.hello")


def process_cpu_seconds(pid: int) -> float:
    """On-CPU time from /proc/PID/task/*/schedstat (nanoseconds), falling back
    to utime + stime from /proc/PID/stat (clock ticks)."""
    total_ns = 0
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/schedstat") as stats:
                total_ns += int(stats.read().split()[0])
        return total_ns / 1e9
    except (OSError, ValueError, IndexError):
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def process_rss_bytes(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        match = re.search(r"^VmRSS:\s+(\d+) kB", status.read(), re.MULTILINE)
    return int(match.group(1)) * 1024 if match else 0


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100) by nearest rank; nan for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(q / 100 * len(ordered))))
    return ordered[rank - 1]


def median(values: list[float]) -> float:
    return percentile(values, 50)
