"""A clerk's schedule, changed by a supervisor: an absence for a period (whole days or part of
one), or new weekly hours and topics. The clerk's free slots follow in the same step as the
record (`Appointments.put_clerks`), and each of their appointments that no longer fits goes, in this
order of preference, to another clerk of the branch trained in the topic and free at that
time (same time: the citizen is not told); or to the earliest free time for the topic at the
branch, the citizen told the new time and why (they may change it from their appointment
page); or, with no free time at all, it is cancelled and the citizen told why. Audited under
the clerk's id."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, time, timedelta
from typing import Any

from .appointments import Appointments, Clock
from .audit import AuditTrail
from .bookings import Booking, BookingStatus
from .clerks import Absence, Clerk
from .config import ATHENS
from .errors import InvalidFields, NotFound
from .store import Redis
from .working_time import WeeklyHours, parse_weekly_hours

MAX_REASON = 200
HORIZON_DAYS = 60  # beyond any booking horizon
MAX_PAST, MAX_AHEAD = timedelta(days=7), timedelta(days=366)  # how far back an absence may start, ahead end
# What the citizen is told when their appointment has to move (see the module's docstring).
ABSENT = "Ο υπάλληλος που θα σας εξυπηρετούσε απουσιάζει."
RESCHEDULED = "Άλλαξε το ωράριο του υπαλλήλου που θα σας εξυπηρετούσε."


@dataclass(frozen=True)
class Redistribution:
    """Where the appointments that no longer fit the clerk's schedule went."""

    reassigned: list[dict[str, str]] = field(default_factory=list)  # reference, clerk (id), clerk_name
    moved: list[dict[str, str]] = field(default_factory=list)  # reference, start
    cancelled: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"reassigned": self.reassigned, "moved": self.moved, "cancelled": self.cancelled}


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
    elif begins and ends and (begins < now - MAX_PAST or ends > now + MAX_AHEAD):
        errors["end"] = ("period_out_of_range", "Η απουσία ξεκινά έως μία εβδομάδα πίσω και τελειώνει μέσα σε έναν χρόνο.")
    if not isinstance(reason, str) or len(reason.strip()) > MAX_REASON:
        errors["reason"] = ("reason_invalid", f"Ο λόγος έως {MAX_REASON} χαρακτήρες.")
    if errors:
        raise InvalidFields(errors)
    assert begins is not None and ends is not None
    return Absence(begins.date(), (ends - timedelta(microseconds=1)).date() if ends.time() == time(0) else ends.date(),
                   reason.strip(), begins.time() if begins.time() != time(0) else None,
                   ends.time() if ends.time() != time(0) else None)


def parse_absence(raw: dict[str, str]) -> Absence:
    """An absence as the console lists it (start, end, reason, from_time, until)."""
    try:
        return Absence.from_dict(raw)
    except (KeyError, ValueError) as e:
        raise InvalidFields({"absence": ("absence_invalid", "Δώστε την απουσία όπως εμφανίζεται στη λίστα.")}) from e


def _local(value: Any) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None
    if parsed is None:
        return None
    parsed = parsed.replace(second=0, microsecond=0)  # to the minute, as listed
    return parsed.replace(tzinfo=ATHENS) if parsed.tzinfo is None else parsed.astimezone(ATHENS)


def parse_schedule(topics: Any, working_hours: Any, known_topics: set[str]) -> tuple[list[str], WeeklyHours]:
    """Topics (ids of the catalogue, at least one) and weekly hours (`{"mon": [["08:30",
    "14:30"]], …}`), checked."""
    errors: dict[str, tuple[str, str]] = {}
    if not (isinstance(topics, list) and topics and all(isinstance(t, str) and t in known_topics for t in topics)):
        errors["topics"] = ("topics_invalid", "Διαλέξτε τουλάχιστον μία θεματική ενότητα από τον κατάλογο.")
    hours: WeeklyHours = {}
    try:
        if not isinstance(working_hours, dict):
            raise ValueError
        hours = parse_weekly_hours(working_hours)
    except (ValueError, TypeError, AttributeError):
        errors["working_hours"] = ("hours_invalid", "Γράψτε το ωράριο ανά ημέρα ως διαστήματα «08:30-14:30», "
                                   "το καθένα να τελειώνει μετά την αρχή του.")
    if errors:
        raise InvalidFields(errors)
    return sorted(set(topics)), hours


class ClerkSchedule:
    def __init__(self, redis: Redis, appointments: Appointments, clock: Clock):
        self._appointments = appointments
        self._clock = clock
        self._audit = AuditTrail(redis)

    async def add_absence(self, clerk: Clerk, absence: Absence, actor: str) -> Redistribution:
        await self._appointments.put_clerks([replace(clerk, absences=[*clerk.absences, absence])])
        await self._audit.append("clerk.absence_added", actor, clerk.id, self._clock(), **absence.to_dict())
        affected = await self._appointments.bookings.starting_between(absence.begins - timedelta(days=1), absence.ends, clerk.id)
        return await self._redistribute([b for b in affected if absence.overlaps(b.start, b.end)], actor, ABSENT)

    async def remove_absence(self, clerk: Clerk, absence: Absence, actor: str) -> None:
        """An absence entered by mistake or ended early: the slots in it come back (the
        appointments already moved stay where they went)."""
        if absence not in clerk.absences:
            raise NotFound("absence", "absence_not_found", "Δεν βρέθηκε αυτή η απουσία του υπαλλήλου.")
        await self._appointments.put_clerks([replace(clerk, absences=[a for a in clerk.absences if a != absence])])
        await self._audit.append("clerk.absence_removed", actor, clerk.id, self._clock(), **absence.to_dict())

    async def change(self, clerk: Clerk, topics: list[str], hours: WeeklyHours, actor: str) -> Redistribution:
        """New topics and weekly hours; the appointments outside them go elsewhere."""
        changed = replace(clerk, topics=topics, working_hours=hours)
        await self._appointments.put_clerks([changed])
        await self._audit.append("clerk.schedule_changed", actor, clerk.id, self._clock(), topics=topics, working_hours=hours)
        now = self._clock()
        upcoming = await self._appointments.bookings.starting_between(now, now + timedelta(days=HORIZON_DAYS), clerk.id)
        misfits = [b for b in upcoming if not changed.serves(b.topic) or not await self._appointments.fits(b, changed)]
        return await self._redistribute(misfits, actor, RESCHEDULED)

    async def _least_busy(self, clerks: list[Clerk], booking: Booking) -> Clerk:
        """Of the colleagues free at the appointment's time, the one with the fewest
        appointments that day (the first by id on a tie)."""
        day = datetime.combine(booking.start.astimezone(ATHENS).date(), time(0), ATHENS)

        async def load(clerk: Clerk) -> int:
            theirs = await self._appointments.bookings.starting_between(day, day + timedelta(days=1), clerk.id)
            return sum(b.status is not BookingStatus.CANCELLED for b in theirs)

        loads = [await load(c) for c in clerks]
        return clerks[loads.index(min(loads))]

    async def _redistribute(self, bookings: list[Booking], actor: str, reason: str) -> Redistribution:
        done = Redistribution()
        for booking in bookings:
            if booking.status is not BookingStatus.BOOKED:
                continue
            others = await self._appointments.reassignable_clerks(booking)
            if others:
                colleague = await self._least_busy(others, booking)
                await self._appointments.reassign(booking, colleague.id, actor)
                done.reassigned.append({"reference": booking.reference, "clerk": colleague.id, "clerk_name": colleague.name})
                continue
            free = await self._appointments.free_slots(booking.topic, booking.branch, None, 1)
            if free:
                slot = free[0]
                await self._appointments.move_by_service(booking, slot.id, actor, reason)
                done.moved.append({"reference": booking.reference, "start": slot.start.isoformat()})
            else:
                await self._appointments.cancel_by_service(booking, actor, reason)
                done.cancelled.append(booking.reference)
        return done
