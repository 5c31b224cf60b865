"""`GET /metrics`: this process's metrics in the Prometheus text format, for the operator's
Prometheus (scrape every process directly; a public reverse proxy should not route it)."""
from __future__ import annotations

from collections import Counter

from aiohttp import web
from redis.exceptions import RedisError

from .. import metrics, queues
from ..outbox import Outbox
from .keys import CALLS, CLOCK, REDIS

routes = web.RouteTableDef()


@routes.get("/metrics")
async def scrape(request: web.Request) -> web.Response:
    calls, redis = request.app[CALLS], request.app[REDIS]
    try:
        states = await calls.relayed_by_state()
        notifications = await Outbox(redis).counts()
        queue = await queues.today(redis, request.app[CLOCK]())
    except (RedisError, OSError):  # the request and relay metrics are still worth having
        states, notifications, queue = {}, {}, Counter()
    return metrics.exposition(states, notifications, queue)
