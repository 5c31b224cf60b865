"""Scripted Greek conversations through Rasa's REST channel, against the real Rasa server,
action server, handoff service and Redis; then the outcome as the clerk will see it,
through the handoff API."""
from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta

import aiohttp
import pytest

from bot.actions.promises import messages_sentence
from handoff.config import ATHENS
from handoff.stack import Stack

from .conversations import SCRIPTS, ChatClient


async def api_booking(stack: Stack, reference: str) -> dict:
    headers = {"Authorization": f"Bearer {stack.secrets['HANDOFF_SERVICE_TOKEN']}"}
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{stack.handoff_url}/api/bookings/{reference}", headers=headers) as resp:
            assert resp.status == 200
            return await resp.json()


async def test_booking_reaches_the_clerk_with_question_topic_and_transcript(stack, client: ChatClient, sender):
    context = {"bookings": []}
    chat = await client.play("happy_path", sender, context)
    booking = await api_booking(stack, chat.booking["reference"])

    assert booking["status"] == "booked" and booking["topic"] == "identity_documents"
    assert booking["question"] == "Έχασα την ταυτότητά μου, τι πρέπει να κάνω;"
    assert 0.5 <= booking["confidence"] <= 1
    assert booking["sender_id"] == sender
    assert booking["citizen"] == {
        "full_name": "Δέσποινα Λαμπράκη", "id_document": "passport", "id_card": "AE1234567", "afm": "090000045",
        "amka": "", "mobile": "+306912345678", "email": "despoina.l@example.gr",
    }
    turns = [(t["sender"], t["text"]) for t in booking["transcript"]]
    assert ("user", "Έχασα την ταυτότητά μου, τι πρέπει να κάνω;") in turns
    assert any(sender == "bot" and "Ταυτότητες και διαβατήρια" in text for sender, text in turns)
    # a button click reads as the button's words, not as its payload
    assert not any(text.startswith("/") for _, text in turns)
    # the privacy notice came before the first personal question; no identity answer, summary or code
    assert any(s == "bot" and "Πριν σας ζητήσω στοιχεία" in t for s, t in turns)
    assert turns.count(("user", "[στοιχεία ταυτότητας]")) == 6  # name, document, its number, ΑΦΜ, mobile, e-mail
    stored = str(booking["transcript"])
    for value in ("Λαμπράκη", "1234567", "090000045", "6912345678", "despoina.l@", chat.booking["reference"],
                  chat.booking["manage_code"], "/call/"):
        assert value not in stored, value
    assert booking["start"] == chat.booking["start"] and booking["join_url"] == chat.booking["join_url"]


NEEDS_A_BOOKING = ("reschedule", "cancel", "cancel_with_a_wrong_code", "find_booking_by_codes", "find_booking_with_a_wrong_code")


@pytest.mark.parametrize("script", [s for s in SCRIPTS if s not in ("happy_path", *NEEDS_A_BOOKING)])
async def test_script(client: ChatClient, sender, script):
    await client.play(script, sender, {"bookings": []})


async def test_reschedule_then_cancel_in_the_chat(stack, client: ChatClient, sender):
    context = {"bookings": []}
    booked = (await client.play("time_in_greek_words", f"{sender}-1", context)).booking

    card = (await client.play("reschedule", f"{sender}-2", context)).booking
    moved = await api_booking(stack, booked["reference"])
    assert moved["status"] == "booked" and moved["start"] != booked["start"]
    assert card["manage_code"] == booked["manage_code"]  # as printed, though typed in lower case

    await client.play("cancel", f"{sender}-3", context)
    assert (await api_booking(stack, booked["reference"]))["status"] == "cancelled"

    await client.play("cancel_with_a_wrong_code", f"{sender}-4", context)


async def test_slot_taken_between_offer_and_confirmation_books_another(stack, client: ChatClient, sender):
    chat = await client.play("slot_taken_before_confirmation", sender, {"bookings": []})
    booking = await api_booking(stack, chat.booking["reference"])
    assert booking["sender_id"] == sender and booking["status"] == "booked"


async def test_the_chat_promises_the_messages_the_service_sends_and_the_deadline_before_booking(
    stack, client, sender, mail_sink
):
    async with aiohttp.ClientSession() as session, session.get(f"{stack.handoff_url}/api/config") as resp:
        config = await resp.json()
    assert config["notifications"]["channels"] == ["email"]  # SMTP is set for the stack, no SMS gateway
    chat = await client.play("happy_path", sender, {"bookings": []})
    said = "\n".join(chat.said)
    booking = await api_booking(stack, chat.booking["reference"])
    assert messages_sentence(booking["notifications"], has_email=True) in said
    assert "Θα λάβετε με email επιβεβαίωση" in said and "SMS" not in said
    # … and the promised e-mail comes, from the worker `make run` starts, with the codes of the chat
    deadline = time.monotonic() + 15
    while not any(chat.booking["reference"] in m["Subject"] + m.get_body(("plain",)).get_content()
                  for m in mail_sink.messages if m["To"] == "despoina.l@example.gr"):
        assert time.monotonic() < deadline, "the confirmation e-mail did not arrive"
        await asyncio.sleep(0.2)
    email = next(m for m in mail_sink.messages if chat.booking["reference"] in m.get_body(("plain",)).get_content())
    assert chat.booking["manage_code"] in email.get_body(("plain",)).get_content()

    summary = next(text for text in chat.said if text.startswith("Ελέγξτε τα στοιχεία σας"))
    start = datetime.fromisoformat(chat.booking["start"])
    inside_deadline = start - timedelta(hours=config["change_notice_hours"]) <= datetime.now(ATHENS)
    assert ("Προσοχή: αυτή η ώρα είναι σε λιγότερο από" in summary) == inside_deadline
    assert ("Αλλαγή ή ακύρωση: έως" in summary) == (not inside_deadline)


async def test_a_lost_booking_is_found_with_its_codes_and_its_card_comes_back(stack, client: ChatClient, sender):
    context = {"bookings": []}
    booked = (await client.play("time_in_greek_words", f"{sender}-1", context)).booking
    found = (await client.play("find_booking_by_codes", f"{sender}-2", context)).booking
    assert (found["reference"], found["start"], found["manage_code"]) == (booked["reference"], booked["start"], booked["manage_code"])
    assert found["headline"].startswith("Βρήκα") and found["documents"] and found["appointment_url"].endswith("/appointment")

    wrong = await client.play("find_booking_with_a_wrong_code", f"{sender}-3", context)
    assert wrong.booking is None and booked["reference"] not in wrong.text  # nothing shown for a wrong code
    assert (await api_booking(stack, booked["reference"]))["status"] == "booked"


async def test_the_action_server_answers_only_rasa(stack):
    """It holds the handoff service's token: a call without Rasa's shared token is refused
    (the conversations above prove Rasa's own calls go through)."""
    actions = f"http://127.0.0.1:{stack.bots[0][1]}"
    call = {"next_action": "action_book", "sender_id": "intruder", "tracker": {"sender_id": "intruder", "slots": {}, "events": []},
            "domain": {}}
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{actions}/webhook", json=call) as resp:
            assert resp.status == 401
        async with session.post(f"{actions}/webhook", json=call, headers={"X-Actions-Token": "a-guessed-token-123456"}) as resp:
            assert resp.status == 401
        async with session.get(f"{actions}/health") as resp:
            assert resp.status == 200


async def test_no_secret_is_on_a_command_line(stack):
    """Every user of the machine can read command lines (`ps`): the stack's secrets go by
    environment only."""
    import os

    secrets = [value.encode() for value in stack.secrets.values()]
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
                argv = cmdline.read()
        except OSError:
            continue
        assert not any(secret in argv for secret in secrets), argv.split(b"\0")[:3]
