"""Starting and stopping the platform's processes (the suite never imports
them: it runs `python -m ...` as a user would)."""

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

from steps.support.api import ApiClient

START_DEADLINE = 30
STOP_DEADLINE = 10


# Ports handed out to the suite's processes, one file each: the parallel
# runner's workers start servers at the same moments, and a port the system
# gave one of them stays free until its server binds it, so the system could
# give it to another meanwhile (two workers then tested one server).
PORT_CLAIMS = Path(tempfile.gettempdir()) / "trading-suite-ports"
# Long enough for the process a port was meant for to have bound it.
PORT_CLAIM_SECONDS = 120


def free_port():
    """A free local port that no other process of the suite was given in the
    last PORT_CLAIM_SECONDS."""
    PORT_CLAIMS.mkdir(exist_ok=True)
    _forget_old_port_claims()
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        try:
            os.close(os.open(PORT_CLAIMS / str(port), os.O_CREAT | os.O_EXCL))
        except FileExistsError:
            continue
        return port


def _forget_old_port_claims():
    now = time.time()
    for claim in PORT_CLAIMS.iterdir():
        with contextlib.suppress(OSError):  # another process may remove it first
            if now - claim.stat().st_mtime > PORT_CLAIM_SECONDS:
                claim.unlink()


def stop_process(process):
    """Ask politely (SIGTERM, or TerminateProcess on Windows), then insist."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=STOP_DEADLINE)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=STOP_DEADLINE)


class LocalServer:
    """`python -m trading_server` on a free local port (or on `port`), its output in a log
    file (a pipe nobody reads could fill up and block the server)."""

    def __init__(self, *extra_args, env=None, port=None):
        self.port = port or free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        # Open as long as the server runs; stop() closes it.
        self.log = tempfile.TemporaryFile()  # noqa: SIM115
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "trading_server",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                *extra_args,
            ],
            stdin=subprocess.DEVNULL,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            env=env,
        )

    def wait_until_healthy(self):
        deadline = time.monotonic() + START_DEADLINE
        while time.monotonic() < deadline:
            try:
                if requests.get(self.base_url + "/health", timeout=2).status_code == 200:
                    return
            # Its socket may take connections before the server answers them
            # (a busy machine): ask again until the deadline.
            except (requests.ConnectionError, requests.Timeout):
                pass
            try:
                # Doubles as the pause between attempts and as a crash check.
                self.process.wait(timeout=0.1)
            except subprocess.TimeoutExpired:
                continue
            raise RuntimeError(
                f"the server exited with status {self.process.returncode}:\n" + self.output()
            )
        raise RuntimeError(
            f"the server did not answer /health within {START_DEADLINE} s:\n" + self.output()
        )

    def output(self):
        self.log.seek(0)
        return self.log.read().decode("utf-8", "replace")

    def stop(self):
        stop_process(self.process)
        self.log.close()


class ReportsServer(LocalServer):
    """A server publishing a fresh reports folder. Beside the folder lies a
    file that a path escaping the folder would reach."""

    def __init__(self, report_name, report_content, outside_name, outside_content, env=None):
        self.root = tempfile.TemporaryDirectory()
        reports_dir = os.path.join(self.root.name, "reports")
        os.mkdir(reports_dir)
        for folder, name, content in (
            (reports_dir, report_name, report_content),
            (self.root.name, outside_name, outside_content),
        ):
            with open(os.path.join(folder, name), "w", encoding="utf-8") as file:
                file.write(content)
        super().__init__("--reports-dir", reports_dir, env=env)

    def stop(self):
        super().stop()
        self.root.cleanup()


class RedisServer:
    """`redis-server` on a free local port, with a temporary directory of its
    own; its append-only file keeps the data across `take_down()` and `start()`,
    as a real deployment's would. Never the system's service."""

    EXECUTABLE = shutil.which("redis-server")

    def __init__(self):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.directory = tempfile.TemporaryDirectory()
        self.start()

    def start(self):
        if self.EXECUTABLE is None:
            raise RuntimeError("redis-server is not installed")
        self.process = subprocess.Popen(
            [
                self.EXECUTABLE,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--dir",
                self.directory.name,
                "--appendonly",
                "yes",
                "--save",
                "",
                "--daemonize",
                "no",
                "--logfile",
                "redis.log",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + START_DEADLINE
        while not self._answers_ping():
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise RuntimeError(
                    f"redis-server did not start on port {self.port}:\n" + self.output()
                )
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=0.05)  # the pause between attempts

    def _answers_ping(self):
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as connection:
                connection.sendall(b"PING\r\n")
                return connection.recv(64).startswith(b"+PONG")
        except OSError:
            return False

    def output(self):
        try:
            with open(
                os.path.join(self.directory.name, "redis.log"), encoding="utf-8", errors="replace"
            ) as log:
                return log.read()
        except OSError:
            return ""

    def take_down(self):
        """An outage: SIGTERM, on which Redis writes its append-only file and exits."""
        stop_process(self.process)

    def stop(self):
        stop_process(self.process)
        self.directory.cleanup()


def run_to_exit(args, env, timeout=START_DEADLINE):
    """Run a command that is expected to stop by itself."""
    return subprocess.run(
        [sys.executable, *args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
    )


def clean_environment(**variables):
    """The suite's environment without TRADING_* settings, plus `variables`."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("TRADING_")}
    env.update(variables)
    return env


class OutputWatcher:
    """A long-running command whose stdout lines are collected by a thread."""

    def __init__(self, args, env=None):
        self.lines = []
        self._changed = threading.Condition()
        self.process = subprocess.Popen(
            [sys.executable, *args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            encoding="utf-8",
            errors="replace",
            env=env,
        )
        assert self.process.stdout is not None  # a pipe, asked for above
        self._output = self.process.stdout
        self._reader = threading.Thread(target=self._read, name="output-watcher", daemon=True)
        self._reader.start()

    def _read(self):
        for line in self._output:
            with self._changed:
                self.lines.append(line.rstrip("\r\n"))
                self._changed.notify_all()

    def wait_for_line(self, predicate, timeout, what):
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for line in self.lines:
                    if predicate(line):
                        return line
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(
                        f"no line {what} within {timeout:.0f} s; the output was: {self.lines!r}"
                    )
                self._changed.wait(remaining)

    def stop(self):
        stop_process(self.process)
        self._reader.join(timeout=STOP_DEADLINE)
        self._output.close()


def use_own_platform(context, *args, port=None, env=None):
    """Start a platform for this scenario and point its steps at it.

    Every step that talks to "the platform" (`context.api`, `base_url`,
    `feed_url`) then uses it until the scenario ends: behave drops what a
    scenario sets on the context. The hooks stop it.
    """
    server = LocalServer(*args, port=port, env=env)
    context.processes.append(server)
    server.wait_until_healthy()
    context.api.close()
    context.api = ApiClient(server.base_url)
    context.base_url = server.base_url
    context.feed_url = context.api.feed_url
    context.platform = server
    return server


# -- Processes a scenario starts: after_scenario stops them and closes their clients.

WATCHER_DEADLINE = 10


def client_of_started(context, server):
    """Wait for a server the scenario started; its process and client are closed by the hooks."""
    context.processes.append(server)
    server.wait_until_healthy()
    client = ApiClient(server.base_url)
    context.clients.append(client)
    return client


def start_watcher(context, url):
    context.watcher = OutputWatcher(["-m", "trading_server.watch", url])
    context.processes.append(context.watcher)


def start_following_watcher(context, url):
    start_watcher(context, url)
    # This watcher announces its connection; events before that would be missed.
    context.watcher.wait_for_line(
        lambda line: "connected" in line.lower(), WATCHER_DEADLINE, "announcing the connection"
    )
