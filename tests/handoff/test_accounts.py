"""Real console accounts: `python -m handoff accounts add / set-password / disable / list`,
the password policy, roles and branches, and the demo accounts of `make run`."""
from __future__ import annotations

import os
import stat
import subprocess
import sys
from dataclasses import replace

import pytest
from aiohttp.test_utils import TestClient

from handoff.account_admin import AccountAdmin, create_demo_accounts, write_demo_logins
from handoff.accounts import Account, AccountStore, Role
from handoff.app import create_app
from handoff.clerks import clerk_roster
from handoff.config import PROJECT_ROOT
from handoff.errors import Conflict, InvalidFields

from .helpers import AUTH, PASSWORD, add_accounts, booking_body, first_free_slot, seed_data

GOOD = "πράσινο-λεωφορείο-7-στάσεις"


def accounts_cli(redis_server, *args: str, password: str | None = None) -> subprocess.CompletedProcess:
    env = os.environ | {"REDIS_URL": redis_server.url, "HANDOFF_SECRET_KEY": "x"}
    return subprocess.run([sys.executable, "-m", "handoff", "accounts", *args], cwd=PROJECT_ROOT, env=env,
                          input=None if password is None else password + "\n", capture_output=True, text=True, timeout=60)


async def log_in(client, username: str, password: str):
    return await client.post("/api/clerk/login", json={"username": username, "password": password})


async def test_the_accounts_command_adds_changes_disables_and_lists(client, redis_server):
    added = accounts_cli(redis_server, "add", "d.alexiou", "--role", "clerk", "--clerk-id", "ath-alexiou", password=GOOD)
    assert added.returncode == 0, added.stderr
    resp = await log_in(client, "d.alexiou", GOOD)
    assert resp.status == 200
    assert (await resp.json())["account"] == {"username": "d.alexiou", "name": "Δημήτρης Αλεξίου", "role": "clerk",
                                              "branch": "kep-athina"}
    csrf = (await resp.json())["csrf_token"]

    new = "κόκκινο-ποδήλατο-στη-βροχή"
    assert accounts_cli(redis_server, "set-password", "d.alexiou", password=new).returncode == 0
    assert (await log_in(client, "d.alexiou", GOOD)).status == 401
    assert (await log_in(client, "d.alexiou", new)).status == 200

    assert accounts_cli(redis_server, "disable", "d.alexiou").returncode == 0
    assert (await client.get("/api/clerk/me")).status == 401  # the open session stops at once
    assert (await client.post("/api/clerk/logout", headers={"X-CSRF-Token": csrf})).status == 401
    assert (await log_in(client, "d.alexiou", new)).status == 401

    listed = accounts_cli(redis_server, "list")
    assert listed.returncode == 0
    assert "d.alexiou\tclerk\tkep-athina\tath-alexiou\tdisabled" in listed.stdout
    assert "$argon2" not in listed.stdout and new not in listed.stdout


@pytest.mark.parametrize("password, says", [
    ("σύντομος", "τουλάχιστον 12"),
    ("Password2024!", "συνηθισμένους"),
    ("qwertyuiop123", "συνηθισμένους"),
    ("aaaaaaaaaaaaaaaa", "συνηθισμένους"),
    ("o-m.papadopoulou-2030", "όνομα χρήστη"),
])
async def test_weak_passwords_are_refused_in_greek(redis_server, redis, password, says):
    result = accounts_cli(redis_server, "add", "m.papadopoulou", "--role", "clerk", "--clerk-id", "ath-papadopoulou",
                          password=password)
    assert result.returncode == 1 and says in result.stderr
    assert await AccountStore(redis).get("m.papadopoulou") is None


@pytest.mark.parametrize("args, field", [
    (("ng", Role.CLERK), "username"),  # too short
    (("Νίκος", Role.CLERK), "username"),  # not Latin lower case
    (("ath-georgiou", Role.CLERK, None, "ath-georgiou"), "username"),  # a public clerk id
    (("n.georgiou", Role.CLERK), "clerk_id"),  # a clerk account names its clerk
    (("n.georgiou", Role.CLERK, "kep-patra", "ath-georgiou"), "branch"),  # not that clerk's branch
    (("boss", Role.SUPERVISOR), "branch"),  # a supervisor has a branch
    (("boss", Role.SUPERVISOR, "kep-atlantis"), "branch"),
    (("root.admin", Role.ADMIN, "kep-athina"), "branch"),  # an administrator has none
    (("boss", Role.SUPERVISOR, "kep-athina", "ath-georgiou"), "clerk_id"),
])
async def test_an_account_must_fit_the_roster(redis, args, field):
    await seed_data(redis, PROJECT_ROOT / "data")
    username, role, *rest = args
    with pytest.raises(InvalidFields) as refused:
        await AccountAdmin(redis).add(username, role, GOOD, *rest)
    assert field in refused.value.errors


async def test_one_active_account_per_clerk_and_per_username(redis):
    await seed_data(redis, PROJECT_ROOT / "data")
    admin = AccountAdmin(redis)
    await admin.add("n.georgiou", Role.CLERK, GOOD, clerk_id="ath-georgiou")
    with pytest.raises(Conflict):
        await admin.add("n.georgiou", Role.SUPERVISOR, GOOD, branch="kep-athina")
    with pytest.raises(Conflict):
        await admin.add("nikos.g", Role.CLERK, GOOD, clerk_id="ath-georgiou")
    await admin.disable("n.georgiou")
    assert (await admin.add("nikos.g", Role.CLERK, GOOD, clerk_id="ath-georgiou")).clerk_id == "ath-georgiou"


async def test_a_supervisor_acts_only_within_their_branch_and_an_admin_everywhere(aiohttp_client, client, redis):
    await add_accounts(redis)
    admin = AccountAdmin(redis)
    await admin.add("sup.athina", Role.SUPERVISOR, GOOD, branch="kep-athina")
    await admin.add("sup.thess", Role.SUPERVISOR, GOOD, branch="kep-thessaloniki")
    await admin.add("head.office", Role.ADMIN, GOOD)
    slot = await first_free_slot(client, "identity_documents", branch="kep-athina")
    booking = await (await client.post("/api/bookings", json=booking_body(slot["slot_id"], "identity_documents"), headers=AUTH)).json()
    ref = booking["reference"]

    async def signed(username):
        http = await aiohttp_client(client.server)
        resp = await log_in(http, username, GOOD)
        return http, {"X-CSRF-Token": (await resp.json())["csrf_token"]}

    athens, athens_csrf = await signed("sup.athina")
    thess, thess_csrf = await signed("sup.thess")
    head, _ = await signed("head.office")
    assert [i["reference"] for i in await (await athens.get("/api/clerk/queue")).json()] == [ref]
    assert [i["reference"] for i in await (await head.get("/api/clerk/queue")).json()] == [ref]
    assert await (await thess.get("/api/clerk/queue")).json() == []
    assert (await thess.post(f"/api/clerk/bookings/{ref}/cancel", json={"reason": "Έλλειψη προσωπικού"},
                             headers=thess_csrf)).status == 404
    # the Athens supervisor cannot hand the appointment to a clerk of another branch
    away = await athens.post(f"/api/clerk/bookings/{ref}/reassign", json={"clerk": "thes-dimitriou"}, headers=athens_csrf)
    assert away.status == 422 and (await away.json())["error"]["code"] == "other_branch"
    other_time = f"thes-dimitriou@{slot['slot_id'].partition('@')[2]}"
    moved = await athens.post(f"/api/clerk/bookings/{ref}/move", json={"slot_id": other_time, "reason": "Άδεια υπαλλήλου"},
                              headers=athens_csrf)
    assert moved.status == 422 and (await moved.json())["error"]["code"] == "other_branch"
    assert (await head.get("/api/clerk/me")).status == 200


async def test_demo_accounts_each_have_their_own_password_and_no_public_id(client, redis, tmp_path):
    await seed_data(redis, PROJECT_ROOT / "data")
    roster = await clerk_roster(redis).all()
    logins = await create_demo_accounts(redis, PROJECT_ROOT / "data", roster)
    path = tmp_path / "var" / "demo-accounts.txt"
    write_demo_logins(logins, path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == len(logins) == len(roster) + 2
    passwords = [line.split("\t")[1] for line in lines]
    assert len(set(passwords)) == len(passwords)  # each its own
    usernames = {login.account.username for login in logins}
    roles = {login.account.username: login.account.role for login in logins}
    assert roles["demo-supervisor"] == Role.ADMIN and roles["demo-sup-athina"] == Role.SUPERVISOR
    # the public API shows clerk ids, and no clerk id is a username
    slots = await (await client.get("/api/slots", params={"topic": "tax", "limit": "50"})).json()
    assert slots and not {s["clerk"] for s in slots} & usernames
    assert not {c.id for c in roster} & usernames
    alexiou = next(login for login in logins if login.account.clerk_id == "ath-alexiou")
    assert (await log_in(client, alexiou.account.username, alexiou.password)).status == 200
    assert (await log_in(client, alexiou.account.username, PASSWORD)).status == 401


async def test_a_restarted_service_keeps_this_launchs_demo_passwords(aiohttp_client, redis, settings, tmp_path):
    """The launcher restarts a handoff process that stopped: the passwords it printed stay true
    (and the clerks signed in stay signed in); a new launch (the file removed) gets new ones."""
    await seed_data(redis, PROJECT_ROOT / "data")
    path = tmp_path / "demo-accounts.txt"
    demo = replace(settings, demo_accounts_file=path)

    async def start() -> TestClient:
        return await aiohttp_client(create_app(demo, redis=redis))

    await start()
    printed = path.read_text(encoding="utf-8")
    username, password = printed.splitlines()[0].split("\t")[:2]
    client = await start()  # the same launch's restart
    assert path.read_text(encoding="utf-8") == printed
    assert (await log_in(client, username, password)).status == 200
    path.unlink()  # a new launch
    await start()
    assert path.read_text(encoding="utf-8").splitlines()[0].split("\t")[1] != password


async def test_an_account_stored_before_roles_still_reads(redis):
    await redis.hset("kep:accounts", "old.clerk", '{"username": "old.clerk", "name": "Παλιός", "role": "clerk", '
                     '"password_hash": "x", "branch": "kep-athina"}')
    account = await AccountStore(redis).get("old.clerk")
    assert account == Account("old.clerk", "Παλιός", Role.CLERK, "x", "kep-athina", None, False)
