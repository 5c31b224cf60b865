"""Two handoff processes behind a round-robin balancer serve one call: the citizen signals to
one, the clerk to the other, and the clerk's decisions reach the process holding the media.
When that process is killed, both sides rejoin through the other one within 10 s, with the
call's state (audio-only) intact. Real processes (`python -m handoff serve`), one Redis."""
from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time

import aiohttp
import pytest

from handoff.config import PROJECT_ROOT
from handoff.media import restrict_host_addresses
from handoff.redis_server import free_port

from .helpers import AUTH, PASSWORD, SERVICE_TOKEN, add_accounts
from .peers import Peer, eventually

pytestmark = pytest.mark.slow


class HandoffProcess:
    def __init__(self, redis_url: str, log_path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = os.environ | {
            "REDIS_URL": redis_url, "HANDOFF_PORT": str(self.port), "HANDOFF_SERVICE_TOKEN": SERVICE_TOKEN,
            "HANDOFF_SECRET_KEY": "two-processes-secret",
            "HANDOFF_ICE_ADDRESSES": "127.0.0.1", "HANDOFF_PUBLIC_URL": "http://kep.test",
        }
        self._log = open(log_path, "w")  # noqa: SIM115 — closed in stop()
        self.process = subprocess.Popen([sys.executable, "-m", "handoff", "serve"], cwd=PROJECT_ROOT, env=env,
                                        stdout=self._log, stderr=subprocess.STDOUT)

    async def ready(self, http: aiohttp.ClientSession) -> None:
        for _ in range(200):
            with contextlib.suppress(aiohttp.ClientError):
                async with http.get(f"{self.url}/healthz") as resp:
                    if resp.status == 200:
                        return
            await asyncio.sleep(0.05)
        raise AssertionError("the handoff process did not start")

    async def calls(self, http: aiohttp.ClientSession) -> dict:
        async with http.get(f"{self.url}/healthz") as resp:
            return (await resp.json())["calls"]

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process.poll() is None:
            self.process.send_signal(sig)
            self.process.wait(timeout=20)
        self._log.close()


@pytest.fixture
async def two_processes(redis, redis_server, tmp_path):
    restrict_host_addresses(["127.0.0.1"])  # this process's peers: loopback only, as the services
    await add_accounts(redis)
    first = HandoffProcess(redis_server.url, tmp_path / "first.log")
    async with aiohttp.ClientSession() as http:
        await first.ready(http)  # it seeds the empty database; then the second one starts
        second = HandoffProcess(redis_server.url, tmp_path / "second.log")
        await second.ready(http)
    yield first, second
    first.stop()
    second.stop()


async def json_of(response) -> dict:
    async with response as resp:
        body = await resp.json()
        assert resp.status < 400, body
        return body


async def test_a_call_across_two_processes_survives_the_media_process_dying(two_processes):
    first, second = two_processes
    async with aiohttp.ClientSession() as citizen_http, \
            aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as clerk_http:
        params = {"topic": "identity_documents", "branch": "kep-athina", "limit": "1"}
        [slot] = await json_of(citizen_http.get(f"{first.url}/api/slots", params=params))
        booking = await json_of(citizen_http.post(f"{first.url}/api/bookings", headers=AUTH, json={
            "slot_id": slot["slot_id"], "topic": "identity_documents", "question": "Ανανέωση ταυτότητας",
            "citizen": {"full_name": "Ελένη Κωστοπούλου", "id_card": "ΑΚ 654321", "afm": "090000045", "mobile": "6987654321"},
            "consent": {"video_call": True, "show_id": True, "data_processing": True}}))
        ref, token = booking["reference"], booking["join_url"].rsplit("/", 1)[1]
        login = await json_of(clerk_http.post(f"{second.url}/api/clerk/login", json={"username": "ath-alexiou", "password": PASSWORD}))
        csrf = {"X-CSRF-Token": login["csrf_token"]}
        await json_of(clerk_http.post(f"{first.url}/api/clerk/bookings/{ref}/pickup", headers=csrf))

        # A round-robin balancer: the citizen's requests reach the first process, the clerk's the second.
        citizen_api, clerk_api = f"{first.url}/api/calls/{token}", f"{second.url}/api/clerk/calls/{ref}"
        citizen, clerk = Peer(), Peer()
        peers = [citizen, clerk]
        try:
            await citizen.join(citizen_http, f"{citizen_api}/offer", {})
            await clerk.join(clerk_http, f"{clerk_api}/offer", csrf)  # forwarded to the first process
            started = time.monotonic()
            await eventually(lambda: citizen.fresh_video_since(started) and clerk.fresh_video_since(started))
            assert await first.calls(citizen_http) == {"rooms": 1, "peer_connections": 2}  # the media is there
            assert await second.calls(citizen_http) == {"rooms": 0, "peer_connections": 0}

            async def clerk_state() -> dict:
                return await json_of(clerk_http.get(f"{clerk_api}/state"))

            deadline = time.monotonic() + 10
            while not (s := await clerk_state())["citizen_video"] or s["state"] != "connected":
                assert time.monotonic() < deadline, s
                await asyncio.sleep(0.2)
            await json_of(clerk_http.post(f"{clerk_api}/verify", json={"matches": True}, headers=csrf))
            await json_of(clerk_http.post(f"{clerk_api}/audio-only", headers=csrf))  # done by the first process
            await asyncio.sleep(0.5)
            video = clerk.received["video"] + citizen.received["video"]
            await asyncio.sleep(1)
            assert clerk.received["video"] + citizen.received["video"] == video

            first.stop(signal.SIGKILL)  # the process holding the media dies
            killed = time.monotonic()

            async def rejoin(role: str, http, state_url: str, offer_url: str, headers: dict) -> Peer:
                """The page's logic: when the service says this side is not connected, offer
                again (through the balancer: the process that is left)."""
                while (await json_of(http.get(state_url)))[f"{role}_connected"]:
                    await asyncio.sleep(0.5)
                peer = Peer()
                peers.append(peer)
                await peer.join(http, offer_url, headers)
                return peer

            citizen_again, clerk_again = await asyncio.gather(
                rejoin("citizen", citizen_http, f"{second.url}/api/calls/{token}/state", f"{second.url}/api/calls/{token}/offer", {}),
                rejoin("clerk", clerk_http, f"{clerk_api}/state", f"{clerk_api}/offer", csrf),
            )
            await eventually(lambda: citizen_again.received["audio"] > 20 and clerk_again.received["audio"] > 20)
            print(f"rejoined {time.monotonic() - killed:.1f} s after the kill")
            assert time.monotonic() - killed < 10
            assert await second.calls(citizen_http) == {"rooms": 1, "peer_connections": 2}
            state = await clerk_state()
            assert state["state"] == "audio_only" and state["video"] is False
            await asyncio.sleep(1)
            assert citizen_again.received["video"] == 0 and clerk_again.received["video"] == 0  # audio-only holds

            await json_of(clerk_http.post(f"{clerk_api}/end", json={"outcome": "resolved"}, headers=csrf))
            assert await second.calls(citizen_http) == {"rooms": 0, "peer_connections": 0}
        finally:
            for peer in peers:
                await peer.close()
