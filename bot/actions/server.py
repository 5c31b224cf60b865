"""The action server, answering only Rasa: every call but /health must carry the shared
ACTIONS_TOKEN in the X-Actions-Token header (Rasa sends it, bot/endpoints.yml). The action
server holds the handoff service's token, so nobody else may make it act.

    ACTIONS_TOKEN=… python -m bot.actions.server --port 5055
"""
from __future__ import annotations

import argparse
import hmac
import logging
import os
import sys

from rasa_sdk.endpoint import create_app
from sanic import Sanic, response
from sanic.request import Request

HEADER = "X-Actions-Token"
OPEN_PATHS = ("/health",)


def app_answering_only(token: str) -> Sanic:
    app = create_app("bot.actions", cors_origins=None)

    @app.on_request
    async def only_rasa(request: Request):  # noqa: ANN202 - Sanic middleware
        if request.path not in OPEN_PATHS and not hmac.compare_digest(request.headers.get(HEADER, "").encode(), token.encode()):
            return response.json({"error": "unauthorized"}, status=401)
        return None

    return app


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bot.actions.server", description=__doc__)
    parser.add_argument("--port", type=int, default=5055)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO)
    token = os.environ.get("ACTIONS_TOKEN", "")
    if len(token) < 16:
        sys.exit("ACTIONS_TOKEN is not set (16+ characters, the same as Rasa's): the action server answers only Rasa")
    app_answering_only(token).run(os.environ.get("SANIC_HOST", "127.0.0.1"), args.port, workers=1)


if __name__ == "__main__":
    main()
