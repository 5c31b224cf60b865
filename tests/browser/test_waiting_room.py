"""The citizen's waiting room in Chromium: the appointment's date and time with a countdown
by the service's clock, the clerk's name and when they will join, the expected delay while
they finish an earlier call, and the clerk's messages still there after a reload."""
from __future__ import annotations

import contextlib
from datetime import datetime, timedelta

import aiohttp
from playwright.async_api import expect

from handoff.config import ATHENS

from .chromium import screenshot_path
from .conftest import PASSWORD, book

NAMES = {"ath-alexiou": "Δημήτρης Αλεξίου", "ath-papadopoulou": "Μαρία Παπαδοπούλου"}


@contextlib.asynccontextmanager
async def clerk_console(base: str, username: str):
    """A clerk's console session through the API: (http session, headers with the CSRF token)."""
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        async with http.post(f"{base}/api/clerk/login", json={"username": username, "password": PASSWORD}) as resp:
            assert resp.status == 200, await resp.text()
            yield http, {"X-CSRF-Token": (await resp.json())["csrf_token"]}


async def waiting_room(browser, booking: dict):
    context = await browser.new_context(locale="el-GR", viewport={"width": 360, "height": 740})
    page = await context.new_page()
    await page.goto(booking["join_url"])
    return page


async def test_the_time_the_clerk_and_a_countdown(browser, service, clock):
    booking = await book(service, "identity_documents", "Ήρθε η ώρα να ανανεώσω την ταυτότητα", branch="kep-athina")
    start = datetime.fromisoformat(booking["start"]).astimezone(ATHENS)
    clock.now = start - timedelta(hours=4, minutes=12, seconds=30)
    page = await waiting_room(browser, booking)
    when = page.locator("#appointment-when")
    await expect(when).to_contain_text(f"{start:%H:%M}–")
    await expect(when).to_contain_text("ΚΕΠ Δήμου Αθηναίων")
    await expect(page.locator("#countdown")).to_have_text("Ξεκινά σε 4 ώρες και 12 λεπτά.")
    name = NAMES[booking["clerk"]]
    await expect(page.locator("#status")).to_have_text(f"Ο υπάλληλός σας ({name}) θα συνδεθεί στις {start:%H:%M}. "
                                                       "Είστε στην αίθουσα αναμονής.")
    await expect(page.locator("body")).not_to_contain_text("σύντομα")
    await page.screenshot(path=screenshot_path("waiting-room-early"), full_page=True)


async def test_the_clerk_who_picked_it_up_is_named_not_the_one_whose_time_it_was(browser, service, clock):
    """Any clerk of the branch trained in the topic may take an appointment: the citizen is told who."""
    booking = await book(service, "identity_documents", "Η ταυτότητά μου έχει σκιστεί στη μέση", branch="kep-athina")
    start = datetime.fromisoformat(booking["start"]).astimezone(ATHENS)
    clock.now = start - timedelta(minutes=20)
    other = next(clerk for clerk in NAMES if clerk != booking["clerk"])
    async with clerk_console(service, other) as (http, headers):
        async with http.post(f"{service}/api/clerk/bookings/{booking['reference']}/pickup", headers=headers) as resp:
            assert resp.status == 200, await resp.text()
    page = await waiting_room(browser, booking)
    await expect(page.locator("#status")).to_have_text(f"Ο υπάλληλός σας ({NAMES[other]}) θα συνδεθεί στις {start:%H:%M}. "
                                                       "Είστε στην αίθουσα αναμονής.")
    await expect(page.locator("#appointment-when")).to_contain_text(NAMES[other])
    await expect(page.locator("#appointment-when")).not_to_contain_text(NAMES[booking["clerk"]])


async def test_the_expected_delay_while_the_clerk_finishes_an_earlier_call(browser, service, clock):
    earlier = await book(service, "identity_documents", "Δήλωση απώλειας διαβατηρίου", branch="kep-athina")
    clerk = earlier["clerk"]
    later = await book(service, "identity_documents", "Θέλω να αλλάξω τη φωτογραφία στην ταυτότητα", branch="kep-athina",
                       after=datetime.fromisoformat(earlier["end"]), clerk=clerk)
    clock.now = datetime.fromisoformat(earlier["start"]) + timedelta(minutes=5)
    async with clerk_console(service, clerk) as (http, headers):
        async with http.post(f"{service}/api/clerk/bookings/{earlier['reference']}/pickup", headers=headers) as resp:
            assert resp.status == 200
    page = await waiting_room(browser, later)
    busy = (datetime.fromisoformat(earlier["end"]) - clock.now) // timedelta(minutes=1)
    around = (clock.now + timedelta(minutes=busy)).astimezone(ATHENS)
    await expect(page.locator("#status")).to_have_text(
        f"Ο υπάλληλός σας ({NAMES[clerk]}) ολοκληρώνει μια προηγούμενη κλήση· θα συνδεθεί σε περίπου {busy} λεπτά, "
        f"γύρω στις {around:%H:%M}. Μην κλείσετε τη σελίδα.")
    await page.screenshot(path=screenshot_path("waiting-room-clerk-busy"), full_page=True)


async def test_the_clerks_messages_are_still_there_after_a_reload(browser, service):
    booking = await book(service, "identity_documents", "Χρειάζομαι πιστοποιητικό για το διαβατήριο", branch="kep-athina")
    link = "https://www.passport.gov.gr/"
    async with clerk_console(service, booking["clerk"]) as (http, headers):
        async with http.post(f"{service}/api/clerk/bookings/{booking['reference']}/pickup", headers=headers) as resp:
            assert resp.status == 200
        for text in ("Καλημέρα, θα συνδεθώ σε δύο λεπτά.", f"Τα δικαιολογητικά: {link}"):
            async with http.post(f"{service}/api/clerk/calls/{booking['reference']}/message", json={"text": text},
                                 headers=headers) as resp:
                assert resp.status == 200, await resp.text()
    page = await waiting_room(browser, booking)
    messages = page.locator("#messages li")
    await expect(messages).to_have_text(["Καλημέρα, θα συνδεθώ σε δύο λεπτά.", f"Τα δικαιολογητικά: {link}"])
    await page.reload()
    await expect(messages).to_have_text(["Καλημέρα, θα συνδεθώ σε δύο λεπτά.", f"Τα δικαιολογητικά: {link}"])
    assert await messages.nth(1).get_by_role("link").get_attribute("href") == link
    await expect(page.locator("#appointment-when")).to_be_visible()
