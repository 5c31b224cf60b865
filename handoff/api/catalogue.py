"""Reference data the bot, the pages and the console read: topics, KEP branches, the service's
public rules (booking window, change deadline, messages sent), and the catalogue search (the
bot's fallback asks it which topics and procedures a citizen's words point to)."""
from __future__ import annotations

from aiohttp import web

from ..public_config import public_config
from .keys import APPOINTMENTS, SETTINGS
from .responses import json_response

routes = web.RouteTableDef()


@routes.get("/api/topics")
async def list_topics(request: web.Request) -> web.Response:
    topics = await request.app[APPOINTMENTS].topics.all()
    return json_response([t.to_dict() for t in topics])


@routes.get("/api/branches")
async def list_branches(request: web.Request) -> web.Response:
    """All branches; with `topic`, those with a clerk trained in it (none for an unknown topic)."""
    branches = await request.app[APPOINTMENTS].branches_serving(request.query.get("topic"))
    return json_response([b.to_dict() for b in branches])


@routes.get("/api/config")
async def service_config(request: web.Request) -> web.Response:
    return json_response(public_config(request.app[SETTINGS]).to_dict())


MAX_QUERY = 300


@routes.get("/api/catalogue/search")
async def search_catalogue(request: web.Request) -> web.Response:
    answer = await request.app[APPOINTMENTS].search_catalogue(request.query.get("q", "")[:MAX_QUERY], limit=5)
    return json_response(answer.to_dict())
