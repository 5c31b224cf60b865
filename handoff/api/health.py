"""Liveness for operators and orchestrators: the service is healthy when Redis answers."""
from __future__ import annotations

from aiohttp import web
from redis.exceptions import RedisError

from .keys import REDIS
from .responses import json_response

routes = web.RouteTableDef()


@routes.get("/healthz")
async def healthz(request: web.Request) -> web.Response:
    try:
        await request.app[REDIS].ping()
    except (RedisError, OSError) as e:
        return json_response({"status": "unavailable", "redis": str(e)}, status=503)
    return json_response({"status": "ok", "redis": "ok"})
