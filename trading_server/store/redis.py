"""Orders kept in Redis, shared by any number of processes on any number of hosts.

Every change is one Lua script, which Redis runs without interleaving
anything else: a transition reads the status, refuses unless `PENDING`,
writes the new status and `updatedAt`, numbers the event (`INCR`) and
appends it to a capped stream whose entry ids are the event numbers
(`<seq>-0`). So exactly one of any number of racing changes wins, and the
stream's order is the order of the changes. One task per process follows
the stream (`XREAD BLOCK`) and hands every event, its own process's and
everyone else's, to the listeners in `seq` order.

Keys, under the `trading:` prefix:
- `orders`: a hash, order id -> the order, encoded compactly (`_encode`);
- `created`: a list of order ids, oldest first (the creation order);
- `due`: a sorted set, order id -> when it is due (seconds since the epoch),
  holding the pending orders; a claim moves the score a lease ahead, so an
  order whose claimer died before executing it is claimed again later;
- `seq`: the latest event number; `events`: the stream;
- `key:<idempotency key>`: a hash per key (`s` state, `p` fingerprint, the answer);
- `control`: a hash, the control state's fields (the `control` extension)
  with a `version` that every change increments and a count of `resets`.
  Each change publishes the whole hash on the channel `trading:control`;
  every process subscribes to it, applies what is newer than what it has
  (by `version`) and confirms on `trading:control-applied`. The process
  that made the change answers once every subscriber confirmed it (PUBLISH
  says how many there are), so the next request, to any process, obeys
  it. A process that was away re-reads the hash when it subscribes again,
  and sees from `resets` that a reset happened meanwhile.

The scripts a process calls during one round of its event loop go to
Redis together, as one pipeline (`_Pipeliner`): redis-py spends about
150 µs of CPU on a command sent alone and under 50 µs on one in a
pipeline, which is most of what a request on this store costs.

redis-py is imported here only: nothing about Redis is needed to run the
platform on the memory store.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import cast

import orjson
from redis import asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError, RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from ..model import Order, OrderNotCancellable, OrderNotFound
from .base import (
    RETAINED_EVENTS,
    ControlListener,
    Event,
    EventListener,
    KeyClaim,
    ResetListener,
    Store,
    StoredAnswer,
    StoreUnavailable,
)

log = logging.getLogger("trading_server.store")

PREFIX = "trading:"
# How long a claimed due order waits for its claimer before anyone may claim it again.
CLAIM_LEASE = 5.0
# How many due orders one `claim_due` hands out at most.
CLAIM_BATCH = 500
# How long an idempotency key stays claimed by a request that never settles it.
KEY_CLAIM_LEASE = 60.0
# Seconds: connecting, then any one command (a command that takes longer is
# an outage, answered 503, rather than a hang).
CONNECT_TIMEOUT = 2.0
COMMAND_TIMEOUT = 5.0
# Connections (so commands and pipelines in flight) per process. More wait their
# turn: redis-py's pool refuses a command past its limit, and that refusal
# is a busy moment, not an outage.
MAX_CONNECTIONS = 100
# The stream follower waits this long for new events per XREAD, and
# retries this often while Redis is away.
FOLLOW_BLOCK_MS = 1000
RECONNECT_INTERVAL = 0.5
# Where each change of the control state is published, to every process,
# and where each process confirms that it applied one (with its version).
CONTROL_CHANNEL = PREFIX + "control"
APPLIED_CHANNEL = PREFIX + "control-applied"
# How long a control change waits for every process to confirm it; a
# process stuck longer than this obeys it late.
APPLIED_DEADLINE = 2.0
# Confirmations remembered per process, for changes made elsewhere.
APPLIED_KEPT = 100
# How long close() waits for a background task to end before cancelling it again.
CANCEL_RETRY_SECONDS = 0.1

_STATUS_LETTER = {"PENDING": "P", "EXECUTED": "E", "CANCELLED": "C"}
_STATUS_NAME = {letter: name for name, letter in _STATUS_LETTER.items()}

# An order is stored as `<status letter><updatedAt>|<createdAt>|[stocks,quantity]`:
# a transition rewrites only what comes before the first `|`, so the
# scripts never parse JSON (re-encoding a quantity in Lua could change it).
_ADD = """
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 0 then return 0 end
redis.call('RPUSH', KEYS[2], ARGV[1])
redis.call('ZADD', KEYS[3], ARGV[3], ARGV[1])
local seq = redis.call('INCR', KEYS[4])
redis.call('XADD', KEYS[5], 'MAXLEN', '~', ARGV[4], seq .. '-0', 'i', ARGV[1], 'o', ARGV[2])
return seq
"""

# Returns {seq, order}: seq 0 with the order as it stands when it is no
# longer pending; no order at all when it is unknown.
_CHANGE = """
local order = redis.call('HGET', KEYS[1], ARGV[1])
if not order then return {} end
if string.sub(order, 1, 1) ~= 'P' then return {0, order} end
order = ARGV[2] .. string.sub(order, (string.find(order, '|', 1, true)))
redis.call('HSET', KEYS[1], ARGV[1], order)
redis.call('ZREM', KEYS[2], ARGV[1])
local seq = redis.call('INCR', KEYS[3])
redis.call('XADD', KEYS[4], 'MAXLEN', '~', ARGV[3], seq .. '-0', 'i', ARGV[1], 'o', order)
return {seq, order}
"""

_GET = """
return {redis.call('GET', KEYS[2]) or '0', redis.call('HGET', KEYS[1], ARGV[1])}
"""

_ALL = """
local ids = redis.call('LRANGE', KEYS[2], 0, -1)
local answer = {redis.call('GET', KEYS[3]) or '0'}
for i = 1, #ids do
  answer[2 * i] = ids[i]
  answer[2 * i + 1] = redis.call('HGET', KEYS[1], ids[i])
end
return answer
"""

# Takes what is due and leases it: each id goes to one caller, and comes
# back after the lease if that caller never changes it.
_CLAIM_DUE = """
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[3])
for i = 1, #ids do redis.call('ZADD', KEYS[1], ARGV[2], ids[i]) end
return ids
"""

_CLAIM_KEY = """
local state = redis.call('HGET', KEYS[1], 's')
if not state then
  redis.call('HSET', KEYS[1], 's', 'f', 'p', ARGV[1])
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return {'claimed'}
end
if state == 'f' then return {'in flight'} end
local used = redis.call('HMGET', KEYS[1], 'p', 'c', 'b', 'h')
if used[1] ~= ARGV[1] then return {'mismatch'} end
return {'used', used[2], used[3], used[4]}
"""

_SETTLE_KEY = """
if ARGV[1] == '' then return redis.call('DEL', KEYS[1]) end
redis.call('HSET', KEYS[1], 's', 'u', 'c', ARGV[1], 'b', ARGV[2], 'h', ARGV[3])
return redis.call('PEXPIRE', KEYS[1], ARGV[4])
"""

# ARGV: only if unset ('1' or '0'), the channel, then field, value, ...
_UPDATE_CONTROL = """
if ARGV[1] == '1' and redis.call('EXISTS', KEYS[1]) == 1 then
  return {0, redis.call('HGETALL', KEYS[1])}
end
if #ARGV > 2 then redis.call('HSET', KEYS[1], unpack(ARGV, 3)) end
redis.call('HINCRBY', KEYS[1], 'version', 1)
local state = redis.call('HGETALL', KEYS[1])
return {redis.call('PUBLISH', ARGV[2], cjson.encode(state)), state}
"""

# Forgets the orders and their events (the idempotency keys are deleted
# next, by SCAN); ARGV: the channel, then the control state's field, value, ...
_RESET = """
local version = redis.call('HINCRBY', KEYS[6], 'version', 1)
local resets = redis.call('HINCRBY', KEYS[6], 'resets', 1)
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6])
redis.call('HSET', KEYS[6], 'version', version, 'resets', resets, unpack(ARGV, 2))
local state = redis.call('HGETALL', KEYS[6])
return {redis.call('PUBLISH', ARGV[1], cjson.encode(state)), state}
"""

_CLAIM_ANSWERS = {
    b"claimed": KeyClaim.CLAIMED,
    b"in flight": KeyClaim.IN_FLIGHT,
    b"mismatch": KeyClaim.MISMATCH,
}


class _Pipeliner:
    """Sends the scripts called during one round of the event loop as one
    pipeline, and hands each caller its own answer (or its own error)."""

    def __init__(
        self, redis: aioredis.Redis, sources: dict[str, str], connections: asyncio.Semaphore
    ) -> None:
        self._redis = redis
        self._sources = sources
        self._shas = {name: redis.register_script(source).sha for name, source in sources.items()}
        self._connections = connections
        self._queued: list[tuple[tuple, asyncio.Future]] = []
        self._sending: set[asyncio.Task] = set()  # the loop keeps only weak references

    def call(self, name: str, keys: list[str], args: tuple) -> asyncio.Future:
        if not self._queued:
            # Its first step comes after every callback already due in this
            # round: the calls they make join the same pipeline.
            sending = asyncio.create_task(self._send())
            self._sending.add(sending)
            sending.add_done_callback(self._sending.discard)
        answer = asyncio.get_running_loop().create_future()
        self._queued.append((("EVALSHA", self._shas[name], len(keys), *keys, *args), answer))
        return answer

    async def _send(self) -> None:
        batch, self._queued = self._queued, []
        try:
            results = await self._run(command for command, _ in batch)
            unloaded = [
                index for index, result in enumerate(results) if isinstance(result, NoScriptError)
            ]
            if unloaded:
                # A Redis restarted since this process loaded the scripts:
                # those commands did not run. Load the scripts and send them again.
                await self._load_scripts()
                for index, result in zip(
                    unloaded, await self._run(batch[i][0] for i in unloaded), strict=True
                ):
                    results[index] = result
        except Exception as error:
            for _, answer in batch:
                if not answer.done():
                    answer.set_exception(error)
            return
        except BaseException:  # cancelled (the server is stopping)
            for _, answer in batch:
                answer.cancel()
            raise
        for (_, answer), result in zip(batch, results, strict=True):
            if answer.done():  # its request went away meanwhile
                continue
            if isinstance(result, Exception):
                answer.set_exception(result)
            else:
                answer.set_result(result)

    async def _run(self, commands) -> list:
        async with self._connections, self._redis.pipeline(transaction=False) as pipeline:
            for command in commands:
                pipeline.execute_command(*command)
            return await pipeline.execute(raise_on_error=False)

    async def _load_scripts(self) -> None:
        async with self._connections:
            for source in self._sources.values():
                await self._redis.script_load(source)


def _encode(order: Order) -> str:
    return (
        f"{_STATUS_LETTER[order.status]}{order.updated_at}|{order.created_at}|"
        + orjson.dumps([order.stocks, order.quantity]).decode()
    )


def _decode(order_id: str, encoded: bytes) -> Order:
    text = encoded.decode()
    head, created_at, rest = text.split("|", 2)
    stocks, quantity = orjson.loads(rest)
    return Order(order_id, stocks, quantity, _STATUS_NAME[head[0]], created_at, head[1:])


class RedisStore(Store):
    shared = True

    def __init__(self, url: str, retained_events: int = RETAINED_EVENTS) -> None:
        # The event stream is trimmed with `MAXLEN ~`, which drops whole
        # stream nodes only: at least this many events stay.
        self._retained_events = retained_events
        self._keys = {
            name: PREFIX + name for name in ("orders", "created", "due", "seq", "events", "control")
        }
        # No retries: a command whose answer was lost may have run, and
        # running a transition twice would turn its win into a refusal.
        options = {"socket_connect_timeout": CONNECT_TIMEOUT, "retry": Retry(NoBackoff(), 0)}
        self._redis = aioredis.from_url(
            url, socket_timeout=COMMAND_TIMEOUT, max_connections=MAX_CONNECTIONS, **options
        )
        self._connections = asyncio.Semaphore(MAX_CONNECTIONS)
        # The follower blocks in XREAD, so it has a connection of its own.
        self._follower_redis = aioredis.from_url(
            url, socket_timeout=FOLLOW_BLOCK_MS / 1000 + COMMAND_TIMEOUT, **options
        )
        # The control channel's subscription has a connection of its own too.
        self._control_redis = aioredis.from_url(
            url, socket_timeout=FOLLOW_BLOCK_MS / 1000 + COMMAND_TIMEOUT, **options
        )
        self._scripts = _Pipeliner(
            self._redis,
            {
                "add": _ADD,
                "change": _CHANGE,
                "get": _GET,
                "all": _ALL,
                "claim_due": _CLAIM_DUE,
                "claim_key": _CLAIM_KEY,
                "settle_key": _SETTLE_KEY,
                "update_control": _UPDATE_CONTROL,
                "reset": _RESET,
            },
            self._connections,
        )
        self._listeners: list[EventListener] = []
        self._follower: asyncio.Task | None = None
        self._control_listeners: list[ControlListener] = []
        self._reset_listeners: list[ResetListener] = []
        self._control_follower: asyncio.Task | None = None
        # (version, resets) of the latest control state this process applied.
        self._control_seen: tuple[int, int] | None = None
        # Control version -> processes that confirmed applying it; and the
        # changes made here that wait for theirs (processes needed, future).
        self._applied: dict[int, int] = {}
        self._applied_waiters: dict[int, tuple[int, asyncio.Future]] = {}
        self._outage: str | None = None  # why Redis is unreachable, while it is

    async def open(self) -> None:
        """Connect; a Redis that cannot be reached now only means 503s until it can."""
        try:
            last_seq = int(await self._redis.get(self._keys["seq"]) or 0)
        except RedisError as error:
            self._lost(error)
            last_seq = None
        self._follower = asyncio.create_task(self._follow(last_seq), name="redis-events")
        self._control_follower = asyncio.create_task(self._follow_control(), name="redis-control")

    async def close(self) -> None:
        for task in (self._follower, self._control_follower):
            # A cancellation landing inside one of redis-py's reads can be
            # swallowed by it (the task then blocked on: close() hung when
            # called just after a command): cancel until it has ended.
            while task is not None and not task.done():
                task.cancel()
                await asyncio.wait({task}, timeout=CANCEL_RETRY_SECONDS)
        await self._redis.aclose()
        await self._follower_redis.aclose()
        await self._control_redis.aclose()

    async def ping(self) -> None:
        await self._call("ping")

    def on_event(self, listener: EventListener) -> None:
        self._listeners.append(listener)

    async def add(self, order: Order, due_at: float) -> Event:
        seq = await self._script(
            "add",
            ("orders", "created", "due", "seq", "events"),
            (order.order_id, _encode(order), repr(due_at), self._retained_events),
        )
        if seq == 0:
            raise ValueError(f"order id {order.order_id} is taken already")
        return Event(seq, order)

    async def get(self, order_id: str) -> tuple[Order, int]:
        seq, encoded = await self._script("get", ("orders", "seq"), (order_id,))
        if encoded is None:
            raise OrderNotFound(order_id)
        return _decode(order_id, encoded), int(seq)

    async def all(self) -> tuple[list[Order], int]:
        seq, *pairs = await self._script("all", ("orders", "created", "seq"), ())
        orders = [_decode(pairs[i].decode(), pairs[i + 1]) for i in range(0, len(pairs), 2)]
        return orders, int(seq)

    async def change(self, order_id: str, status: str, updated_at: str) -> Event:
        answer = await self._script(
            "change",
            ("orders", "due", "seq", "events"),
            (order_id, _STATUS_LETTER[status] + updated_at, self._retained_events),
        )
        if not answer:
            raise OrderNotFound(order_id)
        seq, encoded = answer
        order = _decode(order_id, encoded)
        if seq == 0:
            raise OrderNotCancellable(order)
        return Event(seq, order)

    async def claim_due(self, now: float) -> list[str]:
        ids = await self._script(
            "claim_due", ("due",), (repr(now), repr(now + CLAIM_LEASE), CLAIM_BATCH)
        )
        return [order_id.decode() for order_id in ids]

    async def events_after(self, seq: int) -> list[Event]:
        entries = await self._call("xrange", self._keys["events"], f"({seq}-0", "+")
        return [
            Event(int(entry_id.split(b"-", 1)[0]), _decode_fields(fields))
            for entry_id, fields in entries
        ]

    async def claim_key(self, key: str, fingerprint: str, ttl: float) -> str | StoredAnswer:
        state, *answer = await self._script(
            "claim_key", (), (fingerprint, int(KEY_CLAIM_LEASE * 1000)), keys=[_key(key)]
        )
        if state != b"used":
            return _CLAIM_ANSWERS[state]
        status, body, headers = answer
        return StoredAnswer(int(status), body, orjson.loads(headers))

    async def settle_key(self, key: str, answer: StoredAnswer | None, ttl: float) -> None:
        args: tuple[object, ...]
        if answer is None:
            args = ("", "", "", 0)
        else:
            args = (answer.status, answer.body, orjson.dumps(answer.headers), int(ttl * 1000))
        await self._script("settle_key", (), args, keys=[_key(key)])

    def on_control(self, listener: ControlListener) -> None:
        self._control_listeners.append(listener)

    def on_reset(self, listener: ResetListener) -> None:
        self._reset_listeners.append(listener)

    async def control_state(self) -> dict[str, str]:
        fields = _control_fields(await self._call("hgetall", self._keys["control"]))
        fields.pop("version", None)
        fields.pop("resets", None)
        return fields

    async def update_control(self, fields: dict[str, str], only_if_unset: bool = False) -> None:
        args = ["1" if only_if_unset else "0", CONTROL_CHANNEL]
        for name, value in fields.items():
            args += [name, value]
        receivers, state = await self._script("update_control", ("control",), tuple(args))
        version = self._observe_control(_control_fields(state))
        await self._applied_everywhere(version, receivers)

    async def reset(self, control: dict[str, str]) -> None:
        args = [CONTROL_CHANNEL]
        for name, value in control.items():
            args += [name, value]
        receivers, state = await self._script(
            "reset", ("orders", "created", "due", "seq", "events", "control"), tuple(args)
        )
        # Keys are independent of one another: no need to delete them in the same step.
        async with self._connections:
            with self._trouble_as_unavailable():
                async for key in self._redis.scan_iter(match=_key("*"), count=1000):
                    await self._redis.unlink(key)
        version = self._observe_control(_control_fields(state))
        await self._applied_everywhere(version, receivers)

    async def _applied_everywhere(self, version: int, processes: int) -> None:
        """Wait until `processes` processes confirmed applying `version`
        (at most `APPLIED_DEADLINE`)."""
        if self._applied.get(version, 0) >= processes:
            return
        confirmed = asyncio.get_running_loop().create_future()
        self._applied_waiters[version] = (processes, confirmed)
        try:
            await asyncio.wait_for(confirmed, APPLIED_DEADLINE)
        except asyncio.TimeoutError:
            log.warning(
                "control change %d: %d of %d processes confirmed it within %g s; "
                "the others obey it late",
                version,
                self._applied.get(version, 0),
                processes,
                APPLIED_DEADLINE,
            )
        finally:
            self._applied_waiters.pop(version, None)

    def _confirmed(self, version: int) -> None:
        """One more process applied `version`."""
        count = self._applied[version] = self._applied.get(version, 0) + 1
        for old in [kept for kept in self._applied if kept <= version - APPLIED_KEPT]:
            del self._applied[old]
        waiter = self._applied_waiters.get(version)
        if waiter is not None and count >= waiter[0] and not waiter[1].done():
            waiter[1].set_result(None)

    def _observe_control(self, fields: dict[str, str]) -> int:
        """Apply a control state read or received, unless this process has a
        newer one; its version."""
        version = int(fields.pop("version", 0))
        resets = int(fields.pop("resets", 0))
        seen = self._control_seen
        if seen is not None and version <= seen[0]:
            return version
        self._control_seen = (version, resets)
        try:
            if seen is not None and resets > seen[1]:
                self._follow_from_the_start()
                for reset_listener in self._reset_listeners:
                    reset_listener()
            for listener in self._control_listeners:
                listener(fields)
        except Exception:
            log.exception("the control state (version %d) could not be applied", version)
        return version

    def _follow_from_the_start(self) -> None:
        """After a reset, events are numbered from 1 again: follow them from there."""
        stopping = self._follower
        if stopping is not None:
            stopping.cancel()

        async def follow_anew() -> None:
            if stopping is not None:
                await asyncio.wait([stopping])
                # Its XREAD was cut off: that connection is in no state to reuse.
                await self._follower_redis.connection_pool.disconnect()
            await self._follow(0)

        self._follower = asyncio.create_task(follow_anew(), name="redis-events")

    async def _follow_control(self) -> None:
        """Apply every control state published, for as long as the store is open."""
        while True:
            pubsub = self._control_redis.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(CONTROL_CHANNEL, APPLIED_CHANNEL)
                # What changed while this process was not subscribed.
                self._observe_control(
                    _control_fields(await self._control_redis.hgetall(self._keys["control"]))
                )
                while True:
                    message = await pubsub.get_message(timeout=FOLLOW_BLOCK_MS / 1000)
                    if message is None:
                        continue
                    if message["channel"] == APPLIED_CHANNEL.encode():
                        self._confirmed(int(message["data"]))
                        continue
                    version = self._observe_control(_control_fields(orjson.loads(message["data"])))
                    await self._control_redis.publish(APPLIED_CHANNEL, version)
            except (RedisConnectionError, RedisTimeoutError, OSError):
                # The event follower notices and reports the outage.
                await asyncio.sleep(RECONNECT_INTERVAL)
            finally:
                with contextlib.suppress(RedisError, OSError):
                    await pubsub.aclose()

    async def _script(self, name, key_names, args, keys=None):
        keys = [self._keys[key_name] for key_name in key_names] if keys is None else keys
        if self._outage is not None:
            raise StoreUnavailable(self._outage)
        with self._trouble_as_unavailable():
            return await self._scripts.call(name, keys, args)

    async def _call(self, command: str, *args):
        """Run a command; any Redis trouble is a `StoreUnavailable`.

        While Redis is known to be away, fail at once rather than wait for
        a connection timeout per request; the follower notices its return.
        """
        if self._outage is not None:
            raise StoreUnavailable(self._outage)
        async with self._connections:
            if self._outage is not None:  # it went away while this command waited
                raise StoreUnavailable(self._outage)
            with self._trouble_as_unavailable():
                return await getattr(self._redis, command)(*args)

    @contextlib.contextmanager
    def _trouble_as_unavailable(self):
        try:
            yield
        except (RedisConnectionError, RedisTimeoutError, OSError) as error:
            self._lost(error)
            raise StoreUnavailable(self._outage) from None
        except RedisError as error:
            # Redis answered, but refused (out of memory, read-only replica, ...).
            log.error("Redis refused a command: %s", error)
            raise StoreUnavailable(f"Redis refused: {error}") from None

    def _lost(self, error: Exception) -> None:
        if self._outage is None:
            self._outage = f"Redis at {self._redis_address()} is unreachable ({error})"
            log.error("%s; answering 503 until it is back", self._outage)

    async def _recovered(self) -> None:
        if self._outage is not None:
            # Idle connections from before the outage are dead: drop them. Not
            # those in use: commands sent since the return are on them.
            await self._redis.connection_pool.disconnect(inuse_connections=False)
            self._outage = None
            log.warning("Redis at %s is reachable again", self._redis_address())

    def _redis_address(self) -> str:
        kwargs = self._redis.connection_pool.connection_kwargs
        if "path" in kwargs:
            return kwargs["path"]
        return f"{kwargs.get('host', 'localhost')}:{kwargs.get('port', 6379)}/{kwargs.get('db', 0)}"

    async def _follow(self, last_seq: int | None) -> None:
        """Hand every event to the listeners, in `seq` order, for as long as the store is open.

        `last_seq` is the latest event before this process opened the store
        (`None` when Redis could not be asked: then from the first event
        seen once it can).
        """
        stream = self._keys["events"]
        while True:
            try:
                if last_seq is None:
                    last_seq = int(await self._follower_redis.get(self._keys["seq"]) or 0)
                else:
                    last_seq = await self._check_continuity(last_seq)
                while True:
                    # redis-py types every protocol version's answer at once;
                    # this connection's (RESP2, bytes) is a list of streams.
                    answer = cast(
                        "list[tuple[bytes, list[tuple[bytes, dict[bytes, bytes]]]]]",
                        await self._follower_redis.xread(
                            {stream: f"{last_seq}-0"}, count=1000, block=FOLLOW_BLOCK_MS
                        ),
                    )
                    # Redis answers: whatever made the requests give up on it is over.
                    await self._recovered()
                    for _, entries in answer:
                        for entry_id, fields in entries:
                            last_seq = int(entry_id.split(b"-", 1)[0])
                            self._publish(last_seq, fields)
            except (RedisConnectionError, RedisTimeoutError, OSError) as error:
                self._lost(error)
                await self._follower_redis.connection_pool.disconnect()
                await asyncio.sleep(RECONNECT_INTERVAL)

    async def _check_continuity(self, last_seq: int) -> int:
        """After a reconnection: a Redis that lost its data numbers events from 1 again."""
        seq = int(await self._follower_redis.get(self._keys["seq"]) or 0)
        if seq < last_seq:
            log.warning(
                "Redis lost its data: events are numbered from %d again (this process saw %d)",
                seq + 1,
                last_seq,
            )
            return 0
        return last_seq

    def _publish(self, seq: int, fields: dict[bytes, bytes]) -> None:
        # The follower must outlive any one bad event or failing listener.
        try:
            event = Event(seq, _decode_fields(fields))
            for listener in self._listeners:
                listener(event)
        except Exception:
            log.exception("event %d could not be delivered", seq)


def _control_fields(flat) -> dict[str, str]:
    """HGETALL's answer (a dict of bytes, or a flat list from a script) as text."""
    if isinstance(flat, dict):
        items = list(flat.items())
    else:
        items = [(flat[i], flat[i + 1]) for i in range(0, len(flat), 2)]
    return {_text(name): _text(value) for name, value in items}


def _text(value: bytes | str | int) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _key(idempotency_key: str) -> str:
    return f"{PREFIX}key:{idempotency_key}"


def _decode_fields(fields: dict[bytes, bytes]) -> Order:
    return _decode(fields[b"i"].decode(), fields[b"o"])
