"""The booking contract the bot relies on: book, look up, calendar file, reschedule, cancel."""
from datetime import datetime, timedelta

import pytest
from icalendar import Calendar

from handoff.api.appointment import STATUS_TEXT
from handoff.api.keys import APPOINTMENTS
from handoff.bookings import BookingStatus, BookingStore, typed_reference

from .helpers import AUTH, TOMORROW, book, booking_body, first_free_slot


async def test_booking_round_trip(client):
    slot = await first_free_slot(client, "tax")
    assert slot["start"] == "2030-02-04T08:30:00+02:00"  # first morning slot after the hour of lead time
    resp = await client.post("/api/bookings", json=booking_body(slot["slot_id"]), headers=AUTH)
    assert resp.status == 201
    booking = await resp.json()
    assert booking["reference"].startswith("KEP-") and booking["status"] == "booked"
    assert (booking["start"], booking["clerk"], booking["branch"]) == (slot["start"], slot["clerk"], slot["branch"])
    assert booking["join_url"].startswith("http://kep.test/call/")
    assert booking["citizen"]["mobile"] == "+306912345678"
    assert booking["transcript"][0]["sender"] == "user" and booking["confidence"] == 0.93

    headers = {"X-Manage-Token": booking["manage_token"]}
    resp = await client.get(f"/api/bookings/{booking['reference']}", headers=headers)
    assert resp.status == 200
    assert (await resp.json())["question"] == "Θέλω να κάνω τη φορολογική μου δήλωση"

    # the slot is no longer offered
    assert (await first_free_slot(client, "tax"))["slot_id"] != slot["slot_id"]


async def test_calendar_file_is_a_valid_ics(client):
    booking = await book(client)
    resp = await client.get(booking["calendar_url"].removeprefix("http://kep.test"))
    assert resp.status == 200 and resp.content_type == "text/calendar"
    event = Calendar.from_ical(await resp.read()).walk("VEVENT")[0]
    assert event.decoded("dtstart") == datetime.fromisoformat(booking["start"])
    assert booking["reference"] in str(event.get("description"))
    assert len(event.subcomponents) == 2  # reminders a day and two hours before


async def test_cancel_frees_the_slot_and_is_audited(client, redis):
    booking = await book(client)
    headers = {"X-Manage-Token": booking["manage_token"]}
    resp = await client.post(f"/api/bookings/{booking['reference']}/cancel", headers=headers)
    assert resp.status == 200 and (await resp.json())["status"] == "cancelled"
    assert (await first_free_slot(client, after=TOMORROW))["slot_id"] == booking["slot_id"]
    again = await client.post(f"/api/bookings/{booking['reference']}/cancel", headers=headers)
    assert again.status == 409
    history = await redis.lrange(f"kep:audit:{booking['reference']}", 0, -1)
    assert ['"booking.created"' in history[0], '"booking.cancelled"' in history[1]] == [True, True]
    assert await redis.xlen("kep:audit") == 2


async def test_a_booking_reads_back_with_its_status_stored_as_before(client, redis):
    booking = await book(client)
    store = BookingStore(redis)
    assert (await store.get(booking["reference"])).status is BookingStatus.BOOKED
    await client.post(f"/api/bookings/{booking['reference']}/cancel", headers={"X-Manage-Token": booking["manage_token"]})
    assert (await store.get(booking["reference"])).status is BookingStatus.CANCELLED
    assert await redis.hget(f"kep:booking:{booking['reference']}", "status") == "cancelled"  # the stored value


def test_the_appointment_page_names_every_status_in_greek():
    assert set(STATUS_TEXT) == set(BookingStatus)


async def test_reschedule_moves_the_hold(client, redis):
    booking = await book(client)
    later = await first_free_slot(client, after="2030-02-05T10:00:00+02:00")
    resp = await client.post(
        f"/api/bookings/{booking['reference']}/reschedule", json={"slot_id": later["slot_id"]}, headers=AUTH
    )
    assert resp.status == 200, await resp.text()
    moved = await resp.json()
    assert moved["slot_id"] == later["slot_id"] and moved["start"] == later["start"]
    store = BookingStore(redis)
    assert await store.count_holding(later["slot_id"]) == 1
    assert await redis.get(f"kep:slot:{booking['slot_id']}") is None
    assert await redis.get(f"kep:slot:{later['slot_id']}") == booking["reference"]


async def test_reschedule_onto_a_taken_slot_is_409_and_keeps_the_booking(client):
    first, second = await book(client), await book(client)
    resp = await client.post(
        f"/api/bookings/{first['reference']}/reschedule", json={"slot_id": second["slot_id"]}, headers=AUTH
    )
    assert resp.status == 409 and (await resp.json())["error"]["code"] == "slot_taken"
    still = await (await client.get(f"/api/bookings/{first['reference']}", headers=AUTH)).json()
    assert still["slot_id"] == first["slot_id"] and still["status"] == "booked"


async def test_changes_are_refused_inside_the_notice(client, clock):
    booking = await book(client, after=None)
    clock.now = clock.now + timedelta(hours=1)  # appointment at 08:30, it is now 08:00
    resp = await client.post(f"/api/bookings/{booking['reference']}/cancel", headers=AUTH)
    assert resp.status == 409
    body = await resp.json()
    assert body["error"]["code"] == "too_late_to_change" and "8 ώρες" in body["error"]["message"]


async def test_booking_needs_the_service_token(client):
    slot = await first_free_slot(client)
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic x"}):
        resp = await client.post("/api/bookings", json=booking_body(slot["slot_id"]), headers=headers)
        assert resp.status == 401
        assert (await resp.json())["error"]["code"] == "service_token_required"


async def test_manage_token_guards_a_booking(client):
    booking = await book(client)
    ref = booking["reference"]
    assert (await client.get(f"/api/bookings/{ref}")).status == 404
    assert (await client.get(f"/api/bookings/{ref}", headers={"X-Manage-Token": "guess"})).status == 404
    assert (await client.post(f"/api/bookings/{ref}/cancel", params={"token": "guess"})).status == 404
    assert (await client.get(f"/api/bookings/{ref}/calendar.ics")).status == 404
    # a wrong code and a reference that does not exist look the same: no oracle on references
    wrong = await client.get(f"/api/bookings/{ref}", headers={"X-Manage-Token": "GUESSGUESS"})
    missing = await client.get("/api/bookings/KEP-222222", headers={"X-Manage-Token": "GUESSGUESS"})
    assert await wrong.json() == await missing.json()
    assert (await client.get(f"/api/bookings/{ref.lower()}", headers=AUTH)).status == 200


async def test_slots_respect_branch_and_topic(client):
    resp = await client.get("/api/slots", params={"topic": "agriculture", "branch": "kep-patra", "limit": "20"})
    slots = await resp.json()
    assert len(slots) == 20
    assert {s["branch"] for s in slots} == {"kep-patra"} and {s["clerk"] for s in slots} == {"pat-nikolaou"}
    starts = [s["start"] for s in slots]
    assert starts == sorted(starts)


async def test_slots_inside_a_window_end_before_its_end(client):
    params = {"topic": "tax", "after": "2030-02-05T11:00:00+02:00", "before": "2030-02-05T12:00:00+02:00", "limit": "100"}
    slots = await (await client.get("/api/slots", params=params)).json()
    assert slots and all("2030-02-05T11:00" <= s["start"][:16] < "2030-02-05T12:00" for s in slots)
    params["before"] = "2030-02-05T11:00:00+02:00"
    assert await (await client.get("/api/slots", params=params)).json() == []


async def test_public_config_states_the_rules_and_promises_no_message(client):
    config = await (await client.get("/api/config")).json()
    assert config["change_notice_hours"] == 8 and config["horizon_days"] == 28 and config["min_lead_minutes"] == 60
    assert config["notifications"] == {"channels": [], "confirmation": False, "reminders_hours_before": []}
    assert [d["kind"] for d in config["identity_documents"]] == [
        "police_id", "passport", "driving_licence", "residence_permit", "foreign_document"]
    assert config["identity_documents"][1]["label"] == "Διαβατήριο"


async def test_topics_and_branches(client):
    topics = await (await client.get("/api/topics")).json()
    assert len(topics) == 16
    tax = next(t for t in topics if t["id"] == "tax")
    assert tax["label"] == "Φορολογικά θέματα" and tax["links"][0]["url"].startswith("https://")
    branches = await (await client.get("/api/branches")).json()
    assert {b["id"] for b in branches} >= {"kep-athina", "kep-thessaloniki"}


async def test_the_branches_offered_for_a_topic_are_those_with_a_clerk_trained_in_it(client):
    """The chat offers these: a branch where nobody handles pensions is not offered for one."""
    pension = {b["id"] for b in await (await client.get("/api/branches", params={"topic": "insurance_pension"})).json()}
    assert pension == {"kep-athina", "kep-thessaloniki"}  # data/clerks.yml: Γεωργίου, Ιωαννίδου; nobody in Πάτρα
    assert "kep-patra" in {b["id"] for b in await (await client.get("/api/branches", params={"topic": "vehicles"})).json()}
    unknown = await client.get("/api/branches", params={"topic": "<script>"})
    assert unknown.status == 200 and await unknown.json() == []


async def test_the_appointments_service_names_the_branches_serving_a_topic(client):
    appointments = client.app[APPOINTMENTS]
    assert {b.id for b in await appointments.branches_serving("insurance_pension")} == {"kep-athina", "kep-thessaloniki"}
    assert await appointments.branches_serving("") == []  # an empty topic is a topic nobody serves
    assert len(await appointments.branches_serving()) == len(await appointments.branches.all()) >= 3


async def test_healthz(client):
    resp = await client.get("/healthz")
    assert resp.status == 200 and (await resp.json())["redis"] == "ok"


async def test_booking_says_until_when_it_can_be_changed(client):
    booking = await book(client)
    deadline = datetime.fromisoformat(booking["change_deadline"])
    assert datetime.fromisoformat(booking["start"]) - deadline == timedelta(hours=8)


async def test_manage_code_can_be_typed_back_loosely(client):
    booking = await book(client)
    code = booking["manage_token"]
    assert len(code) == 10 and code.isupper() or code.isdigit()
    typed = f"{code[:5].lower()} {code[5:]}"
    resp = await client.get(f"/api/bookings/{booking['reference']}", headers={"X-Manage-Token": typed})
    assert resp.status == 200
    resp = await client.get(f"/api/bookings/{booking['reference']}", headers={"X-Manage-Token": code[:-1] + "Z2"[code[-1] == "Z"]})
    assert resp.status == 404


@pytest.mark.parametrize("typed", ["kep mbzwhr", "ΚΕΠ-MBZWHR", "κεπ mbzwhr", "MBZWHR", " KEP-MBZWHR "])
def test_a_reference_is_read_however_it_is_typed(typed):
    assert typed_reference(typed) == "KEP-MBZWHR"
