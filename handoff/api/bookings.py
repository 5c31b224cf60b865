"""Slots and bookings over HTTP: the contract the bot's action server books through."""
from __future__ import annotations

from dataclasses import asdict

from aiohttp import web

from ..appointments import Appointments
from ..bookings import Booking, parse_new_booking
from ..calendar_file import booking_calendar
from ..errors import InvalidFields
from .auth import is_service, manage_token, require_service
from .keys import APPOINTMENTS, SETTINGS
from .requests import json_body, query_datetime, query_int
from .responses import json_response

routes = web.RouteTableDef()


@routes.get("/api/slots")
async def list_slots(request: web.Request) -> web.Response:
    topic = request.query.get("topic", "")
    if not topic:
        raise InvalidFields({"topic": ("required", "Διαλέξτε θεματική ενότητα.")})
    slots = await request.app[APPOINTMENTS].free_slots(
        topic,
        request.query.get("branch") or None,
        query_datetime(request, "after"),
        query_int(request, "limit", 10, 1, 100),
        query_datetime(request, "before"),
    )
    return json_response([s.to_dict() for s in slots])


def booking_json(request: web.Request, booking: Booking, token: str | None) -> dict:
    appointments = request.app[APPOINTMENTS]
    body = booking.to_public_dict() | {
        "join_url": appointments.join_url(booking),
        "appointment_url": appointments.appointment_page_url(),
        "change_deadline": appointments.change_deadline(booking).isoformat(),
        "notifications": asdict(appointments.notifications_for(booking)),
    }
    if token:
        body["calendar_url"] = appointments.calendar_url(booking)
    return body


@routes.post("/api/bookings")
async def create_booking(request: web.Request) -> web.Response:
    require_service(request, request.app[SETTINGS].service_token)
    new = parse_new_booking(await json_body(request))
    confirmation = await request.app[APPOINTMENTS].book(new)
    body = booking_json(request, confirmation.booking, confirmation.manage_token)
    body["manage_token"] = confirmation.manage_token
    return json_response(body, status=201)


def _caller(request: web.Request) -> tuple[str | None, str, bool]:
    """(manage code, actor, trusted). A call with a manage code is the citizen's, also when the
    bot relays it with its own token (which then only keeps it out of the per-address limits)."""
    token = manage_token(request)
    trusted = not token and is_service(request, request.app[SETTINGS].service_token)
    return token, ("bot" if trusted else "citizen"), trusted


@routes.get("/api/bookings/{reference}")
async def get_booking(request: web.Request) -> web.Response:
    token, _, trusted = _caller(request)
    booking = await request.app[APPOINTMENTS].find(request.match_info["reference"], token, trusted)
    return json_response(booking_json(request, booking, token))


@routes.post("/api/bookings/{reference}/cancel")
async def cancel_booking(request: web.Request) -> web.Response:
    token, actor, trusted = _caller(request)
    booking = await request.app[APPOINTMENTS].cancel(request.match_info["reference"], token, actor, trusted)
    return json_response(booking_json(request, booking, token))


@routes.post("/api/bookings/{reference}/reschedule")
async def reschedule_booking(request: web.Request) -> web.Response:
    token, actor, trusted = _caller(request)
    body = await json_body(request)
    slot_id = body.get("slot_id") if isinstance(body, dict) else None
    if not isinstance(slot_id, str) or not slot_id:
        raise InvalidFields({"slot_id": ("required", "Διαλέξτε τη νέα ώρα.")})
    booking = await request.app[APPOINTMENTS].reschedule(
        request.match_info["reference"], slot_id, token, actor, trusted
    )
    return json_response(booking_json(request, booking, token))


async def calendar_response(appointments: Appointments, booking: Booking) -> web.Response:
    """The booking as an .ics download."""
    topic = await appointments.topic(booking.topic)
    branch = await appointments.branch(booking.branch)
    ics = booking_calendar(booking, topic.label, branch.name, appointments.join_url(booking))
    return web.Response(
        body=ics,
        content_type="text/calendar",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="{booking.reference}.ics"'},
    )


@routes.get("/api/bookings/{reference}/calendar.ics")
async def booking_ics(request: web.Request) -> web.Response:
    appointments = request.app[APPOINTMENTS]
    if "link" in request.query:  # the signed link of the booking's card and messages
        booking = await appointments.find_by_calendar_link(request.match_info["reference"], request.query["link"])
    else:
        token, _, trusted = _caller(request)
        booking = await appointments.find(request.match_info["reference"], token, trusted)
    return await calendar_response(appointments, booking)
