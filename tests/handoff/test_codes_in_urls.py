"""No manage code in a URL (URLs end up in access logs, proxies and browser histories): the
calendar link is a signed, expiring link to the .ics alone, and the API takes the code only
from a header."""
from __future__ import annotations

from datetime import datetime, timedelta

from .helpers import book


async def test_the_calendar_link_carries_no_code_and_opens_only_its_own_ics(client, clock):
    booking, other = await book(client), await book(client, "welfare")
    link = booking["calendar_url"].removeprefix("http://kep.test")
    assert booking["manage_token"] not in link and "token=" not in link
    assert (await client.get(link)).status == 200
    signature = link.split("link=")[1]
    moved = await client.get(f"/api/bookings/{other['reference']}/calendar.ics", params={"link": signature})
    assert moved.status == 403 and (await moved.json())["error"]["code"] == "calendar_link_invalid"
    assert (await client.get(f"/api/bookings/{booking['reference']}/calendar.ics", params={"link": signature[:-2] + "xx"})).status == 403
    clock.now = datetime.fromisoformat(booking["end"]) + timedelta(days=1)  # after the appointment and its grace
    assert (await client.get(link)).status == 403


async def test_a_manage_code_in_the_query_is_ignored(client):
    booking = await book(client)
    ref, code = booking["reference"], booking["manage_token"]
    assert (await client.get(f"/api/bookings/{ref}", params={"token": code})).status == 404
    assert (await client.get(f"/api/bookings/{ref}/calendar.ics", params={"token": code})).status == 404
    assert (await client.get(f"/api/bookings/{ref}", headers={"X-Manage-Token": code})).status == 200


async def test_manage_codes_are_stored_as_keyed_hashes(client, redis):
    import hashlib

    booking = await book(client)
    stored = await redis.hget(f"kep:booking:{booking['reference']}", "manage_token_hash")
    assert stored and booking["manage_token"] not in stored
    assert stored != hashlib.sha256(booking["manage_token"].encode()).hexdigest()  # not a plain hash anyone can try
    # a booking stored with the old plain SHA-256 still opens with its code
    await redis.hset(f"kep:booking:{booking['reference']}", "manage_token_hash",
                     hashlib.sha256(booking["manage_token"].encode()).hexdigest())
    assert (await client.get(f"/api/bookings/{booking['reference']}", headers={"X-Manage-Token": booking["manage_token"]})).status == 200
