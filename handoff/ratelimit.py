"""A fixed-window counter in Redis, shared by every handoff process: the one limiter behind
log-ins, chat messages, bookings and the public API per client address, call offers and
booking recovery."""
from __future__ import annotations

import time
from dataclasses import dataclass

from .errors import TooManyRequests
from .store import Redis, key


async def allow(redis: Redis, bucket: str, limit: int, window_seconds: int = 60) -> bool:
    window = int(time.time()) // window_seconds
    counter = key("rate", bucket, str(window))
    async with redis.pipeline(transaction=True) as pipe:
        pipe.incr(counter)
        pipe.expire(counter, window_seconds * 2)
        count, _ = await pipe.execute()
    return count <= limit


@dataclass(frozen=True)
class Limit:
    """At most `per_window` requests per `window_seconds` for one subject of `bucket` (an
    address, a chat); beyond, 429 with `message` and Retry-After. 0: no limit."""

    bucket: str
    per_window: int
    window_seconds: int
    code: str
    message: str

    async def enforce(self, redis: Redis, subject: str) -> None:
        if self.per_window > 0 and not await allow(redis, f"{self.bucket}:{subject}", self.per_window,
                                                    self.window_seconds):
            raise TooManyRequests(None, self.code, self.message,
                                  retry_after=self.window_seconds - int(time.time()) % self.window_seconds)
