"""Log-in that can't be turned against the service or the clerks: argon2 off the event loop
and bounded, a per-address limit, a slow-down per (username, address) instead of a lock of
the account, and no username in the public API."""
from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest

from handoff.accounts import AccountStore, hash_password
from handoff.app import create_app
from handoff.errors import TooManyRequests, Unauthorized
from handoff.login import FIRST_DELAY_SECONDS, FREE_FAILURES, MAX_DELAY_SECONDS, Login, LoginLimits, PasswordChecks
from tests.handoff.helpers import PASSWORD, add_accounts

LOGIN = "/api/clerk/login"


@pytest.fixture
async def service(aiohttp_client, redis, settings, clock):
    """The service behind our proxy, so each request can come from its own address."""
    await add_accounts(redis)
    return await aiohttp_client(create_app(replace(settings, trusted_proxies=("127.0.0.1",)), redis=redis, clock=clock))


def from_address(address: str) -> dict[str, str]:
    return {"X-Forwarded-For": address}


async def test_a_strangers_bad_passwords_do_not_lock_the_clerk_out(service):
    stranger = from_address("203.0.113.7")
    answers = [await service.post(LOGIN, json={"username": "ath-alexiou", "password": f"μάντεψη-{i}"}, headers=stranger)
               for i in range(8)]
    assert [r.status for r in answers[:FREE_FAILURES]] == [401] * FREE_FAILURES
    slowed = answers[FREE_FAILURES]
    body = await slowed.json()
    assert slowed.status == 429 and body["error"]["code"] == "login_slowed_down"
    assert int(slowed.headers["Retry-After"]) == body["error"]["retry_after"] == FIRST_DELAY_SECONDS
    assert "Δοκιμάστε ξανά" in body["error"]["message"]
    # even the right password waits, from the stranger's address…
    assert (await service.post(LOGIN, json={"username": "ath-alexiou", "password": PASSWORD}, headers=stranger)).status == 429
    # …but the clerk at their own desk gets in at once
    desk = await service.post(LOGIN, json={"username": "ath-alexiou", "password": PASSWORD}, headers=from_address("198.51.100.2"))
    assert desk.status == 200 and (await desk.json())["account"]["username"] == "ath-alexiou"


async def test_the_slow_down_doubles_and_a_right_password_clears_it(redis):
    await add_accounts(redis)
    now = [1000.0]
    login = Login(redis, PasswordChecks(1), LoginLimits(attempts_per_minute=100), clock=lambda: now[0])
    for _ in range(FREE_FAILURES):
        with pytest.raises(Unauthorized):
            await login.log_in("ath-alexiou", "λάθος", "192.0.2.1")
    delays = []
    for _ in range(4):
        with pytest.raises(TooManyRequests) as waiting:
            await login.log_in("ath-alexiou", PASSWORD, "192.0.2.1")
        delays.append(waiting.value.retry_after)
        now[0] += waiting.value.retry_after  # wait exactly as long as told, then get it wrong again
        with pytest.raises(Unauthorized):
            await login.log_in("ath-alexiou", "πάλι λάθος", "192.0.2.1")
    assert delays == [FIRST_DELAY_SECONDS * 2 ** i for i in range(4)]
    now[0] += MAX_DELAY_SECONDS
    assert (await login.log_in("ath-alexiou", PASSWORD, "192.0.2.1")).username == "ath-alexiou"
    assert await redis.keys("kep:login:pair:*") == []  # a right password forgets the failures


async def test_a_disabled_account_is_refused_like_a_wrong_password(service, redis):
    await AccountStore(redis).update("ath-georgiou", disabled=True)
    disabled = await service.post(LOGIN, json={"username": "ath-georgiou", "password": PASSWORD}, headers=from_address("192.0.2.9"))
    wrong = await service.post(LOGIN, json={"username": "ath-alexiou", "password": "λάθος"}, headers=from_address("192.0.2.9"))
    assert disabled.status == wrong.status == 401
    assert await disabled.json() == await wrong.json()


async def test_a_login_flood_gets_429_while_healthz_keeps_answering(service):
    flooder = from_address("203.0.113.66")

    async def attempt(i: int):
        resp = await service.post(LOGIN, json={"username": f"guess-{i}", "password": "x" * 12}, headers=flooder)
        return resp.status, (await resp.json())["error"]

    flood = asyncio.gather(*(attempt(i) for i in range(40)))
    health = []
    while not flood.done():
        resp = await service.get("/healthz")
        health.append(resp.status)
        await asyncio.sleep(0.02)
    answers = await flood
    limited = [e for status, e in answers if status == 429]
    assert limited and all(e["code"] == "too_many_logins" and "λεπτό" in e["message"] for e in limited)
    assert {status for status, _ in answers} <= {401, 429, 503}
    busy = [e for status, e in answers if status == 503]  # more checks waiting than the queue holds
    assert all(e["code"] == "login_busy" and "Δοκιμάστε ξανά" in e["message"] for e in busy)
    assert health and set(health) == {200}


async def test_password_checks_leave_the_event_loop_free(redis):
    checks = PasswordChecks(2)
    password_hash = hash_password("ένας-κωδικός-για-έλεγχο")
    ticks = 0

    async def ticker():
        nonlocal ticks
        while True:
            await asyncio.sleep(0.005)
            ticks += 1

    running = asyncio.create_task(ticker())
    results = await asyncio.gather(*(checks.matches(password_hash, p) for p in ["λάθος"] * 5 + ["ένας-κωδικός-για-έλεγχο"]))
    running.cancel()
    checks.close()
    assert results == [False] * 5 + [True]
    assert ticks >= 3 * len(results)  # the loop kept its timer going during the checks (on the loop: one tick per check)
