"""Liveness for operators and orchestrators: the service is healthy when Redis answers. It
also counts the notifications still to send and those that failed for good (a failed count
above zero is for a person to look at, not a reason to restart anything), and the calls this
process holds media for with its open peer connections with browsers (none should outlive
its call)."""
from __future__ import annotations

from aiohttp import web
from redis.exceptions import RedisError

from ..media import open_peer_connections
from ..outbox import Outbox
from .keys import CALLS, REDIS
from .responses import json_response

routes = web.RouteTableDef()
MEMORY_ALERT = 0.8


@routes.get("/healthz")
async def healthz(request: web.Request) -> web.Response:
    try:
        await request.app[REDIS].ping()
        notifications = await Outbox(request.app[REDIS]).counts()
    except (RedisError, OSError) as e:
        return json_response({"status": "unavailable", "redis": str(e)}, status=503)
    calls = {"rooms": len(request.app[CALLS].rooms), "peer_connections": open_peer_connections()}
    memory = await _memory(request.app[REDIS])
    alerts = ["redis_memory"] if memory.get("alert") else []
    return json_response({"status": "ok", "redis": "ok", "notifications": notifications, "calls": calls,
                          "memory": memory, "alerts": alerts})


async def _memory(redis) -> dict[str, int | bool]:
    """Redis's memory against its `maxmemory` (noeviction: when full, writes fail); an alert
    from 80 %, or when no limit is set at all."""
    try:
        info = await redis.info("memory")
    except (RedisError, OSError, NotImplementedError):
        return {}
    used, limit = int(info.get("used_memory", 0)), int(info.get("maxmemory", 0))
    return {"used_bytes": used, "max_bytes": limit, "alert": limit == 0 or used >= MEMORY_ALERT * limit}
