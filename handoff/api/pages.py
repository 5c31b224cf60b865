"""The HTML pages (clerk console) and their static files, with headers that keep whatever
a citizen typed inert: no inline scripts (CSP), no framing, no MIME sniffing."""
from __future__ import annotations

from pathlib import Path

from aiohttp import web

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


def page(name: str) -> web.Response:
    return web.Response(text=(WEB / name).read_text(encoding="utf-8"), content_type="text/html", charset="utf-8")


@routes.get("/")
async def citizen_chat(request: web.Request) -> web.Response:
    return page("chat.html")


@routes.get("/clerk")
async def clerk_console(request: web.Request) -> web.Response:
    return page("clerk.html")


routes.static("/static", WEB / "static")
