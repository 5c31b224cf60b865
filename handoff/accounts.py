"""Console accounts: clerks (one per clerk of the roster) and supervisors.

Passwords are stored only as argon2id hashes. Repeated failures lock the account for a
while, so a password cannot be guessed online; the lock is per account, so an attacker
cannot lock out a whole branch at once from one address either.
"""
from __future__ import annotations

import functools
import json
from dataclasses import asdict, dataclass
from pathlib import Path

import yaml
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from .clerks import Clerk
from .errors import DomainError, Unauthorized
from .store import Redis, key

MAX_FAILURES = 5
LOCK_SECONDS = 15 * 60
_hasher = PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    """Verified against when the username does not exist, so both cases take the same time.
    Made on first need, not at import: argon2 is slow on purpose."""
    return _hasher.hash("not a password")


class LockedOut(DomainError):
    status = 429


@dataclass(frozen=True)
class Account:
    username: str
    name: str
    role: str
    password_hash: str
    branch: str | None = None  # None: a supervisor of every branch

    @property
    def is_supervisor(self) -> bool:
        return self.role == "supervisor"

    def public(self) -> dict[str, str | None]:
        return {"username": self.username, "name": self.name, "role": self.role, "branch": self.branch}


def hash_password(password: str) -> str:
    return _hasher.hash(password)


class AccountStore:
    def __init__(self, redis: Redis):
        self._redis = redis
        self._key = key("accounts")

    async def get(self, username: str) -> Account | None:
        raw = await self._redis.hget(self._key, username)
        return Account(**json.loads(raw)) if raw else None

    async def add_if_missing(self, account: Account) -> bool:
        return bool(await self._redis.hsetnx(self._key, account.username, json.dumps(asdict(account), ensure_ascii=False)))

    async def authenticate(self, username: str, password: str) -> Account:
        """The account, or Unauthorized (wrong name or password, same message) / LockedOut."""
        failures_key = key("login", "failures", username)
        if int(await self._redis.get(failures_key) or 0) >= MAX_FAILURES:
            raise LockedOut("username", "locked_out",
                            f"Πολλές αποτυχημένες προσπάθειες. Δοκιμάστε ξανά σε {LOCK_SECONDS // 60} λεπτά.")
        account = await self.get(username)
        try:
            _hasher.verify(account.password_hash if account else _dummy_hash(), password)
            if account is None:
                raise VerificationError()
        except (VerificationError, InvalidHashError):
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.incr(failures_key)
                pipe.expire(failures_key, LOCK_SECONDS)
                await pipe.execute()
            raise Unauthorized("password", "bad_credentials", "Λάθος όνομα χρήστη ή κωδικός.") from None
        await self._redis.delete(failures_key)
        return account


def load_supervisors(path: Path) -> list[dict[str, str | None]]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))["supervisors"]


async def seed_demo_accounts(redis: Redis, data_dir: Path, clerks: list[Clerk], password: str) -> int:
    """Demo accounts with one shared password: every clerk of the roster (username = clerk id)
    and the supervisors of data/supervisors.yml. Existing accounts are left alone."""
    store, password_hash = AccountStore(redis), hash_password(password)
    accounts = [Account(c.id, c.name, "clerk", password_hash, c.branch) for c in clerks]
    accounts += [Account(s["id"], s["name"], "supervisor", password_hash, s.get("branch"))
                 for s in load_supervisors(data_dir / "supervisors.yml")]
    return sum([await store.add_if_missing(a) for a in accounts])
