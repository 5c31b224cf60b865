"""Identity-check fields, one at a time: the chat asks for them one by one and re-asks at
once, with the same rules the booking is later held to (one module owns the formats). The
number of an identity document is checked for the `document` it belongs to."""
from __future__ import annotations

from aiohttp import web

from ..citizens import check_field, identity_document
from ..errors import InvalidFields
from .auth import require_service
from .keys import SETTINGS
from .requests import json_body
from .responses import json_response

routes = web.RouteTableDef()


@routes.post("/api/identity/check")
async def check_identity_field(request: web.Request) -> web.Response:
    require_service(request, request.app[SETTINGS].service_token)
    body = await json_body(request)
    if not isinstance(body, dict) or not isinstance(body.get("field"), str) or not isinstance(body.get("value"), str):
        raise InvalidFields({"body": ("field_and_value", "Στείλτε {field, value} ως κείμενο.")})
    document = identity_document(body.get("document"))
    field, value = check_field(body["field"], body["value"].strip()[:300], document)
    return json_response({"field": field, "value": value} | ({"document": document.value} if field == "id_card" else {}))
