"""A fixed-window counter in Redis, shared by every handoff process: the one limiter behind
log-ins, chat messages, bookings and the public API per client address, call offers and
booking recovery."""
from __future__ import annotations

import time
from dataclasses import dataclass

from .errors import TooManyRequests
from .store import Redis, key

# KEYS: a counter. One request less in it, never below zero (a counter already gone stays gone).
_GIVE_BACK = """
if tonumber(redis.call('GET', KEYS[1]) or '0') > 0 then return redis.call('DECR', KEYS[1]) end
return 0
"""


@dataclass(frozen=True)
class Limit:
    """At most `per_window` requests per `window_seconds` for one subject of `bucket` (an
    address, a chat); beyond, 429 with `message` and Retry-After. 0: no limit."""

    bucket: str
    per_window: int
    window_seconds: int
    code: str
    message: str

    async def enforce(self, redis: Redis, subject: str) -> str:
        """Count one request of `subject`, or refuse it (429). Returns the counter it was
        counted in, for `give_back` ('' when there is no limit)."""
        if self.per_window <= 0:
            return ""
        counter = key("rate", self.bucket, subject, str(int(time.time()) // self.window_seconds))
        async with redis.pipeline(transaction=True) as pipe:
            pipe.incr(counter)
            pipe.expire(counter, self.window_seconds * 2)
            count, _ = await pipe.execute()
        if count > self.per_window:
            raise TooManyRequests(None, self.code, self.message,
                                  retry_after=self.window_seconds - int(time.time()) % self.window_seconds)
        return counter

    async def give_back(self, redis: Redis, counter: str) -> None:
        """Uncount a request `enforce` let through that turned out not to be one to count (a
        booking that lost its slot to someone else), in the window it was counted in."""
        if counter:
            await redis.eval(_GIVE_BACK, 1, counter)
