"""Where personal data rests: Redis with a memory limit (refusing writes, never evicting) that
/healthz warns about before it is reached, and files readable by the service's user only."""
from __future__ import annotations

import stat
from pathlib import Path

from handoff.channels import ChannelName, OutboxFolder, Outgoing
from handoff.redis_server import RedisServer


async def test_healthz_warns_before_redis_memory_runs_out(client, redis):
    health = await (await client.get("/healthz")).json()
    assert health["memory"]["max_bytes"] == 1024 ** 3 and health["alerts"] == []  # redis/redis.conf
    assert (await redis.config_get("maxmemory-policy"))["maxmemory-policy"] == "noeviction"
    try:
        await redis.config_set("maxmemory", health["memory"]["used_bytes"])  # as if it were nearly full
        nearly_full = await (await client.get("/healthz")).json()
        assert nearly_full["memory"]["alert"] is True and nearly_full["alerts"] == ["redis_memory"]
        assert (await client.get("/healthz")).status == 200  # for a person to act on, not a restart
    finally:
        await redis.config_set("maxmemory", 1024 ** 3)


def test_redis_files_and_messages_to_citizens_are_private(tmp_path: Path):
    with RedisServer(tmp_path / "redis") as server:
        assert server.answers()
    assert stat.S_IMODE((tmp_path / "redis").stat().st_mode) == 0o700


async def test_a_message_file_is_readable_by_the_service_only(tmp_path: Path):
    folder = OutboxFolder(ChannelName.SMS, tmp_path / "outbox")
    await folder.send(Outgoing("+306912345678", "Το ραντεβού σας κλείστηκε."), "n-1")
    [written] = list((tmp_path / "outbox").iterdir())
    assert stat.S_IMODE(written.stat().st_mode) == 0o600 and stat.S_IMODE((tmp_path / "outbox").stat().st_mode) == 0o700
