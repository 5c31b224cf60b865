"""Rasa's REST channel, at the same URL (/webhooks/rest/webhook), following the request id of
the handoff service's chat relay (`bot/request_logs.py`): the id is set for the handling of each
message, so every log line Rasa writes meanwhile carries it, and kept in the message's metadata,
which Rasa stores in the tracker and sends to the action server with every action call.

bot/credentials.yml names this class instead of `rest`: a channel is Rasa's documented way to
add a middleware to its Sanic app."""
from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, Sanic
from sanic.exceptions import InvalidUsage
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.request_logs import HEADER, REQUEST_ID, JsonFormatter, accepted_request_id

log = logging.getLogger(__name__)
SANIC_LOGGERS = ("sanic.root", "sanic.error", "sanic.access")


def given_request_id(request: Request) -> object:
    """What the relay sent: `metadata.request_id` of the message, or the X-Request-Id header."""
    try:
        metadata = (request.json or {}).get("metadata")
    except (InvalidUsage, AttributeError):  # not a JSON object: RestInput answers that itself
        metadata = None
    return (metadata.get("request_id") if isinstance(metadata, dict) else None) or request.headers.get(HEADER)


class TracedRestInput(RestInput):
    def get_metadata(self, request: Request) -> dict[str, Any]:
        """The message's metadata with the id this server logs with (the relay's, checked,
        or a new one) in place of what the caller wrote."""
        metadata = super().get_metadata(request)
        return {**(metadata if isinstance(metadata, dict) else {}), "request_id": REQUEST_ID.get()}

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = super().blueprint(on_new_message)

        @webhook.middleware("request")
        async def take_request_id(request: Request) -> None:
            # Set for each request (Sanic runs a connection's requests in one task): the
            # handler and the response middleware run in this task, after this.
            REQUEST_ID.set(accepted_request_id(given_request_id(request)))
            request.ctx.started = time.perf_counter()

        @webhook.middleware("response")
        async def log_answer(request: Request, response: HTTPResponse) -> None:
            ms = round((time.perf_counter() - request.ctx.started) * 1000, 1)
            log.info("%s %s %d %.1f ms", request.method, request.path, response.status, ms,
                     extra={"route": request.path, "status": response.status, "ms": ms})
            # The connection's next request may be another of Rasa's routes (the relay reads
            # the tracker on it), which this middleware does not see: it logs with no id
            # rather than this message's.
            REQUEST_ID.set(None)

        @webhook.listener("before_server_start")
        async def sanic_logs_as_json(app: Sanic, loop: object) -> None:
            # Rasa's Sanic app gave Sanic's own loggers text handlers when it was made.
            for name in SANIC_LOGGERS:
                for handler in logging.getLogger(name).handlers:
                    handler.setFormatter(JsonFormatter())

        return webhook
