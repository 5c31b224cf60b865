"""A confirmed booking survives Redis being killed (SIGKILL) and the service restarting."""
import pytest
import redis.asyncio as aioredis

from handoff.app import create_app
from handoff.redis_server import RedisServer

from .helpers import AUTH, booking_body, first_free_slot


@pytest.mark.slow
async def test_booking_survives_redis_sigkill_and_service_restart(aiohttp_client, settings, clock, tmp_path):
    server = RedisServer(tmp_path / "redis").start()
    try:
        redis = aioredis.from_url(server.url, decode_responses=True)
        client = await aiohttp_client(create_app(settings, redis=redis, clock=clock))
        slot = await first_free_slot(client)
        resp = await client.post("/api/bookings", json=booking_body(slot["slot_id"]), headers=AUTH)
        assert resp.status == 201
        reference = (await resp.json())["reference"]
        await client.close()
        await redis.aclose()

        server.stop(kill=True)  # no SAVE, no graceful shutdown: only the AOF can bring it back
        server.start()

        redis = aioredis.from_url(server.url, decode_responses=True)
        client = await aiohttp_client(create_app(settings, redis=redis, clock=clock))
        resp = await client.get(f"/api/bookings/{reference}", headers=AUTH)
        assert resp.status == 200
        assert (await resp.json())["slot_id"] == slot["slot_id"]
        retry = await client.post("/api/bookings", json=booking_body(slot["slot_id"]), headers=AUTH)
        assert retry.status == 409  # the hold came back too
        await redis.aclose()
    finally:
        server.stop()
