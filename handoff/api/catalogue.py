"""Reference data the bot, the pages and the console read: topics, KEP branches, and the
service's public rules (booking window, change deadline, messages sent)."""
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
    branches = await request.app[APPOINTMENTS].branches.all()
    return json_response([b.to_dict() for b in branches])


@routes.get("/api/config")
async def service_config(request: web.Request) -> web.Response:
    return json_response(public_config(request.app[SETTINGS]).to_dict())
