"""A fixed-window counter in Redis: enough to stop a script hammering the chat, shared by
every handoff process."""
from __future__ import annotations

import time

from .store import Redis, key


async def allow(redis: Redis, bucket: str, limit: int, window_seconds: int = 60) -> bool:
    window = int(time.time()) // window_seconds
    counter = key("rate", bucket, str(window))
    async with redis.pipeline(transaction=True) as pipe:
        pipe.incr(counter)
        pipe.expire(counter, window_seconds * 2)
        count, _ = await pipe.execute()
    return count <= limit
