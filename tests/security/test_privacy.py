"""Identity data only for the clerk who picked the appointment up: the transcript carries none
(the API refuses one that does), every other clerk and the supervisors see masked values, and
an appointment of another branch or topic is not found at all."""
from __future__ import annotations

import pytest

from handoff.accounts import Account, AccountStore
from tests.handoff.helpers import _HASH, AUTH, add_accounts, booking_body, citizen, first_free_slot, sign_in

DOCUMENT = {"id_document": "police_id", "id_document_label": "Αστυνομική ταυτότητα"}  # which one, not its number
MASKED = {"full_name": "Μ. Π.", "id_card": "ΑΒ••••56", "afm": "09•••••16", "amka": "",
          "mobile": "+3•••••••••78", "email": "ma••••••••••••gr"} | DOCUMENT


@pytest.fixture(autouse=True)
async def accounts(redis):
    await add_accounts(redis)
    await AccountStore(redis).add_if_missing(Account("sup-thessaloniki", "Προϊστάμενος", "supervisor", _HASH, "kep-thessaloniki"))


async def book_in_athens(client) -> dict:
    slot = await first_free_slot(client, "identity_documents", branch="kep-athina")
    resp = await client.post("/api/bookings", json=booking_body(slot["slot_id"], "identity_documents"), headers=AUTH)
    assert resp.status == 201, await resp.text()
    return await resp.json()


@pytest.mark.parametrize("turn", [
    "Με λένε Μαρία Παπαδοπούλου",
    "μαρία   παπαδοπούλου",
    "ταυτότητα ab-123 456",  # Latin look-alikes, a dash, a space
    "ΑΦΜ 094 259 216",
    "κινητό 691 234 5678",
    "Το email μου: MARIA@example.gr",
])
async def test_a_transcript_with_the_citizens_own_identity_is_refused(client, turn):
    slot = await first_free_slot(client, "tax")
    body = booking_body(slot["slot_id"], transcript=[{"sender": "user", "text": turn, "at": ""}])
    resp = await client.post("/api/bookings", json=body, headers=AUTH)
    assert resp.status == 422
    error = (await resp.json())["error"]
    assert error["fields"]["transcript"]["code"] == "transcript_has_identity"
    assert "στοιχεία ταυτότητας" in error["fields"]["transcript"]["message"]


async def test_a_redacted_transcript_is_accepted(client):
    slot = await first_free_slot(client, "tax")
    body = booking_body(slot["slot_id"], transcript=[
        {"sender": "bot", "text": "Πώς λέγεστε;", "at": ""}, {"sender": "user", "text": "[στοιχεία ταυτότητας]", "at": ""},
    ])
    assert (await client.post("/api/bookings", json=body, headers=AUTH)).status == 201


async def test_only_the_clerk_who_picked_up_sees_identity_data(aiohttp_client, client):
    booking = await book_in_athens(client)
    ref = booking["reference"]
    alexiou, csrf = await sign_in(aiohttp_client, client, "ath-alexiou")
    papadopoulou, _ = await sign_in(aiohttp_client, client, "ath-papadopoulou")  # same branch and topic
    supervisor, _ = await sign_in(aiohttp_client, client, "supervisor")
    for viewer in (alexiou, papadopoulou, supervisor):  # before pick-up: masked for everyone
        [item] = await (await viewer.get("/api/clerk/queue")).json()
        assert item["citizen"] == MASKED

    picked = await (await alexiou.post(f"/api/clerk/bookings/{ref}/pickup", headers={"X-CSRF-Token": csrf})).json()
    assert picked["citizen"] == citizen() | {"id_card": "ΑΒ123456", "mobile": "+306912345678"} | DOCUMENT
    [mine] = await (await alexiou.get("/api/clerk/queue")).json()
    assert mine["citizen"]["afm"] == "094259216"
    for viewer in (papadopoulou, supervisor):  # after pick-up: still masked for anyone else
        [item] = await (await viewer.get("/api/clerk/queue")).json()
        assert item["citizen"] == MASKED and item["picked_by_me"] is False


async def test_an_appointment_of_another_branch_is_not_found(aiohttp_client, client):
    booking = await book_in_athens(client)
    ref = booking["reference"]
    clerk, csrf_c = await sign_in(aiohttp_client, client, "thes-dimitriou")
    supervisor, csrf_s = await sign_in(aiohttp_client, client, "sup-thessaloniki")
    assert await (await supervisor.get("/api/clerk/queue")).json() == []
    attempts = [
        (clerk, csrf_c, "pickup", {}), (clerk, csrf_c, "finish", {"outcome": "resolved", "notes": ""}),
        (supervisor, csrf_s, "reassign", {"clerk": "ath-papadopoulou"}),
        (supervisor, csrf_s, "cancel", {"reason": "Απουσία υπαλλήλου"}),
    ]
    for http, csrf, action, body in attempts:
        seen = await http.post(f"/api/clerk/bookings/{ref}/{action}", json=body, headers={"X-CSRF-Token": csrf})
        missing = await http.post(f"/api/clerk/bookings/KEP-222222/{action}", json=body, headers={"X-CSRF-Token": csrf})
        assert seen.status == missing.status == 404, action
        assert await seen.json() == await missing.json()  # nothing tells a real reference from a made-up one
