"""TURN for real networks: each call page gets TURN credentials that expire (coturn's REST API
scheme), never a static user, and the coturn of docker-compose.yml — started here with the
compose file's own options, on loopback — accepts them until they expire, refuses others,
and relays to no private or loopback address."""
from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import re
import shutil
import subprocess
from dataclasses import replace
from datetime import datetime, timedelta

import pytest
import yaml
from aioice import stun
from aioice.turn import TurnClientUdpProtocol

from handoff.app import create_app
from handoff.config import ATHENS, PROJECT_ROOT, Settings, _ice_servers
from handoff.redis_server import free_port

from .helpers import AUTH, booking_body, first_free_slot

SECRET = "turn-test-secret"


class Coturn:
    """coturn's turnserver with docker-compose.yml's options, listening on 127.0.0.1 only."""

    def __init__(self, tmp_path):
        if shutil.which("turnserver") is None:
            pytest.fail("the TURN tests need coturn's turnserver (apt-get install coturn)")
        self.port = free_port()
        compose = yaml.safe_load((PROJECT_ROOT / "docker-compose.yml").read_text())
        options = [re.sub(r"\$\{HANDOFF_TURN_SECRET[^}]*\}", SECRET, o) for o in compose["services"]["turn"]["command"]]
        low = free_port()
        self.process = subprocess.Popen(
            ["turnserver", *options, "--listening-ip=127.0.0.1", "--relay-ip=127.0.0.1", f"--listening-port={self.port}",
             f"--min-port={low}", f"--max-port={low + 20}", "--no-tls", "--no-dtls", "--no-stdout-log",
             f"--log-file={tmp_path / 'turn.log'}", f"--pidfile={tmp_path / 'turn.pid'}", f"--userdb={tmp_path / 'turndb'}"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )

    async def allocate(self, username: str, password: str) -> TurnClientUdpProtocol:
        """A TURN allocation, as a browser's ICE agent makes one; `.delete()` it afterwards."""
        server = ("127.0.0.1", self.port)
        for _ in range(50):  # until it listens
            _, client = await asyncio.get_running_loop().create_datagram_endpoint(
                lambda: TurnClientUdpProtocol(server, username, password, lifetime=600, channel_refresh_time=300),
                remote_addr=server)
            try:
                await client.connect()
                return client
            except stun.TransactionTimeout:
                client.transport.close()
                await asyncio.sleep(0.1)
            except BaseException:
                client.transport.close()
                raise
        raise AssertionError("coturn does not answer")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


@pytest.fixture
def coturn(tmp_path):
    server = Coturn(tmp_path)
    yield server
    server.stop()


@pytest.fixture
async def turn_service(aiohttp_client, redis, settings, clock, coturn):
    turn = replace(settings, turn_secret=SECRET, turn_urls=(f"turn:127.0.0.1:{coturn.port}",), turn_ttl_seconds=600)
    return await aiohttp_client(create_app(turn, redis=redis, clock=clock))


async def page_turn_server(http) -> tuple[dict, str]:
    slot = await first_free_slot(http, "identity_documents", branch="kep-athina")
    booking = await (await http.post("/api/bookings", json=booking_body(slot["slot_id"], "identity_documents"), headers=AUTH)).json()
    token = booking["join_url"].rsplit("/", 1)[1]
    state = await (await http.get(f"/api/calls/{token}/state")).json()
    [turn] = [s for s in state["ice_servers"] if s.get("username")]
    return turn, booking["reference"]


async def test_each_page_gets_credentials_that_verify_with_the_hmac_and_expire(turn_service, clock):
    turn, reference = await page_turn_server(turn_service)
    expiry, call = turn["username"].split(":")
    assert call == reference and int(expiry) == int(clock.now.timestamp()) + 600
    expected = base64.b64encode(hmac.new(SECRET.encode(), turn["username"].encode(), hashlib.sha1).digest()).decode()
    assert turn["credential"] == expected
    clock.now += timedelta(seconds=30)
    again, _ = await page_turn_server(turn_service)
    assert again["username"] != turn["username"]  # fresh ones at every read: a rejoin gets new ones


async def test_coturn_accepts_them_until_they_expire_and_relays_to_no_private_address(turn_service, clock, coturn):
    clock.now = datetime.now(ATHENS)  # coturn checks the expiry against its own clock
    turn, _ = await page_turn_server(turn_service)
    relayed = await coturn.allocate(turn["username"], turn["credential"])
    try:
        for private in ("127.0.0.1", "10.1.2.3", "172.16.5.4", "192.168.1.10", "169.254.1.1"):
            with pytest.raises(stun.TransactionFailed) as refused:
                await relayed.channel_bind(0x4000, (private, 9))
            assert refused.value.response.attributes["ERROR-CODE"][0] == 403
        await relayed.channel_bind(0x4001, ("192.0.2.1", 9))  # a public address: allowed (nothing is sent)
    finally:
        await relayed.delete()

    clock.now -= timedelta(seconds=601)  # credentials made 601 s ago: expired
    expired, _ = await page_turn_server(turn_service)
    with pytest.raises(stun.TransactionFailed):
        await coturn.allocate(expired["username"], expired["credential"])
    with pytest.raises(stun.TransactionFailed):  # a password not made with the shared secret
        await coturn.allocate(turn["username"], base64.b64encode(b"x" * 20).decode())


def test_no_static_turn_user_is_accepted():
    assert _ice_servers('[{"urls": "stun:stun.example.gr:3478"}]') == ({"urls": "stun:stun.example.gr:3478"},)
    with pytest.raises(ValueError, match="HANDOFF_TURN_SECRET"):
        _ice_servers('[{"urls": "turn:turn.example.gr", "username": "kep", "credential": "pw"}]')
    assert Settings().turn is None
