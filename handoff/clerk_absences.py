"""A supervisor marks a clerk absent for a period (whole days or part of one). The clerk's
slots in it disappear at once (slots are cut from the roster entry on demand), and each of
their appointments in it goes, in this order of preference, to another clerk of the branch
trained in the topic and free at that time (same time: the citizen is not told); or to the
earliest free time for the topic at the branch, the citizen told the new time and why (they
may change it from their appointment page); or, with no free time at all, it is cancelled
and the citizen told why. Audited under the clerk's id."""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta
from typing import Any

from .appointments import Appointments, Clock
from .audit import AuditTrail
from .clerks import Absence, Clerk
from .config import ATHENS
from .errors import InvalidFields
from .store import Redis

MAX_REASON = 200
TOLD_TO_THE_CITIZEN = "Ο υπάλληλος που θα σας εξυπηρετούσε απουσιάζει."


@dataclass(frozen=True)
class AbsenceReport:
    absence: Absence
    reassigned: list[dict[str, str]]  # reference, clerk (id), clerk_name
    moved: list[dict[str, str]]  # reference, start
    cancelled: list[str]

    def to_dict(self) -> dict[str, Any]:
        return {"absence": self.absence.to_dict(), "reassigned": self.reassigned, "moved": self.moved,
                "cancelled": self.cancelled}


def parse_period(start: Any, end: Any, reason: Any, now: datetime) -> Absence:
    """«2030-02-04T13:00» (Athens time, as a datetime-local field sends it) to «…T19:40»;
    a period that has ended already or ends before it starts is refused."""
    errors: dict[str, tuple[str, str]] = {}
    begins, ends = _local(start), _local(end)
    if begins is None:
        errors["start"] = ("start_invalid", "Γράψτε από πότε (ημερομηνία και ώρα).")
    if ends is None:
        errors["end"] = ("end_invalid", "Γράψτε έως πότε (ημερομηνία και ώρα).")
    if begins and ends and not begins < ends:
        errors["end"] = ("end_before_start", "Το τέλος της απουσίας πρέπει να είναι μετά την αρχή της.")
    elif ends and ends <= now:
        errors["end"] = ("in_the_past", "Η απουσία έχει ήδη τελειώσει.")
    if not isinstance(reason, str) or len(reason.strip()) > MAX_REASON:
        errors["reason"] = ("reason_invalid", f"Ο λόγος έως {MAX_REASON} χαρακτήρες.")
    if errors:
        raise InvalidFields(errors)
    assert begins is not None and ends is not None
    return Absence(begins.date(), (ends - timedelta(microseconds=1)).date() if ends.time() == time(0) else ends.date(),
                   reason.strip(), begins.time() if begins.time() != time(0) else None,
                   ends.time() if ends.time() != time(0) else None)


def _local(value: Any) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None
    if parsed is None:
        return None
    return parsed.replace(tzinfo=ATHENS) if parsed.tzinfo is None else parsed.astimezone(ATHENS)


class ClerkAbsences:
    def __init__(self, redis: Redis, appointments: Appointments, clock: Clock):
        self._appointments = appointments
        self._clock = clock
        self._audit = AuditTrail(redis)

    async def add(self, clerk: Clerk, absence: Absence, actor: str) -> AbsenceReport:
        now = self._clock()
        await self._appointments.clerks.put([replace(clerk, absences=[*clerk.absences, absence])])
        await self._audit.append("clerk.absence_added", actor, clerk.id, now, **absence.to_dict())
        reassigned, moved, cancelled = [], [], []
        affected = await self._appointments.bookings.starting_between(absence.begins - timedelta(days=1), absence.ends, clerk.id)
        for booking in affected:
            if booking.status != "booked" or not absence.overlaps(booking.start, booking.end):
                continue
            others = await self._appointments.reassignable_clerks(booking)
            if others:
                await self._appointments.reassign(booking, others[0].id, actor)
                reassigned.append({"reference": booking.reference, "clerk": others[0].id, "clerk_name": others[0].name})
                continue
            [slot, *_] = await self._appointments.free_slots(booking.topic, booking.branch, None, 1) or [None]
            if slot is not None:
                await self._appointments.move_by_service(booking, slot.id, actor, TOLD_TO_THE_CITIZEN)
                moved.append({"reference": booking.reference, "start": slot.start.isoformat()})
            else:
                await self._appointments.cancel_by_service(booking, actor, TOLD_TO_THE_CITIZEN)
                cancelled.append(booking.reference)
        return AbsenceReport(absence, reassigned, moved, cancelled)
