"""The action server, answering only Rasa: every call but /health must carry the shared
ACTIONS_TOKEN in the X-Actions-Token header (Rasa sends it, bot/endpoints.yml). The action
server holds the handoff service's token, so nobody else may make it act.

It logs JSON lines with the request id of the citizen's message (`bot/request_logs.py`), which
Rasa's channel keeps in the message's metadata (`bot/rest_channel.py`); its calls to the
handoff API pass it on (`handoff_api.py`).

    ACTIONS_TOKEN=… python -m bot.actions.server --port 5055
"""
from __future__ import annotations

import argparse
import hmac
import logging
import os
import sys
import time
from typing import Any

from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot import request_logs
from bot.request_logs import REQUEST_ID, accepted_request_id

HEADER = "X-Actions-Token"
OPEN_PATHS = ("/health",)
log = logging.getLogger("bot.actions.server")  # not __main__ under `python -m`


def tracked_request_id(action_call: Any) -> object:
    """The request id in the metadata of the citizen's latest message, as Rasa sends the
    tracker with the action call."""
    tracker = action_call.get("tracker") if isinstance(action_call, dict) else None
    message = tracker.get("latest_message") if isinstance(tracker, dict) else None
    metadata = message.get("metadata") if isinstance(message, dict) else None
    return metadata.get("request_id") if isinstance(metadata, dict) else None


def app_answering_only(token: str) -> Sanic:
    from rasa_sdk.endpoint import create_app  # here, after main() set up the logs: its imports warn

    app = create_app("bot.actions", cors_origins=None)

    @app.on_request
    async def only_rasa(request: Request):  # noqa: ANN202 - Sanic middleware
        # Sanic runs a connection's requests in one task: a fresh id, so that nothing (a refusal
        # included) is logged with the previous request's.
        REQUEST_ID.set(accepted_request_id(None))
        request.ctx.started = time.perf_counter()
        if request.path not in OPEN_PATHS and not hmac.compare_digest(request.headers.get(HEADER, "").encode(), token.encode()):
            return response.json({"error": "unauthorized"}, status=401)
        return None

    @app.on_request
    async def take_request_id(request: Request) -> None:
        # The message's id, for the action and the response middleware (same task, after
        # this). Rasa does not compress action calls unless told to
        # (COMPRESS_ACTION_SERVER_REQUEST): then the id stays the fresh one.
        call = request.json if request.method == "POST" and "Content-Encoding" not in request.headers else None
        REQUEST_ID.set(accepted_request_id(tracked_request_id(call)))
        request.ctx.action = call.get("next_action") if isinstance(call, dict) else None

    @app.on_response
    async def log_answer(request: Request, answer: HTTPResponse) -> None:
        if request.path in OPEN_PATHS:
            return
        action = getattr(request.ctx, "action", None)  # none when refused before take_request_id
        ms = round((time.perf_counter() - request.ctx.started) * 1000, 1)
        log.info("%s %s %d %.1f ms", request.path, action, answer.status, ms,
                 extra={"action": action, "status": answer.status, "ms": ms})

    return app


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bot.actions.server", description=__doc__)
    parser.add_argument("--port", type=int, default=5055)
    args = parser.parse_args()
    request_logs.configure()
    token = os.environ.get("ACTIONS_TOKEN", "")
    if len(token) < 16:
        sys.exit("ACTIONS_TOKEN is not set (16+ characters, the same as Rasa's): the action server answers only Rasa")
    app_answering_only(token).run(os.environ.get("SANIC_HOST", "127.0.0.1"), args.port, workers=1,
                                    access_log=False)  # log_answer's line instead


if __name__ == "__main__":
    main()
