"""Bodies an attacker (or a long conversation) sends: JSON nested thousands deep is a 400 with a
JSON body, not a 500; a long Greek conversation's booking, as the action server sends it
(UTF-8, the transcript within its budget), is accepted rather than refused with 413."""
from __future__ import annotations

import json

import pytest

from tests.handoff.helpers import AUTH, add_accounts, booking_body, first_free_slot, sign_in


@pytest.mark.parametrize("path", ["/api/bookings", "/api/identity/check", "/api/chat", "/api/clerk/login"])
async def test_json_nested_thousands_deep_is_a_clear_400(client, path):
    body = "[" * 100_000 + "]" * 100_000
    resp = await client.post(path, data=body, headers={"Content-Type": "application/json", **AUTH})
    assert resp.status in (400, 413), path
    assert (await resp.json())["error"]["code"] in ("malformed_json", "body_too_large")


async def test_a_long_greek_conversation_books(client):
    # What bot/actions/transcript.py keeps at most: 16,000 characters of Greek, in 40 turns.
    turn = "Καλησπέρα σας, θα ήθελα να ρωτήσω για την ανανέωση του διαβατηρίου της κόρης μου. " * 5
    turns = [{"sender": "user" if i % 2 else "bot", "text": turn[:400], "at": ""} for i in range(40)]
    assert sum(len(t["text"]) for t in turns) == 16_000
    slot = await first_free_slot(client, "identity_documents")
    body = json.dumps(booking_body(slot["slot_id"], "identity_documents", transcript=turns), ensure_ascii=False).encode()
    assert len(body) < 64 * 1024 < len(json.dumps(booking_body(slot["slot_id"], "identity_documents", transcript=turns)))
    resp = await client.post("/api/bookings", data=body, headers={"Content-Type": "application/json", **AUTH})
    assert resp.status == 201, await resp.text()
    assert (await resp.json())["transcript"][-1]["text"] == turn[:400]


@pytest.mark.parametrize("outcome", [{}, [], 5, None, "unheard-of"])
async def test_an_outcome_that_is_not_one_of_the_outcomes_is_a_clear_422(aiohttp_client, client, redis, outcome):
    """Found by the fuzz run with a clerk's session (tests/e2e/test_api_fuzz.py): an object as the
    outcome was a 500."""
    await add_accounts(redis)
    clerk, csrf = await sign_in(aiohttp_client, client, "ath-alexiou")
    resp = await clerk.post("/api/clerk/bookings/KEP-7K3F9Q/finish", json={"outcome": outcome, "notes": ""},
                            headers={"X-CSRF-Token": csrf})
    assert resp.status == 422 and (await resp.json())["error"]["fields"]["outcome"]["code"] == "outcome_invalid"
