"""What clerks' consoles hear about, live: bookings made, moved, cancelled, picked up,
handed over mid-call, finished, and citizens arriving in the waiting room.

Published on one Redis pub/sub channel, so every handoff process (and every console
connected to any of them) sees every change; each console filters for its branch and topics.
"""
from __future__ import annotations

import asyncio
import json
from dataclasses import asdict, dataclass
from enum import StrEnum

from .bookings import Booking
from .store import Redis, key

CHANNEL = key("events")


class ChangeKind(StrEnum):
    """What happened to a booking, as the consoles hear it (console.js names each in Greek)."""

    BOOKED = "booked"
    CANCELLED = "cancelled"
    RESCHEDULED = "rescheduled"
    REASSIGNED = "reassigned"
    WAITING = "waiting"  # the citizen came into the waiting room
    PICKED_UP = "picked_up"
    TAKEN_OVER = "taken_over"  # a supervisor gave a live call to another clerk
    FINISHED = "finished"
    NO_SHOW = "no_show"


@dataclass(frozen=True)
class BookingEvent:
    kind: ChangeKind
    reference: str
    branch: str
    topic: str


async def announce(redis: Redis, kind: ChangeKind, booking: Booking) -> None:
    event = BookingEvent(kind, booking.reference, booking.branch, booking.topic)
    await redis.publish(CHANNEL, json.dumps(asdict(event)))


class Subscription:
    """One listener on the channel (a console's live feed); close it when the console leaves."""

    def __init__(self, redis: Redis):
        self._pubsub = redis.pubsub(ignore_subscribe_messages=True)

    async def open(self) -> Subscription:
        await self._pubsub.subscribe(CHANNEL)
        return self

    async def next(self, timeout: float) -> BookingEvent | None:
        """The next event, or None when `timeout` seconds pass without one."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while (remaining := deadline - loop.time()) > 0:
            # None also comes back for the (ignored) subscribe confirmation: keep waiting.
            message = await self._pubsub.get_message(timeout=remaining)
            if message:
                fields = json.loads(message["data"])
                return BookingEvent(**fields | {"kind": ChangeKind(fields["kind"])})
        return None

    async def close(self) -> None:
        await self._pubsub.unsubscribe(CHANNEL)
        await self._pubsub.aclose()
