"""The citizen chat page's relay to the bot. The chat session id lives in an HttpOnly cookie,
so a reload continues the same conversation and no page script can read or forge it."""
from __future__ import annotations

from aiohttp import web

from .. import ratelimit
from ..chat import UNKNOWN_CHAT, check_message
from ..errors import DomainError
from .keys import CHAT, CHAT_IDS, REDIS, SETTINGS
from .requests import client_address, json_body
from .responses import json_response

routes = web.RouteTableDef()
COOKIE = "kep_chat"
COOKIE_SECONDS = 24 * 3600


class TooManyMessages(DomainError):
    status = 429


def _token(request: web.Request) -> str | None:
    return request.cookies.get(COOKIE) or None


def _with_session(response: web.Response, request: web.Request, token: str) -> web.Response:
    response.set_cookie(COOKIE, token, max_age=COOKIE_SECONDS, httponly=True, samesite="Strict",
                        secure=request.app[SETTINGS].secure_cookies, path="/")
    return response


@routes.post("/api/chat")
async def send(request: web.Request) -> web.Response:
    body = await json_body(request)
    text = check_message(body.get("message") if isinstance(body, dict) else None)
    ids = request.app[CHAT_IDS]
    token = _token(request) or ids.issue()
    session = ids.verify(token)
    if session is None:  # not one this service issued: never relayed under that id
        raise UNKNOWN_CHAT
    settings = request.app[SETTINGS]
    remote = client_address(request)
    if not (await ratelimit.allow(request.app[REDIS], f"chat:{session}", settings.chat_messages_per_minute)
            and await ratelimit.allow(request.app[REDIS], f"chat-ip:{remote}", settings.chat_messages_per_minute * 10)):
        raise TooManyMessages("message", "too_many_messages", "Στείλατε πολλά μηνύματα πολύ γρήγορα. Περιμένετε ένα λεπτό, παρακαλώ.")
    replies = await request.app[CHAT].send(f"web-{session}", text)
    return _with_session(json_response({"messages": replies}), request, token)


@routes.get("/api/chat/history")
async def history(request: web.Request) -> web.Response:
    """The page asks on load: this also gives a first-time visitor (or one whose cookie this
    service did not issue) a new session."""
    ids = request.app[CHAT_IDS]
    token = _token(request)
    session = ids.verify(token)
    if session is None:
        return _with_session(json_response({"turns": []}), request, ids.issue())
    return _with_session(json_response({"turns": await request.app[CHAT].history(f"web-{session}")}), request, token)


@routes.post("/api/chat/reset")
async def reset(request: web.Request) -> web.Response:
    """Νέα συζήτηση: a new session id; the old conversation stays with the bot, unreachable."""
    return _with_session(json_response({"turns": []}), request, request.app[CHAT_IDS].issue())
