"""The Redis connection every domain module stores its data through.

A real Redis is the only store that persists. When none is reachable the service can still
start on an in-process fakeredis, so a newcomer sees the service run; it says loudly that
nothing will survive a restart.
"""
from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from typing import Any, Generic, Protocol, TypeVar, cast

import redis.asyncio as aioredis
from redis.typing import EncodableT, FieldT

log = logging.getLogger(__name__)

Redis = aioredis.Redis
KEY_PREFIX = "kep:"


MAX_CONNECTIONS = 500  # per process; live feeds hold one each (Redis allows 10,000 clients)
POOL_WAIT_SECONDS = 10


def key(*parts: str) -> str:
    """One naming scheme for every key, so a `redis-cli --scan 'kep:*'` shows it all."""
    return KEY_PREFIX + ":".join(parts)


async def connect(redis_url: str | None) -> Redis:
    """Connect to `redis_url`, or fall back to an embedded store when there is none."""
    if redis_url:
        # A request beyond the pool waits its turn (up to POOL_WAIT_SECONDS) instead of failing
        # at once: with redis-py's default pool, 100 requests in flight (a flood of anything)
        # made every other request, /healthz included, a 503.
        pool = aioredis.BlockingConnectionPool.from_url(redis_url, decode_responses=True,
                                                        max_connections=MAX_CONNECTIONS, timeout=POOL_WAIT_SECONDS)
        client = aioredis.Redis.from_pool(pool)
        await client.ping()
        return client
    import fakeredis

    log.warning(
        "REDIS_URL is not set: using an embedded in-memory store. "
        "NOTHING WILL PERSIST: bookings are lost when the service stops."
    )
    return fakeredis.FakeAsyncRedis(decode_responses=True)


def listening_client(redis: Redis) -> Redis:
    """A client with a pool of its own for a long-lived subscription, so that it never takes
    one of the connections requests need (the embedded store has no such limit: itself)."""
    pool = redis.connection_pool
    if "server" in pool.connection_kwargs:  # fakeredis: one in-process server
        return redis
    return aioredis.Redis(connection_pool=pool.__class__(
        connection_class=pool.connection_class, **pool.connection_kwargs, max_connections=2))


class Record(Protocol):
    @property
    def id(self) -> str: ...  # read-only: the records are frozen dataclasses

    def to_dict(self) -> dict[str, Any]: ...


R = TypeVar("R", bound=Record)


class RecordDirectory(Generic[R]):
    """Reference data (topics, branches, clerks) kept as one Redis hash of id → JSON.

    These records change rarely and are read whole, so one HGETALL serves every listing.
    """

    def __init__(self, redis: Redis, name: str, parse: Callable[[dict[str, Any]], R]):
        self._redis = redis
        self.key = key(name)
        self._parse = parse

    @staticmethod
    def stored(record: R) -> str:
        """A record as the hash holds it."""
        return json.dumps(record.to_dict(), ensure_ascii=False)

    async def put(self, records: Iterable[R]) -> int:
        mapping: dict[FieldT, EncodableT] = {r.id: self.stored(r) for r in records}
        if mapping:
            await self._redis.hset(self.key, mapping=mapping)
        return len(mapping)

    async def get(self, record_id: str) -> R | None:
        raw = await self._redis.hget(self.key, record_id)
        return self._parse(json.loads(raw)) if raw else None

    async def get_many(self, record_ids: Iterable[str]) -> dict[str, R]:
        ids = list(record_ids)
        raw = await self._redis.hmget(self.key, ids) if ids else []
        return {i: self._parse(json.loads(v)) for i, v in zip(ids, raw, strict=True) if v}

    async def raw(self) -> dict[str, str]:
        """Every record as stored (id → JSON), for a compare-and-set on a record."""
        return cast(dict[str, str], await self._redis.hgetall(self.key))  # decode_responses: str

    async def all(self) -> list[R]:
        raw = await self._redis.hgetall(self.key)
        return sorted((self._parse(json.loads(v)) for v in raw.values()), key=lambda r: r.id)

    async def count(self) -> int:
        return await self._redis.hlen(self.key)
