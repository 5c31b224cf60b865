"""Managing console accounts (`python -m handoff accounts …`): adding one with its role, setting
a password, disabling and enabling, listing; and the demo accounts of `make run`.

A clerk's account names its roster entry (`--clerk-id`) and works in that clerk's branch; a
supervisor's names one branch and acts only within it; an administrator has the supervisor's
rights over every branch. Usernames are never clerk ids, which the public API shows.
"""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, replace
from pathlib import Path

import yaml

from .accounts import Account, AccountStore, Role, hash_password
from .branches import branch_directory
from .clerks import Clerk, clerk_roster
from .errors import Conflict, InvalidFields, NotFound
from .password_policy import check_password
from .sessions import SessionEnd, SessionStore
from .store import Redis

_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")
DEMO_PREFIX = "demo-"


def _invalid(field: str, code: str, message: str) -> InvalidFields:
    return InvalidFields({field: (code, message)})


class AccountAdmin:
    def __init__(self, redis: Redis):
        self._accounts = AccountStore(redis)
        self._sessions = SessionStore(redis)
        self._clerks = clerk_roster(redis)
        self._branches = branch_directory(redis)

    async def add(self, username: str, role: Role, password: str, branch: str | None = None,
                  clerk_id: str | None = None, name: str | None = None) -> Account:
        if not _USERNAME.match(username):
            raise _invalid("username", "username_invalid",
                           "Όνομα χρήστη: 3–64 πεζά λατινικά γράμματα, ψηφία, τελεία, παύλα ή κάτω παύλα.")
        if await self._clerks.get(username):
            raise _invalid("username", "username_is_clerk_id",
                           "Το όνομα χρήστη δεν μπορεί να είναι κωδικός υπαλλήλου: αυτοί φαίνονται δημόσια με τις ώρες.")
        if await self._accounts.get(username):
            raise Conflict("username", "username_taken", f"Υπάρχει ήδη λογαριασμός «{username}».")
        branch, clerk = await self._place(role, branch, clerk_id)
        check_password(password, username)
        account = Account(username, name or (clerk.name if clerk else username), role, hash_password(password),
                          branch, clerk.id if clerk else None)
        if not await self._accounts.add_if_missing(account):
            raise Conflict("username", "username_taken", f"Υπάρχει ήδη λογαριασμός «{username}».")
        return account

    async def _place(self, role: Role, branch: str | None, clerk_id: str | None) -> tuple[str | None, Clerk | None]:
        """(branch, clerk) of a new account of this role, checked against the roster."""
        if role == Role.CLERK:
            clerk = await self._clerks.get(clerk_id) if clerk_id else None
            if clerk is None:
                raise _invalid("clerk_id", "clerk_unknown", "Ένας λογαριασμός υπαλλήλου χρειάζεται --clerk-id από το data/clerks.yml.")
            if branch not in (None, clerk.branch):
                raise _invalid("branch", "branch_mismatch", f"Ο υπάλληλος {clerk.id} ανήκει στο {clerk.branch}.")
            if any(a.clerk_id == clerk.id and not a.disabled for a in await self._accounts.all()):
                raise Conflict("clerk_id", "clerk_has_account", f"Ο υπάλληλος {clerk.id} έχει ήδη ενεργό λογαριασμό.")
            return clerk.branch, clerk
        if clerk_id:
            raise _invalid("clerk_id", "clerk_id_for_clerks", "Το --clerk-id είναι μόνο για λογαριασμούς υπαλλήλων.")
        if role == Role.SUPERVISOR:
            if not branch or await self._branches.get(branch) is None:
                raise _invalid("branch", "branch_unknown", "Ένας προϊστάμενος χρειάζεται --branch από το data/branches.yml.")
            return branch, None
        if branch:
            raise _invalid("branch", "admin_has_no_branch", "Ο διαχειριστής δεν ανήκει σε κατάστημα (τα βλέπει όλα).")
        return None, None

    async def set_password(self, username: str, password: str) -> Account:
        """The new password, and every session opened with the old one ended."""
        check_password(password, username)
        account = await self._change(username, password_hash=hash_password(password))
        await self._sessions.end_all(username, SessionEnd.PASSWORD_CHANGED)
        return account

    async def disable(self, username: str) -> Account:
        """The account can no longer log in, and every open session of it ends."""
        account = await self._change(username, disabled=True)
        await self._sessions.end_all(username, SessionEnd.ACCOUNT_DISABLED)
        return account

    async def enable(self, username: str) -> Account:
        return await self._change(username, disabled=False)

    async def all(self) -> list[Account]:
        return await self._accounts.all()

    async def _change(self, username: str, **changes: object) -> Account:
        account = await self._accounts.update(username, **changes)
        if account is None:
            raise NotFound("username", "account_not_found", f"Δεν υπάρχει λογαριασμός «{username}».")
        return account


@dataclass(frozen=True)
class DemoLogin:
    account: Account
    password: str


async def create_demo_accounts(redis: Redis, data_dir: Path, clerks: list[Clerk]) -> list[DemoLogin]:
    """`make run`'s demo: an account for every clerk of the roster and every supervisor of
    data/supervisors.yml (one without a branch is an administrator), each with a new random
    password at every start."""
    supervisors = yaml.safe_load((data_dir / "supervisors.yml").read_text(encoding="utf-8"))["supervisors"]
    accounts = [Account(DEMO_PREFIX + c.id, c.name, Role.CLERK, "", c.branch, c.id) for c in clerks]
    accounts += [Account(DEMO_PREFIX + s["id"], s["name"], Role.SUPERVISOR if s.get("branch") else Role.ADMIN, "",
                         s.get("branch")) for s in supervisors]
    store, logins = AccountStore(redis), []
    for account in accounts:
        password = secrets.token_urlsafe(12)
        login = DemoLogin(replace(account, password_hash=hash_password(password)), password)
        await store.put(login.account)
        logins.append(login)
    return logins


async def demo_accounts_kept(redis: Redis, path: Path) -> bool:
    """Whether the demo accounts listed in `path` all still exist. The launcher removes the file
    at every start, so these are this launch's: a handoff process it restarts keeps them, and the
    printed passwords stay true and the clerks stay signed in (a new password would end their sessions)."""
    try:
        usernames = [line.split("\t")[0] for line in path.read_text(encoding="utf-8").splitlines() if line]
    except FileNotFoundError:
        return False
    store = AccountStore(redis)
    return bool(usernames) and all([await store.get(username) is not None for username in usernames])


def write_demo_logins(logins: list[DemoLogin], path: Path) -> None:
    """The demo log-ins for the launcher to print: readable by this user only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600, exist_ok=True)
    path.chmod(0o600)
    path.write_text("".join(
        f"{login.account.username}\t{login.password}\t{login.account.role}\t{login.account.branch or '*'}\n"
        for login in logins
    ), encoding="utf-8")
