"""The clerk console in Chromium: log-in, a booking with a hostile question shown as text,
two clerks picking up at once, a new booking appearing without a reload and without closing
what the clerk is reading, today's handled appointments and the clerk's history, 24-hour
times, and the page at phone, tablet and desktop widths (no horizontal scrolling, axe-core)."""
from __future__ import annotations

import asyncio
import re
import time

import aiohttp
import pytest
from playwright.async_api import Page, expect

from .chromium import no_serious_violations, screenshot_path
from .conftest import book, signed_in_page

XSS = "<img src=x onerror=alert(1)> Έχασα την ταυτότητά μου"


def card(page: Page, reference: str, within: str = "#queue"):
    return page.locator(f'{within} li.card[data-reference="{reference}"]')


async def citizen_arrives(booking: dict) -> None:
    """The citizen's call page sends its first heartbeat from the waiting room."""
    async with aiohttp.ClientSession() as http:
        async with http.post(booking["join_url"].replace("/call/", "/api/join/") + "/presence") as resp:
            assert resp.status == 200, await resp.text()


async def test_booking_shows_with_the_question_as_plain_text(browser, service):
    booking = await book(service, "identity_documents", XSS, branch="kep-athina")
    page = await signed_in_page(browser, service, "ath-alexiou")
    item = card(page, booking["reference"])
    await expect(item.locator(".question")).to_have_text(XSS)
    await expect(item.locator(".topic")).to_have_text("Ταυτότητες και διαβατήρια")
    await expect(page.locator("#queue-filter")).to_be_hidden()  # the filters by clerk and state are the supervisor's
    await expect(item).to_contain_text("Βεβαιότητα θέματος 87%")
    await expect(item).to_contain_text("09•••••16")  # ΑΦΜ masked before pick-up
    assert await page.locator("img[src='x']").count() == 0 and page.dialogs == []
    await item.locator("summary", has_text="Συνομιλία").click()
    await expect(item.locator(".turns li").first).to_have_text(XSS)
    await page.screenshot(path=screenshot_path("clerk-queue"), full_page=True)

    await item.get_by_role("button", name="Ανάληψη").click()
    await expect(item.locator(".card-message")).to_have_text(f"Αναλάβατε το ραντεβού {booking['reference']}.")
    await expect(card(page, booking["reference"])).to_contain_text("094259216")  # unmasked for the taker
    await page.screenshot(path=screenshot_path("clerk-picked-up"), full_page=True)
    assert page.dialogs == []


async def test_two_clerks_pick_up_at_once_and_exactly_one_gets_it(browser, service):
    booking = await book(service, "identity_documents", "Θέλω νέο διαβατήριο", branch="kep-athina")
    pages = [await signed_in_page(browser, service, name) for name in ("ath-alexiou", "ath-papadopoulou")]
    buttons = [card(p, booking["reference"]).get_by_role("button", name="Ανάληψη") for p in pages]
    for button in buttons:
        await expect(button).to_be_visible()
    # Both clicks at the same instant (no waiting for the other page's live update to hide the button).
    await asyncio.gather(*(b.evaluate("button => button.click()") for b in buttons))
    notices = [card(p, booking["reference"]).locator(".card-message") for p in pages]
    for n in notices:
        await expect(n).not_to_have_text("")
    texts = [await n.text_content() for n in notices]
    assert sorted("Αναλάβατε" in t for t in texts) == [False, True], texts
    assert any("ανέλαβε ήδη άλλος" in t for t in texts), texts
    await pages[texts.index(next(t for t in texts if "ανέλαβε ήδη" in t))].screenshot(path=screenshot_path("clerk-taken"))


async def test_new_booking_appears_without_reload(browser, service):
    page = await signed_in_page(browser, service, "ath-alexiou")
    await expect(page.locator("#live")).to_contain_text("ζωντανή ενημέρωση")
    booking = await book(service, "tax", "Πώς κάνω φορολογική δήλωση;", branch="kep-athina")
    booked_at = time.monotonic()
    await expect(card(page, booking["reference"])).to_be_visible(timeout=2000)
    assert time.monotonic() - booked_at < 1.0
    await expect(page.locator("#notice")).to_contain_text("Νέο ραντεβού")


async def test_supervisor_cancels_with_a_reason_and_sends_a_failed_message_again(browser, service, redis_url):
    import redis.asyncio as aioredis

    from handoff.notifications import STREAM
    from handoff.outbox import FAILED, Outbox

    booking = await book(service, "identity_documents", "Θέλω νέο διαβατήριο", branch="kep-athina")
    redis = aioredis.from_url(redis_url, decode_responses=True)
    try:
        outbox = Outbox(redis)
        await outbox.ensure_group()
        [entry] = await outbox.read("test", 1, 100)  # the confirmation, as a worker would have read it …
        await outbox.give_up(entry, {"sms": "SMS gateway 503: unavailable"}, entry.notification.created_at)  # … and given up

        page = await signed_in_page(browser, service, "supervisor")
        panel = page.locator("#failed-panel")
        await expect(panel).to_contain_text(f"{booking['reference']} · Επιβεβαίωση")
        await expect(panel).to_contain_text("SMS: δεν στάλθηκε (1 προσπάθειες)")
        await page.screenshot(path=screenshot_path("supervisor-failed-messages"), full_page=True)
        await panel.get_by_role("button", name="Αποστολή ξανά").click()
        await expect(page.locator("#failed-empty")).to_be_visible()
        assert await redis.hlen(FAILED) == 0 and await redis.xlen(STREAM) == 1

        item = card(page, booking["reference"])
        await item.locator("summary", has_text="Ακύρωση από το ΚΕΠ").click()
        await item.get_by_label("Λόγος ακύρωσης").fill("Ο υπάλληλος απουσιάζει σήμερα.")
        await item.get_by_role("button", name="Ακύρωση από το ΚΕΠ").click()
        await expect(page.locator("#notice")).to_contain_text(f"Το ραντεβού {booking['reference']} ακυρώθηκε")
        await expect(item).to_have_count(0)
        assert await redis.xlen(STREAM) == 2  # the citizen's message about it is on its way
    finally:
        await redis.aclose()


async def settled_top(page, item) -> float:
    """The card's position on screen once it stopped moving (two reads 200 ms apart agree)."""
    top = await item.evaluate("node => node.getBoundingClientRect().top")
    for _ in range(25):
        await page.wait_for_timeout(200)
        now = await item.evaluate("node => node.getBoundingClientRect().top")
        if abs(now - top) < 1:
            return now
        top = now
    return top


async def test_live_updates_leave_an_open_transcript_and_typed_notes_alone(browser, service):
    from datetime import UTC, datetime, timedelta

    in_two_days = datetime.now(UTC) + timedelta(days=2)  # the next booking takes an earlier time: its card comes above
    first = await book(service, "identity_documents", "Χάθηκε το διαβατήριο του γιου μου", branch="kep-athina", after=in_two_days)
    page = await signed_in_page(browser, service, "ath-alexiou", viewport={"width": 1280, "height": 500})
    item = card(page, first["reference"])
    await item.locator("summary", has_text="Συνομιλία").click()
    await expect(item.locator("details.transcript")).to_have_attribute("open", "")
    await item.evaluate("node => { node.kepMark = 'untouched'; }")
    await page.evaluate("window.scrollTo(0, 120)")
    top = await settled_top(page, item)  # the page's other sections load on their own: measure once they have

    second = await book(service, "tax", "Πού βρίσκω το εκκαθαριστικό μου;", branch="kep-athina")  # a live update
    await expect(card(page, second["reference"])).to_be_visible()
    assert await page.locator("#queue li.card").first.get_attribute("data-reference") == second["reference"]
    await expect(page.locator("#notice")).to_contain_text("Νέο ραντεβού")
    await expect(item.locator("details.transcript")).to_have_attribute("open", "")
    assert await item.evaluate("node => node.kepMark") == "untouched"  # the same card, not a copy
    assert abs(await item.evaluate("node => node.getBoundingClientRect().top") - top) < 2  # it did not move on screen

    await citizen_arrives(first)  # this card itself changes: rebuilt, but still open, the focus where it was
    await expect(item.locator(".waiting")).to_be_visible()
    await expect(item.locator("details.transcript")).to_have_attribute("open", "")
    await expect(item.locator("details.transcript > summary")).to_be_focused()

    await item.get_by_role("button", name="Ανάληψη").click()
    await item.get_by_label("Σημειώσεις").fill("Ζητά και πιστοποιητικό γέννησης")
    await book(service, "tax", "Έχω ερώτηση για το Ε9", branch="kep-athina")
    await expect(page.locator("#queue li.card")).to_have_count(3)
    await expect(item.get_by_label("Σημειώσεις")).to_have_value("Ζητά και πιστοποιητικό γέννησης")
    await expect(item.get_by_label("Σημειώσεις")).to_be_focused()
    await page.screenshot(path=screenshot_path("clerk-live-update-kept-open"))
    await page.reload()  # the notes being written survive a reload of the console …
    await expect(item.get_by_label("Σημειώσεις")).to_have_value("Ζητά και πιστοποιητικό γέννησης")
    await item.get_by_role("link", name="Έναρξη βιντεοκλήσης").click()  # … and are there to finish the call with
    await expect(page.locator("#end-form").get_by_label("Σημειώσεις")).to_have_value("Ζητά και πιστοποιητικό γέννησης")


async def test_the_notice_of_a_change_never_covers_the_notes_being_typed(browser, service):
    from datetime import UTC, datetime, timedelta

    mine = await book(service, "identity_documents", "Η κόρη μου χρειάζεται διαβατήριο για εκδρομή", branch="kep-athina",
                      after=datetime.now(UTC) + timedelta(days=2))
    page = await signed_in_page(browser, service, "ath-alexiou", viewport={"width": 360, "height": 740})
    item = card(page, mine["reference"])
    await item.get_by_role("button", name="Ανάληψη").click()
    notes = item.get_by_label("Σημειώσεις")
    await notes.click()
    await notes.evaluate("n => window.scrollBy(0, n.getBoundingClientRect().bottom - window.innerHeight + 4)")  # at the foot
    await book(service, "tax", "Πώς αλλάζω διεύθυνση στην εφορία;", branch="kep-athina")
    await expect(page.locator("#notice")).to_contain_text("Νέο ραντεβού")
    shown, typed = await page.locator("#notice").bounding_box(), await notes.bounding_box()
    assert shown["y"] + shown["height"] <= typed["y"] or typed["y"] + typed["height"] <= shown["y"], (shown, typed)
    await expect(notes).to_be_focused()
    await page.screenshot(path=screenshot_path("clerk-notice-over-the-notes"))


async def test_finished_appointments_stay_in_todays_list_and_in_the_history(browser, service, clock):
    from datetime import datetime

    booking = await book(service, "identity_documents", "Θέλω να βγάλω ταυτότητα για πρώτη φορά", branch="kep-athina")
    clock.now = datetime.fromisoformat(booking["start"])  # the appointment's day, at its time
    page = await signed_in_page(browser, service, "ath-alexiou")
    await expect(page.locator("#handled-empty")).to_be_visible()
    item = card(page, booking["reference"])
    await citizen_arrives(booking)  # the citizen's page is open (and still is when the call ends)
    await expect(item.locator(".waiting")).to_be_visible()
    await item.get_by_role("button", name="Ανάληψη").click()
    await item.get_by_label("Αποτέλεσμα").select_option(label="Χρειάζεται επίσκεψη στο ΚΕΠ")
    await item.get_by_label("Σημειώσεις").fill("Να φέρει δύο φωτογραφίες και το ληξιαρχικό.")
    await item.get_by_role("button", name="Ολοκλήρωση").click()
    await expect(item).to_have_count(0)
    assert await page.evaluate("Object.keys(sessionStorage).filter(k => k.startsWith('kep-notes:'))") == []  # recorded: forgotten
    done = card(page, booking["reference"], within="#handled")
    await expect(done).to_contain_text("Χρειάζεται επίσκεψη στο ΚΕΠ. Να φέρει δύο φωτογραφίες και το ληξιαρχικό.")
    await expect(done.locator(".state")).to_have_text("Ολοκληρώθηκε")
    await expect(done.locator(".waiting")).to_be_hidden()  # nobody waits for a finished appointment
    await expect(page.locator("#handled-empty")).to_be_hidden()

    await page.get_by_label("Όνομα, θέμα, κωδικός ή λέξη από τις σημειώσεις").fill("ΛΗΞΙΑΡΧΙΚΟ")
    await page.get_by_role("button", name="Αναζήτηση στο ιστορικό").click()
    found = card(page, booking["reference"], within="#history")
    await expect(found).to_contain_text("Να φέρει δύο φωτογραφίες")
    await expect(found.locator(".when")).to_contain_text(datetime.fromisoformat(booking["start"]).strftime("%H:%M"))
    await page.get_by_label("Όνομα, θέμα, κωδικός ή λέξη από τις σημειώσεις").fill("διαβατήριο")
    await page.get_by_role("button", name="Αναζήτηση στο ιστορικό").click()
    await expect(page.locator("#history-summary")).to_have_text("Δεν βρέθηκε ραντεβού.")
    await expect(page.locator("#history li")).to_have_count(0)


async def test_an_appointment_handled_a_day_early_shows_its_date_among_todays(browser, service, clock):
    from datetime import UTC, datetime, timedelta

    from handoff.config import ATHENS

    booking = await book(service, "identity_documents", "Πρέπει να ανανεώσω το διαβατήριο της κόρης μου",
                         branch="kep-athina", after=datetime.now(UTC) + timedelta(days=3))
    start = datetime.fromisoformat(booking["start"]).astimezone(ATHENS)
    clock.now = start - timedelta(days=1)  # the citizen came a day early and the clerk took it
    page = await signed_in_page(browser, service, "ath-alexiou")
    item = card(page, booking["reference"])
    await item.get_by_role("button", name="Ανάληψη").click()
    await item.get_by_label("Αποτέλεσμα").select_option(label="Χρειάζεται επίσκεψη στο ΚΕΠ")
    await item.get_by_role("button", name="Ολοκλήρωση").click()
    done = card(page, booking["reference"], within="#handled")
    await expect(done.locator(".when")).to_have_text(re.compile(rf"\b{start.day}\b.*{start:%H:%M}"))


@pytest.mark.parametrize("width", [360, 768, 1280])
async def test_the_console_fits_phone_tablet_and_desktop(browser, service, width):
    booking = await book(service, "identity_documents", "Θέλω διαβατήριο επειγόντως για ταξίδι", branch="kep-athina")
    page = await signed_in_page(browser, service, "ath-alexiou", viewport={"width": width, "height": 800}, bypass_csp=True)
    item = card(page, booking["reference"])
    await item.locator("summary", has_text="Συνομιλία").click()
    await item.locator("summary", has_text="Τι να ετοιμάσω").click()
    await expect(item.locator(".when")).to_have_text(re.compile(r"^\d{2}:\d{2}–\d{2}:\d{2}$"))  # 24-hour clock
    await expect(page.locator("body")).not_to_contain_text(re.compile("[πμ]\\.μ\\."))
    assert await page.evaluate("document.documentElement.scrollWidth") <= width
    await no_serious_violations(page)
    await page.screenshot(path=screenshot_path(f"clerk-console-{width}"), full_page=True)

    await item.get_by_role("button", name="Ανάληψη").click()
    await expect(item.get_by_label("Σημειώσεις")).to_be_visible()
    assert await page.evaluate("document.documentElement.scrollWidth") <= width
    await no_serious_violations(page)
    await expect(item.locator(".citizen dd").first).to_have_text("Μαρία Παπαδοπούλου")  # unmasked now
    for word in ("Παπαδοπούλου", "+306912345678"):  # read whole, never cut across two lines
        lines = await item.locator(".citizen").evaluate("""(dl, word) => {
            const dd = [...dl.querySelectorAll('dd')].find(d => d.textContent.includes(word));
            const range = document.createRange(), text = dd.firstChild, at = text.textContent.indexOf(word);
            range.setStart(text, at); range.setEnd(text, at + word.length);
            return new Set([...range.getClientRects()].map(r => Math.round(r.top))).size;
        }""", word)
        assert lines == 1, f"{word} is cut across {lines} lines at {width} px"


NAMES = {"ath-alexiou": "Δημήτρης Αλεξίου", "ath-papadopoulou": "Μαρία Παπαδοπούλου"}


async def test_supervisor_reassigns_and_the_first_clerk_loses_it_at_once(browser, service, clock):
    """Three consoles: the clerk whose slot it was, the other clerk with the topic, the branch's supervisor."""
    from datetime import datetime, timedelta

    booking = await book(service, "identity_documents", "Ανανέωση διαβατηρίου πριν το ταξίδι", branch="kep-athina")
    clock.now = datetime.fromisoformat(booking["start"]) - timedelta(minutes=30)  # its day («today's steps»), at any hour the test runs
    ref, first = booking["reference"], booking["clerk"]
    other = "ath-papadopoulou" if first == "ath-alexiou" else "ath-alexiou"
    first_page = await signed_in_page(browser, service, first)
    other_page = await signed_in_page(browser, service, other)
    supervisor = await signed_in_page(browser, service, "sup-athina")
    await expect(supervisor.locator("#queue-title")).to_contain_text("Τα ραντεβού του ΚΕΠ")
    await expect(supervisor.locator("header")).to_contain_text("Κονσόλα προϊσταμένου")
    item = card(supervisor, ref)
    await expect(item.locator(".assignment")).to_have_text(f"ΚΕΠ Δήμου Αθηναίων · Υπάλληλος: {NAMES[first]}")
    await expect(card(first_page, ref)).to_be_visible()
    await expect(first_page.locator("#live")).to_contain_text("ζωντανή ενημέρωση")

    await item.locator("summary", has_text="Ανάθεση σε άλλον υπάλληλο").click()
    choice = item.get_by_label("Υπάλληλος του ΚΕΠ με αυτό το θέμα")
    await expect(choice.locator("option")).to_have_text([NAMES[other]])  # the only one of the branch with the topic, free
    await supervisor.screenshot(path=screenshot_path("supervisor-reassign"), full_page=True)
    await choice.select_option(label=NAMES[other])
    await item.get_by_role("button", name="Ανάθεση", exact=True).click()
    await expect(item.locator(".card-message")).to_have_text(f"Το ραντεβού {ref} ανατέθηκε στον/στην {NAMES[other]}.")
    await expect(item.locator(".assignment")).to_have_text(f"ΚΕΠ Δήμου Αθηναίων · Υπάλληλος: {NAMES[other]} (με ανάθεση)")
    await item.locator("summary", has_text="Ιστορικό ενεργειών").click()
    steps = item.locator(".audit .steps li")
    await expect(steps).to_have_count(2)
    await expect(steps.nth(0)).to_contain_text("Κλείστηκε από τη συνομιλία — Βοηθός (συνομιλία)")
    await expect(steps.nth(1)).to_contain_text("Ανατέθηκε σε άλλον υπάλληλο — Προϊστάμενος Αθήνας")
    await expect(steps.nth(1)).to_contain_text(f"από {NAMES[first]}")

    await expect(card(first_page, ref)).to_have_count(0, timeout=2000)  # gone from the first clerk's list, live
    await expect(card(other_page, ref).locator(".assignment")).to_have_text("Σας το ανέθεσε ο προϊστάμενος.")
    refused = await first_page.evaluate(f"api('/api/clerk/bookings/{ref}/pickup', {{method: 'POST', body: {{}}}})")
    assert refused["status"] == 409 and refused["body"]["error"]["code"] == "assigned_elsewhere"
    await card(other_page, ref).get_by_role("button", name="Ανάληψη").click()
    await expect(card(other_page, ref).locator(".card-message")).to_have_text(f"Αναλάβατε το ραντεβού {ref}.")
    await expect(item.locator(".state")).to_contain_text(f"Σε εξέλιξη ({NAMES[other]})")
    await expect(steps.nth(2)).to_contain_text(f"Ανάληψη — {NAMES[other]}")  # the open history follows, live
    await supervisor.get_by_text("Όλες οι ενέργειες της ημέρας").click()
    await expect(supervisor.locator("#branch-steps li").first).to_contain_text(f"{ref} · Ανάληψη — {NAMES[other]}")


@pytest.mark.parametrize("width", [360, 1280])
async def test_the_supervisors_day_at_phone_and_desktop_width(browser, service, clock, width):
    from datetime import datetime, timedelta

    waiting = await book(service, "identity_documents", "Θέλω να δηλώσω κλοπή ταυτότητας", branch="kep-athina")
    start = datetime.fromisoformat(waiting["start"])
    clock.now = start - timedelta(hours=1)  # that day, before it
    other = await book(service, "tax", "Ερώτηση για το ενοίκιο στο Ε1", branch="kep-athina", after=clock.now)
    same_day = datetime.fromisoformat(other["start"]).date() == start.date()
    await citizen_arrives(waiting)
    page = await signed_in_page(browser, service, "sup-athina", viewport={"width": width, "height": 800}, bypass_csp=True)
    day = page.locator('#day .branch-day[data-branch="kep-athina"]')
    await expect(day.locator(".totals")).to_have_text(f"Ραντεβού: {1 + same_day} σε αναμονή ανάληψης.")
    await expect(day.locator(".waiting-now")).to_have_text("Περιμένουν τώρα: 1")
    await expect(day).to_contain_text(f"— {NAMES[waiting['clerk']]} ({waiting['reference']})")
    await expect(day.locator(f'.clerk-load li[data-clerk="{waiting["clerk"]}"]')).to_contain_text("θέσεις")
    await expect(page.locator("#queue li.card")).to_have_count(2)
    await page.locator("#queue-filter select[name=status]").select_option(label="Ο πολίτης περιμένει")  # the queue, filtered
    await expect(page.locator("#queue li.card")).to_have_count(1)
    await expect(card(page, waiting["reference"])).to_be_visible()
    await page.locator("#queue-filter select[name=status]").select_option(label="Όλες")
    await page.locator("#queue-filter select[name=clerk]").select_option(other["clerk"])
    await expect(card(page, other["reference"])).to_be_visible()
    if other["clerk"] != waiting["clerk"]:
        await expect(card(page, waiting["reference"])).to_have_count(0)
    await expect(page.locator("#history-panel")).to_be_hidden()
    assert await page.evaluate("document.documentElement.scrollWidth") <= width
    await no_serious_violations(page)
    await page.screenshot(path=screenshot_path(f"supervisor-day-{width}"), full_page=True)


async def test_supervisor_marks_a_clerk_absent_and_the_appointment_goes_elsewhere(browser, service, clock):
    from datetime import datetime, timedelta

    from handoff.config import ATHENS

    clock.now = datetime(2030, 2, 4, 7, 0, tzinfo=ATHENS)  # a Monday both Athens clerks of the topic work
    booking = await book(service, "identity_documents", "Πρέπει να ανανεώσω το διαβατήριό μου", branch="kep-athina")
    ref, first = booking["reference"], booking["clerk"]
    start = datetime.fromisoformat(booking["start"]).astimezone(ATHENS)
    clerk_page = await signed_in_page(browser, service, first)
    await expect(card(clerk_page, ref)).to_be_visible()
    supervisor = await signed_in_page(browser, service, "sup-athina", viewport={"width": 360, "height": 800})
    entry = supervisor.locator(f'#staff li[data-clerk="{first}"]')
    await entry.locator("summary", has_text="Καταχώριση απουσίας").click()
    await entry.get_by_label("Από").fill(f"{start - timedelta(minutes=10):%Y-%m-%dT%H:%M}")
    await entry.get_by_label("Έως").fill(f"{start + timedelta(hours=2):%Y-%m-%dT%H:%M}")
    await entry.get_by_label("Λόγος").fill("Ασθένεια")
    await entry.get_by_role("button", name="Καταχώριση").click()
    other = "ath-papadopoulou" if first == "ath-alexiou" else "ath-alexiou"
    await expect(supervisor.locator("#staff-message")).to_contain_text(f"καταχωρίστηκε. Ραντεβού: {ref}: στον/στην {NAMES[other]}, ίδια ώρα.")
    await expect(entry).to_contain_text(f"{start - timedelta(minutes=10):%H:%M} – {start + timedelta(hours=2):%H:%M} · Ασθένεια")
    await expect(card(supervisor, ref).locator(".assignment")).to_have_text(f"ΚΕΠ Δήμου Αθηναίων · Υπάλληλος: {NAMES[other]} (με ανάθεση)")
    await expect(card(clerk_page, ref)).to_have_count(0)  # gone from the absent clerk's list, live
    assert await supervisor.evaluate("document.documentElement.scrollWidth") <= 360
    await supervisor.screenshot(path=screenshot_path("supervisor-absence"), full_page=True)
    await entry.get_by_role("button", name="Διαγραφή απουσίας").click()
    await expect(supervisor.locator("#staff-message")).to_contain_text(f"Η απουσία του/της {NAMES[first]} διαγράφηκε")
    await expect(entry).to_contain_text("Καμία απουσία.")


async def test_supervisor_changes_a_clerks_topics_and_hours(browser, service, clock):
    from datetime import datetime

    from handoff.config import ATHENS

    clock.now = datetime(2030, 2, 4, 7, 0, tzinfo=ATHENS)  # a Monday
    booking = await book(service, "tax", "Δεν μπορώ να μπω στο taxisnet", branch="kep-athina", clerk="ath-alexiou")
    supervisor = await signed_in_page(browser, service, "sup-athina", viewport={"width": 768, "height": 900})
    entry = supervisor.locator('#staff li[data-clerk="ath-alexiou"]')
    await entry.locator("summary", has_text="Ωράριο και θέματα").click()
    await expect(entry.get_by_label("Φορολογικά θέματα")).to_be_checked()
    await expect(entry.get_by_label("Δευτέρα")).to_have_value("08:30-14:30")
    await entry.get_by_label("Φορολογικά θέματα").uncheck()
    await entry.get_by_label("Σάββατο").fill("09:00-12:00")
    await entry.get_by_role("button", name="Αποθήκευση").click()
    await expect(supervisor.locator("#staff-message")).to_contain_text(
        f"Το ωράριο και τα θέματα του/της Δημήτρης Αλεξίου αποθηκεύτηκαν. Ραντεβού: {booking['reference']}: ")
    await entry.locator("summary", has_text="Ωράριο και θέματα").click()
    await expect(entry.get_by_label("Φορολογικά θέματα")).not_to_be_checked()
    await expect(entry.get_by_label("Σάββατο")).to_have_value("09:00-12:00")
    await expect(card(supervisor, booking["reference"]).locator(".assignment")).not_to_contain_text("Αλεξίου")

    await entry.get_by_label("Δευτέρα").fill("14:00-09:00")
    await entry.get_by_role("button", name="Αποθήκευση").click()
    await expect(supervisor.locator("#staff-message")).to_contain_text("το καθένα να τελειώνει μετά την αρχή του")
    await supervisor.screenshot(path=screenshot_path("supervisor-schedule"), full_page=True)


async def test_supervisor_gives_an_appointment_another_time_and_the_citizen_is_told(browser, service, redis_url):
    import redis.asyncio as aioredis

    from handoff.notifications import STREAM

    booking = await book(service, "identity_documents", "Θέλω να αλλάξω διεύθυνση στην ταυτότητα", branch="kep-athina")
    supervisor = await signed_in_page(browser, service, "sup-athina")
    item = card(supervisor, booking["reference"])
    await item.locator("summary", has_text="Νέα ώρα").click()
    choice = item.get_by_label("Ελεύθερη ώρα στο ίδιο ΚΕΠ")
    await expect(choice.locator("option").first).to_contain_text(" · ")  # a time and the clerk's name
    new_time = (await choice.locator("option").nth(2).text_content()).split(" · ")[0]
    await choice.select_option(index=2)
    await item.get_by_label("Λόγος (θα τον λάβει ο πολίτης)").nth(0).fill("Βλάβη στο σύστημα τηλεδιάσκεψης το πρωί.")
    redis = aioredis.from_url(redis_url, decode_responses=True)
    try:
        sent_before = await redis.xlen(STREAM)
        await item.get_by_role("button", name="Αλλαγή ώρας").click()
        await expect(item.locator(".card-message")).to_contain_text(f"μεταφέρθηκε: {new_time}")
        await expect(item.locator(".when")).to_have_text(re.compile(f"^{new_time.split(', ')[-1]}–"))
        assert await redis.xlen(STREAM) == sent_before + 1  # the citizen's message about it
    finally:
        await redis.aclose()


async def test_a_disabled_account_is_sent_back_to_the_log_in_form_saying_why(browser, service, redis_url):
    import redis.asyncio as aioredis

    from handoff.account_admin import AccountAdmin

    page = await signed_in_page(browser, service, "ath-alexiou")
    await expect(page.locator("#live")).to_contain_text("ζωντανή ενημέρωση")
    redis = aioredis.from_url(redis_url, decode_responses=True)
    try:
        await AccountAdmin(redis).disable("ath-alexiou")
    finally:
        await redis.aclose()
    # Without a click: the live feed tells the console, which goes back to the log-in form.
    await expect(page.locator("#login")).to_be_visible(timeout=10000)
    await expect(page.locator("#workspace")).to_be_hidden()
    await expect(page.locator("#login-error")).to_contain_text("Ο λογαριασμός σας απενεργοποιήθηκε")
    await page.screenshot(path=screenshot_path("clerk-session-ended"))


async def test_supervisor_hands_a_live_call_over_to_another_clerk(browser, service):
    """The first clerk's computer died mid-call: the supervisor gives the call to the other
    clerk of the branch with the topic, whose console offers to open the call at once."""
    booking = await book(service, "identity_documents", "Το διαβατήριό μου λήγει σε μια εβδομάδα", branch="kep-athina")
    ref = booking["reference"]
    first_page = await signed_in_page(browser, service, "ath-alexiou")
    new_page = await signed_in_page(browser, service, "ath-papadopoulou")
    supervisor = await signed_in_page(browser, service, "sup-athina")
    await card(first_page, ref).get_by_role("button", name="Ανάληψη").click()
    await expect(card(first_page, ref).get_by_role("link", name="Έναρξη βιντεοκλήσης")).to_be_visible()
    item = card(supervisor, ref)
    await expect(item.locator(".state")).to_contain_text(f"Σε εξέλιξη ({NAMES['ath-alexiou']})")
    await expect(item.locator("summary", has_text="Ανάθεση σε άλλον υπάλληλο")).to_be_hidden()  # that is for booked ones
    await expect(new_page.locator("#live")).to_contain_text("ζωντανή ενημέρωση")

    await item.locator("summary", has_text="Η κλήση σε άλλον υπάλληλο").click()
    choice = item.get_by_label("Ποιος αναλαμβάνει")
    await expect(choice.locator("option")).to_have_text([NAMES["ath-papadopoulou"]])
    await supervisor.screenshot(path=screenshot_path("supervisor-take-over"), full_page=True)
    await item.get_by_role("button", name="Να αναλάβει την κλήση").click()
    await expect(item.locator(".card-message")).to_have_text(
        f"Την κλήση {ref} την αναλαμβάνει ο/η {NAMES['ath-papadopoulou']}· θα ελέγξει ξανά την ταυτότητα του πολίτη.")
    await expect(item.locator(".state")).to_contain_text(f"Σε εξέλιξη ({NAMES['ath-papadopoulou']})")

    # Live, without a reload: the new clerk has the call, the first one no longer.
    await expect(card(new_page, ref).get_by_role("link", name="Έναρξη βιντεοκλήσης")).to_be_visible(timeout=3000)
    await expect(card(new_page, ref)).to_contain_text("094259216")  # theirs: unmasked
    await expect(card(first_page, ref).get_by_role("link", name="Έναρξη βιντεοκλήσης")).to_be_hidden(timeout=3000)
    await expect(new_page.locator("#notice")).to_contain_text(f"Η κλήση σε άλλον υπάλληλο: {ref}")
    call = f"api('/api/clerk/calls/{ref}/state')"
    new_call, first_call = await new_page.evaluate(call), await first_page.evaluate(call)
    assert new_call["status"] == 200 and new_call["body"]["state"] == "waiting"  # for the new clerk to see the ID
    assert first_call["status"] == 403 and first_call["body"]["error"]["code"] == "not_your_call"
