"""The audit trail: an append-only record of who changed what, and when.

Entries go to one global Redis stream (for operators and exports) and to a list per subject
(a booking's history, read by the clerk). Writers that must be atomic with their change —
the booking scripts — append through the same keys inside their Lua script.
"""
from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from .store import Redis, key

STREAM = key("audit")


def subject_key(subject: str) -> str:
    return key("audit", subject)


def entry(event: str, actor: str, subject: str, at: datetime, **detail: Any) -> str:
    return json.dumps(
        {"event": event, "actor": actor, "subject": subject, "at": at.isoformat(), **detail},
        ensure_ascii=False,
    )


class AuditTrail:
    def __init__(self, redis: Redis):
        self._redis = redis

    async def append(self, event: str, actor: str, subject: str, at: datetime, **detail: Any) -> None:
        line = entry(event, actor, subject, at, **detail)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.xadd(STREAM, {"entry": line})
            pipe.rpush(subject_key(subject), line)
            await pipe.execute()

    async def history(self, subject: str) -> list[dict[str, Any]]:
        return [json.loads(x) for x in await self._redis.lrange(subject_key(subject), 0, -1)]
