"""Limits per client address beyond the chat relay's: bookings asked through the chat page
(the bot books under the chat's id; the relay knows the address it came from) and requests
to the public slot and booking API. 429 with a Greek JSON body and Retry-After. Behind our
proxies the address is read from X-Forwarded-For, and only when a trusted proxy sent it."""
from __future__ import annotations

from dataclasses import replace

import pytest
from multidict import CIMultiDict

from handoff.app import create_app
from handoff.errors import TooManyRequests
from handoff.ratelimit import Limit
from tests.handoff.helpers import AUTH, book, booking_body, first_free_slot

PROXY = ("127.0.0.1",)  # the test client connects from here: as if it were our HAProxy


def forwarded_for(*hops: str) -> dict[str, str]:
    return {"X-Forwarded-For": ", ".join(hops)}


def assert_limited(resp, body: dict, code: str, longest_wait: int) -> None:
    assert resp.status == 429
    assert body["error"]["code"] == code and "Δοκιμάστε ξανά" in body["error"]["message"]
    assert 0 < int(resp.headers["Retry-After"]) <= longest_wait
    assert body["error"]["retry_after"] == int(resp.headers["Retry-After"])


async def relayed_chat(aiohttp_client, server, address: str) -> str:
    """A citizen's browser (own cookies) that says something through the chat page's relay from
    `address`; the sender id the bot then books under."""
    browser = await aiohttp_client(server)
    resp = await browser.post("/api/chat", json={"message": "θα ήθελα ένα ραντεβού"}, headers=forwarded_for(address))
    assert resp.status == 200, await resp.text()
    token = next(c.value for c in browser.session.cookie_jar if c.key == "kep_chat")
    return f"web-{token.partition('.')[0]}"


@pytest.fixture
async def service(aiohttp_client, redis, settings, clock, rasa_recorder):
    rasa_url, _ = rasa_recorder
    limited = replace(settings, rasa_url=rasa_url, trusted_proxies=PROXY, bookings_per_address_per_hour=2)
    return await aiohttp_client(create_app(limited, redis=redis, clock=clock))


async def bot_books(service, sender: str):
    """The bot's booking for a chat (the per-citizen limit is off in these tests)."""
    slot = await first_free_slot(service, "tax", after="2030-02-05T08:00:00+02:00")
    return await service.post("/api/bookings", json=booking_body(slot["slot_id"], sender_id=sender), headers=AUTH)


async def test_one_address_gets_so_many_bookings_an_hour_whatever_its_chats(aiohttp_client, service):
    # A script opens a new chat (a new signed id is free) for every booking, from one address.
    senders = [await relayed_chat(aiohttp_client, service.server, "203.0.113.50") for _ in range(3)]
    assert [(await bot_books(service, s)).status for s in senders[:2]] == [201, 201]
    refused = await bot_books(service, senders[2])
    assert_limited(refused, await refused.json(), "too_many_bookings_from_address", 3600)
    assert "ραντεβού" in (await refused.json())["error"]["message"]

    # A citizen at another address is not held up by it.
    other = await relayed_chat(aiohttp_client, service.server, "198.51.100.20")
    assert (await bot_books(service, other)).status == 201
    # Bookings of conversations that did not come through the relay (no known address) are
    # the bot's own business: the per-citizen limits still hold for them.
    assert (await bot_books(service, "rest-channel-citizen")).status == 201


async def test_a_slot_lost_to_someone_else_does_not_count_toward_the_address_limit(aiohttp_client, service):
    """A citizen who lost a few races for a slot (409 slot_taken: someone booked it first) is
    not locked out; the bookings they do make still count."""
    sender = await relayed_chat(aiohttp_client, service.server, "203.0.113.80")
    for _ in range(3):  # more lost races than the limit of 2
        quicker = await bot_books(service, "rest-channel-citizen")
        assert quicker.status == 201
        lost = await service.post("/api/bookings", headers=AUTH,
                                  json=booking_body((await quicker.json())["slot_id"], sender_id=sender))
        assert lost.status == 409 and (await lost.json())["error"]["code"] == "slot_taken"
    assert [(await bot_books(service, sender)).status for _ in range(2)] == [201, 201]
    refused = await bot_books(service, sender)
    assert_limited(refused, await refused.json(), "too_many_bookings_from_address", 3600)


async def test_a_give_back_takes_back_only_what_was_counted(redis):
    limit = Limit("give-back-test", 1, 3600, "too_many", "Δοκιμάστε ξανά αργότερα.")
    counter = await limit.enforce(redis, "someone")
    await limit.give_back(redis, counter)
    await limit.give_back(redis, counter)  # given back twice: still not below zero
    assert await redis.get(counter) == "0"
    await limit.enforce(redis, "someone")
    with pytest.raises(TooManyRequests):
        await limit.enforce(redis, "someone")
    assert await Limit("none", 0, 60, "x", "y").enforce(redis, "someone") == ""  # no limit: nothing counted


async def test_the_public_api_allows_so_many_requests_a_minute_per_address(aiohttp_client, redis, settings, clock):
    client = await aiohttp_client(create_app(replace(settings, trusted_proxies=PROXY, public_requests_per_minute=5),
                                             redis=redis, clock=clock))
    citizen_a = forwarded_for("203.0.113.61")
    statuses = [(await client.get("/api/slots", params={"topic": "tax", "limit": "1"}, headers=citizen_a)).status
                for _ in range(5)]
    assert statuses == [200] * 5
    # Slots, bookings and the appointment page's API share the budget: a guessed reference too.
    for path in ("/api/slots?topic=tax", "/api/bookings/KEP-ABCDEF", "/api/appointment"):
        resp = await client.get(path, headers=citizen_a)
        assert_limited(resp, await resp.json(), "too_many_requests", 60)

    assert (await client.get("/api/slots", params={"topic": "tax"}, headers=forwarded_for("203.0.113.62"))).status == 200
    # The bot asks for every citizen, from one address: not counted.
    assert (await client.get("/api/slots", params={"topic": "tax"}, headers=citizen_a | AUTH)).status == 200
    # Nor is a citizen's call the bot relays with the citizen's manage code: still the citizen's
    # (a wrong code is a 404, as for anyone), not the bot's address.
    relayed = await client.get("/api/bookings/KEP-ABCDEF", headers=citizen_a | AUTH | {"X-Manage-Token": "WRONGCODE1"})
    assert relayed.status == 404
    # Nor is what is not the slot and booking API.
    assert (await client.get("/api/topics", headers=citizen_a)).status == 200


async def test_x_forwarded_for_counts_only_from_a_trusted_proxy(aiohttp_client, redis, settings, clock):
    """Straight to the service (no trusted proxy), a client that writes a new X-Forwarded-For
    each time is still one address."""
    client = await aiohttp_client(create_app(replace(settings, public_requests_per_minute=3), redis=redis, clock=clock))
    statuses = [(await client.get("/api/slots", params={"topic": "tax"}, headers=forwarded_for(f"192.0.2.{n}"))).status
                for n in range(4)]
    assert statuses == [200, 200, 200, 429]


async def test_behind_our_proxies_the_client_is_the_rightmost_address_not_ours(aiohttp_client, redis, settings, clock):
    """TLS proxy (10.0.0.2) → HAProxy (the test client) → service. What the client wrote itself
    (left of what our proxies appended, or in a header line of its own) changes nothing."""
    app = create_app(replace(settings, trusted_proxies=(*PROXY, "10.0.0.0/24"), public_requests_per_minute=2),
                     redis=redis, clock=clock)
    client = await aiohttp_client(app)
    ways = [
        forwarded_for("203.0.113.70", "10.0.0.2"),
        forwarded_for("1.1.1.1", "203.0.113.70", "10.0.0.2"),
        CIMultiDict([("X-Forwarded-For", "8.8.8.8"), ("X-Forwarded-For", "203.0.113.70, 10.0.0.2")]),  # HAProxy adds a line
    ]
    statuses = [(await client.get("/api/slots", params={"topic": "tax"}, headers=h)).status for h in ways]
    assert statuses == [200, 200, 429]
    resp = await client.get("/api/slots", params={"topic": "tax"}, headers=forwarded_for("203.0.113.71", "10.0.0.2"))
    assert resp.status == 200


async def test_the_log_in_limit_is_the_same_limiter_with_retry_after(aiohttp_client, redis, settings, clock):
    client = await aiohttp_client(create_app(replace(settings, login_attempts_per_minute=2), redis=redis, clock=clock))
    for _ in range(2):
        resp = await client.post("/api/clerk/login", json={"username": "nobody-here", "password": "λάθος-κωδικός-123"})
        assert resp.status == 401
    resp = await client.post("/api/clerk/login", json={"username": "nobody-here", "password": "λάθος-κωδικός-123"})
    assert_limited(resp, await resp.json(), "too_many_logins", 60)


async def test_a_call_with_a_manage_code_is_the_citizens_even_when_the_bot_relays_it(client):
    booking = await book(client)
    url = f"/api/bookings/{booking['reference']}"
    assert (await client.get(url, headers=AUTH)).status == 200  # the bot's own look-up
    assert (await client.get(url, headers=AUTH | {"X-Manage-Token": "WRONGCODE1"})).status == 404
    resp = await client.post(f"{url}/cancel", headers=AUTH | {"X-Manage-Token": booking["manage_token"]})
    assert resp.status == 200 and (await resp.json())["status"] == "cancelled"
