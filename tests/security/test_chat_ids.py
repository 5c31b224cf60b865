"""Chat ids are issued and signed by the service: the relay refuses one it did not issue, so a
client can neither pick its chat id (and slip past the per-chat limit) nor write into another
citizen's conversation."""
from __future__ import annotations

from dataclasses import replace

import pytest

from handoff.app import create_app
from handoff.chat import ChatIds
from handoff.redis_server import free_port


@pytest.fixture
async def chat(aiohttp_client, redis, settings, clock):
    """The service with nothing listening where the bot should be: a relayed message gets 503."""
    down = replace(settings, rasa_url=f"http://127.0.0.1:{free_port()}")
    return await aiohttp_client(create_app(down, redis=redis, clock=clock))


def cookie(client) -> str:
    return next(c.value for c in client.session.cookie_jar if c.key == "kep_chat")


async def test_the_service_issues_a_signed_chat_id(chat):
    assert (await chat.get("/api/chat/history")).status == 200
    token = cookie(chat)
    chat_id, _, signature = token.partition(".")
    assert len(chat_id) >= 20 and signature
    assert (await chat.post("/api/chat", json={"message": "καλησπέρα"})).status == 503  # relayed (the bot is down)
    assert cookie(chat) == token  # the same conversation goes on


@pytest.mark.parametrize("forged", [
    "my-own-chosen-chat-id-123456",  # unsigned
    "AAAAAAAAAAAAAAAAAAAAAAAA.BBBBBBBBBBBBBBBBBBBBBBBB",  # a made-up signature
    ChatIds("another service's key").issue(),  # signed, but not by this service
])
async def test_a_chat_id_the_service_did_not_issue_is_refused(chat, forged):
    resp = await chat.post("/api/chat", json={"message": "καλησπέρα"}, headers={"Cookie": f"kep_chat={forged}"})
    assert resp.status == 403
    error = (await resp.json())["error"]
    assert error["code"] == "chat_unknown" and "Νέα συζήτηση" in error["message"]


async def test_a_signature_is_good_only_for_its_own_id(chat):
    chat_id, _, signature = ChatIds("test-secret").issue().partition(".")  # the service's key (settings)
    other = ("B" if chat_id[0] != "B" else "C") + chat_id[1:]
    tampered = await chat.post("/api/chat", json={"message": "καλησπέρα"}, headers={"Cookie": f"kep_chat={other}.{signature}"})
    assert tampered.status == 403
    genuine = await chat.post("/api/chat", json={"message": "καλησπέρα"}, headers={"Cookie": f"kep_chat={chat_id}.{signature}"})
    assert genuine.status == 503  # accepted, relayed to the (absent) bot


async def test_a_page_with_a_forged_cookie_gets_a_new_conversation(chat):
    resp = await chat.get("/api/chat/history", headers={"Cookie": "kep_chat=my-own-chosen-chat-id-123456"})
    assert resp.status == 200 and await resp.json() == {"turns": []}
    assert ChatIds("test-secret").verify(cookie(chat)) is not None  # issued by this service (its key)
    assert (await chat.post("/api/chat", json={"message": "καλησπέρα"})).status == 503
