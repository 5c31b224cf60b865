"""Bookings: a citizen's hold on one clerk's slot, with everything the clerk needs to prepare.

Every state change is one Lua script, so the slot hold, the free-slot index (`slot_index`), the
booking record, its indexes, its audit entry and what the citizen is told (the notification
outbox) change together or not at all. Two citizens racing for one slot both run
`SET kep:slot:<id> <ref> NX`; Redis runs scripts one at a time, so exactly one wins.
"""
from __future__ import annotations

import hashlib
import json
import math
import secrets
from collections import Counter
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, cast

from . import audit, notifications
from .citizens import Citizen, citizen_lookup_key, document_number_key, parse_citizen
from .errors import Conflict, InvalidFields, NotFound
from .links import ManageCodes
from .notifications import LUA_OUTBOX, OUTBOX_KEYS, SILENT, NotificationKind, OutboxPlan
from .slot_index import LUA_SLOT_INDEX, offered_in_key, schedule_key
from .slots import Slot, hold_key
from .store import Redis, key

REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"  # no 0/O, 1/I/L, U: read aloud on a call
MAX_QUESTION = 1000
MAX_TRANSCRIPT_TURNS = 200
MAX_TURN_TEXT = 2000
BY_START = key("bookings", "by_start")


def booking_key(reference: str) -> str:
    return key("booking", reference)


def clerk_queue_key(clerk_id: str) -> str:
    return key("bookings", "clerk", clerk_id)


def handled_key(username: str) -> str:
    """The appointments one clerk picked up, scored by start: their history."""
    return key("bookings", "handled", username)


def citizen_index_key(lookup: str) -> str:
    """The references booked with one identity document number and mobile (see
    `citizens.citizen_lookup_key`): how a citizen who lost every code finds a booking again."""
    return key("bookings", "citizen", lookup)


def holder_keys(citizen: Citizen) -> tuple[str, str]:
    """The two indexes a booking counts in for the per-citizen limit: its ΑΦΜ (or ΑΜΚΑ) and its
    mobile. Hashed, so that the key names no personal data."""
    def index(value: str) -> str:
        return key("bookings", "holder", hashlib.sha256(value.encode()).hexdigest())

    return index(f"afm:{citizen.afm}" if citizen.afm else f"amka:{citizen.amka}"), index(f"mobile:{citizen.mobile}")


def new_reference() -> str:
    return "KEP-" + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(6))


def typed_reference(raw: str) -> str:
    """A reference however a citizen typed it — «kep mbzwhr», «κεπ-MBZWHR», «ΚΕΡ-MBZWHR» on a Greek keyboard,
    «MBZWHR» — as it is stored (KEP-MBZWHR); anything else upper-cased as it was."""
    compact = document_number_key(raw.upper().replace("ΚΕΠ", "KEP"))  # capitals, Greek look-alikes as Latin, no spaces or dashes
    code = compact[3:] if len(compact) == 9 and compact.startswith("KEP") else compact
    return f"KEP-{code}" if len(code) == 6 else raw.strip().upper()


class BookingStatus(StrEnum):
    """Where a booking is in its life. The values are what Redis stores, and the Lua scripts
    below compare them as written ('booked', 'in_call'): a new value means reading those too."""

    BOOKED = "booked"  # the slot is held; the citizen may still change or cancel it
    IN_CALL = "in_call"  # a clerk picked it up
    COMPLETED = "completed"  # the clerk recorded its outcome
    CANCELLED = "cancelled"  # by the citizen or by the service
    NO_SHOW = "no_show"  # the citizen never came


ACTIVE_STATUSES = frozenset({BookingStatus.BOOKED, BookingStatus.IN_CALL})  # still to be served
HANDLED_STATUSES = frozenset({BookingStatus.COMPLETED, BookingStatus.NO_SHOW})  # served, or missed


class Outcome(StrEnum):
    """How a picked-up appointment ended, as its clerk recorded it (stored with the booking)."""

    RESOLVED = "resolved"
    IN_PERSON = "in_person"  # the citizen has to come to the KEP
    FOLLOW_UP = "follow_up"
    ID_REJECTED = "id_rejected"  # the clerk rejected the ID card on camera, which ends the call


@dataclass(frozen=True)
class NewBooking:
    """A booking request as the bot sends it, checked field by field."""

    slot_id: str
    topic: str
    sender_id: str
    question: str
    confidence: float | None
    transcript: list[dict[str, str]]
    citizen: Citizen
    consent: dict[str, bool]


@dataclass(frozen=True)
class Booking:
    reference: str
    status: BookingStatus
    topic: str
    slot_id: str
    clerk: str
    branch: str
    start: datetime
    end: datetime
    sender_id: str
    question: str
    confidence: float | None
    transcript: list[dict[str, str]]
    citizen: dict[str, str]
    consent: dict[str, bool]
    manage_token_hash: str
    created_at: datetime
    updated_at: datetime
    picked_by: str = ""  # the clerk who took it (pick-up); only they may finish it
    outcome: Outcome | None = None  # once finished
    notes: str = ""
    assigned_by: str = ""  # the supervisor who gave it to `clerk`: then only that clerk may take it

    def active_at(self, now: datetime) -> bool:
        """Still to happen at `now`: in its call, or booked and not yet over."""
        return self.status is BookingStatus.IN_CALL or (self.status is BookingStatus.BOOKED and now < self.end)

    def to_public_dict(self) -> dict[str, Any]:
        return {
            "reference": self.reference,
            "status": self.status,
            "topic": self.topic,
            "slot_id": self.slot_id,
            "clerk": self.clerk,
            "branch": self.branch,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "sender_id": self.sender_id,
            "question": self.question,
            "confidence": self.confidence,
            "transcript": self.transcript,
            "citizen": self.citizen,
            "consent": self.consent,
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
            "outcome": self.outcome or "",
        }

    @classmethod
    def from_hash(cls, h: dict[str, str]) -> Booking:
        return cls(
            reference=h["reference"],
            status=BookingStatus(h["status"]),
            topic=h["topic"],
            slot_id=h["slot_id"],
            clerk=h["clerk"],
            branch=h["branch"],
            start=datetime.fromisoformat(h["start"]),
            end=datetime.fromisoformat(h["end"]),
            sender_id=h["sender_id"],
            question=h["question"],
            confidence=float(h["confidence"]) if h["confidence"] else None,
            transcript=json.loads(h["transcript"]),
            citizen=json.loads(h["citizen"]),
            consent=json.loads(h["consent"]),
            manage_token_hash=h["manage_token_hash"],
            created_at=datetime.fromisoformat(h["created_at"]),
            updated_at=datetime.fromisoformat(h["updated_at"]),
            picked_by=h.get("picked_by", ""),
            outcome=Outcome(h["outcome"]) if h.get("outcome") else None,
            notes=h.get("notes", ""),
            assigned_by=h.get("assigned_by", ""),
        )


def _slot_fields(slot: Slot, now: datetime) -> dict[str, str]:
    return {
        "slot_id": slot.id,
        "clerk": slot.clerk,
        "branch": slot.branch,
        "start": slot.start.isoformat(),
        "end": slot.end.isoformat(),
        "updated_at": now.isoformat(),
    }


def _hold_expiry(slot: Slot) -> int:
    """Holds outlive their slot by a day, then Redis forgets them: past slots can't be booked."""
    return int((slot.end + timedelta(days=1)).timestamp())


def _flatten(mapping: dict[str, str]) -> list[str]:
    return [x for pair in mapping.items() for x in pair]


# Every script ends with `write_outbox(k, plan)` (notifications.LUA_OUTBOX): the citizen's
# message and reminders are written with the change, KEYS[k..k+2] = notifications.OUTBOX_KEYS.

# KEYS: hold, booking, by_start, clerk_queue, audit stream, audit subject, outbox (3), citizen index,
#       holder indexes (ΑΦΜ/ΑΜΚΑ, mobile), the clerk's free lists (slot_index.offered_in_key)
# ARGV: reference, hold expiry (unix s), score, audit entry, outbox plan, now (unix s), most future
#       bookings per holder (0: no limit), booking key prefix, topic, slot id, field, value, ...
# A holder index lists every booking made with one ΑΦΜ/ΑΜΚΑ (or mobile); what still counts is
# read at booking time: status `booked` and a start (by_start, so a move counts) after now.
# Those that can no longer count are dropped on the way.
_BOOK = LUA_OUTBOX + LUA_SLOT_INDEX + """
if redis.call('EXISTS', KEYS[2]) == 1 then return -1 end
local most = tonumber(ARGV[7])
if most > 0 then
  for index = 11, 12 do
    local held = 0
    for _, ref in ipairs(redis.call('SMEMBERS', KEYS[index])) do
      local start = redis.call('ZSCORE', KEYS[3], ref)
      local booking = redis.call('HMGET', ARGV[8] .. ref, 'status', 'topic')
      if booking[1] == 'booked' and start and tonumber(start) > tonumber(ARGV[6]) then
        if booking[2] == ARGV[9] then return -2 end
        held = held + 1
      else
        redis.call('SREM', KEYS[index], ref)
      end
    end
    if held >= most then return -3 end
  end
end
if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'EXAT', ARGV[2]) then return 0 end
take_slot(KEYS[13], ARGV[10])
redis.call('HSET', KEYS[2], unpack(ARGV, 11))
redis.call('ZADD', KEYS[3], ARGV[3], ARGV[1])
redis.call('ZADD', KEYS[4], ARGV[3], ARGV[1])
redis.call('SADD', KEYS[10], ARGV[1])
redis.call('SADD', KEYS[11], ARGV[1])
redis.call('SADD', KEYS[12], ARGV[1])
redis.call('XADD', KEYS[5], '*', 'entry', ARGV[4])
redis.call('RPUSH', KEYS[6], ARGV[4])
write_outbox(7, ARGV[5])
return 1
"""

# KEYS: booking, hold, audit stream, audit subject, outbox (3), the clerk's schedule and free lists
# ARGV: reference, expected slot id, updated_at, audit entry, outbox plan
_CANCEL = LUA_OUTBOX + LUA_SLOT_INDEX + """
local status = redis.call('HGET', KEYS[1], 'status')
if not status then return 'missing' end
if status ~= 'booked' then return status end
if redis.call('HGET', KEYS[1], 'slot_id') ~= ARGV[2] then return 'changed' end
redis.call('HSET', KEYS[1], 'status', 'cancelled', 'updated_at', ARGV[3])
if redis.call('GET', KEYS[2]) == ARGV[1] then
  redis.call('DEL', KEYS[2])
  free_slot(KEYS[8], KEYS[9], ARGV[2])
end
redis.call('XADD', KEYS[3], '*', 'entry', ARGV[4])
redis.call('RPUSH', KEYS[4], ARGV[4])
write_outbox(5, ARGV[5])
return 'ok'
"""

# KEYS: booking, old hold, new hold, by_start, old clerk queue, new clerk queue, audit stream, audit subject,
#       outbox (3), old clerk's schedule and free lists, new clerk's free lists
# ARGV: reference, expected slot id, new hold expiry, score, audit entry, outbox plan, new slot id, field,
#       value, ...
_RESCHEDULE = LUA_OUTBOX + LUA_SLOT_INDEX + """
local status = redis.call('HGET', KEYS[1], 'status')
if not status then return 'missing' end
if status ~= 'booked' then return status end
if redis.call('HGET', KEYS[1], 'slot_id') ~= ARGV[2] then return 'changed' end
if not redis.call('SET', KEYS[3], ARGV[1], 'NX', 'EXAT', ARGV[3]) then return 'taken' end
take_slot(KEYS[14], ARGV[7])
if redis.call('GET', KEYS[2]) == ARGV[1] then
  redis.call('DEL', KEYS[2])
  free_slot(KEYS[12], KEYS[13], ARGV[2])
end
redis.call('HSET', KEYS[1], unpack(ARGV, 8))
redis.call('ZADD', KEYS[4], ARGV[4], ARGV[1])
redis.call('ZREM', KEYS[5], ARGV[1])
redis.call('ZADD', KEYS[6], ARGV[4], ARGV[1])
redis.call('XADD', KEYS[7], '*', 'entry', ARGV[5])
redis.call('RPUSH', KEYS[8], ARGV[5])
write_outbox(9, ARGV[6])
return 'ok'
"""

# KEYS: booking, audit stream, audit subject, outbox (3)[, handled index, by_start]
# ARGV: required status, required picked_by ('' = any), audit entry, outbox plan, required slot id
#       ('' = any), reference, field, value, ...
# One status change, only from the expected state: pick-up (booked → in_call, first clerk
# wins, and only while the slot is still the one the clerk saw: a reassignment in between
# wins), finishing (in_call → completed, by the clerk who picked up), no-show (booked → no_show).
# With a handled index, the booking joins it (a clerk's handled appointments), scored by start.
_TRANSITION = LUA_OUTBOX + """
local status = redis.call('HGET', KEYS[1], 'status')
if not status then return 'missing' end
if status ~= ARGV[1] then return status end
if ARGV[2] ~= '' and redis.call('HGET', KEYS[1], 'picked_by') ~= ARGV[2] then return 'not_yours' end
if ARGV[5] ~= '' and redis.call('HGET', KEYS[1], 'slot_id') ~= ARGV[5] then return 'changed' end
redis.call('HSET', KEYS[1], unpack(ARGV, 7))
redis.call('XADD', KEYS[2], '*', 'entry', ARGV[3])
redis.call('RPUSH', KEYS[3], ARGV[3])
write_outbox(4, ARGV[4])
if KEYS[7] then redis.call('ZADD', KEYS[7], redis.call('ZSCORE', KEYS[8], ARGV[6]), ARGV[6]) end
return 'ok'
"""

# KEYS: booking, audit stream, audit subject
# ARGV: new manage code hash, updated_at, audit entry
# A new manage code for a booking still booked or in its call (the citizen lost the old one
# and proved who they are another way); the old code stops working at once.
_NEW_MANAGE_CODE = """
local status = redis.call('HGET', KEYS[1], 'status')
if not status then return 'missing' end
if status ~= 'booked' and status ~= 'in_call' then return status end
redis.call('HSET', KEYS[1], 'manage_token_hash', ARGV[1], 'updated_at', ARGV[2])
redis.call('XADD', KEYS[2], '*', 'entry', ARGV[3])
redis.call('RPUSH', KEYS[3], ARGV[3])
return 'ok'
"""

SLOT_TAKEN = "slot_taken"  # the code of the Conflict raised when another booking got the slot first


def slot_taken() -> Conflict:
    return Conflict("slot_id", SLOT_TAKEN, "Αυτή η ώρα μόλις κλείστηκε από άλλον. Διαλέξτε μια άλλη.")


class BookingStore:
    """Reads and writes bookings in Redis; decides nothing about who may do what."""

    def __init__(self, redis: Redis, codes: ManageCodes | None = None):
        """`codes`: needed to write manage codes (create, replace_manage_token); readers go without."""
        self._redis = redis
        self._codes = codes
        self._book = redis.register_script(_BOOK)
        self._cancel = redis.register_script(_CANCEL)
        self._reschedule = redis.register_script(_RESCHEDULE)
        self._transition = redis.register_script(_TRANSITION)
        self._new_manage_code = redis.register_script(_NEW_MANAGE_CODE)

    def _code_hash(self, manage_token: str) -> str:
        if self._codes is None:
            raise RuntimeError("BookingStore needs ManageCodes to write a manage code")
        return self._codes.hash(manage_token)

    async def get(self, reference: str) -> Booking | None:
        h = cast(dict[str, str], await self._redis.hgetall(booking_key(reference)))  # decode_responses: str
        return Booking.from_hash(h) if h else None

    async def create(self, request: NewBooking, slot: Slot, manage_token: str, now: datetime,
                     most_per_citizen: int = 0) -> Booking:
        """The booking, or the slot_taken() conflict; with `most_per_citizen`, also refused (409) when this
        ΑΦΜ/ΑΜΚΑ or this mobile already holds that many future bookings, or one of the topic."""
        for _ in range(5):
            reference = new_reference()
            fields = {
                "reference": reference,
                "status": BookingStatus.BOOKED,
                "topic": request.topic,
                "sender_id": request.sender_id,
                "question": request.question,
                "confidence": "" if request.confidence is None else repr(request.confidence),
                "transcript": json.dumps(request.transcript, ensure_ascii=False),
                "citizen": json.dumps(request.citizen.to_dict(), ensure_ascii=False),
                "consent": json.dumps(request.consent),
                "manage_token_hash": self._code_hash(manage_token),
                "created_at": now.isoformat(),
                **_slot_fields(slot, now),
            }
            booking = Booking.from_hash(fields)
            line = audit.entry("booking.created", "bot", reference, now, slot_id=slot.id, topic=request.topic)
            result = await self._book(
                keys=[hold_key(slot.id), booking_key(reference), BY_START, clerk_queue_key(slot.clerk),
                      audit.STREAM, audit.subject_key(reference), *OUTBOX_KEYS,
                      citizen_index_key(citizen_lookup_key(request.citizen.id_card, request.citizen.mobile)),
                      *holder_keys(request.citizen), offered_in_key(slot.clerk)],
                args=[reference, _hold_expiry(slot), slot.start.timestamp(), line,
                      notifications.booked(booking, manage_token, now).to_arg(), now.timestamp(), most_per_citizen,
                      booking_key(""), request.topic, slot.id, *_flatten(fields)],
            )
            if result == 1:
                return booking
            if result == 0:
                raise slot_taken()
            if result == -2:
                raise Conflict("citizen", "topic_already_booked",
                               "Με αυτά τα στοιχεία υπάρχει ήδη ραντεβού για το ίδιο θέμα. Αν σας χρειάζεται άλλη ώρα, "
                               "αλλάξτε εκείνο το ραντεβού αντί να κλείσετε δεύτερο.")
            if result == -3:
                raise Conflict("citizen", "too_many_bookings",
                               f"Με αυτά τα στοιχεία υπάρχουν ήδη {most_per_citizen} ενεργά ραντεβού, όσα επιτρέπονται. "
                               "Όταν γίνει ή ακυρωθεί κάποιο, μπορείτε να κλείσετε νέο.")
        raise RuntimeError("could not draw an unused booking reference")

    async def cancel(
        self, booking: Booking, actor: str, now: datetime,
        kind: NotificationKind = NotificationKind.CANCELLED, reason: str = "",
    ) -> None:
        """Cancel (by the citizen, or by the service with a reason the citizen is told)."""
        detail = {"reason": reason} if reason else {}
        event = "booking.cancelled_by_service" if kind is NotificationKind.CANCELLED_BY_SERVICE else "booking.cancelled"
        line = audit.entry(event, actor, booking.reference, now, slot_id=booking.slot_id, **detail)
        result = await self._cancel(
            keys=[booking_key(booking.reference), hold_key(booking.slot_id), audit.STREAM,
                  audit.subject_key(booking.reference), *OUTBOX_KEYS, schedule_key(booking.clerk),
                  offered_in_key(booking.clerk)],
            args=[booking.reference, booking.slot_id, now.isoformat(), line,
                  notifications.ended(booking, kind, now, reason).to_arg()],
        )
        _raise_for_outcome(result, booking.reference)

    async def reschedule(
        self, booking: Booking, slot: Slot, actor: str, now: datetime, event: str = "booking.rescheduled",
        kind: NotificationKind | None = NotificationKind.RESCHEDULED, reason: str = "", assigned_by: str = "",
    ) -> None:
        """Move to another slot: another time (the citizen's wish, or the service's with a
        reason), or another clerk at the same time (reassignment by `assigned_by`: `kind`
        None, nothing to tell; from then on only that clerk may take it)."""
        detail = {"reason": reason} if reason else {}
        line = audit.entry(event, actor, booking.reference, now, from_slot=booking.slot_id, to_slot=slot.id, **detail)
        slot_fields = _slot_fields(slot, now) | {"assigned_by": assigned_by}
        after = replace(booking, slot_id=slot.id, clerk=slot.clerk, branch=slot.branch, start=slot.start, end=slot.end)
        result = await self._reschedule(
            keys=[booking_key(booking.reference), hold_key(booking.slot_id), hold_key(slot.id), BY_START,
                  clerk_queue_key(booking.clerk), clerk_queue_key(slot.clerk), audit.STREAM,
                  audit.subject_key(booking.reference), *OUTBOX_KEYS, schedule_key(booking.clerk),
                  offered_in_key(booking.clerk), offered_in_key(slot.clerk)],
            args=[booking.reference, booking.slot_id, _hold_expiry(slot), slot.start.timestamp(), line,
                  notifications.moved(booking, after, kind, now, reason).to_arg(), slot.id, *_flatten(slot_fields)],
        )
        _raise_for_outcome(result, booking.reference)

    async def transition(
        self, reference: str, event: str, actor: str, now: datetime, *, from_status: BookingStatus, to_status: BookingStatus,
        only_picked_by: str = "", only_slot: str = "", handled_by: str = "", outbox: OutboxPlan = SILENT,
        audit_detail: dict[str, str] | None = None, **fields: str,
    ) -> str:
        """Change the status atomically if it is still `from_status` (and, with `only_slot`,
        the booking still holds that slot; with `only_picked_by`, that clerk still has it); returns
        'ok' or why not ('missing', the current status, 'not_yours' or 'changed'). `outbox`: what
        the citizen is told; `handled_by`: the clerk whose handled appointments it joins;
        `audit_detail`: recorded in the audit entry only, with the changed `fields`."""
        line = audit.entry(event, actor, reference, now, **fields, **(audit_detail or {}))
        changes = {"status": to_status, "updated_at": now.isoformat(), **fields}
        index = [handled_key(handled_by), BY_START] if handled_by else []
        return await self._transition(
            keys=[booking_key(reference), audit.STREAM, audit.subject_key(reference), *OUTBOX_KEYS, *index],
            args=[from_status, only_picked_by, line, outbox.to_arg(), only_slot, reference, *_flatten(changes)],
        )

    async def handled_by(self, username: str, start: datetime | None = None, end: datetime | None = None) -> list[Booking]:
        """The appointments `username` picked up whose slot starts in [start, end), latest first."""
        refs = await self._redis.zrevrangebyscore(
            handled_key(username), f"({end.timestamp()}" if end else "+inf", start.timestamp() if start else "-inf")
        return await self._many(cast(list[str], refs))

    async def _many(self, refs: list[str]) -> list[Booking]:
        async with self._redis.pipeline(transaction=False) as pipe:
            for ref in refs:
                pipe.hgetall(booking_key(ref))
            rows = await pipe.execute() if refs else []
        return [Booking.from_hash(h) for h in rows if h]

    async def replace_manage_token(self, booking: Booking, manage_token: str, actor: str, now: datetime) -> None:
        line = audit.entry("booking.manage_code_replaced", actor, booking.reference, now)
        result = await self._new_manage_code(
            keys=[booking_key(booking.reference), audit.STREAM, audit.subject_key(booking.reference)],
            args=[self._code_hash(manage_token), now.isoformat(), line],
        )
        _raise_for_outcome(result, booking.reference)

    async def booked_with(self, lookup: str) -> list[Booking]:
        """Every booking (any status) made with this document number and mobile."""
        refs = sorted(cast(set[str], await self._redis.smembers(citizen_index_key(lookup))))
        found = [await self.get(ref) for ref in refs]
        return [b for b in found if b is not None]

    async def starting_between(self, start: datetime, end: datetime, clerk: str | None = None) -> list[Booking]:
        """Every booking (any status) whose slot starts in [start, end), in time order; only
        one clerk's (from that clerk's own index) when `clerk` is given."""
        index = clerk_queue_key(clerk) if clerk else BY_START
        return await self._many(cast(list[str], await self._redis.zrangebyscore(index, start.timestamp(), f"({end.timestamp()}")))

    async def holders_by_slot(self) -> Counter[str]:
        """How many `booked` bookings claim each slot — the invariant (never above 1) that
        the race tests and the load benchmark check."""
        refs = cast(list[str], await self._redis.zrange(BY_START, 0, -1))
        async with self._redis.pipeline(transaction=False) as pipe:
            for ref in refs:
                pipe.hmget(booking_key(ref), "slot_id", "status")
            rows = await pipe.execute() if refs else []
        return Counter(slot for slot, status in rows if status == BookingStatus.BOOKED)

    async def count_holding(self, slot_id: str) -> int:
        return (await self.holders_by_slot())[slot_id]


def _raise_for_outcome(result: str, reference: str) -> None:
    """Turn a script's refusal into the error the caller should see."""
    if result == "ok":
        return
    if result == "missing":
        raise NotFound("reference", "booking_not_found", "Δεν βρέθηκε ραντεβού με αυτόν τον κωδικό.")
    if result == "taken":
        raise slot_taken()
    if result == "changed":
        raise Conflict("reference", "booking_changed", "Το ραντεβού μόλις άλλαξε. Δοκιμάστε ξανά.")
    raise Conflict(
        "reference", "booking_not_active", f"Το ραντεβού {reference} δεν είναι πλέον ενεργό ({result})."
    )


def parse_new_booking(body: Any) -> NewBooking:
    """Check the request's shape and content; collect every problem before refusing."""
    if not isinstance(body, dict):
        raise InvalidFields({"body": ("not_object", "Το αίτημα πρέπει να είναι αντικείμενο JSON.")})
    errors: dict[str, tuple[str, str]] = {}

    def text(name: str, required: bool, limit: int) -> str:
        value = body.get(name, "")
        if not isinstance(value, str):
            errors[name] = ("not_text", "Αυτό το πεδίο πρέπει να είναι κείμενο.")
            return ""
        value = value.strip()
        if required and not value:
            errors[name] = ("required", "Αυτό το πεδίο είναι υποχρεωτικό.")
        elif len(value) > limit:
            errors[name] = ("too_long", f"Το κείμενο είναι πολύ μεγάλο (έως {limit} χαρακτήρες).")
        return value

    slot_id = text("slot_id", True, 100)
    topic = text("topic", True, 50)
    sender_id = text("sender_id", False, 200)
    question = text("question", False, MAX_QUESTION)
    confidence = body.get("confidence")
    if confidence is not None and not (
        isinstance(confidence, (int, float)) and not isinstance(confidence, bool)
        and math.isfinite(confidence) and 0 <= confidence <= 1
    ):
        errors["confidence"] = ("confidence_range", "Η βεβαιότητα είναι αριθμός από 0 έως 1.")
        confidence = None
    transcript = _parse_transcript(body.get("transcript", []), errors)
    consent = _parse_consent(body.get("consent"), errors)
    try:
        citizen = parse_citizen(body.get("citizen"))
    except InvalidFields as e:
        errors.update({f"citizen.{k}" if k != "citizen" else k: v for k, v in e.errors.items()})
        citizen = None
    if citizen is not None and "transcript" not in errors and _carries_identity(transcript, citizen):
        errors["transcript"] = (
            "transcript_has_identity",
            "Η συνομιλία δεν πρέπει να περιέχει τα στοιχεία ταυτότητας του πολίτη: τα βλέπει μόνο ο υπάλληλος "
            "που αναλαμβάνει το ραντεβού.",
        )
    if errors:
        raise InvalidFields(errors)
    assert citizen is not None
    return NewBooking(slot_id, topic, sender_id, question, confidence, transcript, citizen, consent)


def _parse_transcript(raw: Any, errors: dict[str, tuple[str, str]]) -> list[dict[str, str]]:
    problem = ("transcript_invalid", "Η συνομιλία πρέπει να είναι λίστα από {sender, text, at}.")
    if not isinstance(raw, list) or len(raw) > MAX_TRANSCRIPT_TURNS:
        errors["transcript"] = problem
        return []
    turns = []
    for turn in raw:
        if not (
            isinstance(turn, dict)
            and turn.get("sender") in ("user", "bot")
            and isinstance(turn.get("text"), str)
            and len(turn["text"]) <= MAX_TURN_TEXT
            and isinstance(turn.get("at", ""), str)
        ):
            errors["transcript"] = problem
            return []
        turns.append({"sender": turn["sender"], "text": turn["text"], "at": turn.get("at", "")})
    return turns


def _carries_identity(transcript: list[dict[str, str]], citizen: Citizen) -> bool:
    """Does any turn name the citizen or hold one of their numbers, however written? Every
    clerk of the branch reads the transcript before anyone picks the appointment up."""
    numbers = {document_number_key(v) for v in (citizen.id_card, citizen.afm, citizen.amka, citizen.mobile.removeprefix("+30")) if v}
    words = {" ".join(citizen.full_name.casefold().split())} | ({citizen.email.casefold()} if citizen.email else set())
    for turn in transcript:
        squashed, spaced = document_number_key(turn["text"]), " ".join(turn["text"].casefold().split())
        if any(n in squashed for n in numbers) or any(w in spaced for w in words):
            return True
    return False


def _parse_consent(raw: Any, errors: dict[str, tuple[str, str]]) -> dict[str, bool]:
    names = ("video_call", "show_id", "data_processing")
    if not isinstance(raw, dict) or any(raw.get(n) is not True for n in names):
        errors["consent"] = (
            "consent_required",
            "Χρειάζεται η συγκατάθεσή σας για τη βιντεοκλήση, την επίδειξη της ταυτότητας και την "
            "επεξεργασία των στοιχείων σας.",
        )
        return {}
    return {n: True for n in names}
