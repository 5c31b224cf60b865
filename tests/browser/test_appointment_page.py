"""The citizen's appointment page (/appointment) in Chromium, on a phone (360×740) and a
desktop (1280×800): the codes typed into the form, the booking in Greek 24-hour time, the
calendar file, the join link, moving and cancelling with a real dialog, the phone number once
the change deadline has passed, the keyboard alone, and axe-core."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from icalendar import Calendar
from playwright.async_api import Page, expect

from handoff.config import ATHENS

from .chromium import AXE, no_serious_violations, screenshot_path
from .conftest import book

PHONE, DESKTOP = {"width": 360, "height": 740}, {"width": 1280, "height": 800}
VIEWPORTS = pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])


def in_three_days() -> datetime:
    """Noon of a weekday three days or more on: far from the change deadline, with free
    times before it that day."""
    day = datetime.now(ATHENS) + timedelta(days=3)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day.replace(hour=12, minute=0, second=0, microsecond=0)


async def open_page(browser, service: str, viewport: dict, **options) -> Page:
    context = await browser.new_context(locale="el-GR", viewport=viewport, **options)
    page = await context.new_page()
    await page.goto(f"{service}/appointment")
    await expect(page.get_by_role("heading", name="Βρείτε το ραντεβού σας")).to_be_visible()
    return page


async def sign_in(page: Page, booking: dict) -> None:
    await page.get_by_label("Κωδικός ραντεβού").fill(booking["reference"].lower())
    await page.get_by_label("Κωδικός διαχείρισης").fill(booking["manage_token"])
    await page.get_by_role("button", name="Εμφάνιση του ραντεβού").click()
    await expect(page.get_by_role("heading", name="Το ραντεβού σας")).to_be_focused()


@VIEWPORTS
async def test_see_the_booking_add_it_to_the_calendar_and_join(browser, service, viewport):
    assert AXE.exists(), "axe-core is missing: make test-browser installs it from npm"
    booking = await book(service, "tax", "Φορολογική δήλωση", after=in_three_days())
    page = await open_page(browser, service, viewport, bypass_csp=True)  # to inject axe-core
    await page.screenshot(path=screenshot_path(f"appointment-{viewport['width']}-sign-in"))
    await no_serious_violations(page)
    await sign_in(page, booking)
    assert "token" not in page.url and booking["manage_token"] not in page.url
    details = page.locator("#details")
    start = datetime.fromisoformat(booking["start"])
    await expect(details).to_contain_text(f"{start:%H:%M}")  # 24-hour time
    await expect(details).to_contain_text("Φορολογικά θέματα")
    await expect(details).to_contain_text("ΚΕΠ")
    await expect(page.locator("#documents li").first).to_contain_text("αστυνομική σας ταυτότητα")
    await expect(page.locator("#change-note")).to_contain_text("έως")
    assert await page.get_by_role("link", name="Μπείτε στη βιντεοκλήση").get_attribute("href") == booking["join_url"]
    async with page.expect_download() as download:
        await page.get_by_role("link", name="Προσθήκη στο ημερολόγιο (.ics)").click()
    saved = await (await download.value).path()
    event = Calendar.from_ical(open(saved, "rb").read()).walk("VEVENT")[0]
    assert event.decoded("dtstart") == start
    assert await page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    await page.screenshot(path=screenshot_path(f"appointment-{viewport['width']}"), full_page=True)
    await no_serious_violations(page)

    await page.get_by_role("button", name="Έξοδος").click()
    await expect(page.get_by_role("heading", name="Βρείτε το ραντεβού σας")).to_be_visible()
    await page.reload()
    await expect(page.get_by_role("heading", name="Βρείτε το ραντεβού σας")).to_be_visible()


@VIEWPORTS
async def test_move_then_cancel_with_a_dialog_first(browser, service, clock, viewport):
    booking = await book(service, "tax", "Φορολογική δήλωση", after=in_three_days())
    day = datetime.fromisoformat(booking["start"]).astimezone(ATHENS)
    clock.now = day - timedelta(hours=8, minutes=10)  # just before its deadline: that morning's times are past theirs
    page = await open_page(browser, service, viewport)
    await sign_in(page, booking)
    await page.get_by_role("button", name="Αλλαγή ώρας").click()
    times = page.get_by_role("group", name="Άλλες ελεύθερες ώρες στο ίδιο ΚΕΠ").get_by_role("button")
    await expect(times.first).to_be_focused()
    await times.first.click()
    dialog = page.get_by_role("dialog", name="Αλλαγή ώρας")
    await expect(dialog).to_contain_text("Προσοχή: η νέα ώρα είναι σε λιγότερο από 8 ώρες")  # said before, not after
    await page.screenshot(path=screenshot_path(f"appointment-{viewport['width']}-move-warning"))
    await dialog.get_by_role("button", name="Όχι, να μείνει ως έχει").click()

    await page.get_by_label("Από ημερομηνία").fill((day + timedelta(days=1)).date().isoformat())
    await expect(page.locator("#times-status")).to_contain_text("ελεύθερες ώρες")
    new_time = await times.nth(1).text_content()
    await times.nth(1).click()
    await expect(dialog).to_contain_text(new_time)
    await expect(dialog).not_to_contain_text("Προσοχή")
    await dialog.get_by_role("button", name="Ναι, αλλαγή ώρας").click()
    await expect(page.locator("#outcome")).to_contain_text(f"μεταφέρθηκε σε {new_time}")
    await expect(page.locator("#details")).to_contain_text(new_time)

    await page.get_by_role("button", name="Ακύρωση του ραντεβού").click()
    cancel = page.get_by_role("dialog", name="Ακύρωση ραντεβού")
    await expect(cancel).to_be_visible()
    await expect(cancel.get_by_role("button", name="Όχι, να μείνει")).to_be_focused()  # the safe answer first
    await page.keyboard.press("Escape")
    await expect(cancel).to_be_hidden()
    await expect(page.locator("#details")).to_contain_text("Κλεισμένο")
    await page.get_by_role("button", name="Ακύρωση του ραντεβού").click()
    await cancel.get_by_role("button", name="Ναι, ακύρωση").click()
    await expect(page.locator("#details")).to_contain_text("Ακυρώθηκε")
    await expect(page.locator("#outcome")).to_contain_text("ακυρώθηκε")
    await expect(page.get_by_role("button", name="Αλλαγή ώρας")).to_be_hidden()
    await expect(page.get_by_role("link", name="Μπείτε στη βιντεοκλήση")).to_be_hidden()
    await page.screenshot(path=screenshot_path(f"appointment-{viewport['width']}-cancelled"), full_page=True)


async def test_wrong_codes_then_the_keyboard_alone(browser, service):
    booking = await book(service, "tax", "Φορολογική δήλωση", after=in_three_days())
    page = await open_page(browser, service, PHONE)
    await page.get_by_role("button", name="Εμφάνιση του ραντεβού").click()
    await expect(page.get_by_role("alert")).to_contain_text("και τους δύο κωδικούς")
    assert await page.get_by_label("Κωδικός ραντεβού").get_attribute("aria-invalid") == "true"
    await page.get_by_label("Κωδικός ραντεβού").fill(booking["reference"])
    await page.get_by_label("Κωδικός διαχείρισης").fill("ZZZZZZZZZZ")
    await page.get_by_role("button", name="Εμφάνιση του ραντεβού").click()
    await expect(page.get_by_role("alert")).to_contain_text("Δεν βρήκα ενεργό ραντεβού")

    await page.reload()
    keyboard = page.keyboard
    await keyboard.press("Tab")  # the skip link first
    await keyboard.press("Enter")
    await keyboard.press("Tab")
    assert await page.evaluate("document.activeElement.id") == "reference"
    await keyboard.type(booking["reference"])
    await keyboard.press("Tab")
    await keyboard.type(booking["manage_token"])
    await keyboard.press("Enter")
    await expect(page.get_by_role("heading", name="Το ραντεβού σας")).to_be_focused()


@pytest.mark.parametrize("typed", ["kep {code}", "{code}", "ΚΕΡ-{code}"], ids=["space", "bare", "greek-keyboard"])
async def test_the_reference_however_it_is_typed(browser, service, typed):
    """As the chat reads it: lower case, a space for the dash, no «KEP-», Greek capitals."""
    booking = await book(service, "tax", "Φορολογική δήλωση", after=in_three_days())
    page = await open_page(browser, service, PHONE)
    code = booking["reference"].removeprefix("KEP-")
    await page.get_by_label("Κωδικός ραντεβού").fill(typed.format(code=code.lower() if "kep" in typed else code))
    await page.get_by_label("Κωδικός διαχείρισης").fill(booking["manage_token"].lower())
    await page.get_by_role("button", name="Εμφάνιση του ραντεβού").click()
    await expect(page.get_by_role("heading", name="Το ραντεβού σας")).to_be_focused()


async def test_after_the_change_deadline_the_page_gives_the_phone(browser, service, clock):
    booking = await book(service, "tax", "Φορολογική δήλωση", after=in_three_days())
    clock.now = datetime.fromisoformat(booking["change_deadline"]) + timedelta(minutes=5)
    page = await open_page(browser, service, PHONE)
    await sign_in(page, booking)
    await expect(page.locator("#change-note")).to_contain_text("τηλεφωνήστε")
    await expect(page.locator("#change-note")).to_contain_text("1500")
    await expect(page.get_by_role("button", name="Ακύρωση του ραντεβού")).to_be_hidden()
    await expect(page.get_by_role("link", name="Μπείτε στη βιντεοκλήση")).to_be_visible()
    await page.screenshot(path=screenshot_path("appointment-360-after-deadline"), full_page=True)
