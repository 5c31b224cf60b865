"""A new password or a disabled account ends every open console session of that account at
once (`python -m handoff accounts set-password / disable`): its requests get 401
`session_ended` with a Greek message saying why, its live feed says so and closes, and the
sessions of other accounts go on."""
from __future__ import annotations

import asyncio
import json
import time

from handoff.account_admin import AccountAdmin
from handoff.accounts import AccountStore
from handoff.sessions import SESSION_SECONDS, SessionStore

from .helpers import add_accounts, appointment_and_clerk, sign_in
from .peers import Peer, eventually, eventually_async
from .test_accounts import accounts_cli

NEW = "κίτρινο-καράβι-στο-λιμάνι-9"


async def who(client) -> tuple[int, dict]:
    resp = await client.get("/api/clerk/me")
    return resp.status, await resp.json()


async def test_a_new_password_ends_every_session_of_that_account_only(aiohttp_client, client, redis, redis_server):
    await add_accounts(redis)
    office, _ = await sign_in(aiohttp_client, client, "ath-alexiou")
    home, home_csrf = await sign_in(aiohttp_client, client, "ath-alexiou")
    colleague, _ = await sign_in(aiohttp_client, client, "ath-papadopoulou")

    changed = accounts_cli(redis_server, "set-password", "ath-alexiou", password=NEW)
    assert changed.returncode == 0, changed.stderr

    for browser in (office, home):
        status, body = await who(browser)
        assert status == 401
        assert body["error"]["code"] == "session_ended"
        assert "κωδικός" in body["error"]["message"] and "άλλαξε" in body["error"]["message"]
    # A state-changing request with the old session's CSRF token is refused the same way.
    resp = await home.post("/api/clerk/bookings/KEP-XXXX/pickup", headers={"X-CSRF-Token": home_csrf})
    assert resp.status == 401 and (await resp.json())["error"]["code"] == "session_ended"
    assert (await who(colleague))[0] == 200

    # The clerk logs in again with the new password, in the same browser.
    resp = await office.post("/api/clerk/login", json={"username": "ath-alexiou", "password": NEW})
    assert resp.status == 200
    assert (await who(office))[0] == 200
    # The ended session's marker lasts no longer than the session would have.
    ttl = [await redis.ttl(k) async for k in redis.scan_iter("kep:session:*")]
    assert ttl and all(0 < t <= SESSION_SECONDS for t in ttl)


async def test_disabling_an_account_ends_its_sessions_for_good_even_after_enabling(aiohttp_client, client, redis,
                                                                                     redis_server):
    await add_accounts(redis)
    browser, _ = await sign_in(aiohttp_client, client, "ath-georgiou")
    assert accounts_cli(redis_server, "disable", "ath-georgiou").returncode == 0
    status, body = await who(browser)
    assert status == 401 and body["error"]["code"] == "session_ended"
    assert "απενεργοποιήθηκε" in body["error"]["message"]

    assert accounts_cli(redis_server, "enable", "ath-georgiou").returncode == 0
    assert (await who(browser))[0] == 401  # the session does not come back with the account


async def test_the_live_feed_says_the_session_ended_and_closes(aiohttp_client, client, redis):
    await add_accounts(redis)
    browser, _ = await sign_in(aiohttp_client, client, "ath-alexiou")
    feed = await browser.get("/api/clerk/events")
    assert feed.status == 200
    assert await feed.content.readline() == b": connected\n"

    await AccountAdmin(redis).disable("ath-alexiou")
    received = (await asyncio.wait_for(feed.content.read(), timeout=15)).decode()  # up to the stream's end
    lines = [line for line in received.splitlines() if line and not line.startswith(":")]  # no comments
    assert len(lines) == 2 and lines[0] == "event: ended", received
    assert "απενεργοποιήθηκε" in json.loads(lines[1].removeprefix("data: "))["message"]


async def test_a_log_in_that_raced_the_password_change_gets_an_ended_session(aiohttp_client, client, redis):
    """The log-in checked the old password while the administrator set a new one: the session it
    opens afterwards carries the old password's fingerprint and is refused."""
    await add_accounts(redis)
    old_credential = (await AccountStore(redis).get("ath-alexiou")).credential
    await AccountAdmin(redis).set_password("ath-alexiou", NEW)
    late = await SessionStore(redis).create("ath-alexiou", old_credential)
    browser = await aiohttp_client(client.server)
    browser.session.cookie_jar.update_cookies({"kep_session": late.id})
    status, body = await who(browser)
    assert status == 401 and body["error"]["code"] == "session_ended"


async def test_logging_out_leaves_no_marker_and_no_index_entry(aiohttp_client, client, redis):
    await add_accounts(redis)
    browser, csrf = await sign_in(aiohttp_client, client, "ath-alexiou")
    assert (await browser.post("/api/clerk/logout", headers={"X-CSRF-Token": csrf})).status == 200
    assert [k async for k in redis.scan_iter("kep:session:*")] == []
    assert await redis.zcard("kep:sessions-of:ath-alexiou") == 0
    status, body = await who(browser)
    assert status == 401 and body["error"]["code"] == "login_required"


async def test_a_disabled_clerk_leaves_the_live_call_too(aiohttp_client, call_service, redis):
    """The call's media does not depend on the session: the process holding it closes the
    clerk's connection once the account is disabled, and the clerk cannot offer again."""
    http = call_service
    token, ref, clerk_http, headers = await appointment_and_clerk(aiohttp_client, http)
    assert (await clerk_http.post(f"/api/clerk/bookings/{ref}/pickup", headers=headers)).status == 200
    citizen, clerk, again = Peer(), Peer(), Peer()
    try:
        await citizen.join(http, f"/api/calls/{token}/offer", {})
        await clerk.join(clerk_http, f"/api/clerk/calls/{ref}/offer", headers)
        started = time.monotonic()
        await eventually(lambda: citizen.fresh_video_since(started) and clerk.fresh_video_since(started))

        await AccountAdmin(redis).disable("ath-alexiou")
        await eventually_async(lambda s: not s["clerk_connected"] and s["citizen_connected"],
                               lambda: citizen_state(http, token))
        resp = await clerk_http.post(f"/api/clerk/calls/{ref}/offer", json=await again.offer(), headers=headers)
        assert resp.status == 401 and (await resp.json())["error"]["code"] == "session_ended"
    finally:
        for peer in (citizen, clerk, again):
            await peer.close()


async def citizen_state(http, token: str) -> dict:
    return await (await http.get(f"/api/calls/{token}/state")).json()


async def test_a_session_from_before_the_password_check_is_not_ended_for_a_change_that_never_happened(
        aiohttp_client, client, redis):
    """Sessions opened before sessions recorded the password they were opened with: after the
    upgrade the clerk stays signed in (they were all told «ο κωδικός άλλαξε», which was false)."""
    await add_accounts(redis)
    browser, _ = await sign_in(aiohttp_client, client, "ath-alexiou")
    [session_key] = [k async for k in redis.scan_iter("kep:session:*")]
    await redis.hdel(session_key, "credential")  # as it was stored before
    assert (await who(browser))[0] == 200
