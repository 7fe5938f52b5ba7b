"""Fixtures shared by the unit tests: the stores, memory and Redis.

`stores` is one store as several processes share it: `await stores.open()`
gives another handle on the same orders (the memory store: the same object,
as it lives in one process; Redis: another connection to the same server).
Every store test runs once per kind. The Redis half needs `redis-server`
(Debian's redis-server package); this starts one of its own on a free
local port, and skips those cases, saying so, where there is none.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator, Iterator

import pytest

from trading_server.store import Store
from trading_server.store.memory import MemoryStore

#: Events the test stores keep: few, so that retention shows in a few orders.
RETAINED_EVENTS = 5
START_DEADLINE = 10.0


class RedisServer:
    """`redis-server` on a free port of 127.0.0.1, with no persistence."""

    def __init__(self, executable: str) -> None:
        self.directory = tempfile.TemporaryDirectory()
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"redis://127.0.0.1:{self.port}/0"
        # Small stream nodes: `XADD MAXLEN ~` trims whole nodes, so that
        # the retention of a few events shows.
        options = {
            "port": str(self.port),
            "bind": "127.0.0.1",
            "save": "",
            "appendonly": "no",
            "dir": self.directory.name,
            "stream-node-max-entries": str(RETAINED_EVENTS),
        }
        self.process = subprocess.Popen(
            [
                executable,
                *(word for name, value in options.items() for word in (f"--{name}", value)),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + START_DEADLINE
        while not self.answers():
            if time.monotonic() > deadline or self.process.poll() is not None:
                self.stop()
                raise RuntimeError(f"redis-server did not start on port {self.port}")
            time.sleep(0.05)

    def answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as connection:
                connection.sendall(b"PING\r\n")
                return connection.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def flush(self) -> None:
        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as connection:
            connection.sendall(b"FLUSHALL\r\n")
            assert connection.recv(16).startswith(b"+OK")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)
        self.directory.cleanup()


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    executable = shutil.which("redis-server")
    if executable is None:
        pytest.skip("redis-server is not installed: the Redis store's cases need a real one")
    pytest.importorskip("redis", reason="the Redis store needs redis-py (requirements/redis.txt)")
    server = RedisServer(executable)
    yield server
    server.stop()


class SharedStore:
    """One store, opened by as many processes as a test needs."""

    def __init__(self, kind: str, redis: RedisServer | None) -> None:
        self.kind = kind
        self._redis = redis
        self._memory = MemoryStore(retained_events=RETAINED_EVENTS)
        self._handles: list[Store] = []

    async def open(self) -> Store:
        if self._redis is None:
            if not self._handles:
                await self._memory.open()
                self._handles.append(self._memory)
            return self._memory
        from trading_server.store.redis import RedisStore

        store = RedisStore(self._redis.url, retained_events=RETAINED_EVENTS)
        await store.open()
        self._handles.append(store)
        return store

    async def close(self) -> None:
        for store in self._handles:
            await store.close()


@pytest.fixture(params=["memory", "redis"])
async def stores(request: pytest.FixtureRequest) -> AsyncIterator[SharedStore]:
    redis = None
    if request.param == "redis":
        redis = request.getfixturevalue("redis_server")
        redis.flush()
    shared = SharedStore(request.param, redis)
    yield shared
    await shared.close()


@pytest.fixture
async def store(stores: SharedStore) -> Store:
    """The store, as one process sees it."""
    return await stores.open()
