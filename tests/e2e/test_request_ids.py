"""One citizen's message followed by one request id across the processes: the chat relay's
X-Request-Id reaches Rasa, the action server reads it in the tracker and sends it with its
calls to the handoff API; every process logs JSON lines with it (each component's output is
in the stack's var directory, `<component>.log`)."""
from __future__ import annotations

import json
import re

import aiohttp

from handoff.stack import Stack

from .conversations import SCRIPTS, RelayChatClient


def log_lines(stack: Stack, component: str) -> list[dict]:
    """Every line the component wrote, each of which must be a JSON object."""
    lines = (stack.var_dir / f"{component}.log").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def with_id(lines: list[dict], request_id: str) -> list[dict]:
    return [line for line in lines if line.get("request_id") == request_id]


async def test_a_booking_made_in_the_chat_is_followed_by_the_messages_request_id(stack: Stack, sender):
    script = SCRIPTS["happy_path"]
    listing = next(n for n, step in enumerate(script, 1) if "ελεύθερη ώρα" in step.expect)
    booking = next(n for n, step in enumerate(script, 1) if "κλείστηκε" in step.expect)  # «ναι» at the summary
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        client = RelayChatClient(session, "", stack.handoff_url, "")
        chat = await client.play("happy_path", sender, {"bookings": []}, steps=slice(0, booking - 1))
        await client.send(chat, "ναι")  # the relay answers with the booking's card alone
    assert chat.booking is not None, chat.replies
    listed, booked = f"{sender}.{listing}", f"{sender}.{booking}"

    handoff = log_lines(stack, "handoff")
    for rid, api_call in ((listed, ("GET", "/api/slots")), (booked, ("POST", "/api/bookings"))):
        routes = [(line["message"].split()[0], line.get("route")) for line in with_id(handoff, rid)]
        assert ("POST", "/api/chat") in routes, routes  # the relay's line for the citizen's message
        assert api_call in routes, routes  # the action server's call back, under the same id
    assert not any(line.get("route") == "/api/bookings" and line["request_id"].startswith(f"{sender}.")
                   and line["request_id"] != booked for line in handoff)

    rasa = with_id(log_lines(stack, "rasa"), booked)
    assert any(line["logger"] == "bot.rest_channel" and line.get("status") == 200 for line in rasa), rasa
    actions = with_id(log_lines(stack, "actions"), booked)
    assert any(line.get("action") and line.get("status") == 200 for line in actions), actions
    assert all({"time", "level", "logger", "message"} <= line.keys() for line in rasa + actions)


async def test_a_forged_id_sent_to_rasa_is_replaced_by_one_that_rasa_and_the_action_server_share(stack: Stack, sender):
    forged = 'abc\n{"level": "ERROR", "message": "forged"}'
    question = SCRIPTS["happy_path"][1].text  # the citizen's question: the triage action answers
    rasa = stack.rasa_url
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{rasa}/webhooks/rest/webhook",
                                json={"sender": sender, "message": question, "metadata": {"request_id": forged}}) as resp:
            assert resp.status == 200 and await resp.json()
        async with session.get(f"{rasa}/conversations/{sender}/tracker", params={"token": stack.secrets["RASA_TOKEN"]}) as resp:
            kept = (await resp.json())["latest_message"]["metadata"]["request_id"]
    assert re.fullmatch(r"[0-9a-f]{32}", kept)
    assert with_id(log_lines(stack, "rasa"), kept)
    assert any(line.get("action") == "action_triage" for line in with_id(log_lines(stack, "actions"), kept))
    assert not any("forged" in (stack.var_dir / f"{c}.log").read_text() for c in ("rasa", "actions"))
