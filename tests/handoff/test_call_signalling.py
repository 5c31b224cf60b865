"""Signalling that survives real life: one peer connection per side whatever the offers,
bad offers refused without touching the live call, a limit on offers, no call that ends
because nobody was in it for a while (only its media closes), and no peer connection that
outlives its call."""
from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from datetime import timedelta

import pytest

from handoff.api.keys import CALLS
from handoff.app import create_app
from handoff.media import open_peer_connections

from .helpers import AUTH, add_accounts, picked_up_call
from .peers import Peer, eventually, eventually_async

pytestmark = pytest.mark.slow


async def test_an_offer_while_the_other_side_is_away_keeps_the_call_for_them(aiohttp_client, call_service):
    http = call_service
    citizen_path, clerk_http, clerk_path, headers, *_ = await picked_up_call(aiohttp_client, http)
    first, again, clerk = Peer(), Peer(), Peer()
    try:
        await first.join(http, citizen_path, {})
        await first.close()  # the citizen reloads before the clerk has come
        await again.join(http, citizen_path, {})
        started = time.monotonic()
        await clerk.join(clerk_http, clerk_path, headers)
        await eventually(lambda: clerk.fresh_video_since(started) and again.fresh_video_since(started))
    finally:
        for peer in (first, again, clerk):
            await peer.close()


async def test_concurrent_offers_leave_one_peer_connection_per_side(aiohttp_client, call_service):
    http = call_service
    citizen_path, clerk_http, clerk_path, headers, ref, _ = await picked_up_call(aiohttp_client, http)
    tabs = [Peer() for _ in range(4)]  # four tabs (or a script) offering at once
    clerk = Peer()
    before = open_peer_connections()
    try:
        offers = await asyncio.gather(*(tab.offer() for tab in tabs))  # ready, then sent together
        answers = await asyncio.gather(*(tab.try_join(http, citizen_path, {}, o) for tab, o in zip(tabs, offers, strict=True)))
        assert sorted(status for status, _ in answers) == [200, 409, 409, 409]  # one answered, the others refused
        assert open_peer_connections() - before == 1
        await clerk.join(clerk_http, clerk_path, headers)
        assert open_peer_connections() - before == 2
        health = await (await http.get("/healthz")).json()  # what an operator (and the bench) sees
        assert health["calls"] == {"rooms": 1, "peer_connections": open_peer_connections()}
        started = time.monotonic()
        await eventually(lambda: clerk.fresh_video_since(started))  # from the tab that won
        end = await clerk_http.post(f"/api/clerk/calls/{ref}/end", json={"outcome": "resolved"}, headers=headers)
        assert end.status == 200
        assert open_peer_connections() == before  # none outlives its call
    finally:
        for peer in (*tabs, clerk):
            await peer.close()


async def test_both_sides_offering_at_the_same_moment_meet_in_one_room(aiohttp_client, call_service):
    http = call_service
    citizen_path, clerk_http, clerk_path, headers, *_ = await picked_up_call(aiohttp_client, http)
    citizen, clerk = Peer(), Peer()
    try:
        await asyncio.gather(citizen.join(http, citizen_path, {}), clerk.join(clerk_http, clerk_path, headers))
        assert len(http.server.app[CALLS].rooms) == 1
        started = time.monotonic()
        await eventually(lambda: clerk.fresh_video_since(started) and citizen.fresh_video_since(started))
    finally:
        await citizen.close()
        await clerk.close()


@pytest.mark.parametrize("sdp", [
    "hello",
    "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n",
    None,  # a real offer with its DTLS fingerprint cut out
])
async def test_a_malformed_offer_gets_a_clear_400_and_the_live_call_goes_on(aiohttp_client, call_service, sdp):
    http = call_service
    citizen_path, clerk_http, clerk_path, headers, *_ = await picked_up_call(aiohttp_client, http)
    citizen, clerk = Peer(), Peer()
    before = open_peer_connections()
    try:
        await citizen.join(http, citizen_path, {})
        await clerk.join(clerk_http, clerk_path, headers)
        if sdp is None:
            real = Peer()
            offer = await real.offer()
            await real.close()
            sdp = "\r\n".join(line for line in offer["sdp"].split("\r\n") if not line.startswith("a=fingerprint"))
        resp = await http.post(citizen_path, json={"type": "offer", "sdp": sdp})
        assert resp.status == 400, await resp.text()
        error = (await resp.json())["error"]
        assert error["code"] == "offer_unusable" and "σύνδεση" in error["message"]
        assert open_peer_connections() - before == 2
        since = time.monotonic()
        await eventually(lambda: clerk.fresh_video_since(since) and citizen.fresh_video_since(since))
    finally:
        await citizen.close()
        await clerk.close()


async def test_too_many_offers_for_one_call_get_429(aiohttp_client, redis, settings, clock):
    await add_accounts(redis)
    http = await aiohttp_client(create_app(replace(settings, ice_addresses=("127.0.0.1",), call_offers_per_minute=3),
                                           redis=redis, clock=clock))
    citizen_path, clerk_http, clerk_path, headers, *_ = await picked_up_call(aiohttp_client, http)
    for _ in range(3):
        assert (await http.post(citizen_path, json={"type": "offer", "sdp": "x"})).status == 400
    resp = await http.post(citizen_path, json={"type": "offer", "sdp": "x"})
    assert resp.status == 429 and 0 < int(resp.headers["Retry-After"]) <= 60
    assert (await resp.json())["error"]["code"] == "too_many_offers"
    # Per side: the citizen's link (in e-mails, SMS) cannot use up the clerk's offers.
    assert (await clerk_http.post(clerk_path, json={"type": "offer", "sdp": "x"}, headers=headers)).status == 400


async def test_a_call_nobody_is_in_closes_its_media_but_never_locks_anybody_out(aiohttp_client, call_service, clock):
    http = call_service
    citizen_path, clerk_http, clerk_path, headers, ref, token = await picked_up_call(aiohttp_client, http)
    calls = http.server.app[CALLS]
    early, later, clerk = Peer(), Peer(), Peer()
    again: list[Peer] = []
    state = f"/api/clerk/calls/{ref}/state"
    try:
        await early.join(http, citizen_path, {})
        await eventually(lambda: early.pc.connectionState == "connected")
        await early.close()  # the citizen came early and left
        await eventually(lambda: not calls.rooms)
        clock.now = clock.now + timedelta(minutes=10)
        assert await calls.close_idle_media() == [ref]
        await later.join(http, citizen_path, {})  # the link still works
        await clerk.join(clerk_http, clerk_path, headers)  # the clerk picked up early
        await eventually_state(clerk_http, state, "connected")

        await later.close()  # both leave (or close their pages) for longer than the idle time
        await clerk.close()
        await eventually(lambda: ref not in calls.rooms)
        assert open_peer_connections() == 0
        assert await calls.close_idle_media() == []
        clock.now = clock.now + timedelta(minutes=3)
        assert await calls.close_idle_media() == [ref]
        assert await calls.close_idle_media() == []  # once

        # Nothing ended: the clerk's call is still there, the appointment still picked up…
        paused = await (await clerk_http.get(state)).json()
        assert paused["state"] == "connected" and paused["ended_because"] is None
        assert not paused["citizen_connected"] and not paused["clerk_connected"]
        [item] = [b for b in await (await clerk_http.get("/api/clerk/queue")).json() if b["reference"] == ref]
        assert item["status"] == "in_call"
        # …the citizen who lost the link finds it again («βρες το ραντεβού μου»), with its join link…
        found = await http.post("/api/bookings/recover", headers=AUTH,
                                json={"sender_id": "chat-9", "document_number": "ΑΒ 123456", "mobile": "6912345678"})
        assert found.status == 200, await found.text()
        assert [b["join_url"].rsplit("/", 1)[1] for b in (await found.json())["bookings"]] == [token]
        # …and both come back to the same call: fresh video both ways.
        again = [Peer(), Peer()]
        await again[0].join(http, citizen_path, {})
        await again[1].join(clerk_http, clerk_path, headers)
        back = time.monotonic()
        await eventually(lambda: all(p.fresh_video_since(back) for p in again))
    finally:
        for peer in (early, later, clerk, *again):
            await peer.close()


async def eventually_state(client, path: str, state: str) -> None:
    deadline = time.monotonic() + 10
    while (await (await client.get(path)).json()).get("state") != state:
        assert time.monotonic() < deadline, f"never {state}"
        await asyncio.sleep(0.1)


async def test_audio_only_holds_when_the_room_is_made_again(aiohttp_client, call_service):
    http = call_service
    citizen_path, clerk_http, clerk_path, headers, ref, _ = await picked_up_call(aiohttp_client, http)
    calls = http.server.app[CALLS]
    citizen, clerk = Peer(), Peer()
    again: list[Peer] = []
    try:
        await citizen.join(http, citizen_path, {})
        await clerk.join(clerk_http, clerk_path, headers)
        async def state() -> dict:
            return await (await clerk_http.get(f"/api/clerk/calls/{ref}/state")).json()

        await eventually_async(lambda s: s["state"] == "connected" and s["citizen_video"], state)
        assert (await clerk_http.post(f"/api/clerk/calls/{ref}/verify", json={"matches": True}, headers=headers)).status == 200
        assert (await clerk_http.post(f"/api/clerk/calls/{ref}/audio-only", headers=headers)).status == 200
        await citizen.close()
        await clerk.close()
        await eventually(lambda: ref not in calls.rooms)  # everybody left: the room is gone

        again = [Peer(), Peer()]
        await again[0].join(http, citizen_path, {})
        await again[1].join(clerk_http, clerk_path, headers)
        await eventually(lambda: all(p.received["audio"] > 50 for p in again))
        assert [p.received["video"] for p in again] == [0, 0]
        assert (await (await clerk_http.get(f"/api/clerk/calls/{ref}/state")).json())["video"] is False
    finally:
        for peer in (citizen, clerk, *again):
            await peer.close()
