"""Attacks together with what they must not disturb: a log-in flood from many addresses while
a call runs; and no API that tells a real reference from a made-up one."""
from __future__ import annotations

import asyncio
import time
from dataclasses import replace

import pytest

from handoff.app import create_app
from tests.handoff.helpers import PASSWORD, add_accounts, appointment_and_clerk
from tests.handoff.peers import Peer, eventually

pytestmark = pytest.mark.slow


@pytest.fixture
async def service(aiohttp_client, redis, settings, clock):
    """Behind our proxy (each attacker its own address), loopback-only ICE for the call."""
    await add_accounts(redis)
    app = create_app(replace(settings, trusted_proxies=("127.0.0.1",), ice_addresses=("127.0.0.1",)), redis=redis, clock=clock)
    return await aiohttp_client(app)


async def test_a_login_flood_from_many_addresses_while_a_call_runs(aiohttp_client, service):
    http = service
    token, ref, clerk_http, headers = await appointment_and_clerk(aiohttp_client, http)
    assert (await clerk_http.post(f"/api/clerk/bookings/{ref}/pickup", headers=headers)).status == 200
    citizen, clerk = Peer(), Peer()
    try:
        await citizen.join(http, f"/api/calls/{token}/offer", {})
        await clerk.join(clerk_http, f"/api/clerk/calls/{ref}/offer", headers)
        await eventually(lambda: citizen.fresh_video_since(0) and clerk.fresh_video_since(0))

        async def attacker(n: int) -> list[int]:
            address = {"X-Forwarded-For": f"198.51.100.{n}"}
            answers = []
            for i in range(4):
                resp = await http.post("/api/clerk/login", json={"username": "ath-alexiou", "password": f"μαντεψιά-{n}-{i}"},
                                       headers=address)
                answers.append(resp.status)
            return answers

        began = time.monotonic()
        flood = asyncio.gather(*(attacker(n) for n in range(1, 31)))  # 120 wrong passwords, 30 addresses
        health = []
        while not flood.done():
            health.append((await http.get("/healthz")).status)
            await asyncio.sleep(0.1)
        answers = [status for attempts in await flood for status in attempts]
        ended = time.monotonic()

        assert set(answers) <= {401, 429, 503} and answers.count(401) >= 10  # argon2 did run
        assert health and set(health) == {200}
        # the call kept its pictures through the flood: no second without fresh frames, both ways
        for peer in (citizen, clerk):
            seconds = {int(r.at - began) for r in peer.video if began <= r.at <= ended}
            assert seconds >= set(range(int(ended - began))), (sorted(seconds), ended - began)
        assert citizen.fresh_video_since(began) and clerk.fresh_video_since(began)
        # and the clerk, at their own desk, is not locked out by any of it
        desk = await http.post("/api/clerk/login", json={"username": "ath-alexiou", "password": PASSWORD},
                               headers={"X-Forwarded-For": "192.0.2.200"})
        assert desk.status == 200
    finally:
        await citizen.close()
        await clerk.close()


async def test_no_api_tells_a_real_reference_from_a_made_up_one(aiohttp_client, service):
    """A clerk of another branch, or a citizen with a wrong code, gets the same answer for a
    reference that exists and for one that does not."""
    _, ref, _, _ = await appointment_and_clerk(aiohttp_client, service)
    other_branch = await aiohttp_client(service.server)
    csrf = (await (await other_branch.post("/api/clerk/login", json={"username": "thes-dimitriou", "password": PASSWORD},
                                           headers={"X-Forwarded-For": "192.0.2.77"})).json())["csrf_token"]
    probes = [
        (other_branch, "POST", "/api/clerk/bookings/{}/pickup", {"X-CSRF-Token": csrf}),
        (other_branch, "POST", "/api/clerk/calls/{}/offer", {"X-CSRF-Token": csrf}),
        (other_branch, "GET", "/api/clerk/calls/{}/state", {}),
        (service, "GET", "/api/bookings/{}", {"X-Manage-Token": "WRONGCODE2"}),
        (service, "POST", "/api/bookings/{}/cancel", {"X-Manage-Token": "WRONGCODE2"}),
        (service, "GET", "/api/bookings/{}/calendar.ics", {}),
    ]
    for http, method, path, headers in probes:
        real = await http.request(method, path.format(ref), json={}, headers=headers)
        made_up = await http.request(method, path.format("KEP-222222"), json={}, headers=headers)
        assert real.status == made_up.status and real.status in (403, 404), path
        assert await real.json() == await made_up.json(), path
