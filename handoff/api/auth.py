"""Who is calling: the bot's action server proves itself with a bearer service token;
a citizen proves ownership of a booking with its manage code."""
from __future__ import annotations

import hmac

from aiohttp import web

from ..errors import Unauthorized


def is_service(request: web.Request, service_token: str | None) -> bool:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if not service_token:
        return False
    return scheme.lower() == "bearer" and hmac.compare_digest(token.strip().encode(), service_token.encode())


def require_service(request: web.Request, service_token: str | None) -> None:
    if not is_service(request, service_token):
        raise Unauthorized("Authorization", "service_token_required", "Χρειάζεται το κλειδί της υπηρεσίας.")


def manage_token(request: web.Request) -> str | None:
    """Only from a header: a code in a URL ends up in access logs and browser histories."""
    return request.headers.get("X-Manage-Token")
