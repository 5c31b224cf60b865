"""A lost booking found again, for the bot's «έχασα τον κωδικό»: POST /api/bookings/recover
(service token) with the reference and manage code, or the document number and mobile."""
from __future__ import annotations

from aiohttp import web

from ..errors import InvalidFields
from ..recovery import Found, per_asker
from .auth import require_service
from .bookings import booking_json
from .keys import RECOVERY, SETTINGS
from .requests import json_body
from .responses import json_response

routes = web.RouteTableDef()
PER_CHAT = per_asker(6)


def _text(body: dict, name: str) -> str:
    value = body.get(name, "")
    if not isinstance(value, str):
        raise InvalidFields({name: ("not_text", "Αυτό το πεδίο πρέπει να είναι κείμενο.")})
    return value.strip()[:100]


def _found_json(request: web.Request, found: Found) -> dict:
    return booking_json(request, found.booking, found.manage_token) | {
        "manage_token": found.manage_token, "new_manage_token": found.new_manage_token,
    }


@routes.post("/api/bookings/recover")
async def recover_booking(request: web.Request) -> web.Response:
    require_service(request, request.app[SETTINGS].service_token)
    body = await json_body(request)
    if not isinstance(body, dict):
        raise InvalidFields({"body": ("not_object", "Το αίτημα πρέπει να είναι αντικείμενο JSON.")})
    sender = _text(body, "sender_id")
    if not sender:
        raise InvalidFields({"sender_id": ("required", "Λείπει η συνομιλία που ρωτά.")})
    asker = f"chat:{sender}"
    recovery = request.app[RECOVERY]
    if "reference" in body or "manage_code" in body:
        found = [await recovery.by_code(_text(body, "reference"), _text(body, "manage_code"), asker, PER_CHAT)]
    elif "document_number" in body or "mobile" in body:
        found = await recovery.by_identity(_text(body, "document_number"), _text(body, "mobile"), asker, PER_CHAT)
    else:
        raise InvalidFields({"body": ("details_required",
                                      "Στείλτε reference και manage_code, ή document_number και mobile.")})
    return json_response({"bookings": [_found_json(request, f) for f in found]})
