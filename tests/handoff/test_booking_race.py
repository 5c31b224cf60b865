"""Booking is atomic: hundreds of citizens racing for one slot, exactly one wins."""
import asyncio
from collections import Counter

import pytest

from handoff.bookings import BookingStore

from .helpers import AUTH, booking_body, citizen, first_free_slot


@pytest.mark.slow
async def test_200_concurrent_bookings_of_one_slot(client, redis):
    slot = await first_free_slot(client)

    async def attempt(i: int) -> int:
        body = booking_body(slot["slot_id"], sender_id=f"chat-{i}", citizen=citizen(full_name=f"Πολίτης Νούμερο{'α' * (i % 7 + 1)}"))
        resp = await client.post("/api/bookings", json=body, headers=AUTH)
        await resp.read()
        return resp.status

    statuses = Counter(await asyncio.gather(*(attempt(i) for i in range(200))))
    assert statuses == {201: 1, 409: 199}
    assert await BookingStore(redis).count_holding(slot["slot_id"]) == 1
    assert await redis.zcard("kep:bookings:by_start") == 1


async def test_cancel_and_rebook_race(client, redis):
    """A freed slot can be taken again, once."""
    slot = await first_free_slot(client, after="2030-02-06T08:00:00+02:00")
    first = await (await client.post("/api/bookings", json=booking_body(slot["slot_id"]), headers=AUTH)).json()
    await client.post(f"/api/bookings/{first['reference']}/cancel", headers=AUTH)
    results = await asyncio.gather(*(
        client.post("/api/bookings", json=booking_body(slot["slot_id"]), headers=AUTH) for _ in range(20)
    ))
    assert Counter(r.status for r in results) == {201: 1, 409: 19}
    assert await BookingStore(redis).count_holding(slot["slot_id"]) == 1
