"""The HTML pages (clerk console) and their static files, with headers that keep whatever
a citizen typed inert: no inline scripts (CSP), no framing, no MIME sniffing."""
from __future__ import annotations

import functools
from html import escape
from pathlib import Path

from aiohttp import web

from ..errors import DomainError
from .keys import APPOINTMENTS, CALLS

WEB = Path(__file__).resolve().parent.parent / "web"
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; media-src 'self' blob:; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'"
)

routes = web.RouteTableDef()


@web.middleware
async def security_headers(request: web.Request, handler):
    response = await handler(request)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    if response.content_type == "text/html":
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Cache-Control"] = "no-store"
    return response


@functools.cache
def _html(name: str) -> str:
    """Read once per process: the pages are part of the release, not edited at run time."""
    return (WEB / name).read_text(encoding="utf-8")


def page(name: str, status: int = 200, **values: str) -> web.Response:
    html = _html(name)
    for field, value in values.items():
        html = html.replace("{" + field + "}", escape(value))
    return web.Response(text=html, content_type="text/html", charset="utf-8", status=status)


@routes.get("/")
async def citizen_chat(request: web.Request) -> web.Response:
    return page("chat.html")


@routes.get("/appointment")
async def citizen_appointment(request: web.Request) -> web.Response:
    """The citizen's booking: the codes are typed into its form, never carried in the URL."""
    return page("appointment.html")


@routes.get("/clerk")
async def clerk_console(request: web.Request) -> web.Response:
    return page("clerk.html")


@routes.get("/call/{token}")
async def citizen_call(request: web.Request) -> web.Response:
    """The join link. A tampered, expired or finished link gets a plain Greek page instead."""
    try:
        await request.app[CALLS].citizen_booking(request.match_info["token"])
    except DomainError as e:
        return page("call-refused.html", e.status, message=e.message)
    return page("call.html")


@routes.get("/k/{code}")
async def short_join_link(request: web.Request) -> web.Response:
    """The join link as sent by SMS: on to the full, expiring join link."""
    try:
        url = await request.app[APPOINTMENTS].join_url_for_short_code(request.match_info["code"])
    except DomainError as e:
        return page("call-refused.html", e.status, message=e.message)
    raise web.HTTPFound(url)


@routes.get("/clerk/call/{reference}")
async def clerk_call(request: web.Request) -> web.Response:
    return page("clerk-call.html")


routes.static("/static", WEB / "static")
