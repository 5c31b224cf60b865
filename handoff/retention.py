"""Retention and erasure of citizens' personal data.

A booking's personal data — the citizen's identity and contact details, the question, the
transcript, the clerk's notes, the reasons the citizen was told, the chat id and the manage
code's hash — is erased `HANDOFF_RETENTION_DAYS` after its slot ended (a sweep, every hour, in
every process; erasing twice is harmless), or at once on request (`python -m handoff erase`).
What stays is what the service needs to account for itself without naming anyone: the
reference, topic, branch, clerk, times, status and outcome, and the audit trail's events with
who acted and when, but without the free text. Every erasure is itself an audit event, and a
request is recorded with its basis and the references it erased (never with the number it
was asked for).
"""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from redis.typing import EncodableT, FieldT

from . import audit
from .bookings import BY_START, Booking, BookingStore, booking_key, citizen_index_key, holder_keys
from .citizens import Citizen, citizen_lookup_key
from .errors import Conflict
from .store import Redis, key

PERSONAL_FIELDS: dict[FieldT, EncodableT] = {"citizen": "{}", "question": "", "transcript": "[]", "notes": "", "sender_id": "",
                   "manage_token_hash": ""}
PERSONAL_DETAIL = ("notes", "reason")  # audit details in someone's own words
ERASURES = key("erasures")  # one JSON line per erasure request
SWEEP_BATCH = 500


@dataclass(frozen=True)
class ErasureReport:
    erased: list[str]
    still_active: list[str]  # upcoming or in a call: cancel first (the citizen is told), then erase


def _scrubbed(line: str) -> str:
    entry = json.loads(line)
    for name in PERSONAL_DETAIL:
        if entry.get(name):
            entry[name] = "[διαγράφηκε]"
    return json.dumps(entry, ensure_ascii=False)


class PersonalData:
    def __init__(self, redis: Redis, clock: Callable[[], datetime], retention_days: int):
        self._redis = redis
        self._bookings = BookingStore(redis)
        self._clock = clock
        self._retention = timedelta(days=retention_days)

    async def sweep(self) -> list[str]:
        """Erase what is past its retention: bookings whose slot ended more than the retention
        period ago. Returns the references erased now."""
        now = self._clock()
        cutoff = now - self._retention
        refs = cast(list[str], await self._redis.zrangebyscore(BY_START, "-inf", cutoff.timestamp()))  # decode_responses: str
        erased: list[str] = []
        for start in range(0, len(refs), SWEEP_BATCH):
            async with self._redis.pipeline(transaction=False) as pipe:
                for ref in refs[start:start + SWEEP_BATCH]:
                    pipe.hmget(booking_key(ref), "end", "erased_at")
                rows = await pipe.execute()
            due = [ref for ref, (end, erased_at) in zip(refs[start:start + SWEEP_BATCH], rows, strict=True)
                   if end and not erased_at and datetime.fromisoformat(end) <= cutoff]
            for ref in due:
                booking = await self._bookings.get(ref)
                if booking:
                    await self._erase(booking, "retention", "retention_period", now)
                    erased.append(ref)
        await self._scrub_audit_stream(set(erased))
        return erased

    async def erase_on_request(self, bookings: list[Booking], basis: str, actor: str = "operator") -> ErasureReport:
        """Erase now (the citizen asked, or another lawful basis). Bookings still to happen are
        left alone and listed: the appointment has to be cancelled first."""
        now = self._clock()
        active = [b.reference for b in bookings if b.active_at(now)]
        todo = [b for b in bookings if b.reference not in active and b.citizen]  # an empty citizen: erased already
        for booking in todo:
            await self._erase(booking, actor, basis, now)
        await self._scrub_audit_stream({b.reference for b in todo})
        report = ErasureReport([b.reference for b in todo], active)
        await self._redis.rpush(ERASURES, json.dumps({
            "at": now.isoformat(), "actor": actor, "basis": basis, "erased": report.erased, "left_active": report.still_active,
        }, ensure_ascii=False))
        return report

    async def bookings_of(self, *, afm: str = "", amka: str = "", reference: str = "") -> list[Booking]:
        """Every booking (any status, any time) made with this ΑΦΜ or ΑΜΚΑ, or with this reference."""
        if reference:
            booking = await self._bookings.get(reference.strip().upper())
            return [booking] if booking else []
        if not (afm or amka):
            raise Conflict(None, "selector_required", "Δώστε ΑΦΜ, ΑΜΚΑ ή κωδικό ραντεβού.")
        found = []
        for ref in cast(list[str], await self._redis.zrange(BY_START, 0, -1)):
            raw = await self._redis.hget(booking_key(ref), "citizen")
            citizen = json.loads(raw) if raw else {}
            if (afm and citizen.get("afm") == afm) or (amka and citizen.get("amka") == amka):
                booking = await self._bookings.get(ref)
                if booking:
                    found.append(booking)
        return found

    async def _erase(self, booking: Booking, actor: str, basis: str, now: datetime) -> None:
        history = cast(list[str], await self._redis.lrange(audit.subject_key(booking.reference), 0, -1))
        line = audit.entry("booking.personal_data_erased", actor, booking.reference, now, basis=basis)
        citizen = booking.citizen
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(booking_key(booking.reference), mapping=PERSONAL_FIELDS | {"erased_at": now.isoformat()})
            if citizen.get("mobile"):
                pipe.srem(citizen_index_key(citizen_lookup_key(citizen.get("id_card", ""), citizen["mobile"])),
                          booking.reference)
                known = Citizen(**{f: citizen.get(f, "") for f in Citizen.__dataclass_fields__})
                for index in holder_keys(known):
                    pipe.srem(index, booking.reference)
            pipe.delete(audit.subject_key(booking.reference))
            if history:
                pipe.rpush(audit.subject_key(booking.reference), *[_scrubbed(x) for x in history])
            pipe.rpush(audit.subject_key(booking.reference), line)
            pipe.xadd(audit.STREAM, {"entry": line})
            await pipe.execute()

    async def _scrub_audit_stream(self, references: set[str]) -> None:
        """The global audit stream cannot be edited in place: an entry of these bookings that
        holds free text is replaced by a copy without it (its own `at` keeps the time)."""
        if not references:
            return
        last = "-"
        while True:
            entries = cast(list[tuple[str, dict[str, str]]], await self._redis.xrange(audit.STREAM, min=last, max="+", count=1000))
            if last != "-":
                entries = entries[1:]
            if not entries:
                return
            for stream_id, fields in entries:
                entry = json.loads(fields["entry"])
                if entry.get("subject") in references and any(entry.get(n) not in (None, "", "[διαγράφηκε]") for n in PERSONAL_DETAIL):
                    async with self._redis.pipeline(transaction=True) as pipe:
                        pipe.xdel(audit.STREAM, stream_id)
                        pipe.xadd(audit.STREAM, {"entry": _scrubbed(fields["entry"])})
                        await pipe.execute()
            last = entries[-1][0]
