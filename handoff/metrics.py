"""What an operator measures, in the Prometheus format (`GET /metrics` on every handoff
process; each process counts its own requests, calls and relayed chat messages).

Requests are labelled with their route's canonical path (`/api/bookings/{reference}`), never
the raw URL, so the series stay few. Counts kept in Redis (notifications) and in this
process's memory (calls) are read when Prometheus scrapes.
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping
from typing import TYPE_CHECKING

from aiohttp import web
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily
from prometheus_client.registry import Collector

from bot.request_logs import HEADER, REQUEST_ID, accepted_request_id

from .login import PASSWORD_THREADS
from .queues import QueueState

if TYPE_CHECKING:  # calls.py counts its joins here
    from .calls import CallState

disable_created_metrics()  # no `_created` twin of every counter and histogram: half the series, nothing lost

REQUEST_SECONDS = Histogram(
    "kep_http_request_duration_seconds", "Time to answer a request, by route (canonical path) and method",
    ["route", "method"], buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
REQUESTS = Counter("kep_http_requests_total", "Requests answered, by route, method and status class",
                   ["route", "method", "status"])
BOOKINGS = Counter("kep_bookings_total", "Booking changes asked for, by action (book, cancel, reschedule) and outcome "
                   "(done; conflict: the slot was taken or the change is too late; refused: bad input or codes; error)",
                   ["action", "outcome"])
CHAT_RELAY_SECONDS = Histogram("kep_chat_relay_duration_seconds", "Time for Rasa to answer a relayed chat message",
                               buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8))
CHAT_RELAY_ERRORS = Counter("kep_chat_relay_errors_total", "Requests to a Rasa server that failed, by reason "
                            "(unreachable: no connection, the next server was tried; status: an HTTP error; "
                            "failed: a timeout or a broken answer)", ["reason"])
CALL_JOINS = Counter("kep_call_joins_total", "Offers answered, by side (citizen, clerk) and kind (first: the side's first "
                     "connection to this call; rejoin: a reload, a lost network or another device)", ["side", "kind"])
CALLS = Gauge("kep_calls", "Calls this process relays media for, by state", ["state"])
QUEUE = Gauge("kep_queue", "Today's appointments still to serve, by branch, topic and state "
              "(expected later today, waiting in the waiting room now, in_call)", ["branch", "topic", "state"])
NOTIFICATIONS = Gauge("kep_notifications", "Messages to citizens: queued (to send now), scheduled (reminders), "
                      "failed (given up: for a person to look at)", ["status"])

def _thread_cpu_seconds(thread: threading.Thread) -> float:
    try:
        return time.clock_gettime(time.pthread_getcpuclockid(thread.ident)) if thread.ident else 0.0
    except OSError:  # it ended since threading.enumerate()
        return 0.0


class CpuByPart(Collector):
    """The process's CPU split by what uses it: the event loop (HTTP, signalling, the calls'
    RTP packets), password checks (login.py's argon2 threads), and the media relay's codecs —
    every other thread: aiortc decodes each incoming track in a thread of its own and encodes
    in the loop's executor. Those threads come and go with calls; the process's total
    counts the CPU of the ended ones too, so the codecs' share is the total less the others."""

    def collect(self) -> Iterator[CounterMetricFamily]:
        total = time.process_time()
        event_loop = _thread_cpu_seconds(threading.main_thread())
        passwords = sum(_thread_cpu_seconds(t) for t in threading.enumerate() if t.name.startswith(PASSWORD_THREADS))
        family = CounterMetricFamily("kep_process_cpu_seconds", "CPU this process used, by part: event_loop, "
                                     "media_codecs (decoding and encoding the calls' audio and video), password_checks",
                                     labels=["part"])
        family.add_metric(["event_loop"], event_loop)
        family.add_metric(["media_codecs"], max(0.0, total - event_loop - passwords))
        family.add_metric(["password_checks"], passwords)
        yield family


REGISTRY.register(CpuByPart())

BOOKING_ACTIONS = {
    ("POST", "/api/bookings"): "book",
    ("POST", "/api/bookings/{reference}/cancel"): "cancel",
    ("POST", "/api/bookings/{reference}/reschedule"): "reschedule",
    ("POST", "/api/appointment/cancel"): "cancel",
    ("POST", "/api/appointment/reschedule"): "reschedule",
}
UNMATCHED = "unmatched"  # no route: one series for every unknown URL
QUIET = {"/metrics", "/healthz"}  # scraped and probed all day: not in the access log
access = logging.getLogger("handoff.access")


def route_of(request: web.Request) -> str:
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else UNMATCHED


def _outcome(status: int) -> str:
    if status < 400:
        return "done"
    if status == 409:
        return "conflict"
    return "refused" if status < 500 else "error"


def record(request: web.Request, status: int, seconds: float) -> None:
    route = route_of(request)
    REQUEST_SECONDS.labels(route, request.method).observe(seconds)
    REQUESTS.labels(route, request.method, f"{status // 100}xx").inc()
    action = BOOKING_ACTIONS.get((request.method, route))
    if action:
        BOOKINGS.labels(action, _outcome(status)).inc()


@web.middleware
async def observe(request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]):
    """The outermost middleware: the request id (X-Request-Id in, or a new one) for the logs
    and for Rasa, given back in the response; the request's time and status."""
    rid = accepted_request_id(request.headers.get(HEADER))
    token = REQUEST_ID.set(rid)
    started = time.perf_counter()
    status = 500
    try:
        response = await handler(request)
        status = response.status
        response.headers[HEADER] = rid
        return response
    except web.HTTPException as e:
        status = e.status
        e.headers[HEADER] = rid
        raise
    finally:
        seconds = time.perf_counter() - started
        record(request, status, seconds)
        if request.path not in QUIET:  # the route, not the path: join tokens and references stay out of the logs
            route = route_of(request)
            access.info("%s %s %d %.1f ms", request.method, route, status, seconds * 1000,
                        extra={"route": route, "status": status, "ms": round(seconds * 1000, 1)})
        REQUEST_ID.reset(token)


def exposition(calls: Mapping[CallState, int], notifications: Mapping[str, int],
               queue: Mapping[tuple[str, str, QueueState], int]) -> web.Response:
    """The scrape: the gauges set from what the caller read just now, then every metric."""
    QUEUE.clear()  # a branch and topic with nobody left today has no series
    for (branch, topic, queue_state), count in queue.items():
        QUEUE.labels(branch, topic, str(queue_state)).set(count)
    CALLS.clear()  # Redis unreadable: no series rather than the last scrape's
    for call_state, count in calls.items():
        CALLS.labels(str(call_state)).set(count)
    for status, count in notifications.items():
        NOTIFICATIONS.labels(status).set(count)
    response = web.Response(body=generate_latest())
    response.content_type = CONTENT_TYPE_LATEST.split(";")[0]
    response.charset = "utf-8"
    return response
