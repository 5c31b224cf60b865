"""Signalling and control of the handed-off call. The citizen is authenticated by the signed
join token in the URL; the clerk by the console session (and CSRF) and by having picked the
appointment up."""
from __future__ import annotations

from typing import Any

from aiohttp import web

from ..accounts import Account
from ..bookings import Booking
from .console_auth import signed_in
from .keys import APPOINTMENTS, CALLS, CONSOLE, SETTINGS
from .requests import json_body
from .responses import json_response

routes = web.RouteTableDef()


def _with_ice(request: web.Request, status: dict[str, Any]) -> dict[str, Any]:
    return status | {"ice_servers": list(request.app[SETTINGS].ice_servers)}


async def _citizen(request: web.Request) -> Booking:
    return await request.app[CALLS].citizen_booking(request.match_info["token"])


async def _clerk(request: web.Request) -> tuple[Booking, Account]:
    _, account = await signed_in(request)
    booking = await request.app[CALLS].clerk_booking(request.match_info["reference"], account.username)
    return booking, account


@routes.post("/api/calls/{token}/offer")
async def citizen_offer(request: web.Request) -> web.Response:
    booking = await _citizen(request)
    return json_response(await request.app[CALLS].join(booking, "citizen", await json_body(request)))


@routes.get("/api/calls/{token}/state")
async def citizen_state(request: web.Request) -> web.Response:
    """Readable as long as the link is valid, so the page can say the call has ended."""
    booking = await request.app[APPOINTMENTS].booking_for_join(request.match_info["token"])
    return json_response(_with_ice(request, await request.app[CALLS].status(booking)))


@routes.post("/api/clerk/calls/{reference}/offer")
async def clerk_offer(request: web.Request) -> web.Response:
    booking, _ = await _clerk(request)
    return json_response(await request.app[CALLS].join(booking, "clerk", await json_body(request)))


@routes.get("/api/clerk/calls/{reference}/state")
async def clerk_state(request: web.Request) -> web.Response:
    booking, _ = await _clerk(request)
    return json_response(_with_ice(request, await request.app[CALLS].status(booking)))


@routes.post("/api/clerk/calls/{reference}/verify")
async def verify_id(request: web.Request) -> web.Response:
    booking, clerk = await _clerk(request)
    body = await json_body(request)
    body = body if isinstance(body, dict) else {}
    await request.app[CALLS].verify_id(booking, clerk.username, body.get("matches"), body.get("reason"))
    return json_response(await request.app[CALLS].status(booking))


@routes.post("/api/clerk/calls/{reference}/audio-only")
async def audio_only(request: web.Request) -> web.Response:
    booking, clerk = await _clerk(request)
    await request.app[CALLS].audio_only(booking, clerk.username)
    return json_response(await request.app[CALLS].status(booking))


@routes.post("/api/clerk/calls/{reference}/message")
async def message(request: web.Request) -> web.Response:
    booking, _ = await _clerk(request)
    body = await json_body(request)
    await request.app[CALLS].message(booking, body.get("text") if isinstance(body, dict) else None)
    return json_response(await request.app[CALLS].status(booking))


@routes.post("/api/clerk/calls/{reference}/end")
async def end(request: web.Request) -> web.Response:
    """Hang up with the outcome: the call ends and the appointment is finished in one step."""
    booking, clerk = await _clerk(request)
    body = await json_body(request)
    body = body if isinstance(body, dict) else {}
    console = request.app[CONSOLE]
    finished = await console.finish(await console.viewer(clerk), booking.reference, body.get("outcome"), body.get("notes", ""))
    await request.app[CALLS].end(booking.reference, clerk.username, f"finished: {body.get('outcome')}")
    return json_response(finished)
