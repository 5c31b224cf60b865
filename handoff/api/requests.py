"""Reading request input safely: JSON bodies and query parameters, with Greek 4xx errors."""
from __future__ import annotations

import functools
import ipaddress
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
    """The client's address. A request from one of our reverse proxies (HANDOFF_TRUSTED_PROXIES)
    carries it in X-Forwarded-For, where each proxy appended the address it was called from:
    the rightmost one that is not itself one of our proxies is the client (anything left of it
    the client could have written). From anyone else the header is ignored."""
    address = request.remote or "unknown"
    trusted = _networks(request.app[SETTINGS].trusted_proxies)
    if not _within(address, trusted):
        return address
    hops = [a.strip() for header in request.headers.getall("X-Forwarded-For", ()) for a in header.split(",")]
    for hop in reversed([h for h in hops if h]):
        address = hop
        if not _within(hop, trusted):
            break
    return address


@functools.cache
def _networks(trusted: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(n, strict=False) for n in trusted)


def _within(address: str, networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


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
