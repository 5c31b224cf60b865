"""Fixtures for the handoff service tests: a real redis-server for the whole session
(started here on a free port, in its own directory, and stopped at the end), a clean
database per test, and the app with a fixed clock so schedules are predictable."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import pytest
import redis.asyncio as aioredis

from handoff.app import create_app
from handoff.config import PROJECT_ROOT, Settings
from handoff.redis_server import RedisServer

from .helpers import NOW, SERVICE_TOKEN, add_accounts


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


@pytest.fixture
async def client(aiohttp_client, redis, settings, clock):
    return await aiohttp_client(create_app(settings, redis=redis, clock=clock))


@pytest.fixture
async def call_service(aiohttp_client, redis, settings, clock):
    """The service with console accounts and loopback-only ICE, for calls with aiortc peers."""
    await add_accounts(redis)
    app = create_app(replace(settings, ice_addresses=("127.0.0.1",)), redis=redis, clock=clock)
    return await aiohttp_client(app)
