"""The clerk console's API: log-in, the queue, today's handled appointments and the clerk's
history, the branch's day, the audit trail, pick-up, outcome, reassignment, a live call handed over, search and the live feed (server-sent events). Everything but log-in needs a session."""
from __future__ import annotations

import asyncio
import json

from aiohttp import web

from .. import events
from ..console import Console, Viewer
from ..errors import InvalidFields, Unauthorized
from ..sessions import COOKIE, SESSION_SECONDS, SessionStore
from .console_auth import signed_in, still_signed_in
from .keys import CALLS, CONSOLE, LIVE_FEEDS, LOGIN, REDIS, SETTINGS
from .requests import client_address, json_body, json_object
from .responses import json_response

routes = web.RouteTableDef()
# A keep-alive this often; and at most this often (and so at least this soon after it ended) a
# check that the feed's session has not ended: not on every event, a busy day has many.
KEEPALIVE_SECONDS = 5


async def signed_in_viewer(request: web.Request) -> tuple[Console, Viewer]:
    """The console and who is looking at it (401/403 as `signed_in`)."""
    _, account = await signed_in(request)
    console = request.app[CONSOLE]
    return console, await console.viewer(account)


@routes.post("/api/clerk/login")
async def login(request: web.Request) -> web.Response:
    body = await json_body(request)
    if not isinstance(body, dict) or not isinstance(body.get("username"), str) or not isinstance(body.get("password"), str):
        raise InvalidFields({"username": ("required", "Γράψτε όνομα χρήστη και κωδικό.")})
    account = await request.app[LOGIN].log_in(body["username"].strip()[:100], body["password"][:200], client_address(request))
    session = await SessionStore(request.app[REDIS]).create(account.username, account.credential)
    response = json_response({"account": account.public(), "csrf_token": session.csrf_token})
    response.set_cookie(COOKIE, session.id, max_age=SESSION_SECONDS, httponly=True, samesite="Strict",
                        secure=request.app[SETTINGS].secure_cookies, path="/")
    return response


@routes.post("/api/clerk/logout")
async def logout(request: web.Request) -> web.Response:
    session, _ = await signed_in(request)
    await SessionStore(request.app[REDIS]).end(session)
    response = json_response({"ok": True})
    response.del_cookie(COOKIE, path="/")
    return response


@routes.get("/api/clerk/me")
async def me(request: web.Request) -> web.Response:
    session, account = await signed_in(request)
    return json_response({"account": account.public(), "csrf_token": session.csrf_token})


@routes.get("/api/clerk/queue")
async def queue(request: web.Request) -> web.Response:
    console, viewer = await signed_in_viewer(request)
    return json_response(await console.queue(viewer))


@routes.get("/api/clerk/handled")
async def handled_today(request: web.Request) -> web.Response:
    console, viewer = await signed_in_viewer(request)
    return json_response(await console.handled_today(viewer))


@routes.get("/api/clerk/history")
async def history(request: web.Request) -> web.Response:
    console, viewer = await signed_in_viewer(request)
    return json_response(await console.history(viewer, request.query.get("q", "")[:200]))


@routes.post("/api/clerk/bookings/{reference}/pickup")
async def pick_up(request: web.Request) -> web.Response:
    console, viewer = await signed_in_viewer(request)
    return json_response(await console.pick_up(viewer, request.match_info["reference"]))


@routes.post("/api/clerk/bookings/{reference}/finish")
async def finish(request: web.Request) -> web.Response:
    console, viewer = await signed_in_viewer(request)
    body = await json_object(request)
    return json_response(await console.finish(
        viewer, request.match_info["reference"], body.get("outcome"), body.get("notes", "")
    ))


@routes.get("/api/clerk/day")
async def branch_day(request: web.Request) -> web.Response:
    console, viewer = await signed_in_viewer(request)
    return json_response(await console.branch_day(viewer))


@routes.get("/api/clerk/clerks")
async def staff(request: web.Request) -> web.Response:
    console, viewer = await signed_in_viewer(request)
    return json_response(await console.staff(viewer))


@routes.post("/api/clerk/clerks/{clerk}/absences")
async def add_absence(request: web.Request) -> web.Response:
    console, viewer = await signed_in_viewer(request)
    body = await json_object(request)
    return json_response(await console.add_absence(
        viewer, request.match_info["clerk"], body.get("start"), body.get("end"), body.get("reason", ""),
    ))


@routes.delete("/api/clerk/clerks/{clerk}/absences")
async def remove_absence(request: web.Request) -> web.Response:
    """The absence to remove, as listed: ?start=…&end=…[&reason=…&from_time=…&until=…]."""
    console, viewer = await signed_in_viewer(request)
    listed = {k: v[:200] for k, v in request.query.items() if k in ("start", "end", "reason", "from_time", "until")}
    return json_response(await console.remove_absence(viewer, request.match_info["clerk"], listed))


@routes.put("/api/clerk/clerks/{clerk}/schedule")
async def change_schedule(request: web.Request) -> web.Response:
    console, viewer = await signed_in_viewer(request)
    body = await json_object(request)
    return json_response(await console.change_schedule(
        viewer, request.match_info["clerk"], body.get("topics"), body.get("working_hours"),
    ))


@routes.get("/api/clerk/audit")
async def branch_audit(request: web.Request) -> web.Response:
    console, viewer = await signed_in_viewer(request)
    return json_response(await console.branch_history(viewer))


@routes.get("/api/clerk/bookings/{reference}/audit")
async def appointment_audit(request: web.Request) -> web.Response:
    console, viewer = await signed_in_viewer(request)
    return json_response(await console.appointment_history(viewer, request.match_info["reference"]))


@routes.get("/api/clerk/bookings/{reference}/reassignable-clerks")
async def reassignable_clerks(request: web.Request) -> web.Response:
    console, viewer = await signed_in_viewer(request)
    return json_response(await console.reassignable_clerks(viewer, request.match_info["reference"]))


@routes.post("/api/clerk/bookings/{reference}/reassign")
async def reassign(request: web.Request) -> web.Response:
    console, viewer = await signed_in_viewer(request)
    body = await json_body(request)
    return json_response(await console.reassign(
        viewer, request.match_info["reference"], body.get("clerk") if isinstance(body, dict) else None
    ))


@routes.post("/api/clerk/bookings/{reference}/take-over")
async def take_over(request: web.Request) -> web.Response:
    _, account = await signed_in(request)
    body = await json_body(request)
    return json_response(await request.app[CALLS].take_over(
        account, request.match_info["reference"], body.get("clerk") if isinstance(body, dict) else None
    ))


@routes.post("/api/clerk/bookings/{reference}/cancel")
async def cancel(request: web.Request) -> web.Response:
    console, viewer = await signed_in_viewer(request)
    body = await json_object(request)
    return json_response(await console.cancel(
        viewer, request.match_info["reference"], body.get("reason")
    ))


@routes.post("/api/clerk/bookings/{reference}/move")
async def move(request: web.Request) -> web.Response:
    console, viewer = await signed_in_viewer(request)
    body = await json_object(request)
    return json_response(await console.move(
        viewer, request.match_info["reference"], body.get("slot_id"), body.get("reason")
    ))


@routes.get("/api/clerk/notifications/failed")
async def failed_notifications(request: web.Request) -> web.Response:
    console, viewer = await signed_in_viewer(request)
    return json_response(await console.failed_notifications(viewer))


@routes.post("/api/clerk/notifications/failed/{id}/send-again")
async def send_notification_again(request: web.Request) -> web.Response:
    console, viewer = await signed_in_viewer(request)
    return json_response(await console.send_notification_again(viewer, request.match_info["id"]))


@routes.get("/api/clerk/search")
async def search(request: web.Request) -> web.Response:
    await signed_in(request)
    return json_response(await request.app[CONSOLE].search(request.query.get("q", "")[:200]))


@routes.get("/api/clerk/events")
async def live_feed(request: web.Request) -> web.StreamResponse:
    """Server-sent events: one `change` per booking event this viewer may see; `ended` (with
    the message to show) when the session ends, then the stream closes."""
    session, account = await signed_in(request)
    viewer = await request.app[CONSOLE].viewer(account)
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-store"})
    await response.prepare(request)
    subscription = await events.Subscription(request.app[REDIS]).open()
    feeds, this_feed = request.app[LIVE_FEEDS], asyncio.current_task()
    assert this_feed is not None  # a request handler runs in a task
    feeds.add(this_feed)
    try:
        await response.write(b": connected\n\n")
        loop = asyncio.get_running_loop()
        check_due = loop.time() + KEEPALIVE_SECONDS
        while True:
            event = await subscription.next(timeout=KEEPALIVE_SECONDS)
            if loop.time() >= check_due:
                check_due = loop.time() + KEEPALIVE_SECONDS
                try:
                    await still_signed_in(request, session)
                except Unauthorized as ended:
                    await response.write(f"event: ended\ndata: {json.dumps({'message': ended.message})}\n\n".encode())
                    break
            if event is None:
                await response.write(b": keep-alive\n\n")
            elif viewer.sees(event.branch, event.topic):
                data = json.dumps({"kind": event.kind, "reference": event.reference})
                await response.write(f"event: change\ndata: {data}\n\n".encode())
    except ConnectionResetError:  # the console went away
        pass
    finally:
        feeds.discard(this_feed)
        await subscription.close()
    return response


async def close_live_feeds(app: web.Application) -> None:
    """On shutdown: end the open streams (browsers reconnect to another process by themselves)."""
    feeds: set[asyncio.Task] = app[LIVE_FEEDS]
    for task in list(feeds):
        task.cancel()
