"""The chat page's relay: limits and failures are refused here, in Greek, before the bot.
(Conversations through the relay with the real bot are in tests/e2e.)"""
from dataclasses import replace

import pytest

from handoff.app import create_app
from handoff.redis_server import free_port


@pytest.fixture
async def chat(aiohttp_client, redis, settings, clock):
    """The service with nothing listening where the bot should be."""
    down = replace(settings, rasa_url=f"http://127.0.0.1:{free_port()}", chat_messages_per_minute=3)
    return await aiohttp_client(create_app(down, redis=redis, clock=clock))


async def test_too_long_or_empty_message_is_refused(chat):
    long = await chat.post("/api/chat", json={"message": "α" * 1001})
    assert long.status == 422
    assert "1000 χαρακτήρες" in (await long.json())["error"]["fields"]["message"]["message"]
    assert (await chat.post("/api/chat", json={"message": "   "})).status == 422


async def test_bot_down_is_a_clear_greek_503(chat):
    resp = await chat.post("/api/chat", json={"message": "γεια"})
    assert resp.status == 503
    assert (await resp.json())["error"]["message"].startswith("Ο βοηθός δεν απαντά")


async def test_too_many_messages_get_429(chat):
    page_load = await chat.get("/api/chat/history")
    assert page_load.status == 200 and "HttpOnly" in page_load.headers["Set-Cookie"]
    statuses = [(await chat.post("/api/chat", json={"message": "γεια"})).status for _ in range(5)]
    assert statuses == [503, 503, 503, 429, 429]


async def test_chat_page_is_served_without_inline_script(chat):
    resp = await chat.get("/")
    assert resp.status == 200 and "Content-Security-Policy" in resp.headers
    page = await resp.text()
    assert 'lang="el"' in page and "<script>" not in page and 'role="log"' in page


async def test_behind_a_proxy_each_citizen_has_their_own_address_limit(aiohttp_client, redis, settings, clock):
    proxied = replace(settings, rasa_url=f"http://127.0.0.1:{free_port()}", chat_messages_per_minute=1, trusted_proxies=("127.0.0.1",))
    client = await aiohttp_client(create_app(proxied, redis=redis, clock=clock))
    # Per address the limit is 10 × the per-chat one; new chats (no cookie) from one citizen:
    statuses = [(await client.post("/api/chat", json={"message": "γεια"},
                                   headers={"X-Forwarded-For": "203.0.113.7"})).status for _ in range(11)]
    assert statuses[-1] == 429 and 429 not in statuses[:10]
    other = await client.post("/api/chat", json={"message": "γεια"}, headers={"X-Forwarded-For": "1.2.3.4, 203.0.113.8"})
    assert other.status == 503  # another citizen behind the same proxy is not limited
