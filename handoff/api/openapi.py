"""Serves the hand-written OpenAPI document (`handoff/openapi.yaml`) as JSON."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from aiohttp import web

from .responses import json_response

routes = web.RouteTableDef()
SPEC_PATH = Path(__file__).resolve().parent.parent / "openapi.yaml"


@lru_cache(maxsize=1)
def openapi_document() -> dict[str, Any]:
    with open(SPEC_PATH, encoding="utf-8") as f:
        return yaml.safe_load(f)


@routes.get("/api/openapi.json")
async def openapi_json(request: web.Request) -> web.Response:
    return json_response(openapi_document())
