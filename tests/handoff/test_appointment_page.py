"""The citizen's appointment page API without a browser: sign in with the two codes, a short
signed session, the booking as the page shows it, calendar, other times, cancel and move with
the chat's rules; wrong codes, expired sessions, cancelled bookings, a passed deadline."""
from datetime import datetime, timedelta

import pytest

from handoff.appointment_access import SESSION_MINUTES

from .helpers import AUTH, booking_body, first_free_slot
from .test_openapi import response_validator

TOMORROW = "2030-02-05T15:00:00+02:00"  # the fixed clock is Monday 2030-02-04 07:00, Athens


@pytest.fixture
async def booking(client) -> dict:
    slot = await first_free_slot(client, "tax", after=TOMORROW)
    assert slot["start"].startswith("2030-02-05T15:")
    resp = await client.post("/api/bookings", json=booking_body(slot["slot_id"], "tax"), headers=AUTH)
    assert resp.status == 201
    return await resp.json()


async def sign_in(client, booking: dict, code: str | None = None):
    return await client.post("/api/appointment/session",
                             json={"reference": booking["reference"], "manage_code": code or booking["manage_token"]})


async def test_the_codes_open_a_short_session_showing_the_booking(client, booking):
    resp = await sign_in(client, booking)
    assert resp.status == 200, await resp.text()
    cookie = resp.headers["Set-Cookie"]
    assert "kep_appointment=" in cookie and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert "Path=/api/appointment" in cookie and f"Max-Age={SESSION_MINUTES * 60}" in cookie
    assert booking["manage_token"] not in cookie
    view = await resp.json()
    response_validator("/api/appointment/session", "post", "200").validate(view)
    assert view["reference"] == booking["reference"] and view["status_text"] == "Κλεισμένο"
    start = booking["start"][11:16]
    assert view["when"] == f"Τρίτη 5 Φεβρουαρίου, {start}"  # Greek, 24-hour, Athens time
    assert view["topic"] == "Φορολογικά θέματα" and view["branch_phone"]
    assert view["can_change"] is True and view["change_until"] == f"Τρίτη 5 Φεβρουαρίου, 07:{start[3:]}"  # 8 hours before
    assert view["join_url"] == booking["join_url"] and len(view["documents"]) > 1
    # the document they said they will show, named, and not a second time among the topic's
    assert view["documents"][0].startswith("Την αστυνομική σας ταυτότητα") and "Αστυνομική ταυτότητα" not in view["documents"]

    again = await client.get("/api/appointment")  # the cookie carries the session
    assert again.status == 200 and (await again.json())["reference"] == booking["reference"]
    ics = await client.get("/api/appointment/calendar.ics")
    assert ics.status == 200 and ics.content_type == "text/calendar"
    assert booking["reference"] in (await ics.read()).decode()


async def test_the_page_is_served_with_its_form_and_no_inline_script(client):
    resp = await client.get("/appointment")
    assert resp.status == 200 and "script-src 'self'" in resp.headers["Content-Security-Policy"]
    page = await resp.text()
    assert 'lang="el"' in page and "<script>" not in page and 'for="manage-code"' in page
    assert "/static/chat.css" in page and "/static/text.js" in page


async def test_wrong_or_unknown_codes_and_cancelled_bookings_get_one_answer(client, booking):
    slot = await first_free_slot(client, "tax", after=TOMORROW)
    other = await (await client.post("/api/bookings", json=booking_body(slot["slot_id"], "tax"), headers=AUTH)).json()
    cancelled = await client.post(f"/api/bookings/{other['reference']}/cancel", headers={"X-Manage-Token": other["manage_token"]})
    assert cancelled.status == 200
    answers = [await sign_in(client, booking, "ZZZZZZZZZZ"),
               await sign_in(client, {"reference": "KEP-ZZZZZZ", "manage_token": booking["manage_token"]}),
               await sign_in(client, other)]
    bodies = [await r.json() for r in answers]
    assert [r.status for r in answers] == [404, 404, 404]
    assert bodies[0] == bodies[1] == bodies[2] and bodies[0]["error"]["code"] == "no_matching_booking"
    assert "Set-Cookie" not in answers[0].headers
    assert (await client.get("/api/appointment")).status == 401


async def test_codes_are_not_taken_from_the_url(client, booking):
    query = {"reference": booking["reference"], "manage_code": booking["manage_token"], "token": booking["manage_token"]}
    assert (await client.get("/api/appointment", params=query)).status == 401
    resp = await client.post("/api/appointment/session", params=query, json={})
    assert resp.status == 422 and set((await resp.json())["error"]["fields"]) == {"reference", "manage_code"}


async def test_the_session_expires_when_idle_and_is_renewed_while_used(client, booking, clock):
    await sign_in(client, booking)
    clock.now += timedelta(minutes=SESSION_MINUTES - 1)
    assert (await client.get("/api/appointment")).status == 200  # used: renewed from now
    clock.now += timedelta(minutes=SESSION_MINUTES - 1)
    assert (await client.get("/api/appointment")).status == 200
    clock.now += timedelta(minutes=SESSION_MINUTES + 1)
    expired = await client.get("/api/appointment")
    assert expired.status == 401 and "έληξε" in (await expired.json())["error"]["message"]
    response_validator("/api/appointment", "get", "401").validate(await expired.json())


async def test_a_tampered_session_or_a_replaced_code_ends_it(client, booking):
    await sign_in(client, booking)
    jar = client.session.cookie_jar
    [value] = [c.value for c in jar if c.key == "kep_appointment"]
    jar.clear()
    tampered = value[:-2] + ("AA" if not value.endswith("AA") else "BB")
    assert (await client.get("/api/appointment", headers={"Cookie": f"kep_appointment={tampered}"})).status == 401
    assert (await client.get("/api/appointment", headers={"Cookie": f"kep_appointment={value}"})).status == 200

    found = await client.post("/api/bookings/recover", headers=AUTH,
                              json={"sender_id": "chat-1", "document_number": "ΑΒ 123456", "mobile": "6912345678"})
    assert found.status == 200  # a new manage code was issued: the old code's session ends
    assert (await client.get("/api/appointment", headers={"Cookie": f"kep_appointment={value}"})).status == 401


async def test_cancel_with_the_chats_rules(client, booking):
    await sign_in(client, booking)
    refused = await client.post("/api/appointment/cancel", data="{}")  # not JSON: a foreign form cannot do it
    assert refused.status == 400
    resp = await client.post("/api/appointment/cancel", json={})
    assert resp.status == 200, await resp.text()
    view = await resp.json()
    assert view["status"] == "cancelled" and view["can_change"] is False and view["join_url"] is None
    again = await client.post("/api/appointment/cancel", json={})
    assert again.status == 409
    response_validator("/api/appointment/cancel", "post", "409").validate(await again.json())
    assert (await client.get("/api/appointment")).status == 200  # the session shows what happened
    assert (await sign_in(client, booking)).status == 404  # but a cancelled booking is not signed in to again


async def test_other_times_at_the_same_kep_and_moving_to_one(client, booking):
    await sign_in(client, booking)
    resp = await client.get("/api/appointment/slots", params={"after": "2030-02-06T00:00"})
    assert resp.status == 200
    slots = (await resp.json())["slots"]
    response_validator("/api/appointment/slots", "get", "200").validate({"slots": slots})
    assert slots and all(s["start"] >= "2030-02-06" for s in slots)
    moved = await client.post("/api/appointment/reschedule", json={"slot_id": slots[0]["slot_id"]})
    assert moved.status == 200, await moved.text()
    view = await moved.json()
    assert view["start"] == slots[0]["start"] and view["when"] == slots[0]["when"]
    stored = await client.get(f"/api/bookings/{booking['reference']}", headers=AUTH)
    stored = await stored.json()
    assert stored["slot_id"] == slots[0]["slot_id"] and stored["branch"] == booking["branch"]  # the same KEP
    taken = await client.post("/api/appointment/reschedule", json={"slot_id": booking["slot_id"] + "X"})
    assert taken.status in (409, 422)


async def test_after_the_change_deadline_only_the_phone(client, booking, clock):
    clock.now = datetime.fromisoformat(booking["change_deadline"]) + timedelta(minutes=1)
    view = await (await sign_in(client, booking)).json()  # still to come: it can be seen
    assert view["can_change"] is False and view["status"] == "booked" and view["join_url"]
    for path, body in (("/api/appointment/cancel", {}), ("/api/appointment/reschedule", {"slot_id": booking["slot_id"]})):
        resp = await client.post(path, json=body)
        assert resp.status == 409 and (await resp.json())["error"]["code"] == "too_late_to_change"
    stored = await client.get(f"/api/bookings/{booking['reference']}", headers=AUTH)
    assert (await stored.json())["status"] == "booked"


async def test_sign_out_and_too_many_tries(client, booking):
    await sign_in(client, booking)
    out = await client.delete("/api/appointment/session")
    assert out.status == 200
    assert (await client.get("/api/appointment")).status == 401
    statuses = [(await sign_in(client, booking, "WRONG22222")).status for _ in range(6)]
    assert statuses == [404] * 5 + [429]  # six tries on one reference in 15 minutes (one was the sign-in above)
    assert (await sign_in(client, booking)).status == 429
