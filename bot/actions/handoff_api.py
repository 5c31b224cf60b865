"""The action server's only way to the data: the handoff service's JSON API, with the
service token. Topics, branches and the public config change rarely and are cached for a
minute so that a chat turn costs at most one API call."""
from __future__ import annotations

import functools
import json
import os
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import aiohttp

from bot.request_logs import traced

CATALOGUE_TTL_SECONDS = 60.0


class HandoffUnavailable(Exception):
    """The handoff service did not answer; the bot apologises and offers the KEP line."""


@dataclass(frozen=True)
class ApiError(Exception):
    status: int
    code: str
    message: str
    fields: dict[str, dict[str, str]]


class HandoffAPI:
    def __init__(self, base_url: str, service_token: str, timeout_seconds: float = 5.0):
        self._base = base_url.rstrip("/")
        self._headers = {"Authorization": f"Bearer {service_token}"}
        self._timeout = aiohttp.ClientTimeout(total=timeout_seconds)
        self._session: aiohttp.ClientSession | None = None
        self._cache: dict[str, tuple[float, Any]] = {}

    @classmethod
    def from_env(cls) -> HandoffAPI:
        return cls(
            os.environ.get("HANDOFF_URL", "http://127.0.0.1:8080"),
            os.environ.get("HANDOFF_SERVICE_TOKEN", ""),
        )

    async def _request(self, method: str, path: str, **kwargs: Any) -> Any:
        if self._session is None or self._session.closed:
            # Greek as UTF-8 (2 bytes a letter), not \uXXXX escapes (6): a long conversation's
            # transcript stays well inside the service's body limit.
            self._session = aiohttp.ClientSession(timeout=self._timeout, headers=self._headers,
                                                  json_serialize=functools.partial(json.dumps, ensure_ascii=False))
        headers = {**traced(), **kwargs.pop("headers", {})}  # the citizen's message's id, for the service's logs
        try:
            async with self._session.request(method, self._base + path, headers=headers, **kwargs) as resp:
                body = await resp.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError) as e:
            raise HandoffUnavailable(str(e)) from e
        if resp.status >= 500:
            raise HandoffUnavailable(f"{method} {path}: {resp.status}")
        if resp.status >= 400:
            error = (body or {}).get("error", {})
            raise ApiError(resp.status, error.get("code", ""), error.get("message", ""), error.get("fields", {}))
        return body

    async def _cached(self, path: str) -> Any:
        hit = self._cache.get(path)
        if hit and time.monotonic() - hit[0] < CATALOGUE_TTL_SECONDS:
            return hit[1]
        value = await self._request("GET", path)
        self._cache[path] = (time.monotonic(), value)
        return value

    async def topics(self) -> dict[str, dict[str, Any]]:
        return {t["id"]: t for t in await self._cached("/api/topics")}

    async def branches(self, topic: str | None = None) -> dict[str, dict[str, Any]]:
        """Every branch, or those with a clerk trained in `topic`."""
        return {b["id"]: b for b in await self._cached("/api/branches" + (f"?topic={quote(topic)}" if topic else ""))}

    async def config(self) -> dict[str, Any]:
        """The service's public rules: horizon, change deadline, the messages it really sends."""
        return await self._cached("/api/config")

    async def search_catalogue(self, text: str) -> dict[str, Any]:
        """The catalogue's ranked answer to the citizen's words: likely topics with the matched
        procedure, and a matter that is not a KEP's (with who handles it), if the words name one."""
        return await self._request("GET", "/api/catalogue/search", params={"q": text[:300]})

    async def free_slots(
        self, topic: str, branch: str | None, after: str | None = None, limit: int = 5, before: str | None = None
    ) -> list[dict[str, Any]]:
        params = {"topic": topic, "limit": str(limit)}
        for name, value in (("branch", branch), ("after", after), ("before", before)):
            if value:
                params[name] = value
        return await self._request("GET", "/api/slots", params=params)

    async def check_identity_field(self, field: str, value: str, document: str | None = None) -> tuple[str, str]:
        """(stored field, normalised value); raises ApiError (422) with the Greek re-ask. An
        `id_card` is the number of `document` (police_id, passport, …)."""
        request = {"field": field, "value": value} | ({"document": document} if document else {})
        body = await self._request("POST", "/api/identity/check", json=request)
        return body["field"], body["value"]

    async def book(self, request: dict[str, Any]) -> dict[str, Any]:
        return await self._request("POST", "/api/bookings", json=request)

    async def booking(self, reference: str, manage_token: str) -> dict[str, Any]:
        return await self._request("GET", f"/api/bookings/{reference}", headers=_manage(manage_token))

    async def cancel(self, reference: str, manage_token: str) -> dict[str, Any]:
        return await self._request("POST", f"/api/bookings/{reference}/cancel", headers=_manage(manage_token))

    async def reschedule(self, reference: str, manage_token: str, slot_id: str) -> dict[str, Any]:
        return await self._request(
            "POST", f"/api/bookings/{reference}/reschedule", json={"slot_id": slot_id}, headers=_manage(manage_token)
        )

    async def recover(self, sender_id: str, **details: str) -> list[dict[str, Any]]:
        """Upcoming bookings found by reference + manage_code, or document_number + mobile
        (ApiError 404 for any miss, 429 after too many tries)."""
        body = await self._request("POST", "/api/bookings/recover", json={"sender_id": sender_id, **details})
        return body["bookings"]


def _manage(token: str) -> dict[str, str]:
    """Citizen calls go with the manage code: with it the service treats the call as the
    citizen's, who proves ownership; the bot does not vouch for them (its token, sent as on
    every call, only keeps the bot out of the service's per-address limits)."""
    return {"X-Manage-Token": token}


api = HandoffAPI.from_env()
