"""Console log-in sessions: a random id in an HttpOnly, SameSite=Strict cookie, the rest in
Redis (so any handoff process can serve the console). Each session carries its own CSRF
token, which the console sends back in a header on every state-changing request."""
from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass

from .store import Redis, key

COOKIE = "kep_session"
CSRF_HEADER = "X-CSRF-Token"
SESSION_SECONDS = 10 * 3600  # a working day


@dataclass(frozen=True)
class Session:
    id: str
    username: str
    csrf_token: str

    def csrf_matches(self, token: str | None) -> bool:
        return bool(token) and hmac.compare_digest(token.encode(), self.csrf_token.encode())


class SessionStore:
    def __init__(self, redis: Redis):
        self._redis = redis

    @staticmethod
    def _key(session_id: str) -> str:
        return key("session", session_id)

    async def create(self, username: str) -> Session:
        session = Session(secrets.token_urlsafe(32), username, secrets.token_urlsafe(32))
        await self._redis.hset(self._key(session.id), mapping={"username": username, "csrf": session.csrf_token})
        await self._redis.expire(self._key(session.id), SESSION_SECONDS)
        return session

    async def get(self, session_id: str | None) -> Session | None:
        if not session_id or len(session_id) > 100:
            return None
        h = await self._redis.hgetall(self._key(session_id))
        return Session(session_id, h["username"], h["csrf"]) if h else None

    async def end(self, session_id: str) -> None:
        await self._redis.delete(self._key(session_id))
