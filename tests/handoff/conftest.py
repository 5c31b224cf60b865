"""Fixtures for the handoff service tests: a real redis-server for the whole session
(started here on a free port, in its own directory, and stopped at the end), a clean
database per test, and the app with a fixed clock so schedules are predictable."""
from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

import pytest
import redis.asyncio as aioredis
from aiohttp import web

from handoff.app import create_app
from handoff.config import PROJECT_ROOT, Settings
from handoff.redis_server import RedisServer

from .helpers import NOW, SERVICE_TOKEN, add_accounts
from .mail_sink import MailSink


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory):
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    try:
        server.start()
    except RuntimeError as e:
        pytest.fail(f"the tests need a real redis-server: {e}")
    yield server
    server.stop()


@pytest.fixture
async def redis(redis_server: RedisServer):
    client = aioredis.from_url(redis_server.url, decode_responses=True)
    await client.flushdb()
    yield client
    await client.aclose()


@pytest.fixture
def settings() -> Settings:
    return Settings(
        max_bookings_per_citizen=0,  # the tests book with one citizen; tests/security/test_booking_limits.py sets it
        service_token=SERVICE_TOKEN,
        secret_key="test-secret",
        public_url="http://kep.test",
        data_dir=PROJECT_ROOT / "data",
    )


class Clock:
    """A clock tests can move: `clock.now = …`."""

    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


class RunningClock:
    """A clock that runs in real time from where `clock` stands (for workers, whose retries
    wait real seconds); moving `clock.now` moves it too."""

    def __init__(self, clock: Clock):
        self._clock = clock
        self._started = time.monotonic()

    def __call__(self) -> datetime:
        return self._clock.now + timedelta(seconds=time.monotonic() - self._started)


@pytest.fixture
def running_clock(clock) -> RunningClock:
    return RunningClock(clock)


@pytest.fixture
def mail_sink():
    sink = MailSink().start()
    yield sink
    sink.stop()


@dataclass
class SmsGateway:
    """A local HTTP endpoint that records the SMS calls; `status` is what it answers;
    `on_call` runs once a call is recorded, before the answer (a test can kill the sender)."""

    url: str = ""
    calls: list[dict] = field(default_factory=list)
    headers: list[dict] = field(default_factory=list)
    status: int = 200
    on_call: Callable[[], Awaitable[None]] | None = None

    async def handle(self, request: web.Request) -> web.Response:
        if self.status == 200:
            self.calls.append(await request.json())
            self.headers.append(dict(request.headers))
            if self.on_call:
                await self.on_call()
        return web.json_response({"accepted": self.status == 200}, status=self.status)


@pytest.fixture
async def sms_gateway(aiohttp_server) -> SmsGateway:
    gateway = SmsGateway()
    app = web.Application()
    app.router.add_post("/sms", gateway.handle)
    server = await aiohttp_server(app, host="127.0.0.1")
    gateway.url = str(server.make_url("/sms"))
    return gateway


@pytest.fixture
def notify_settings(settings, mail_sink, sms_gateway, tmp_path) -> Settings:
    """The service's settings with e-mail to the local SMTP server and SMS to the local
    gateway; retries and take-overs in fractions of a second."""
    return replace(
        settings, smtp_host="127.0.0.1", smtp_port=mail_sink.port, smtp_from="ΚΕΠ <no-reply@kep.test>",
        sms_url=sms_gateway.url, sms_key="test-sms-key", outbox_dir=tmp_path / "outbox",
        notify_retry_seconds=0.2, notify_claim_idle_seconds=1,
    )


@pytest.fixture
async def client(aiohttp_client, redis, settings, clock):
    return await aiohttp_client(create_app(settings, redis=redis, clock=clock))


@pytest.fixture
async def call_service(aiohttp_client, redis, settings, clock):
    """The service with console accounts and loopback-only ICE, for calls with aiortc peers."""
    await add_accounts(redis)
    app = create_app(replace(settings, ice_addresses=("127.0.0.1",)), redis=redis, clock=clock)
    return await aiohttp_client(app)


@pytest.fixture
async def rasa_recorder(aiohttp_server):
    """What the relay sends to Rasa's REST channel (the real bot is in tests/e2e)."""
    seen: list = []

    async def webhook(request: web.Request) -> web.Response:
        seen.append(request.headers.copy())
        return web.json_response([{"recipient_id": "x", "text": "Γεια σας"}])

    app = web.Application()
    app.router.add_post("/webhooks/rest/webhook", webhook)
    server = await aiohttp_server(app, host="127.0.0.1")
    return str(server.make_url("")), seen
