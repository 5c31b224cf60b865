"""Finding a lost booking again (POST /api/bookings/recover): with the codes, or with the
identity document and mobile; one answer for every miss; attempts limited."""
from datetime import datetime, timedelta

import pytest

from .helpers import AUTH, booking_body, citizen, first_free_slot
from .test_openapi import response_validator

TOMORROW = "2030-02-05T08:00:00+02:00"


async def book(client, topic="tax", after=TOMORROW, **person) -> dict:
    slot = await first_free_slot(client, topic, after=after)
    resp = await client.post("/api/bookings", json=booking_body(slot["slot_id"], topic, citizen=citizen(**person)), headers=AUTH)
    assert resp.status == 201, await resp.text()
    return await resp.json()


async def recover(client, sender="chat-7", **details):
    return await client.post("/api/bookings/recover", json={"sender_id": sender, **details}, headers=AUTH)


async def test_reference_and_manage_code_find_the_booking(client):
    booking = await book(client)
    resp = await recover(client, reference=booking["reference"].lower(), manage_code=booking["manage_token"].lower())
    assert resp.status == 200, await resp.text()
    body = await resp.json()
    response_validator("/api/bookings/recover", "post", "200").validate(body)
    [found] = body["bookings"]
    assert found["reference"] == booking["reference"] and found["start"] == booking["start"]
    assert found["manage_token"] == booking["manage_token"].lower() and found["new_manage_token"] is False
    assert found["join_url"].startswith("http://kep.test/call/") and "calendar.ics" in found["calendar_url"]


async def test_every_miss_gets_the_same_answer(client, clock):
    booking, cancelled, past = await book(client), await book(client), await book(client, after="2030-02-04T09:00:00+02:00")
    resp = await client.post(f"/api/bookings/{cancelled['reference']}/cancel", headers={"X-Manage-Token": cancelled["manage_token"]})
    assert resp.status == 200
    clock.now = datetime.fromisoformat(past["end"]) + timedelta(minutes=1)
    assert clock.now < datetime.fromisoformat(booking["start"])
    attempts = [
        {"reference": booking["reference"], "manage_code": "ZZZZZZZZZZ"},  # wrong code
        {"reference": "KEP-ZZZZZZ", "manage_code": booking["manage_token"]},  # no such booking
        {"reference": cancelled["reference"], "manage_code": cancelled["manage_token"]},  # cancelled
        {"reference": past["reference"], "manage_code": past["manage_token"]},  # already over
        {"document_number": "ΑΒ 123456", "mobile": "6900000001"},  # another mobile
        {"document_number": "ΑΒ 654321", "mobile": "6912345678"},  # another document
    ]
    answers = []
    for number, details in enumerate(attempts):
        resp = await recover(client, sender=f"chat-{number}", **details)
        answers.append((resp.status, await resp.json()))
    assert {status for status, _ in answers} == {404}
    assert len({str(body) for _, body in answers}) == 1, answers
    assert answers[0][1]["error"]["code"] == "no_matching_booking"
    response_validator("/api/bookings/recover", "post", "404").validate(answers[0][1])


async def test_document_and_mobile_find_every_upcoming_booking_with_a_new_code(client):
    first = await book(client, "tax")
    second = await book(client, "vehicles", id_card="Χ 765432")
    other = await book(client, "vehicles", after="2030-02-06T08:00:00+02:00", id_card="Χ 765432", mobile="6977777777")
    resp = await recover(client, document_number="x-765432", mobile="+30 691 234 5678")  # Latin X, spaces, +30
    assert resp.status == 200, await resp.text()
    [found] = (await resp.json())["bookings"]
    assert found["reference"] == second["reference"] and found["new_manage_token"] is True
    assert found["manage_token"] != second["manage_token"]

    old = await client.get(f"/api/bookings/{second['reference']}", headers={"X-Manage-Token": second["manage_token"]})
    new = await client.get(f"/api/bookings/{second['reference']}", headers={"X-Manage-Token": found["manage_token"]})
    assert (old.status, new.status) == (404, 200)  # the old code no longer opens it
    assert other["reference"] != found["reference"] and first["reference"] != found["reference"]

    both = await book(client, "identity_documents", id_card="Χ 765432")
    resp = await recover(client, sender="chat-8", document_number="Χ765432", mobile="6912345678")
    refs = [b["reference"] for b in (await resp.json())["bookings"]]
    assert sorted(refs) == sorted([second["reference"], both["reference"]])


@pytest.mark.parametrize("details,field", [
    ({"document_number": "ΑΒ 123456", "mobile": "12"}, "mobile"),
    ({"document_number": "12", "mobile": "6912345678"}, "document_number"),
    ({}, "body"),
])
async def test_malformed_details_are_a_422_naming_the_field(client, details, field):
    resp = await recover(client, **details)
    assert resp.status == 422
    assert field in (await resp.json())["error"]["fields"]


async def test_only_the_bot_may_ask(client):
    booking = await book(client)
    resp = await client.post("/api/bookings/recover", json={"sender_id": "x", "reference": booking["reference"],
                                                            "manage_code": booking["manage_token"]})
    assert resp.status == 401


async def test_attempts_are_limited_per_target_and_per_chat(client):
    booking = await book(client)
    statuses = [(await recover(client, sender=f"chat-{n}", reference=booking["reference"], manage_code="WRONGCODE2")).status
                for n in range(7)]
    assert statuses == [404] * 6 + [429]
    right = await recover(client, sender="chat-new", reference=booking["reference"], manage_code=booking["manage_token"])
    assert right.status == 429  # even with the right code, while the reference is locked
    assert "1500" in (await right.json())["error"]["message"]
    error = (await right.json())["error"]  # the shared limiter's 429: when to come back, as every limit says
    assert error["code"] == "too_many_attempts" and 0 < error["retry_after"] <= 15 * 60
    assert right.headers["Retry-After"] == str(error["retry_after"])

    statuses = [(await recover(client, sender="one-chat", reference=f"KEP-{n}AAAAA", manage_code="X")).status for n in range(2, 9)]
    assert statuses == [404] * 6 + [429]
