"""Console log-in sessions: a random id in an HttpOnly, SameSite=Strict cookie, the rest in
Redis (so any handoff process can serve the console). Each session carries its own CSRF
token, which the console sends back in a header on every state-changing request.

A new password or a disabled account ends every session of that account at once: each
account keeps an index of its sessions, and ending them leaves a marker saying why in place
of each, so the console can tell its clerk. A session also records which password it was
opened with, so a log-in that was still checking the old password when it changed gets a
session that is ended from the start.
"""
from __future__ import annotations

import hmac
import secrets
import time
from dataclasses import dataclass
from enum import StrEnum
from typing import cast

from .store import Redis, key

COOKIE = "kep_session"
CSRF_HEADER = "X-CSRF-Token"
SESSION_SECONDS = 10 * 3600  # a working day


class SessionEnd(StrEnum):
    """Why a session stopped before its clerk logged out."""

    PASSWORD_CHANGED = "password_changed"
    ACCOUNT_DISABLED = "account_disabled"


@dataclass(frozen=True)
class Session:
    id: str
    username: str
    csrf_token: str
    credential: str  # the account's credential when it was opened (Account.credential)
    ended: SessionEnd | None = None

    def csrf_matches(self, token: str | None) -> bool:
        if not token:
            return False
        return hmac.compare_digest(token.encode(), self.csrf_token.encode())


# Every open session of the account (KEYS[1], a sorted set by expiry time) becomes an
# "ended" marker that lives as long as the session would have; the index goes.
_END_ALL = """
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], ARGV[1], '+inf')
local ended = 0
for _, id in ipairs(ids) do
  local session = ARGV[3] .. id
  local ttl = redis.call('TTL', session)
  if ttl > 0 and redis.call('HEXISTS', session, 'ended') == 0 then
    redis.call('DEL', session)
    redis.call('HSET', session, 'ended', ARGV[2], 'username', ARGV[4])
    redis.call('EXPIRE', session, ttl)
    ended = ended + 1
  end
end
redis.call('DEL', KEYS[1])
return ended
"""


class SessionStore:
    def __init__(self, redis: Redis, clock=time.time):
        self._redis = redis
        self._clock = clock
        self._end_all = redis.register_script(_END_ALL)

    @staticmethod
    def _key(session_id: str) -> str:
        return key("session", session_id)

    @staticmethod
    def _index(username: str) -> str:
        return key("sessions-of", username)

    async def create(self, username: str, credential: str) -> Session:
        session = Session(secrets.token_urlsafe(32), username, secrets.token_urlsafe(32), credential)
        now = self._clock()
        index = self._index(username)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(self._key(session.id), mapping={"username": username, "csrf": session.csrf_token,
                                                      "credential": credential})
            pipe.expire(self._key(session.id), SESSION_SECONDS)
            pipe.zremrangebyscore(index, "-inf", now)
            pipe.zadd(index, {session.id: now + SESSION_SECONDS})
            pipe.expire(index, SESSION_SECONDS)
            await pipe.execute()
        return session

    async def get(self, session_id: str | None) -> Session | None:
        """The session (perhaps an ended one: see `ended`), or None for no or an unknown id."""
        if not session_id or len(session_id) > 100:
            return None
        h = cast(dict[str, str], await self._redis.hgetall(self._key(session_id)))  # decode_responses: str
        if not h:
            return None
        if "ended" in h:
            return Session(session_id, h.get("username", ""), "", "", SessionEnd(h["ended"]))
        return Session(session_id, h["username"], h["csrf"], h.get("credential", ""))

    async def end(self, session: Session) -> None:
        """Log-out: the session is gone, with no marker."""
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.delete(self._key(session.id))
            pipe.zrem(self._index(session.username), session.id)
            await pipe.execute()

    async def end_all(self, username: str, reason: SessionEnd) -> int:
        """End every open session of the account, in one atomic step; how many there were."""
        return int(await self._end_all(keys=[self._index(username)],
                                       args=[self._clock(), str(reason), key("session", ""), username]))
