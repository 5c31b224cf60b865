"""Appointment slots: cut from clerks' hours (`slots_on`), held in Redis once booked.

A slot is identified by its clerk and UTC start (`clerk@20261201T0700Z`), so a slot id can be
checked against the schedule it claims to come from. Holding a slot is
`SET kep:slot:<id> <reference> NX` inside the booking script (see `bookings`), which is what
makes double booking impossible. The free ones are listed from an index kept in step with the
holds and the clerks' schedules (`slot_index`).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property
from typing import TYPE_CHECKING

from .branches import Branch
from .clerks import Clerk
from .config import ATHENS, Settings
from .errors import Unprocessable
from .store import RecordDirectory, key
from .working_time import intersect, intervals_on, is_public_holiday

if TYPE_CHECKING:
    from .slot_index import SlotIndex

SLOT_ID_TIME = "%Y%m%dT%H%MZ"


@dataclass(frozen=True)
class Slot:
    clerk: str
    branch: str
    start: datetime  # aware, Europe/Athens
    end: datetime

    @cached_property
    def id(self) -> str:
        return f"{self.clerk}@{self.start.astimezone(UTC).strftime(SLOT_ID_TIME)}"

    def to_dict(self) -> dict[str, str]:
        return {
            "slot_id": self.id,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "branch": self.branch,
            "clerk": self.clerk,
        }


def hold_key(slot_id: str) -> str:
    return key("slot", slot_id)


def parse_slot_id(slot_id: str) -> tuple[str, datetime]:
    clerk, sep, stamp = slot_id.partition("@")
    try:
        if not (clerk and sep):
            raise ValueError
        start = datetime.strptime(stamp, SLOT_ID_TIME).replace(tzinfo=UTC)
    except ValueError:
        raise Unprocessable("slot_id", "invalid", "Η ώρα του ραντεβού δεν είναι έγκυρη.") from None
    return clerk, start


def slots_on(clerk: Clerk, branch: Branch, day: date, minutes: int) -> list[Slot]:
    """Every slot of `clerk` on `day`, booked or not; none on holidays or during absences."""
    if is_public_holiday(day) or clerk.absent_on(day):
        return []
    length = timedelta(minutes=minutes)
    slots = []
    for start_t, end_t in intersect(
        intervals_on(clerk.working_hours, day), intervals_on(branch.opening_hours, day)
    ):
        start = datetime.combine(day, start_t, ATHENS)
        end_of_shift = datetime.combine(day, end_t, ATHENS)
        while start + length <= end_of_shift:
            if not clerk.away_during(start, start + length):
                slots.append(Slot(clerk.id, branch.id, start, start + length))
            start += length
    return slots


@dataclass(frozen=True)
class SlotRules:
    minutes: int
    min_lead: timedelta
    horizon: timedelta

    @classmethod
    def from_settings(cls, settings: Settings) -> SlotRules:
        return cls(settings.slot_minutes, timedelta(minutes=settings.min_lead_minutes),
                   timedelta(days=settings.horizon_days))

    def earliest(self, now: datetime) -> datetime:
        return now + self.min_lead


class SlotFinder:
    """Answers "which slots are free" (from the index, see `slot_index`) and "is this slot id
    a real, bookable slot" (from the clerk's schedule)."""

    def __init__(self, index: SlotIndex, roster: RecordDirectory[Clerk], rules: SlotRules):
        self._index = index
        self._roster = roster
        self._rules = rules

    async def free_slots(
        self, topic: str, branch: str | None, after: datetime, now: datetime, limit: int,
        before: datetime | None = None,
    ) -> list[Slot]:
        """The earliest free slots of `topic` (at `branch`, or anywhere) starting in
        [after, before), inside the booking horizon, by start and then clerk."""
        await self._index.top_up(now, wait=False)
        start = max(after, self._rules.earliest(now))
        end = datetime.combine(self._index.window(now).last + timedelta(days=1), time(0), ATHENS)
        if before is not None:
            end = min(end, before)
        found = await self._index.first_free(topic, branch, start, end, limit)
        clerk_ids = {slot_id.partition("@")[0] for slot_id, _ in found}
        branch_of = {c: branch for c in clerk_ids} if branch else {
            c.id: c.branch for c in (await self._roster.get_many(clerk_ids)).values()}
        length = timedelta(minutes=self._rules.minutes)
        slots = []
        for slot_id, at in found:
            clerk = slot_id.partition("@")[0]
            begins = datetime.fromtimestamp(at, ATHENS)
            slots.append(Slot(clerk, branch_of.get(clerk, ""), begins, begins + length))
        return slots

    def resolve(self, slot_id: str, clerk: Clerk | None, branch: Branch | None, now: datetime) -> Slot:
        """The slot `slot_id` names, if the schedule really has it and it is still ahead."""
        clerk_id, start_utc = parse_slot_id(slot_id)
        if clerk is None or branch is None or clerk.id != clerk_id:
            raise Unprocessable("slot_id", "unknown_slot", "Δεν βρέθηκε αυτή η ώρα ραντεβού.")
        start = start_utc.astimezone(ATHENS)
        slot = next(
            (s for s in slots_on(clerk, branch, start.date(), self._rules.minutes) if s.start == start),
            None,
        )
        if slot is None:
            raise Unprocessable("slot_id", "unknown_slot", "Δεν βρέθηκε αυτή η ώρα ραντεβού.")
        if slot.start < self._rules.earliest(now):
            raise Unprocessable(
                "slot_id", "slot_in_past", "Αυτή η ώρα έχει περάσει ή είναι πολύ κοντά. Διαλέξτε μια επόμενη."
            )
        if slot.start > now + self._rules.horizon:
            raise Unprocessable("slot_id", "slot_too_far", "Αυτή η ώρα είναι πολύ μακριά στο μέλλον.")
        return slot
