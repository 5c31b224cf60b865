"""The handed-off call in Chromium with its fake camera and microphone: the citizen's page and
the clerk's page in two browser contexts connect through the service (aiortc relay, loopback
only), both videos play, and the clerk's audio-only switch shows on the citizen's page."""
from __future__ import annotations

from playwright.async_api import Page, expect

from .chromium import screenshot_path
from .conftest import book, signed_in_page


async def video_playing(page: Page, selector: str, timeout: float = 15) -> None:
    video = page.locator(selector)
    for _ in range(int(timeout * 10)):
        if await video.evaluate("v => v.videoWidth") > 0:
            return
        await page.wait_for_timeout(100)
    raise AssertionError(f"{selector} shows no video")


async def test_citizen_and_clerk_talk_then_audio_only(browser, service):
    booking = await book(service, "identity_documents", "Έχασα την ταυτότητά μου", branch="kep-athina")
    clerk = await signed_in_page(browser, service, "ath-alexiou")
    card = clerk.locator(f'li.card[data-reference="{booking["reference"]}"]')
    await card.get_by_role("button", name="Ανάληψη").click()
    await card.get_by_role("link", name="Έναρξη βιντεοκλήσης").click()
    await expect(clerk.locator("#status")).to_contain_text("Αναμονή του πολίτη")

    citizen = await (await browser.new_context(locale="el-GR")).new_page()
    await citizen.goto(booking["join_url"])
    await expect(citizen.locator("#status")).to_contain_text("αίθουσα αναμονής")
    await citizen.get_by_role("button", name="Έναρξη κάμερας και μικροφώνου").click()

    await video_playing(citizen, "#remote")
    await video_playing(clerk, "#remote")
    await expect(citizen.locator("#status")).to_contain_text("Δείξτε την αστυνομική σας ταυτότητα")
    await citizen.screenshot(path=screenshot_path("call-citizen-connected"))

    await expect(clerk.get_by_role("button", name="Συνέχεια μόνο με ήχο")).to_be_disabled()
    await clerk.get_by_role("button", name="Η ταυτότητα ταιριάζει με το ραντεβού").click()
    await clerk.get_by_role("button", name="Συνέχεια μόνο με ήχο").click()
    await expect(citizen.locator("#audio-only")).to_be_visible()
    await expect(citizen.locator("#status")).to_contain_text("μόνο με ήχο")
    await clerk.get_by_label("Κείμενο").fill("Δείτε https://www.gov.gr")
    await clerk.get_by_role("button", name="Αποστολή").click()
    await expect(citizen.get_by_role("link", name="https://www.gov.gr")).to_be_visible()
    await clerk.screenshot(path=screenshot_path("call-clerk-audio-only"), full_page=True)
    await citizen.screenshot(path=screenshot_path("call-citizen-audio-only"), full_page=True)

    await clerk.get_by_role("button", name="Τερματισμός κλήσης").click()
    await expect(citizen.locator("#status")).to_contain_text("Η κλήση τελείωσε")


async def test_tampered_join_link_gets_a_greek_page(browser, service):
    page = await (await browser.new_context()).new_page()
    response = await page.goto(f"{service}/call/not-a-real-token")
    assert response.status == 403
    await expect(page.get_by_role("heading")).to_have_text("Δεν μπορείτε να μπείτε σε αυτή την κλήση")
    await expect(page.locator("main")).to_contain_text("Ο σύνδεσμος δεν είναι έγκυρος")


async def video_advancing(page: Page, selector: str, timeout: float = 10) -> None:
    """New frames are being decoded (not a frozen picture)."""
    frames = "v => v.getVideoPlaybackQuality().totalVideoFrames"
    video = page.locator(selector)
    before = await video.evaluate(frames)
    for _ in range(int(timeout * 10)):
        await page.wait_for_timeout(100)
        if await video.evaluate(frames) > before + 5:
            return
    raise AssertionError(f"{selector}: the picture is frozen")


async def test_either_side_comes_back_and_the_pictures_move_again(browser, service):
    booking = await book(service, "identity_documents", "Θα ήθελα νέα ταυτότητα", branch="kep-athina")
    clerk = await signed_in_page(browser, service, "ath-alexiou")
    card = clerk.locator(f'li.card[data-reference="{booking["reference"]}"]')
    await card.get_by_role("button", name="Ανάληψη").click()
    await card.get_by_role("link", name="Έναρξη βιντεοκλήσης").click()
    citizen_context = await browser.new_context(locale="el-GR")
    citizen = await citizen_context.new_page()
    await citizen.goto(booking["join_url"])
    await citizen.get_by_role("button", name="Έναρξη κάμερας και μικροφώνου").click()
    await expect(clerk.locator("#status")).to_contain_text("Συνδεδεμένοι")

    await citizen.reload()  # the citizen's page reloads: it rejoins by itself
    await video_advancing(clerk, "#remote")
    await video_advancing(citizen, "#remote")
    await expect(clerk.locator("#status")).to_contain_text("Συνδεδεμένοι")

    await citizen.close()  # the citizen's network is gone: the clerk is told, the ID cannot be confirmed
    await expect(clerk.locator("#status")).to_contain_text("Η εικόνα του πολίτη δεν έρχεται")
    await expect(clerk.get_by_role("button", name="Η ταυτότητα ταιριάζει με το ραντεβού")).to_be_disabled()
    await clerk.screenshot(path=screenshot_path("call-clerk-citizen-away"))
    citizen = await citizen_context.new_page()
    await citizen.goto(booking["join_url"])
    await citizen.get_by_role("button", name="Έναρξη κάμερας και μικροφώνου").click()
    await expect(clerk.locator("#status")).to_contain_text("Συνδεδεμένοι")
    await video_advancing(clerk, "#remote")

    for _ in range(2):
        await clerk.reload()  # the clerk's page reloads twice
        await video_advancing(citizen, "#remote")
        await video_advancing(clerk, "#remote")
    await expect(clerk.get_by_role("button", name="Η ταυτότητα ταιριάζει με το ραντεβού")).to_be_enabled()
    await expect(citizen.locator("#status")).to_contain_text("Δείξτε την αστυνομική σας ταυτότητα")
