"""Who is in the waiting room: the citizen's call page sends a heartbeat with its join
token; a booking counts as "waiting" while heartbeats keep coming (each lasts 20 s)."""
from __future__ import annotations

from .store import Redis, key

HEARTBEAT_SECONDS = 20


def presence_key(reference: str) -> str:
    return key("presence", reference)


def _joined_key(reference: str) -> str:
    return key("joined", reference)


async def arrive(redis: Redis, reference: str) -> bool:
    """Record a heartbeat; True when the citizen was not already there (worth announcing)."""
    async with redis.pipeline(transaction=False) as pipe:
        pipe.set(presence_key(reference), "1", nx=True, ex=HEARTBEAT_SECONDS)
        pipe.expire(presence_key(reference), HEARTBEAT_SECONDS)
        pipe.set(_joined_key(reference), "1", ex=7 * 24 * 3600)  # a citizen who came is no no-show
        first, _, _ = await pipe.execute()
    return bool(first)


async def waiting(redis: Redis, references: list[str]) -> set[str]:
    if not references:
        return set()
    present = await redis.mget([presence_key(r) for r in references])
    return {r for r, p in zip(references, present, strict=True) if p}


async def ever_joined(redis: Redis, reference: str) -> bool:
    return bool(await redis.exists(_joined_key(reference)))
