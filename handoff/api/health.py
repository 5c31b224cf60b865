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


@routes.get("/healthz")
async def healthz(request: web.Request) -> web.Response:
    try:
        await request.app[REDIS].ping()
        notifications = await Outbox(request.app[REDIS]).counts()
    except (RedisError, OSError) as e:
        return json_response({"status": "unavailable", "redis": str(e)}, status=503)
    calls = {"rooms": len(request.app[CALLS].rooms), "peer_connections": open_peer_connections()}
    return json_response({"status": "ok", "redis": "ok", "notifications": notifications, "calls": calls})
