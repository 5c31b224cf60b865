"""Browser tests: the handoff service on a free loopback port (real Redis), driven by
Debian's Chromium through Playwright. Screenshots of the key states go to test-artifacts/."""
from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import aiohttp
import pytest
from aiohttp import web

from handoff.app import create_app
from handoff.config import Settings
from handoff.redis_server import RedisServer, free_port
from tests.handoff.helpers import PASSWORD, add_accounts

from . import chromium

SERVICE_TOKEN = "browser-test-token"


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory):
    with RedisServer(tmp_path_factory.mktemp("redis")) as server:
        yield server.url


class Clock:
    """The service's clock: the real time, until a test sets `clock.now`."""

    def __init__(self) -> None:
        self.now: datetime | None = None

    def __call__(self) -> datetime:
        return self.now or datetime.now(UTC)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def service(redis_url, clock):
    """A running handoff service at a fresh database; yields its base URL."""
    import redis.asyncio as aioredis

    client = aioredis.from_url(redis_url)
    await client.flushdb()
    await add_accounts(client)  # the console users the tests sign in as
    await client.aclose()
    port = free_port()
    settings = Settings(host="127.0.0.1", port=port, redis_url=redis_url, service_token=SERVICE_TOKEN,
                        secret_key="browser-test-secret", max_bookings_per_citizen=0,
                        ice_addresses=("127.0.0.1",))
    runner = web.AppRunner(create_app(settings, clock=clock))
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    yield f"http://127.0.0.1:{port}"
    await runner.cleanup()


@pytest.fixture
async def browser():
    async with chromium.launched() as launched:
        yield launched


async def book(base: str, topic: str, question: str, branch: str | None = None, token: str = SERVICE_TOKEN,
               after: datetime | None = None, clerk: str | None = None) -> dict:
    """A booking made through the API, as the bot makes it (the first free slot; `clerk`'s)."""
    async with aiohttp.ClientSession() as http:
        params = ({"topic": topic, "limit": "50" if clerk else "1"} | ({"branch": branch} if branch else {})
                  | ({"after": after.isoformat()} if after else {}))
        async with http.get(f"{base}/api/slots", params=params) as resp:
            slot = next(s for s in await resp.json() if clerk in (None, s["clerk"]))
        body = {
            "slot_id": slot["slot_id"], "topic": topic, "question": question, "confidence": 0.87,
            "transcript": [{"sender": "user", "text": question}, {"sender": "bot", "text": "Κατάλαβα."}],
            "citizen": {"full_name": "Μαρία Παπαδοπούλου", "id_card": "ΑΒ 123456", "afm": "094259216",
                        "mobile": "6912345678"},
            "consent": {"video_call": True, "show_id": True, "data_processing": True},
        }
        async with http.post(f"{base}/api/bookings", json=body, headers={"Authorization": f"Bearer {token}"}) as resp:
            assert resp.status == 201, await resp.text()
            return await resp.json()


async def signed_in_page(browser, base: str, username: str, viewport: dict | None = None, **options):
    """A fresh browser context (`options`: Playwright's, e.g. bypass_csp for axe-core) with
    `username` signed in to the console. Dialogs are recorded (`page.dialogs`: messages,
    `page.dialog_types`) and dismissed, or accepted once a test sets `page.accept_dialogs = True`."""
    from playwright.async_api import expect

    context = await browser.new_context(locale="el-GR", **({"viewport": viewport} if viewport else {}), **options)
    page = await context.new_page()
    page.dialogs, page.dialog_types, page.accept_dialogs = [], [], False

    def answer(dialog) -> None:
        page.dialogs.append(dialog.message)
        page.dialog_types.append(dialog.type)
        asyncio.ensure_future(dialog.accept() if page.accept_dialogs else dialog.dismiss())

    page.on("dialog", answer)
    await page.goto(f"{base}/clerk")
    await page.get_by_label("Όνομα χρήστη").fill(username)
    await page.get_by_label("Κωδικός", exact=True).fill(PASSWORD)
    await page.get_by_role("button", name="Σύνδεση").click()
    await expect(page.locator("#queue-title")).to_be_visible()
    return page
