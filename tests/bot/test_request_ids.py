"""The request id on the bot's side (Python 3.10): the action server takes the id Rasa kept in
the metadata of the citizen's latest message only when it is a plain token, and passes it on
to the handoff API with every call."""
from __future__ import annotations

import asyncio
import json
import logging
import re

import pytest
from aiohttp import web

from bot.actions.handoff_api import HandoffAPI
from bot.actions.server import tracked_request_id
from bot.request_logs import REQUEST_ID, JsonFormatter, accepted_request_id

NEW_ID = re.compile(r"[0-9a-f]{32}")


def action_call(metadata: object) -> dict:
    """An action call as Rasa sends it: the tracker, with its latest message's metadata."""
    return {"next_action": "action_book", "sender_id": "web-1",
            "tracker": {"sender_id": "web-1", "latest_message": {"text": "ναι", "metadata": metadata}}}


@pytest.mark.parametrize("given", ["chat-trace-1", "proxy-4f2a.17", "web:3.12_a", "x" * 64])
def test_a_plain_id_in_the_tracker_is_taken(given):
    assert accepted_request_id(tracked_request_id(action_call({"request_id": given}))) == given


@pytest.mark.parametrize("forged", ['abc\n{"level": "ERROR", "message": "forged"}', "x" * 200, "x\" level=ERROR",
                                    "κείμενο", "", 42, ["abc"]])
def test_a_forged_id_is_not_taken(forged):
    taken = accepted_request_id(tracked_request_id(action_call({"request_id": forged})))
    assert NEW_ID.fullmatch(taken)


@pytest.mark.parametrize("call", [action_call(None), action_call("abc"), {"tracker": "abc"}, {}, None, [1]])
def test_a_call_without_an_id_gets_a_new_one(call):
    assert tracked_request_id(call) is None
    assert NEW_ID.fullmatch(accepted_request_id(None))


def test_the_handoff_api_is_called_with_the_messages_id():
    seen: list[dict[str, str]] = []

    async def record(request: web.Request) -> web.Response:
        seen.append({k: v for k, v in request.headers.items() if k in ("X-Request-Id", "X-Manage-Token", "Authorization")})
        return web.json_response({"status": "booked"} if "bookings" in request.path else [])

    async def calls() -> None:
        app = web.Application()
        app.router.add_get("/api/slots", record)
        app.router.add_get("/api/bookings/{reference}", record)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        api = HandoffAPI(f"http://127.0.0.1:{port}", "service-token")
        try:
            token = REQUEST_ID.set("chat-trace-7")
            await api.free_slots("tax", None)
            await api.booking("KEP-ABC123", "manage-token")  # a call with headers of its own
            REQUEST_ID.reset(token)
            await api.free_slots("tax", None)  # outside a traced request: no id
        finally:
            await api._session.close()  # the action server's keeps open for its life
            await runner.cleanup()

    asyncio.run(calls())
    assert [s.get("X-Request-Id") for s in seen] == ["chat-trace-7", "chat-trace-7", None]
    assert all(s["Authorization"] == "Bearer service-token" for s in seen)
    assert seen[1]["X-Manage-Token"] == "manage-token"


def test_log_lines_are_json_with_the_id_and_the_exception():
    try:
        raise ValueError("handoff answered 502")
    except ValueError as e:
        record = logging.LogRecord("bot.actions.server", logging.ERROR, __file__, 1, "%s failed", ("action_book",),
                                   (type(e), e, e.__traceback__))
    record.action = "action_book"
    token = REQUEST_ID.set("chat-trace-7")
    try:
        line = json.loads(JsonFormatter().format(record))
    finally:
        REQUEST_ID.reset(token)
    assert line["time"].endswith("Z") and "ValueError: handoff answered 502" in line.pop("exception")
    assert line | {"time": None} == {"time": None, "level": "ERROR", "logger": "bot.actions.server",
                                     "message": "action_book failed", "request_id": "chat-trace-7", "action": "action_book"}
