"""The citizen chat page's relay to the bot. The chat session id lives in an HttpOnly cookie,
so a reload continues the same conversation and no page script can read or forge it."""
from __future__ import annotations

import secrets

from aiohttp import web

from .. import ratelimit
from ..chat import check_message
from ..errors import DomainError
from .keys import CHAT, REDIS, SETTINGS
from .requests import client_address, json_body
from .responses import json_response

routes = web.RouteTableDef()
COOKIE = "kep_chat"
COOKIE_SECONDS = 24 * 3600


class TooManyMessages(DomainError):
    status = 429


def _session(request: web.Request) -> str | None:
    value = request.cookies.get(COOKIE, "")
    return value if 20 <= len(value) <= 64 and value.replace("-", "").replace("_", "").isalnum() else None


def _with_session(response: web.Response, request: web.Request, session: str) -> web.Response:
    response.set_cookie(COOKIE, session, max_age=COOKIE_SECONDS, httponly=True, samesite="Strict",
                        secure=request.app[SETTINGS].secure_cookies, path="/")
    return response


@routes.post("/api/chat")
async def send(request: web.Request) -> web.Response:
    body = await json_body(request)
    text = check_message(body.get("message") if isinstance(body, dict) else None)
    session = _session(request) or secrets.token_urlsafe(24)
    settings = request.app[SETTINGS]
    remote = client_address(request)
    if not (await ratelimit.allow(request.app[REDIS], f"chat:{session}", settings.chat_messages_per_minute)
            and await ratelimit.allow(request.app[REDIS], f"chat-ip:{remote}", settings.chat_messages_per_minute * 10)):
        raise TooManyMessages("message", "too_many_messages", "Στείλατε πολλά μηνύματα πολύ γρήγορα. Περιμένετε ένα λεπτό, παρακαλώ.")
    replies = await request.app[CHAT].send(f"web-{session}", text)
    return _with_session(json_response({"messages": replies}), request, session)


@routes.get("/api/chat/history")
async def history(request: web.Request) -> web.Response:
    """The page asks on load: this also gives a first-time visitor their session."""
    session = _session(request)
    turns = await request.app[CHAT].history(f"web-{session}") if session else []
    return _with_session(json_response({"turns": turns}), request, session or secrets.token_urlsafe(24))


@routes.post("/api/chat/reset")
async def reset(request: web.Request) -> web.Response:
    """Νέα συζήτηση: a new session id; the old conversation stays with the bot, unreachable."""
    return _with_session(json_response({"turns": []}), request, secrets.token_urlsafe(24))
