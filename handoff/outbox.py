"""The notification stream as a work queue for any number of workers.

Workers read through one consumer group, so each entry goes to one of them; an entry stays
pending until its worker settles it, and a worker that dies leaves its entries pending for
another to take over (`XAUTOCLAIM`). Settling is one MULTI: acknowledged and deleted (the
stream holds only what is still to do, and the manage code of a confirmation does not stay
behind), and, when it failed, either scheduled again (backoff) or put with the failed ones,
which supervisors see and can send again.
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from redis.exceptions import ResponseError

from .notifications import SCHEDULED, SCHEDULED_PAYLOADS, STREAM, Notification, retry_member
from .store import Redis, key

log = logging.getLogger(__name__)

GROUP = "notify"
FAILED = key("notifications", "failed")  # hash: notification id → JSON (the notification, why, when)


@dataclass(frozen=True)
class Entry:
    stream_id: str
    notification: Notification | None  # None: the payload could not be read
    raw: str


def _entries(rows: list[Any]) -> list[Entry]:
    entries = []
    for stream_id, fields in rows:
        if not fields:  # deleted meanwhile
            continue
        raw = fields.get("n", "")
        try:
            notification: Notification | None = Notification.from_json(raw)
        except (ValueError, KeyError, TypeError):
            log.error("unreadable notification %s: %r", stream_id, raw[:200])
            notification = None
        entries.append(Entry(stream_id, notification, raw))
    return entries


# KEYS: failed, stream. ARGV: notification id, its message with the attempts reset.
_REQUEUE = """
if redis.call('HDEL', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('XADD', KEYS[2], '*', 'n', ARGV[2])
return 1
"""


class Outbox:
    def __init__(self, redis: Redis):
        self._redis = redis
        self._requeue = redis.register_script(_REQUEUE)

    async def ensure_group(self) -> None:
        """From the start of the stream: what was written before any worker existed is read too."""
        try:
            await self._redis.xgroup_create(STREAM, GROUP, id="0", mkstream=True)
        except ResponseError as e:
            if "BUSYGROUP" not in str(e):
                raise

    async def read(self, consumer: str, count: int, block_ms: int) -> list[Entry]:
        rows = cast(list[list[Any]], await self._redis.xreadgroup(GROUP, consumer, {STREAM: ">"}, count=count, block=block_ms))
        return _entries(rows[0][1]) if rows else []  # [[stream, [(id, fields), ...]]]

    async def claim(self, consumer: str, min_idle_ms: int, count: int = 50) -> list[Entry]:
        """Entries another worker has held for `min_idle_ms` without settling them (it died)."""
        _, rows, *_ = await self._redis.xautoclaim(STREAM, GROUP, consumer, min_idle_ms, start_id="0-0", count=count)
        return _entries(rows)

    async def done(self, entry: Entry) -> None:
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.xack(STREAM, GROUP, entry.stream_id)
            pipe.xdel(STREAM, entry.stream_id)
            await pipe.execute()

    async def retry_later(self, entry: Entry, notification: Notification, due: datetime) -> None:
        member = retry_member(notification.id)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(SCHEDULED_PAYLOADS, member, notification.to_json())
            pipe.zadd(SCHEDULED, {member: due.timestamp()})
            pipe.xack(STREAM, GROUP, entry.stream_id)
            pipe.xdel(STREAM, entry.stream_id)
            await pipe.execute()

    async def give_up(self, entry: Entry, errors: dict[str, str], at: datetime) -> None:
        n = entry.notification
        record = {
            "id": n.id if n else entry.stream_id, "kind": n.kind.value if n else "", "reference": n.reference if n else "",
            "attempts": n.attempt + 1 if n else 1, "errors": errors, "failed_at": at.isoformat(), "notification": entry.raw,
        }
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(FAILED, str(record["id"]), json.dumps(record, ensure_ascii=False))
            pipe.xack(STREAM, GROUP, entry.stream_id)
            pipe.xdel(STREAM, entry.stream_id)
            await pipe.execute()

    async def failed(self) -> list[dict[str, Any]]:
        """What could not be delivered, newest first (the message itself stays inside)."""
        records = [json.loads(v) for v in (await self._redis.hvals(FAILED))]
        return sorted(records, key=lambda r: r["failed_at"], reverse=True)

    async def send_again(self, notification_id: str) -> bool:
        """A failed notification back into the stream with fresh attempts (after the cause was
        fixed); channels that had already delivered it are not used again."""
        raw = await self._redis.hget(FAILED, notification_id)
        if raw is None:
            return False
        try:
            message = Notification.from_json(json.loads(raw)["notification"]).restarted().to_json()
        except (ValueError, KeyError, TypeError):
            return False
        return bool(await self._requeue(keys=[FAILED, STREAM], args=[notification_id, message]))

    async def counts(self) -> dict[str, int]:
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.xlen(STREAM)
            pipe.zcard(SCHEDULED)
            pipe.hlen(FAILED)
            queued, scheduled, failed = await pipe.execute()
        return {"queued": queued, "scheduled": scheduled, "failed": failed}
