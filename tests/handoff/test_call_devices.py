"""The join link open on two devices (a phone and a laptop): the newest page that joins holds
the call; the other one's automatic re-offers are refused and its state says the call goes on
elsewhere, so the two do not take the call from each other every few seconds. Pressing to
continue on the first device takes it back, once."""
from __future__ import annotations

import asyncio
import time

import pytest

from .helpers import picked_up_call
from .peers import Peer, eventually, eventually_async

pytestmark = pytest.mark.slow


async def test_the_newest_device_keeps_the_call_until_the_other_takes_it_back(aiohttp_client, call_service):
    http = call_service
    citizen_path, clerk_http, clerk_path, headers, ref, token = await picked_up_call(aiohttp_client, http)
    phone, laptop, clerk = Peer(), Peer(), Peer()
    back: Peer | None = None

    async def state(peer: Peer) -> dict:
        return await (await http.get(f"/api/calls/{token}/state", params={"connection": peer.connection})).json()

    try:
        await phone.join(http, citizen_path, {})
        await clerk.join(clerk_http, clerk_path, headers)
        started = time.monotonic()
        await eventually(lambda: phone.fresh_video_since(started) and clerk.fresh_video_since(started))
        assert (await state(phone))["elsewhere"] is False

        await laptop.join(http, citizen_path, {})  # the same link, opened on the laptop
        switched = time.monotonic()
        await eventually(lambda: laptop.fresh_video_since(switched) and clerk.fresh_video_since(switched + 1))
        assert (await state(phone))["elsewhere"] is True
        assert (await state(laptop))["elsewhere"] is False
        clerk_side = await (await clerk_http.get(f"/api/clerk/calls/{ref}/state")).json()
        assert clerk_side["elsewhere"] is False  # a page that does not say which it is: not told anything

        # The phone lost its connection; as a page does after a drop, it offers again, and again.
        for _ in range(10):
            retry = Peer()
            retry.connection = phone.connection
            try:
                status, body = await retry.try_join(http, citizen_path, {}, await retry.offer(resume=True))
            finally:
                await retry.close()
            assert status == 409, body
            assert body["error"]["code"] == "taken_elsewhere"
            assert body["error"]["message"] == "Η κλήση συνεχίζεται σε άλλη συσκευή ή καρτέλα."
            await asyncio.sleep(1)
        since = time.monotonic()  # ~10 s later the laptop still has the call, with live video both ways
        await eventually(lambda: laptop.fresh_video_since(since) and clerk.fresh_video_since(since))
        assert (await state(laptop))["elsewhere"] is False

        # «Συνέχεια της κλήσης εδώ» on the phone: a deliberate join from the phone's page takes it back.
        back = Peer()
        back.connection = phone.connection
        await back.join(http, citizen_path, {})
        returned = time.monotonic()
        await eventually(lambda: back.fresh_video_since(returned) and clerk.fresh_video_since(returned + 1))
        await eventually_async(lambda s: s["elsewhere"], lambda: state(laptop))
        assert (await state(back))["elsewhere"] is False
    finally:
        for peer in (phone, laptop, clerk, *([back] if back else [])):
            await peer.close()


async def test_the_clerks_second_device_takes_the_call_the_same_way(aiohttp_client, call_service):
    http = call_service
    citizen_path, clerk_http, clerk_path, headers, ref, _ = await picked_up_call(aiohttp_client, http)
    citizen, desk, tablet = Peer(), Peer(), Peer()
    try:
        await citizen.join(http, citizen_path, {})
        await desk.join(clerk_http, clerk_path, headers)
        await tablet.join(clerk_http, clerk_path, headers)
        state = f"/api/clerk/calls/{ref}/state"
        desk_state = await (await clerk_http.get(state, params={"connection": desk.connection})).json()
        assert desk_state["elsewhere"] is True
        retry = Peer()  # the desk's page offers again after its drop
        retry.connection = desk.connection
        try:
            status, body = await retry.try_join(clerk_http, clerk_path, headers, await retry.offer(resume=True))
        finally:
            await retry.close()
        assert (status, body["error"]["code"]) == (409, "taken_elsewhere")
        since = time.monotonic()
        await eventually(lambda: tablet.fresh_video_since(since) and citizen.fresh_video_since(since))
    finally:
        for peer in (citizen, desk, tablet):
            await peer.close()


async def test_a_connection_id_that_is_not_one_gets_400(aiohttp_client, call_service):
    http = call_service
    citizen_path, *_ = await picked_up_call(aiohttp_client, http)
    peer = Peer()
    try:
        offer = await peer.offer() | {"connection": "x;DROP"}
        resp = await http.post(citizen_path, json=offer)
        assert resp.status == 400
        assert (await resp.json())["error"]["code"] == "connection_invalid"
    finally:
        await peer.close()
