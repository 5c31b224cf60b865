"""Reading request input safely: JSON bodies and query parameters, with Greek 4xx errors."""
from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from aiohttp import web

from ..config import ATHENS
from ..errors import DomainError, Unprocessable
from .keys import SETTINGS


async def json_body(request: web.Request) -> Any:
    if request.content_type != "application/json":
        raise DomainError("body", "json_required", "Στείλτε τα δεδομένα ως JSON (Content-Type: application/json).")
    try:
        return json.loads(await request.text())
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError):  # RecursionError: nested thousands deep
        raise DomainError("body", "malformed_json", "Το JSON του αιτήματος δεν είναι έγκυρο.") from None


async def json_object(request: web.Request) -> dict[str, Any]:
    """A JSON body whose fields are read one by one: anything but an object reads as no fields."""
    body = await json_body(request)
    return body if isinstance(body, dict) else {}


def client_address(request: web.Request) -> str:
    """Behind our reverse proxy every request comes from the proxy: the citizen's address is
    the last one the proxy appended to X-Forwarded-For (earlier ones the client could forge)."""
    if request.app[SETTINGS].behind_proxy:
        forwarded = [a.strip() for a in request.headers.get("X-Forwarded-For", "").split(",") if a.strip()]
        if forwarded:
            return forwarded[-1]
    return request.remote or "unknown"


def query_int(request: web.Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = low - 1
    if not low <= value <= high:
        raise Unprocessable(name, "out_of_range", f"Το {name} πρέπει να είναι ακέραιος από {low} έως {high}.")
    return value


def query_datetime(request: web.Request, name: str) -> datetime | None:
    """An ISO-8601 time; one without an offset is read as Athens time, as a citizen means it."""
    raw = request.query.get(name)
    if not raw:
        return None
    try:
        value = datetime.fromisoformat(raw.replace(" ", "+").replace("Z", "+00:00"))
    except ValueError:
        raise Unprocessable(name, "invalid_datetime", "Η ημερομηνία πρέπει να είναι σε μορφή ISO-8601.") from None
    return value if value.tzinfo else value.replace(tzinfo=ATHENS)
