"""What every page of the service shares: no request the browser makes of its own accord is
refused (a missing favicon shows as an error in every citizen's console)."""
from __future__ import annotations

import pytest

from .conftest import book


@pytest.mark.parametrize("path", ["/", "/appointment", "/clerk", "join", "/call/not-a-real-token"])
async def test_no_page_asks_for_a_favicon_that_is_not_there(browser, service, path):
    if path == "join":
        path = "/call/" + (await book(service, "tax", "Ερώτηση για το Ε1 του πατέρα μου"))["join_url"].rsplit("/", 1)[1]
    page = await (await browser.new_context(locale="el-GR")).new_page()
    missing = []
    page.on("console", lambda m: missing.append(m.location.get("url")) if "404" in m.text else None)
    await page.goto(service + path)
    await page.wait_for_timeout(1500)  # the browser asks for /favicon.ico after the load
    assert not [url for url in missing if url and url.endswith("/favicon.ico")], missing
