"""Console accounts: clerks, supervisors and administrators.

A username is private to its holder: it is never the clerk id the public API shows with
slots and bookings (a clerk's account names its roster entry in `clerk_id`). Passwords are
stored only as argon2id hashes; checking one is `login.py`'s business.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, replace
from enum import StrEnum
from typing import Any, cast

from argon2 import PasswordHasher

from .store import Redis, key

hasher = PasswordHasher()


class Role(StrEnum):
    CLERK = "clerk"
    SUPERVISOR = "supervisor"  # sees and manages the appointments of one branch (or of all)
    ADMIN = "admin"  # the console's supervisor rights over every branch


@dataclass(frozen=True)
class Account:
    username: str
    name: str
    role: Role
    password_hash: str
    branch: str | None = None  # a supervisor's branch; None: every branch
    clerk_id: str | None = None  # a clerk's roster entry (data/clerks.yml)
    disabled: bool = False

    @property
    def is_supervisor(self) -> bool:
        """Supervisors and administrators: they manage appointments, they do not take them."""
        return self.role in (Role.SUPERVISOR, Role.ADMIN)

    @property
    def supervised_branch(self) -> str | None:
        """The one branch a supervisor acts in; None for an administrator (every branch)."""
        return None if self.role == Role.ADMIN else self.branch

    @property
    def credential(self) -> str:
        """A short fingerprint of the password hash: a session opened under another password is
        no longer this account's (sessions.py)."""
        return hashlib.sha256(self.password_hash.encode()).hexdigest()[:16]

    def public(self) -> dict[str, str | None]:
        """What the console shows its own user about the account."""
        return {"username": self.username, "name": self.name, "role": str(self.role), "branch": self.branch}

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, raw: str) -> Account:
        data = json.loads(raw)
        return cls(**{**data, "role": Role(data["role"])})


def hash_password(password: str) -> str:
    return hasher.hash(password)


class AccountStore:
    def __init__(self, redis: Redis):
        self._redis = redis
        self._key = key("accounts")

    async def get(self, username: str) -> Account | None:
        raw = cast(str | None, await self._redis.hget(self._key, username))  # decode_responses: str
        return Account.from_json(raw) if raw else None

    async def all(self) -> list[Account]:
        stored = cast(dict[str, str], await self._redis.hgetall(self._key))
        return sorted((Account.from_json(raw) for raw in stored.values()),
                      key=lambda a: a.username)

    async def of_clerk(self, clerk_id: str) -> Account | None:
        """The enabled console account a clerk of the roster works under (not a supervisor's)."""
        return next((a for a in await self.all() if a.clerk_id == clerk_id and not a.is_supervisor and not a.disabled), None)

    async def add_if_missing(self, account: Account) -> bool:
        return bool(await self._redis.hsetnx(self._key, account.username, account.to_json()))

    async def put(self, account: Account) -> None:
        await self._redis.hset(self._key, account.username, account.to_json())

    async def update(self, username: str, **changes: Any) -> Account | None:
        account = await self.get(username)
        if account is None:
            return None
        changed = replace(account, **changes)
        await self.put(changed)
        return changed

