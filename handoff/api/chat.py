"""The citizen chat page's relay to the bot. The chat session id lives in an HttpOnly cookie,
so a reload continues the same conversation and no page script can read or forge it."""
from __future__ import annotations

from aiohttp import web

from .. import ratelimit
from ..chat import UNKNOWN_CHAT, check_message, relayed_sender
from .keys import CHAT, CHAT_IDS, CHAT_ORIGINS, REDIS, SETTINGS
from .requests import client_address, json_body
from .responses import json_response

routes = web.RouteTableDef()
COOKIE = "kep_chat"
COOKIE_SECONDS = 24 * 3600


def _limit(per_minute: int, bucket: str) -> ratelimit.Limit:
    return ratelimit.Limit(bucket, per_minute, 60, "too_many_messages",
                           "Στείλατε πολλά μηνύματα πολύ γρήγορα. Περιμένετε ένα λεπτό, παρακαλώ.")


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
    settings, redis = request.app[SETTINGS], request.app[REDIS]
    remote = client_address(request)
    await _limit(settings.chat_messages_per_minute, "chat").enforce(redis, session)
    await _limit(settings.chat_messages_per_minute * 10, "chat-ip").enforce(redis, remote)
    sender = relayed_sender(session)
    await request.app[CHAT_ORIGINS].remember(sender, remote)
    replies = await request.app[CHAT].send(sender, text)
    return _with_session(json_response({"messages": replies}), request, token)


@routes.get("/api/chat/history")
async def history(request: web.Request) -> web.Response:
    """The page asks on load: this also gives a first-time visitor (or one whose cookie this
    service did not issue) a new session."""
    ids = request.app[CHAT_IDS]
    token = _token(request)
    session = ids.verify(token)
    if session is None or token is None:
        return _with_session(json_response({"turns": []}), request, ids.issue())
    return _with_session(json_response({"turns": await request.app[CHAT].history(relayed_sender(session))}), request, token)


@routes.post("/api/chat/reset")
async def reset(request: web.Request) -> web.Response:
    """Νέα συζήτηση: a new session id; the old conversation stays with the bot, unreachable."""
    return _with_session(json_response({"turns": []}), request, request.app[CHAT_IDS].issue())
