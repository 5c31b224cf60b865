"""Console log-in that can't be turned against the service or against the clerks.

- The password check (argon2id, 64 MiB and three passes on purpose) runs in a small thread
  pool, never on the event loop, and at most `HANDOFF_LOGIN_CHECK_THREADS` at a time; beyond
  a short queue a log-in is refused at once (503) rather than piling up. A flood of log-ins
  therefore costs what any flood of requests costs plus those threads' CPU: calls, live
  feeds and `/healthz` keep answering (bench/login_flood.py).
- Each address may try `attempts_per_minute` log-ins a minute (429 after that).
- Wrong passwords slow down only the (username, address) pair that typed them: after
  `FREE_FAILURES` the pair waits 5 s, then twice as long after each further failure, up to
  15 minutes. The account itself is never locked, so a stranger who knows a username
  cannot keep its clerk out; a correct password clears the pair's record.
"""
from __future__ import annotations

import asyncio
import functools
import hashlib
import math
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from argon2.exceptions import InvalidHashError, VerificationError
from redis.typing import EncodableT, FieldT

from . import ratelimit
from .accounts import Account, AccountStore, hasher
from .errors import DomainError, TooManyRequests, Unauthorized
from .store import Redis, key

PASSWORD_THREADS = "argon2"  # the name prefix of the threads that check passwords (a CPU part in metrics.py)

FREE_FAILURES = 3
FIRST_DELAY_SECONDS = 5
MAX_DELAY_SECONDS = 15 * 60
FAILURE_MEMORY_SECONDS = 24 * 3600
WAITING_PER_THREAD = 8  # log-ins queued for a check thread before new ones are turned away


class LoginBusy(DomainError):
    status = 503


@functools.cache
def _dummy_hash() -> str:
    """Checked against when the username does not exist (or is disabled), so every wrong
    log-in takes the same time. Made on first need, not at import: argon2 is slow on purpose."""
    return hasher.hash("not a password")


def _matches(password_hash: str, password: str) -> bool:
    try:
        return hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


class PasswordChecks:
    """argon2 verification in its own threads, with bounded concurrency and a bounded queue."""

    def __init__(self, concurrency: int):
        self._concurrency = max(1, concurrency)
        self._executor = ThreadPoolExecutor(max_workers=self._concurrency, thread_name_prefix=PASSWORD_THREADS)
        self._running = asyncio.Semaphore(self._concurrency)
        self._waiting = 0

    async def matches(self, password_hash: str, password: str) -> bool:
        if self._waiting >= self._concurrency * WAITING_PER_THREAD:
            raise LoginBusy(None, "login_busy", "Η σύνδεση είναι προσωρινά φορτωμένη. Δοκιμάστε ξανά σε λίγα δευτερόλεπτα.")
        self._waiting += 1
        try:
            async with self._running:
                loop = asyncio.get_running_loop()
                return await loop.run_in_executor(self._executor, _matches, password_hash, password)
        finally:
            self._waiting -= 1

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)


@dataclass(frozen=True)
class LoginLimits:
    attempts_per_minute: int = 10  # per address


class Login:
    def __init__(self, redis: Redis, checks: PasswordChecks, limits: LoginLimits, clock=time.time):
        self._redis = redis
        self._accounts = AccountStore(redis)
        self._checks = checks
        self._per_address = ratelimit.Limit(
            "login-ip", limits.attempts_per_minute, 60, "too_many_logins",
            "Πάρα πολλές προσπάθειες σύνδεσης από αυτή τη σύνδεση. Δοκιμάστε ξανά σε ένα λεπτό.",
        )
        self._clock = clock

    async def log_in(self, username: str, password: str, address: str) -> Account:
        """The account, or Unauthorized (one message for a wrong name, a wrong password and a
        disabled account) / TooManyRequests."""
        await self._per_address.enforce(self._redis, address)
        pair = key("login", "pair", hashlib.sha256(f"{username.casefold()}\n{address}".encode()).hexdigest())
        failures, wait_until = await self._redis.hmget(pair, "failures", "until")
        now = self._clock()
        if wait_until and float(wait_until) > now:
            seconds = math.ceil(float(wait_until) - now)
            raise TooManyRequests(
                "password", "login_slowed_down",
                f"Πολλές λάθος προσπάθειες. Δοκιμάστε ξανά σε {_seconds_in_greek(seconds)}.", retry_after=seconds,
            )
        account = await self._accounts.get(username)
        usable = account if account is not None and not account.disabled else None
        matched = await self._checks.matches(usable.password_hash if usable else _dummy_hash(), password)
        if usable is None or not matched:
            await self._failed(pair, int(failures or 0) + 1, now)
            raise Unauthorized("password", "bad_credentials", "Λάθος όνομα χρήστη ή κωδικός.")
        await self._redis.delete(pair)
        return usable

    async def _failed(self, pair: str, failures: int, now: float) -> None:
        fields: dict[FieldT, EncodableT] = {"failures": failures}
        if failures >= FREE_FAILURES:
            fields["until"] = now + min(FIRST_DELAY_SECONDS * 2 ** (failures - FREE_FAILURES), MAX_DELAY_SECONDS)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(pair, mapping=fields)
            pipe.expire(pair, FAILURE_MEMORY_SECONDS)
            await pipe.execute()


def _seconds_in_greek(seconds: int) -> str:
    if seconds < 60:
        return f"{seconds} δευτερόλεπτ{'ο' if seconds == 1 else 'α'}"
    minutes = math.ceil(seconds / 60)
    return f"{minutes} λεπτ{'ό' if minutes == 1 else 'ά'}"
