"""The citizen's side of the waiting room: the call page (opened from the signed join link)
sends a heartbeat, and the clerk's queue shows the citizen as waiting."""
from __future__ import annotations

from aiohttp import web

from .. import events, presence
from ..errors import Conflict
from .keys import APPOINTMENTS, REDIS
from .responses import json_response

routes = web.RouteTableDef()


@routes.post("/api/join/{token}/presence")
async def heartbeat(request: web.Request) -> web.Response:
    booking = await request.app[APPOINTMENTS].booking_for_join(request.match_info["token"])
    if booking.status not in ("booked", "in_call"):
        raise Conflict("token", "not_active", "Αυτό το ραντεβού δεν είναι πλέον ενεργό.")
    if await presence.arrive(request.app[REDIS], booking.reference):
        await events.announce(request.app[REDIS], "waiting", booking)
    return json_response({"reference": booking.reference, "status": booking.status,
                          "every_seconds": presence.HEARTBEAT_SECONDS // 2})
