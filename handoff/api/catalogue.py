"""Reference data the bot and the console read: topics and KEP branches."""
from __future__ import annotations

from aiohttp import web

from .keys import APPOINTMENTS
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
