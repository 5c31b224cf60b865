"""Attacks on the call's signalling with real aiortc peers: a burst of offers on one join link,
and offers that are not offers. Each gets a clear 4xx with a Greek JSON body, never a 500;
the live call and the service go on."""
from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from dataclasses import replace

import pytest

from handoff.app import create_app
from handoff.media import open_peer_connections
from tests.handoff.helpers import add_accounts, picked_up_call
from tests.handoff.peers import Peer, eventually

pytestmark = pytest.mark.slow
GREEK = re.compile("[α-ωΑ-Ω]")


@pytest.fixture
async def service(aiohttp_client, redis, settings, clock):
    """Loopback-only ICE; room for a 30-offer burst within the per-side offer limit."""
    await add_accounts(redis)
    app = create_app(replace(settings, ice_addresses=("127.0.0.1",), call_offers_per_minute=40), redis=redis, clock=clock)
    return await aiohttp_client(app)


async def test_thirty_offers_at_once_on_one_join_link_get_one_call(aiohttp_client, service):
    http = service
    citizen_path, clerk_http, clerk_path, headers, *_ = await picked_up_call(aiohttp_client, http)
    offerers = [Peer() for _ in range(30)]
    clerk = Peer()
    before = open_peer_connections()
    try:
        offers = await asyncio.gather(*(p.offer() for p in offerers))  # made first, then sent all at once
        answers = await asyncio.gather(*(p.try_join(http, citizen_path, {}, o) for p, o in zip(offerers, offers, strict=True)))
        statuses = [status for status, _ in answers]
        assert statuses.count(200) == 1, statuses
        refused = [body for status, body in answers if status != 200]
        assert {s for s in statuses if s != 200} == {409}
        assert all(b["error"]["code"] == "offer_in_progress" and GREEK.search(b["error"]["message"]) for b in refused)
        assert open_peer_connections() - before == 1  # no connection left over from the refused ones

        health = await http.get("/healthz")
        assert health.status == 200 and (await health.json())["calls"]["rooms"] == 1
        # The clerk joins (the burst did not use up their offers) and meets the one answered.
        winner = offerers[statuses.index(200)]
        await clerk.join(clerk_http, clerk_path, headers)
        started = time.monotonic()
        await eventually(lambda: winner.fresh_video_since(started) and clerk.fresh_video_since(started))
        assert open_peer_connections() - before == 2
        # Later, one offer at a time (a reload) is answered again and takes the side's place.
        reload = Peer()
        offerers.append(reload)
        await reload.join(http, citizen_path, {})
        since = time.monotonic()
        await eventually(lambda: reload.fresh_video_since(since) and clerk.fresh_video_since(since))
        assert open_peer_connections() - before == 2
    finally:
        for peer in (*offerers, clerk):
            await peer.close()


def cut(sdp: str, fraction: float) -> str:
    return sdp[: int(len(sdp) * fraction)]


def video_sections_repeated(sdp: str, times: int) -> str:
    head, _, video = sdp.partition("m=video")
    return head + ("m=video" + video) * times


BODY_LIMIT = 64 * 1024


@pytest.mark.parametrize("name, body, status, codes", [
    ("garbage", lambda real: {"type": "offer", "sdp": "γεια σου 🙂 \x00\x07 ;DROP TABLE"}, 400, {"offer_unusable"}),
    ("binary noise", lambda real: {"type": "offer", "sdp": "".join(chr((i * 7919) % 0x2FF + 1) for i in range(3000))},
     400, {"offer_unusable"}),
    ("only the header", lambda real: {"type": "offer", "sdp": "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"},
     400, {"offer_unusable"}),
    ("truncated at a third", lambda real: {"type": "offer", "sdp": cut(real, 1 / 3)}, 400, {"offer_unusable"}),
    ("truncated mid-line", lambda real: {"type": "offer", "sdp": cut(real, 0.5) + "a=ice-pw"}, 400, {"offer_unusable"}),
    ("an answer", lambda real: {"type": "answer", "sdp": real}, 400, {"offer_invalid"}),
    ("rollback, no sdp", lambda real: {"type": "rollback"}, 400, {"offer_invalid"}),
    ("sdp a number", lambda real: {"type": "offer", "sdp": 12345}, 400, {"offer_invalid"}),
    ("sdp nested deep", lambda real: {"type": "offer", "sdp": json.loads("[" * 500 + "]" * 500)}, 400, {"offer_invalid"}),
    ("a list", lambda real: [real], 400, {"offer_invalid"}),
    ("null", lambda real: None, 400, {"offer_invalid"}),
    ("huge, within the body limit", lambda real: {"type": "offer", "sdp": real + "a=x-pad:" + "x" * 40000 + "\r\n"},
     400, {"offer_invalid"}),
    ("eight video sections", lambda real: {"type": "offer", "sdp": video_sections_repeated(real, 8)}, 400,
     {"offer_unusable"}),
    ("beyond the body limit", lambda real: {"type": "offer", "sdp": "a" * (BODY_LIMIT + 1)}, 413, {"body_too_large"}),
])
async def test_a_malformed_offer_is_a_clear_4xx_and_the_live_call_goes_on(aiohttp_client, service, caplog,
                                                                          name, body, status, codes):
    http = service
    citizen_path, clerk_http, clerk_path, headers, _, token = await picked_up_call(aiohttp_client, http)
    citizen, clerk = Peer(), Peer()
    before = open_peer_connections()
    try:
        await citizen.join(http, citizen_path, {})
        await clerk.join(clerk_http, clerk_path, headers)
        real = (await Peer().offer())["sdp"]  # (its connection is never used)
        caplog.set_level(logging.INFO)
        for client, path, extra in ((http, citizen_path, {}), (clerk_http, clerk_path, headers)):
            resp = await client.post(path, data=json.dumps(body(real)), headers=extra | {"Content-Type": "application/json"})
            assert resp.status == status, (name, await resp.text())
            assert resp.content_type == "application/json"
            error = (await resp.json())["error"]
            assert error["code"] in codes and GREEK.search(error["message"]), (name, error)
        assert open_peer_connections() - before == 2
        since = time.monotonic()
        await eventually(lambda: clerk.fresh_video_since(since) and citizen.fresh_video_since(since))
        assert (await http.get("/healthz")).status == 200
        assert "unhandled error" not in caplog.text and token not in caplog.text
    finally:
        await citizen.close()
        await clerk.close()


async def test_an_offer_that_is_not_json_is_a_clear_400(aiohttp_client, service):
    http = service
    citizen_path, *_ = await picked_up_call(aiohttp_client, http)
    for data, content_type, code in (
        ("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\n", "application/sdp", "json_required"),
        (b"\xff\xfe{\"type\": \"offer\"}", "application/json", "malformed_json"),
        ('{"type": "offer", "sdp": "v=0', "application/json", "malformed_json"),
    ):
        resp = await http.post(citizen_path, data=data, headers={"Content-Type": content_type})
        assert resp.status == 400 and (await resp.json())["error"]["code"] == code
