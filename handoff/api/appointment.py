"""The citizen's appointment page API (/appointment): sign in with the two codes (typed into
the page's form, sent in the body), then a short signed session cookie, scoped to this API."""
from __future__ import annotations

from dataclasses import asdict, replace
from typing import Any

from aiohttp import web

from bot.actions.booking_card import documents_to_bring  # the chat card's list, said once
from bot.actions.greek_format import when  # pure Python, shared with the bot on purpose
from bot.actions.promises import messages_sentence  # the chat's words for the messages to come, said once

from ..appointment_access import SESSION_MINUTES, Session
from ..appointments import Appointments
from ..bookings import ACTIVE_STATUSES, Booking, BookingStatus
from ..errors import InvalidFields
from .bookings import calendar_response
from .keys import APPOINTMENT_ACCESS, APPOINTMENTS, SETTINGS
from .requests import client_address, json_body, query_datetime, query_int
from .responses import json_response

routes = web.RouteTableDef()
COOKIE = "kep_appointment"
COOKIE_PATH = "/api/appointment"
STATUS_TEXT = {
    BookingStatus.BOOKED: "Κλεισμένο",
    BookingStatus.IN_CALL: "Η βιντεοκλήση είναι σε εξέλιξη",
    BookingStatus.COMPLETED: "Ολοκληρώθηκε",
    BookingStatus.CANCELLED: "Ακυρώθηκε",
    BookingStatus.NO_SHOW: "Δεν έγινε: δεν συνδεθήκατε στην ώρα σας",
}


async def _view(request: web.Request, booking: Booking) -> dict[str, Any]:
    appointments, access = request.app[APPOINTMENTS], request.app[APPOINTMENT_ACCESS]
    topic, branch = await appointments.topic(booking.topic), await appointments.branch(booking.branch)
    deadline = appointments.change_deadline(booking)
    upcoming = booking.status in ACTIVE_STATUSES
    return {
        "reference": booking.reference,
        "status": booking.status,
        "status_text": STATUS_TEXT[booking.status],
        "start": booking.start.isoformat(),
        "end": booking.end.isoformat(),
        "when": when(booking.start.isoformat()),
        "topic": topic.label,
        "branch": branch.name,
        "branch_phone": branch.phone or "1500",
        "documents": documents_to_bring({"documents": topic.documents}, booking.citizen.get("id_document")),  # as the card
        "join_url": appointments.join_url(booking) if upcoming else None,
        "change_deadline": deadline.isoformat(),
        "change_until": when(deadline.isoformat()),
        "can_change": access.can_change(booking),
        "change_notice_hours": request.app[SETTINGS].change_notice_hours,
        "messages": _messages_to_come(appointments, booking),
    }


def _messages_to_come(appointments: Appointments, booking: Booking) -> str:
    """In the chat's words: the reminders still to come (the confirmation went already), or that
    no message is sent at all; nothing once the booking is no longer active."""
    to_come = appointments.notifications_for(booking)
    if booking.status is not BookingStatus.BOOKED or (to_come.channels and not to_come.reminders_hours_before):
        return ""
    return messages_sentence(asdict(replace(to_come, confirmation=False)), bool(booking.citizen.get("email")))


def _answer(request: web.Request, body: dict[str, Any], session: Session) -> web.Response:
    response = json_response(body)
    response.set_cookie(COOKIE, session.cookie, max_age=SESSION_MINUTES * 60, httponly=True, samesite="Strict",
                        secure=request.app[SETTINGS].secure_cookies, path=COOKIE_PATH)
    return response


async def _session(request: web.Request) -> Session:
    return await request.app[APPOINTMENT_ACCESS].session(request.cookies.get(COOKIE))


def _text(body: Any, name: str) -> str:
    value = body.get(name) if isinstance(body, dict) else None
    return value.strip()[:100] if isinstance(value, str) else ""


@routes.post("/api/appointment/session")
async def sign_in(request: web.Request) -> web.Response:
    body = await json_body(request)
    reference, code = _text(body, "reference"), _text(body, "manage_code")
    missing = {name: ("required", message) for name, value, message in (
        ("reference", reference, "Γράψτε τον κωδικό ραντεβού."),
        ("manage_code", code, "Γράψτε τον κωδικό διαχείρισης."),
    ) if not value}
    if missing:
        raise InvalidFields(missing)
    session = await request.app[APPOINTMENT_ACCESS].sign_in(reference, code, client_address(request))
    return _answer(request, await _view(request, session.booking), session)


@routes.delete("/api/appointment/session")
async def sign_out(request: web.Request) -> web.Response:
    response = json_response({"signed_out": True})
    response.del_cookie(COOKIE, path=COOKIE_PATH)
    return response


@routes.get("/api/appointment")
async def appointment(request: web.Request) -> web.Response:
    session = await _session(request)
    return _answer(request, await _view(request, session.booking), session)


@routes.get("/api/appointment/calendar.ics")
async def calendar(request: web.Request) -> web.Response:
    session = await _session(request)
    return await calendar_response(request.app[APPOINTMENTS], session.booking)


@routes.get("/api/appointment/slots")
async def other_times(request: web.Request) -> web.Response:
    session = await _session(request)
    slots = await request.app[APPOINTMENT_ACCESS].free_slots(
        session.booking, query_datetime(request, "after"), query_int(request, "limit", 6, 1, 20))
    access = request.app[APPOINTMENT_ACCESS]
    body = [{"slot_id": s.id, "start": s.start.isoformat(), "when": when(s.start.isoformat()),
             "changeable": access.changeable_at(s.start)} for s in slots]
    return _answer(request, {"slots": body}, session)


@routes.post("/api/appointment/cancel")
async def cancel(request: web.Request) -> web.Response:
    await json_body(request)  # JSON only: a form on another site cannot send it
    session = await _session(request)
    booking = await request.app[APPOINTMENT_ACCESS].cancel(session.booking)
    return _answer(request, await _view(request, booking), session)


@routes.post("/api/appointment/reschedule")
async def reschedule(request: web.Request) -> web.Response:
    slot_id = _text(await json_body(request), "slot_id")
    if not slot_id:
        raise InvalidFields({"slot_id": ("required", "Διαλέξτε τη νέα ώρα.")})
    session = await _session(request)
    booking = await request.app[APPOINTMENT_ACCESS].reschedule(session.booking, slot_id)
    return _answer(request, await _view(request, booking), session)
