"""The citizen's side of the waiting room: the call page (opened from the signed join link)
sends a heartbeat, and the clerk's queue shows the citizen as waiting; the answer says when
the appointment is and with whom, and the service's time (for the page's countdown)."""
from __future__ import annotations

from aiohttp import web

from .. import presence
from .keys import APPOINTMENTS, CALLS
from .responses import json_response

routes = web.RouteTableDef()


@routes.post("/api/join/{token}/presence")
async def heartbeat(request: web.Request) -> web.Response:
    calls = request.app[CALLS]
    booking = await calls.citizen_booking(request.match_info["token"])
    await calls.citizen_waiting(booking)
    return json_response({"reference": booking.reference, "status": booking.status,
                          "every_seconds": presence.HEARTBEAT_SECONDS // 2,
                          "appointment": await request.app[APPOINTMENTS].waiting_room(booking)})
