"""The people in the call, through the API with real aiortc peers: camera and microphone as
each page reports them (the citizen's camera stays on until the ID is verified), leaving and
coming back, and a rejected ID card that ends the call and finishes the appointment."""
from __future__ import annotations

import time

import pytest

from handoff.api.keys import CALLS
from handoff.calls import CallState
from handoff.media import open_peer_connections

from .helpers import appointment_and_clerk
from .peers import Peer, eventually, eventually_async

pytestmark = pytest.mark.slow


@pytest.fixture
async def live_call(aiohttp_client, call_service):
    """A picked-up appointment with both sides connected and video flowing."""
    http = call_service
    token, ref, clerk_http, headers = await appointment_and_clerk(aiohttp_client, http)
    assert (await clerk_http.post(f"/api/clerk/bookings/{ref}/pickup", headers=headers)).status == 200
    citizen, clerk = Peer(), Peer()
    await citizen.join(http, f"/api/calls/{token}/offer", {})
    await clerk.join(clerk_http, f"/api/clerk/calls/{ref}/offer", headers)
    started = time.monotonic()
    await eventually(lambda: citizen.fresh_video_since(started) and clerk.fresh_video_since(started))

    class Call:
        pass

    call = Call()
    call.http, call.token, call.ref, call.clerk_http, call.headers = http, token, ref, clerk_http, headers
    call.citizen, call.clerk = citizen, clerk
    call.citizen_api, call.clerk_api = f"/api/calls/{token}", f"/api/clerk/calls/{ref}"

    async def state() -> dict:
        return await (await clerk_http.get(f"{call.clerk_api}/state")).json()

    call.state = state
    await eventually_async(lambda s: s["state"] == "connected" and s["citizen_video"], state)
    yield call
    await citizen.close()
    await clerk.close()


async def test_the_citizen_camera_stays_on_until_the_id_is_verified(live_call):
    call = live_call
    off = await call.http.post(f"{call.citizen_api}/devices", json={"camera": False, "microphone": True})
    assert off.status == 409
    error = (await off.json())["error"]
    assert error["code"] == "camera_needed_for_id" and "επιβεβαιώσει την ταυτότητά σας" in error["message"]
    muted = await call.http.post(f"{call.citizen_api}/devices", json={"camera": True, "microphone": False})
    assert muted.status == 200
    assert (await call.state())["citizen_microphone"] is False  # the clerk's page can say so
    bad = await call.http.post(f"{call.citizen_api}/devices", json={"camera": "off"})
    assert bad.status == 422

    assert (await call.clerk_http.post(f"{call.clerk_api}/verify", json={"matches": True}, headers=call.headers)).status == 200
    off = await call.http.post(f"{call.citizen_api}/devices", json={"camera": False, "microphone": True})
    assert off.status == 200
    state = await call.state()
    assert state["citizen_camera"] is False and state["citizen_microphone"] is True

    clerk_off = await call.clerk_http.post(f"{call.clerk_api}/devices", json={"camera": False, "microphone": False},
                                           headers=call.headers)
    assert clerk_off.status == 200
    citizen_view = await (await call.http.get(f"{call.citizen_api}/state")).json()
    assert citizen_view["clerk_camera"] is False and citizen_view["clerk_microphone"] is False


async def test_a_citizen_who_leaves_is_shown_as_gone_and_can_come_back(live_call):
    call = live_call
    before = open_peer_connections()
    assert (await call.http.post(f"{call.citizen_api}/leave")).status == 200
    state = await call.state()
    assert state["citizen_left"] is True and state["citizen_connected"] is False and state["state"] == "connected"
    assert open_peer_connections() == before - 1  # the citizen's connection is closed at once

    back = Peer()
    try:
        await back.join(call.http, f"{call.citizen_api}/offer", {})
        since = time.monotonic()
        await eventually(lambda: call.clerk.fresh_video_since(since))
        state = await call.state()
        assert state["citizen_left"] is False and state["citizen_connected"] is True
    finally:
        await back.close()


async def test_a_rejected_id_ends_the_call_tells_the_citizen_why_and_finishes_the_appointment(live_call, redis):
    call = live_call
    empty = await call.clerk_http.post(f"{call.clerk_api}/verify", json={"matches": False, "reason": "  "}, headers=call.headers)
    assert empty.status == 422
    reason = "Ο αριθμός στην κάρτα δεν είναι αυτός του ραντεβού."
    rejected = await call.clerk_http.post(f"{call.clerk_api}/verify", json={"matches": False, "reason": reason},
                                          headers=call.headers)
    assert rejected.status == 200
    citizen_view = await (await call.http.get(f"{call.citizen_api}/state")).json()
    assert citizen_view["state"] == "ended"
    assert citizen_view["ended_because"] == "id_rejected" and citizen_view["rejection_reason"] == reason
    booking = await redis.hgetall(f"kep:booking:{call.ref}")
    assert booking["status"] == "completed" and booking["outcome"] == "id_rejected" and booking["notes"] == reason
    assert await call.http.app[CALLS].state(call.ref) is CallState.ENDED  # read back from Redis as the enum
    await eventually(lambda: open_peer_connections() == 0)
    late = Peer()
    try:
        assert (await call.http.post(f"{call.citizen_api}/offer", json=await late.offer())).status == 403
    finally:
        await late.close()


async def test_an_id_cannot_be_confirmed_without_live_video(aiohttp_client, call_service):
    http = call_service
    token, ref, clerk_http, headers = await appointment_and_clerk(aiohttp_client, http)
    await clerk_http.post(f"/api/clerk/bookings/{ref}/pickup", headers=headers)
    resp = await clerk_http.post(f"/api/clerk/calls/{ref}/verify", json={"matches": True}, headers=headers)
    assert resp.status == 409 and (await resp.json())["error"]["code"] == "no_live_video"
