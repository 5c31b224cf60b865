"""Notifications: what a citizen is told about their appointment, and when.

A booking change and its notification are written together: every booking script takes an
`OutboxPlan` (built here) and, in the same Lua script as the change, appends the message to
the outbox stream and (re)schedules or drops the reminders. So there is no change without
its message and no message without its change. The worker (`notify_worker`) delivers them.

Reminders wait in a sorted set scored by their due time, with their message beside them in
a hash; `release_due` moves the due ones into the stream atomically (each exactly once, with
any number of workers). Delivery retries wait in the same set.
"""
from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from .config import ATHENS
from .store import Redis, key

if TYPE_CHECKING:
    from .bookings import Booking

STREAM = key("notifications")
SCHEDULED = key("notifications", "scheduled")  # sorted set: member → due (unix s)
SCHEDULED_PAYLOADS = key("notifications", "scheduled", "payloads")  # hash: member → message JSON
OUTBOX_KEYS = (STREAM, SCHEDULED, SCHEDULED_PAYLOADS)


class NotificationKind(StrEnum):
    BOOKED = "booked"
    RESCHEDULED = "rescheduled"  # the citizen moved it
    CANCELLED = "cancelled"  # the citizen cancelled it
    CANCELLED_BY_SERVICE = "cancelled_by_service"
    MOVED_BY_SERVICE = "moved_by_service"  # the service gave it another time
    NO_SHOW = "no_show"
    REMINDER_DAY = "reminder_day"
    REMINDER_HOURS = "reminder_hours"

    @property
    def is_reminder(self) -> bool:
        return self in (NotificationKind.REMINDER_DAY, NotificationKind.REMINDER_HOURS)


REMINDER_KINDS = (NotificationKind.REMINDER_DAY, NotificationKind.REMINDER_HOURS)
REMINDER_HOURS_BEFORE = 2


def reminder_times(start: datetime) -> dict[NotificationKind, datetime]:
    """One day before at the same time on the Athens clock (across a DST change that is 23 or
    25 hours), and two elapsed hours before."""
    return {
        NotificationKind.REMINDER_DAY: start.astimezone(ATHENS) - timedelta(days=1),  # wall-clock arithmetic
        NotificationKind.REMINDER_HOURS: (start.astimezone(UTC) - timedelta(hours=REMINDER_HOURS_BEFORE)).astimezone(ATHENS),
    }


@dataclass(frozen=True)
class Notification:
    """One message to one citizen about one booking: the facts at the moment of the change
    (the worker renders them; contact details are read from the booking when sending)."""

    id: str  # the idempotency key: one per change, or per reminder of one slot time
    kind: NotificationKind
    reference: str
    start: datetime
    end: datetime
    branch: str
    topic: str
    created_at: datetime  # when the change happened (delivery delay is measured from it)
    previous_start: datetime | None = None  # rescheduled / moved: the old time
    manage_code: str = ""  # booked only: the citizen's code to change or cancel
    reason: str = ""  # cancelled / moved by the service: why, in the supervisor's words
    attempt: int = 0  # delivery attempts that failed so far

    def to_json(self) -> str:
        data: dict[str, Any] = {
            "id": self.id, "kind": self.kind.value, "reference": self.reference,
            "start": self.start.isoformat(), "end": self.end.isoformat(), "branch": self.branch,
            "topic": self.topic, "created_at": self.created_at.isoformat(), "attempt": self.attempt,
        }
        if self.previous_start:
            data["previous_start"] = self.previous_start.isoformat()
        if self.manage_code:
            data["manage_code"] = self.manage_code
        if self.reason:
            data["reason"] = self.reason
        return json.dumps(data, ensure_ascii=False)

    @classmethod
    def from_json(cls, raw: str) -> Notification:
        d = json.loads(raw)
        return cls(
            id=d["id"], kind=NotificationKind(d["kind"]), reference=d["reference"],
            start=datetime.fromisoformat(d["start"]), end=datetime.fromisoformat(d["end"]),
            branch=d["branch"], topic=d["topic"], created_at=datetime.fromisoformat(d["created_at"]),
            previous_start=datetime.fromisoformat(d["previous_start"]) if d.get("previous_start") else None,
            manage_code=d.get("manage_code", ""), reason=d.get("reason", ""), attempt=int(d.get("attempt", 0)),
        )

    def retried(self) -> Notification:
        return replace(self, attempt=self.attempt + 1)

    def restarted(self) -> Notification:
        return replace(self, attempt=0)


def reminder_member(reference: str, kind: NotificationKind) -> str:
    return f"{reference}|{kind.value}"


def retry_member(notification_id: str) -> str:
    return f"retry|{notification_id}"


@dataclass(frozen=True)
class OutboxPlan:
    """What a booking script writes to the outbox with its change: at most one message, the
    reminders to (re)schedule and those to drop."""

    message: Notification | None = None
    schedule: list[tuple[str, float, str]] = field(default_factory=list)  # member, due, payload
    unschedule: list[str] = field(default_factory=list)

    def to_arg(self) -> str:
        return json.dumps({
            "message": self.message.to_json() if self.message else "",
            "schedule": [[m, repr(due), payload] for m, due, payload in self.schedule],
            "unschedule": self.unschedule,
        }, ensure_ascii=False)


SILENT = OutboxPlan()

# A Lua function every booking script starts with; `write_outbox(first_key, plan)` is called
# only once the change is certain. KEYS[first_key..first_key+2] = OUTBOX_KEYS.
LUA_OUTBOX = """
local function write_outbox(k, plan_json)
  local plan = cjson.decode(plan_json)
  if plan.message ~= '' then redis.call('XADD', KEYS[k], '*', 'n', plan.message) end
  for _, member in ipairs(plan.unschedule) do
    redis.call('ZREM', KEYS[k + 1], member)
    redis.call('HDEL', KEYS[k + 2], member)
  end
  for _, item in ipairs(plan.schedule) do
    redis.call('ZADD', KEYS[k + 1], item[2], item[1])
    redis.call('HSET', KEYS[k + 2], item[1], item[3])
  end
end
"""


def _message(kind: NotificationKind, booking: Booking, now: datetime, **facts: Any) -> Notification:
    return Notification(
        id=uuid.uuid4().hex, kind=kind, reference=booking.reference, start=booking.start, end=booking.end,
        branch=booking.branch, topic=booking.topic, created_at=now, **facts,
    )


def _reminders(booking: Booking, now: datetime) -> tuple[list[tuple[str, float, str]], list[str]]:
    """Reminders for the booking's (new) time; those already past (booked later than that)
    are dropped, so a reschedule both moves and, where needed, removes them."""
    schedule, unschedule = [], []
    for kind, due in reminder_times(booking.start).items():
        member = reminder_member(booking.reference, kind)
        if due <= now:
            unschedule.append(member)
            continue
        reminder = Notification(
            id=f"{booking.reference}.{kind.value}.{int(booking.start.timestamp())}", kind=kind,
            reference=booking.reference, start=booking.start, end=booking.end, branch=booking.branch,
            topic=booking.topic, created_at=due,
        )
        schedule.append((member, due.timestamp(), reminder.to_json()))
    return schedule, unschedule


def booked(booking: Booking, manage_code: str, now: datetime) -> OutboxPlan:
    schedule, unschedule = _reminders(booking, now)
    return OutboxPlan(_message(NotificationKind.BOOKED, booking, now, manage_code=manage_code), schedule, unschedule)


def moved(before: Booking, after: Booking, kind: NotificationKind | None, now: datetime, reason: str = "") -> OutboxPlan:
    """The booking at another slot; `kind` None: nothing to tell (another clerk, same time)."""
    schedule, unschedule = _reminders(after, now)
    message = _message(kind, after, now, previous_start=before.start, reason=reason) if kind else None
    return OutboxPlan(message, schedule, unschedule)


def ended(booking: Booking, kind: NotificationKind, now: datetime, reason: str = "") -> OutboxPlan:
    """Cancelled or not attended: the message, and no reminder any more."""
    return OutboxPlan(
        _message(kind, booking, now, reason=reason), [],
        [reminder_member(booking.reference, k) for k in REMINDER_KINDS],
    )


# KEYS: scheduled, scheduled payloads, stream. ARGV: now (unix s), how many at most.
_RELEASE_DUE = """
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
for _, member in ipairs(due) do
  local payload = redis.call('HGET', KEYS[2], member)
  if payload then redis.call('XADD', KEYS[3], '*', 'n', payload) end
  redis.call('ZREM', KEYS[1], member)
  redis.call('HDEL', KEYS[2], member)
end
return #due
"""


class Schedule:
    """Reminders and retries waiting for their time."""

    def __init__(self, redis: Redis):
        self._redis = redis
        self._release = redis.register_script(_RELEASE_DUE)

    async def release_due(self, now: datetime, limit: int = 500) -> int:
        """Move what is due into the stream; returns how many."""
        return await self._release(keys=[SCHEDULED, SCHEDULED_PAYLOADS, STREAM], args=[now.timestamp(), limit])

    async def due_times(self, reference: str) -> dict[NotificationKind, datetime]:
        """When this booking's reminders are due (those still waiting)."""
        members = [reminder_member(reference, k) for k in REMINDER_KINDS]
        scores = await self._redis.zmscore(SCHEDULED, members)
        return {
            kind: datetime.fromtimestamp(score, ATHENS)
            for kind, score in zip(REMINDER_KINDS, scores, strict=True) if score is not None
        }
