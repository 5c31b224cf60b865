"""Signalling and control of the handed-off call. The citizen is authenticated by the signed
join token in the URL; the clerk by the console session (and CSRF) and by having picked the
appointment up."""
from __future__ import annotations

from typing import Any

from aiohttp import web

from ..accounts import Account
from ..bookings import Booking
from ..calls import Side
from .console_auth import signed_in
from .keys import APPOINTMENTS, CALLS
from .requests import json_body, json_object
from .responses import json_response

routes = web.RouteTableDef()


def _with_ice(request: web.Request, status: dict[str, Any]) -> dict[str, Any]:
    return status | {"ice_servers": request.app[CALLS].page_ice_servers(status["reference"])}


async def _citizen(request: web.Request) -> Booking:
    return await request.app[CALLS].citizen_booking(request.match_info["token"])


async def _clerk(request: web.Request, finished_too: bool = False) -> tuple[Booking, Account]:
    _, account = await signed_in(request)
    booking = await request.app[CALLS].clerk_booking(request.match_info["reference"], account.username, finished_too)
    return booking, account


@routes.post("/api/calls/{token}/offer")
async def citizen_offer(request: web.Request) -> web.Response:
    booking = await _citizen(request)
    return json_response(await request.app[CALLS].join(booking, Side.CITIZEN, await json_body(request)))


@routes.post("/api/calls/{token}/devices")
async def citizen_devices(request: web.Request) -> web.Response:
    booking = await _citizen(request)
    await _devices(request, booking, Side.CITIZEN)
    return json_response(await request.app[CALLS].status(booking))


@routes.post("/api/calls/{token}/leave")
async def citizen_leave(request: web.Request) -> web.Response:
    booking = await _citizen(request)
    await request.app[CALLS].leave(booking, Side.CITIZEN)
    return json_response(await request.app[CALLS].status(booking))


async def _devices(request: web.Request, booking: Booking, side: Side) -> None:
    body = await json_object(request)
    await request.app[CALLS].devices(booking, side, body.get("camera"), body.get("microphone"))


@routes.get("/api/calls/{token}/state")
async def citizen_state(request: web.Request) -> web.Response:
    """Readable as long as the link is valid, so the page can say the call has ended."""
    booking = await request.app[APPOINTMENTS].booking_for_join(request.match_info["token"])
    return json_response(_with_ice(request, await request.app[CALLS].status(
        booking, Side.CITIZEN, request.query.get("connection"))))


@routes.post("/api/clerk/calls/{reference}/offer")
async def clerk_offer(request: web.Request) -> web.Response:
    booking, _ = await _clerk(request)
    return json_response(await request.app[CALLS].join(booking, Side.CLERK, await json_body(request)))


@routes.get("/api/clerk/calls/{reference}/state")
async def clerk_state(request: web.Request) -> web.Response:
    """Readable after the end too, so the page can say how the call ended."""
    booking, _ = await _clerk(request, finished_too=True)
    return json_response(_with_ice(request, await request.app[CALLS].status(
        booking, Side.CLERK, request.query.get("connection"))))


@routes.post("/api/clerk/calls/{reference}/devices")
async def clerk_devices(request: web.Request) -> web.Response:
    booking, _ = await _clerk(request)
    await _devices(request, booking, Side.CLERK)
    return json_response(await request.app[CALLS].status(booking))


@routes.post("/api/clerk/calls/{reference}/verify")
async def verify_id(request: web.Request) -> web.Response:
    """The ID card matches, or not: then the call ends and the appointment is finished with
    that outcome, the reason being what the citizen reads."""
    booking, clerk = await _clerk(request)
    body = await json_object(request)
    await request.app[CALLS].verify_id(booking, clerk, body.get("matches"), body.get("reason"))
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
    body = await json_object(request)
    return json_response(await request.app[CALLS].hang_up(booking, clerk, body.get("outcome"), body.get("notes", "")))
