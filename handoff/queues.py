"""Today's queue of each branch and topic, as an operator watches it: appointments still to
come today, citizens in the waiting room now, calls in progress (read when Prometheus scrapes)."""
from __future__ import annotations

from collections import Counter
from datetime import datetime, time, timedelta
from enum import StrEnum

from . import presence
from .bookings import ACTIVE_STATUSES, BookingStatus, BookingStore
from .config import ATHENS
from .store import Redis


class QueueState(StrEnum):
    EXPECTED = "expected"  # booked for later today, or late and not (yet) a no-show
    WAITING = "waiting"  # in the waiting room now
    IN_CALL = "in_call"


async def today(redis: Redis, now: datetime) -> Counter[tuple[str, str, QueueState]]:
    """(branch, topic, state) → appointments, for the rest of today in Athens."""
    local = now.astimezone(ATHENS)
    midnight = datetime.combine(local.date(), time(), ATHENS)
    bookings = [b for b in await BookingStore(redis).starting_between(midnight, midnight + timedelta(days=1))
                if b.status in ACTIVE_STATUSES]
    present = await presence.waiting(redis, [b.reference for b in bookings if b.status is BookingStatus.BOOKED])
    counts: Counter[tuple[str, str, QueueState]] = Counter()
    for b in bookings:
        state = (QueueState.IN_CALL if b.status is BookingStatus.IN_CALL
                 else QueueState.WAITING if b.reference in present else QueueState.EXPECTED)
        counts[(b.branch, b.topic, state)] += 1
    return counts
