"""No hoarding: at most N future bookings per ΑΦΜ/ΑΜΚΑ and per mobile, one per topic, checked in
the booking's Lua script (so racing requests cannot get past it)."""
from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta

import pytest

from handoff.app import create_app
from tests.handoff.helpers import AUTH, TOMORROW, booking_body, citizen, first_free_slot


@pytest.fixture
async def limited(aiohttp_client, redis, settings, clock):
    """The service with the default limit: two future bookings, one per topic."""
    return await aiohttp_client(create_app(replace(settings, max_bookings_per_citizen=2), redis=redis, clock=clock))


async def try_booking(client, topic: str, who: dict[str, str] | None = None, after: str = TOMORROW):
    slot = await first_free_slot(client, topic, after=after)
    resp = await client.post("/api/bookings", json=booking_body(slot["slot_id"], topic, citizen=who or citizen()), headers=AUTH)
    return resp.status, await resp.json()


async def test_two_future_bookings_and_one_per_topic(limited):
    assert (await try_booking(limited, "tax"))[0] == 201
    status, body = await try_booking(limited, "tax", after="2030-02-06T08:00:00+02:00")
    assert status == 409 and body["error"]["code"] == "topic_already_booked"
    assert "ίδιο θέμα" in body["error"]["message"]
    assert (await try_booking(limited, "identity_documents"))[0] == 201
    status, body = await try_booking(limited, "civil_registry")
    assert status == 409 and body["error"]["code"] == "too_many_bookings" and "2 ενεργά ραντεβού" in body["error"]["message"]


async def test_the_mobile_counts_as_much_as_the_tax_number(limited):
    for topic in ("tax", "identity_documents"):
        assert (await try_booking(limited, topic))[0] == 201
    same_mobile = citizen(afm="", amka="01013000011", full_name="Άννα Παπαδοπούλου")  # another number, same phone
    status, body = await try_booking(limited, "welfare", same_mobile)
    assert status == 409 and body["error"]["code"] == "too_many_bookings"
    same_afm = citizen(mobile="6987650000")
    assert (await try_booking(limited, "welfare", same_afm))[1]["error"]["code"] == "too_many_bookings"
    someone_else = citizen(afm="090000045", mobile="6987650000", full_name="Κώστας Άλλος", id_card="ΑΚ 765432")
    assert (await try_booking(limited, "welfare", someone_else))[0] == 201


async def test_a_cancelled_or_past_booking_frees_its_place(limited, clock):
    _, first = await try_booking(limited, "tax")
    assert (await try_booking(limited, "identity_documents"))[0] == 201
    cancel = await limited.post(f"/api/bookings/{first['reference']}/cancel", headers={"X-Manage-Token": first["manage_token"]})
    assert cancel.status == 200, await cancel.text()
    assert (await try_booking(limited, "tax"))[0] == 201  # the cancelled one no longer counts
    assert (await try_booking(limited, "welfare"))[1]["error"]["code"] == "too_many_bookings"
    clock.now = clock.now + timedelta(days=3)  # every booking so far is in the past
    assert (await try_booking(limited, "welfare", after=None))[0] == 201


async def test_racing_requests_of_one_citizen_get_no_more_than_the_limit(limited):
    topics = ["tax", "identity_documents", "civil_registry", "welfare", "employment", "authorizations"]
    slots = [await first_free_slot(limited, topic, after=TOMORROW) for topic in topics]
    responses = await asyncio.gather(*(
        limited.post("/api/bookings", json=booking_body(slot["slot_id"], topic), headers=AUTH) for slot, topic in zip(slots, topics, strict=True)
    ))
    statuses = sorted(r.status for r in responses)
    assert statuses == [201, 201, 409, 409, 409, 409]
