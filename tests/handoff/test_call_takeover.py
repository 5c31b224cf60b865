"""A supervisor hands a live call over to another clerk (the first one's computer died, or they
left): the first clerk's page is refused, the new clerk joins and sees the ID card again, and
the media flows between the citizen and the new clerk."""
from __future__ import annotations

import asyncio
import json
import time

import pytest

from handoff.accounts import AccountStore

from .helpers import appointment_and_clerk, picked_up_call, sign_in
from .peers import Peer, eventually, eventually_async

FIRST, NEW = "ath-alexiou", "ath-papadopoulou"  # both in Athens, both serve identity documents


async def _take_over(who, ref: str, csrf: str, clerk) -> tuple[int, dict]:
    resp = await who.post(f"/api/clerk/bookings/{ref}/take-over", json={"clerk": clerk}, headers={"X-CSRF-Token": csrf})
    return resp.status, await resp.json()


def _code(answer: tuple[int, dict]) -> tuple[int, str]:
    return answer[0], answer[1].get("error", {}).get("code", "")


async def test_only_a_supervisor_hands_over_a_live_call_to_a_clerk_who_can_take_it(aiohttp_client, call_service, redis):
    http = call_service
    token, ref, first_http, headers = await appointment_and_clerk(aiohttp_client, http)
    supervisor, csrf = await sign_in(aiohttp_client, http, "sup-athina")
    new_http, new_csrf = await sign_in(aiohttp_client, http, NEW)

    # Not picked up yet: that is a reassignment, not a takeover.
    assert _code(await _take_over(supervisor, ref, csrf, NEW)) == (409, "not_in_call")
    assert (await first_http.post(f"/api/clerk/bookings/{ref}/pickup", headers=headers)).status == 200

    assert _code(await _take_over(new_http, ref, new_csrf, NEW)) == (403, "supervisors_only")  # a clerk cannot take it
    assert _code(await _take_over(supervisor, ref, csrf, "thes-dimitriou")) == (422, "other_branch")
    assert _code(await _take_over(supervisor, ref, csrf, "ath-georgiou")) == (422, "not_trained")
    assert _code(await _take_over(supervisor, ref, csrf, "Μαρία Παπαδοπούλου")) == (422, "unknown_clerk")
    assert _code(await _take_over(supervisor, ref, csrf, FIRST)) == (409, "same_clerk")
    assert _code(await _take_over(supervisor, ref, csrf, None)) == (422, "invalid_fields")
    await AccountStore(redis).update(NEW, disabled=True)
    status, body = await _take_over(supervisor, ref, csrf, NEW)
    assert (status, body["error"]["code"]) == (422, "no_account") and "λογαριασμό" in body["error"]["message"]
    assert await (await supervisor.get(f"/api/clerk/bookings/{ref}/reassignable-clerks")).json() == []
    await AccountStore(redis).update(NEW, disabled=False)
    choices = await (await supervisor.get(f"/api/clerk/bookings/{ref}/reassignable-clerks")).json()
    assert choices == [{"id": NEW, "name": "Μαρία Παπαδοπούλου"}]  # free now, whatever their timetable

    feed = await new_http.get("/api/clerk/events")
    await feed.content.readuntil(b"\n\n")  # connected
    status, item = await _take_over(supervisor, ref, csrf, NEW)
    assert status == 200 and (item["status"], item["picked_by_name"], item["picked_by_me"]) == ("in_call", "Μαρία Παπαδοπούλου", False)
    chunk = await asyncio.wait_for(feed.content.readuntil(b"\n\n"), timeout=2.0)
    assert json.loads(chunk.split(b"data: ", 1)[1]) == {"kind": "taken_over", "reference": ref}
    feed.close()

    mine = [b for b in await (await new_http.get("/api/clerk/queue")).json() if b["reference"] == ref]
    assert [(b["status"], b["picked_by_me"], b["citizen"]["id_card"]) for b in mine] == [("in_call", True, "ΑΒ123456")]  # unmasked: theirs now
    assert (await first_http.get(f"/api/clerk/calls/{ref}/state")).status == 403
    finish = await first_http.post(f"/api/clerk/bookings/{ref}/finish", json={"outcome": "resolved", "notes": ""}, headers=headers)
    assert finish.status == 403
    steps = await (await supervisor.get(f"/api/clerk/bookings/{ref}/audit")).json()
    handed = [s for s in steps if s["event"] == "booking.taken_over"]
    assert [(s["actor"], s["details"]) for s in handed] == [("Προϊστάμενος Αθήνας", "από Δημήτρης Αλεξίου σε Μαρία Παπαδοπούλου")]
    assert _code(await _take_over(supervisor, ref, csrf, FIRST)) == (200, "")  # and back, if the first clerk returns


@pytest.mark.slow
async def test_the_new_clerk_joins_the_live_call_and_verifies_the_id_again(aiohttp_client, call_service):
    http = call_service
    citizen_path, first_http, first_path, headers, ref, token = await picked_up_call(aiohttp_client, http)
    supervisor, csrf = await sign_in(aiohttp_client, http, "sup-athina")
    new_http, new_csrf = await sign_in(aiohttp_client, http, NEW)
    new_headers = {"X-CSRF-Token": new_csrf}
    citizen, first, new = Peer(), Peer(), Peer()

    async def state(client=new_http) -> dict:
        return await (await client.get(f"/api/clerk/calls/{ref}/state")).json()

    try:
        await citizen.join(http, citizen_path, {})
        await first.join(first_http, first_path, headers)
        await eventually_async(lambda s: s["state"] == "connected" and s["citizen_video"], lambda: state(first_http))
        assert (await first_http.post(f"/api/clerk/calls/{ref}/verify", json={"matches": True}, headers=headers)).status == 200
        assert (await first_http.post(f"/api/clerk/calls/{ref}/audio-only", headers=headers)).status == 200

        assert (await _take_over(supervisor, ref, csrf, NEW))[0] == 200
        handed_at = time.monotonic()
        await eventually(lambda: first.pc.connectionState == "closed")  # the service closed the first clerk's connection
        again = Peer()  # the first clerk's page, reloaded
        try:
            assert (await again.try_join(first_http, first_path, headers))[0] == 403
        finally:
            await again.close()
        refused = await first_http.post(f"/api/clerk/calls/{ref}/verify", json={"matches": True}, headers=headers)
        error = (await refused.json())["error"]
        assert (refused.status, error["code"], error["message"]) == (
            403, "not_your_call", "Ο προϊστάμενος έδωσε αυτή την κλήση σε άλλον υπάλληλο.")  # what their page shows
        waiting = await state()
        assert (waiting["state"], waiting["video"], waiting["clerk_connected"]) == ("waiting", True, False)

        await new.join(new_http, f"/api/clerk/calls/{ref}/offer", new_headers)
        joined = time.monotonic()
        await eventually(lambda: new.fresh_video_since(joined) and citizen.fresh_video_since(joined + 1))
        audio = citizen.received["audio"]
        await eventually(lambda: citizen.received["audio"] > audio + 10 and new.received["audio"] > 10)
        assert not first.fresh_video_since(handed_at + 1, frames=1)  # the first clerk's connection was closed

        await eventually_async(lambda s: s["state"] == "connected", state)
        too_early = await new_http.post(f"/api/clerk/calls/{ref}/audio-only", headers=new_headers)
        assert too_early.status == 409  # the new clerk has not seen the ID card
        assert (await new_http.post(f"/api/clerk/calls/{ref}/verify", json={"matches": True}, headers=new_headers)).status == 200
        assert (await new_http.post(f"/api/clerk/calls/{ref}/audio-only", headers=new_headers)).status == 200
        end = await new_http.post(f"/api/clerk/calls/{ref}/end", json={"outcome": "resolved", "notes": ""}, headers=new_headers)
        assert end.status == 200 and (await end.json())["status"] == "completed"
    finally:
        for peer in (citizen, first, new):
            await peer.close()
