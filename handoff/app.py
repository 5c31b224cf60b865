"""The aiohttp application factory: wires settings, the store and the routes together."""
from __future__ import annotations

import logging

from aiohttp import web

from .api import bookings, catalogue, health, identity, openapi
from .api.errors import json_errors
from .api.keys import APPOINTMENTS, REDIS, SETTINGS
from .appointments import Appointments, Clock, utc_now
from .config import Settings
from .seed import seed_if_empty
from .store import Redis, connect

log = logging.getLogger(__name__)


def create_app(settings: Settings, redis: Redis | None = None, clock: Clock = utc_now) -> web.Application:
    """Build the service. Pass `redis` to share a connection (tests); otherwise it connects
    on start-up to `settings.redis_url`, or to the embedded fallback store."""
    app = web.Application(middlewares=[json_errors], client_max_size=settings.max_body_bytes)
    app[SETTINGS] = settings

    async def store_context(app: web.Application):
        own = redis is None
        app[REDIS] = redis if redis is not None else await connect(settings.redis_url)
        app[APPOINTMENTS] = Appointments(app[REDIS], settings, clock)
        report = await seed_if_empty(app[REDIS], settings.data_dir)
        if report:
            log.info("first start: loaded %s", report)
        yield
        if own:
            await app[REDIS].aclose()

    app.cleanup_ctx.append(store_context)
    for module in (catalogue, bookings, identity, health, openapi):
        app.add_routes(module.routes)
    return app
