"""The handed-off call with two real aiortc peers (citizen and clerk) through the running
service: media both ways, the state machine, audio-only stopping video but not audio.
Loopback only: no STUN server, host candidates restricted to 127.0.0.1."""
from __future__ import annotations

import asyncio
import json
from collections import Counter
from datetime import datetime, timedelta

import pytest
from prometheus_client import REGISTRY

from .helpers import AUTH, appointment_and_clerk, booking_body, sign_in
from .peers import Peer, eventually, eventually_async

pytestmark = pytest.mark.slow


async def test_media_flows_both_ways_and_audio_only_stops_video(aiohttp_client, call_service, redis):
    http = call_service
    token, ref, clerk_http, headers = await appointment_and_clerk(aiohttp_client, http)
    assert (await clerk_http.post(f"/api/clerk/calls/{ref}/offer", json={}, headers=headers)).status == 403  # not picked up
    assert (await clerk_http.post(f"/api/clerk/bookings/{ref}/pickup", headers=headers)).status == 200

    def cpu(part: str) -> float:  # the operator's relay CPU series (metrics.CpuByPart)
        return REGISTRY.get_sample_value("kep_process_cpu_seconds_total", {"part": part}) or 0.0

    citizen, clerk = Peer(), Peer()
    try:
        codecs_before = cpu("media_codecs")
        await citizen.join(http, f"/api/calls/{token}/offer", {})
        await clerk.join(clerk_http, f"/api/clerk/calls/{ref}/offer", headers)
        await eventually(lambda: all(p.received[k] > 5 for p in (citizen, clerk) for k in ("audio", "video")))
        assert cpu("media_codecs") > codecs_before  # decoding and encoding run outside the event loop
        assert cpu("password_checks") > 0  # the clerk signed in

        async def state() -> dict:
            return await (await clerk_http.get(f"/api/clerk/calls/{ref}/state")).json()

        await eventually_async(lambda s: s["state"] == "connected" and s["citizen_video"], state)
        scraped = await (await http.get("/metrics")).text()
        assert 'kep_calls{state="connected"} 1.0' in scraped and 'kep_calls{state="waiting"} 0.0' in scraped
        too_early = await clerk_http.post(f"/api/clerk/calls/{ref}/audio-only", headers=headers)
        assert too_early.status == 409 and "ταυτότητα" in (await too_early.json())["error"]["message"]

        assert (await clerk_http.post(f"/api/clerk/calls/{ref}/verify", json={"matches": True}, headers=headers)).status == 200
        assert (await clerk_http.post(f"/api/clerk/calls/{ref}/audio-only", headers=headers)).status == 200
        await asyncio.sleep(0.5)  # frames already on the wire
        before = Counter(citizen.received) + Counter(clerk.received)
        await asyncio.sleep(1.5)
        after = Counter(citizen.received) + Counter(clerk.received)
        assert after["video"] - before["video"] == 0
        assert after["audio"] - before["audio"] > 50  # 20 ms packets, both directions

        citizen_view = await (await http.get(f"/api/calls/{token}/state")).json()
        assert citizen_view["state"] == "audio_only" and citizen_view["video"] is False

        await clerk_http.post(f"/api/clerk/calls/{ref}/message", json={"text": "https://www.gov.gr"}, headers=headers)
        assert (await (await http.get(f"/api/calls/{token}/state")).json())["messages"][0]["text"] == "https://www.gov.gr"

        end = await clerk_http.post(f"/api/clerk/calls/{ref}/end", json={"outcome": "resolved", "notes": ""}, headers=headers)
        assert end.status == 200 and (await end.json())["status"] == "completed"
        assert (await http.post(f"/api/calls/{token}/offer", json={"sdp": "x", "type": "offer"})).status == 403
        trail = [json.loads(x)["event"] for x in await redis.lrange(f"kep:audit:{ref}", 0, -1)]
        assert [e for e in trail if e.startswith("call.") and not e.endswith("_joined")] == [
            "call.connected", "call.id_verified", "call.audio_only", "call.ended"]
        assert {"call.citizen_joined", "call.clerk_joined", "booking.picked_up", "booking.finished"} <= set(trail)
    finally:
        await citizen.close()
        await clerk.close()


async def test_waiting_citizen_hears_the_clerk_is_finishing_an_earlier_call(aiohttp_client, call_service, clock):
    http = call_service
    slots = await (await http.get("/api/slots", params={"topic": "identity_documents", "branch": "kep-athina", "limit": "20"})).json()
    clerk_id = slots[0]["clerk"]
    earlier, later = [s for s in slots if s["clerk"] == clerk_id][:2]
    booked = []
    for slot in (earlier, later):
        resp = await http.post("/api/bookings", json=booking_body(slot["slot_id"], "identity_documents"), headers=AUTH)
        booked.append(await resp.json())
    token = booked[1]["join_url"].rsplit("/", 1)[1]
    assert (await (await http.get(f"/api/calls/{token}/state")).json())["clerk_busy_minutes"] is None

    clerk_http, csrf = await sign_in(aiohttp_client, http, clerk_id)
    await clerk_http.post(f"/api/clerk/bookings/{booked[0]['reference']}/pickup", headers={"X-CSRF-Token": csrf})
    clock.now = datetime.fromisoformat(earlier["start"]) + timedelta(minutes=5)
    state = await (await http.get(f"/api/calls/{token}/state")).json()
    assert state["clerk_busy_minutes"] == 15 and state["state"] == "waiting"
