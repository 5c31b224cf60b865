"""The citizen's chat page in Chromium, against the whole stack: a booking with the mouse,
one with the keyboard only, the history surviving a reload, the 360 px layout, the newest
reply always in view (phone and desktop), a lost booking found again, and axe-core."""
from __future__ import annotations

import json

import pytest
from playwright.async_api import Page, expect

from tests.browser.chromium import AXE, screenshot_path
from tests.browser.conftest import book

# (answer, what the bot asks next)
IDENTITY = [("Μαρία Παπαδοπούλου", "κάμερα"), ("θα δείξω διαβατήριο", "διαβατηρίου"), ("AE 1234567", "ΑΦΜ σας"),
            ("090000045", "κινητό"), ("6912345678", "email"), ("maria@example.gr", "Ελέγξτε τα στοιχεία σας")]


async def open_chat(browser, stack, **context_options) -> Page:
    context = await browser.new_context(locale="el-GR", **context_options)
    page = await context.new_page()
    await page.goto(f"{stack.handoff_url}/")
    await expect(page.locator("#log li").first).to_contain_text("Γεια σας")
    return page


def last_bot(page: Page):
    return page.locator("#log li.msg.bot").last


async def say(page: Page, text: str, expect_reply: str) -> None:
    await page.get_by_label("Το μήνυμά σας").fill(text)
    await page.get_by_role("button", name="Αποστολή").click()
    await expect(last_bot(page)).to_contain_text(expect_reply)


async def test_booking_with_the_mouse_and_the_history_after_a_reload(browser, stack):
    page = await open_chat(browser, stack)
    await say(page, "Μου χάθηκε η ταυτότητα, τι κάνω;", "προτίμηση για ΚΕΠ")
    await page.locator("#quick button").first.click()  # Οποιοδήποτε ΚΕΠ
    await expect(last_bot(page)).to_contain_text("ελεύθερη ώρα")
    await page.screenshot(path=screenshot_path("chat-slots"), full_page=True)
    await page.locator("#quick button").first.click()  # the first free time
    await expect(last_bot(page)).to_contain_text("Συμφωνείτε")  # the privacy notice, before any personal question
    await page.get_by_role("button", name="Ναι, συμφωνώ").click()
    await expect(last_bot(page)).to_contain_text("Πώς λέγεστε")
    for answer, next_question in IDENTITY:
        await say(page, answer, next_question)
    await page.get_by_role("button", name="Ναι, κλείστε το ραντεβού").click()
    card = page.get_by_role("region", name="Το ραντεβού σας")
    await expect(card).to_contain_text("KEP-")
    reference = (await card.locator("dd").nth(2).text_content()).strip()
    manage_code = (await card.locator("dd").nth(3).text_content()).strip()
    assert await card.get_by_role("link", name="Προσθήκη στο ημερολόγιο (.ics)").get_attribute("download") == f"{reference}.ics"
    assert "/call/" in await card.get_by_role("link", name="Σύνδεσμος βιντεοκλήσης").get_attribute("href")
    assert (await card.get_by_role("link", name="Το ραντεβού μου: προβολή, αλλαγή, ακύρωση").get_attribute("href")).endswith("/appointment")
    await expect(card).to_contain_text("Να έχετε έτοιμα")
    await assert_booking_shown_once(page, reference)
    await page.screenshot(path=screenshot_path("chat-booked"), full_page=True)

    await page.reload()
    await expect(page.get_by_role("region", name="Το ραντεβού σας")).to_contain_text(reference)
    await assert_booking_shown_once(page, reference)
    await expect(page.locator("#log")).to_contain_text("Μου χάθηκε η ταυτότητα, τι κάνω;")
    await expect(page.locator("#log")).to_contain_text("Οποιοδήποτε ΚΕΠ")  # a click reads as its words

    # «Νέα συζήτηση» with a booking on screen asks first, and says which codes to keep.
    await page.get_by_role("button", name="Νέα συζήτηση").click()
    dialog = page.get_by_role("dialog", name="Να ξεκινήσει νέα συζήτηση;")
    await expect(dialog).to_be_visible()
    await expect(dialog).to_contain_text(reference)
    await expect(dialog).to_contain_text(manage_code)
    assert await page.evaluate("document.activeElement.textContent") == "Όχι, να μείνει η συζήτηση"  # the safe choice first
    await page.screenshot(path=screenshot_path("chat-new-conversation-dialog"))
    await page.keyboard.press("Escape")
    await expect(dialog).to_be_hidden()
    await expect(page.get_by_role("region", name="Το ραντεβού σας")).to_be_visible()
    assert await page.evaluate("document.activeElement.id") == "new-chat"
    await page.get_by_role("button", name="Νέα συζήτηση").click()
    await dialog.get_by_role("button", name="Ναι, νέα συζήτηση").click()
    await expect(page.locator("#log li")).to_have_count(1)
    await page.reload()
    await expect(page.locator("#log li")).to_have_count(1)
    await page.get_by_role("button", name="Νέα συζήτηση").click()  # nothing to lose: no question
    await expect(dialog).to_be_hidden()
    await expect(page.locator("#log li")).to_have_count(1)


async def assert_booking_shown_once(page: Page, reference: str) -> None:
    """The booking is the card alone: not again as text, and no raw URL on screen."""
    shown = "\n".join(await page.locator("#log li.msg.bot").all_inner_texts())
    assert shown.count(reference) == 1, shown
    assert "http" not in shown, shown


GEOMETRY = """() => {
  const box = (el) => { const r = el.getBoundingClientRect(); return { top: r.top, bottom: r.bottom }; };
  const last = document.querySelector("#log").lastElementChild;
  const buttons = [...document.querySelectorAll("#quick button")];
  return { viewport: innerHeight, last: box(last), buttons: buttons.map(box), dock: box(document.getElementById("dock")),
           input: box(document.getElementById("message")), sent: box(document.getElementById("send")),
           end: buttons.length ? box(document.getElementById("quick")).bottom : box(last).bottom };
}"""


async def newest_reply_in_view(page: Page) -> bool:
    """Where the newest message, its buttons and the message box are on screen: the box always
    whole, the message always from its first line; the message and every button whole when
    they fit above the box. Returns whether they fitted."""
    g = await page.evaluate(GEOMETRY)
    assert 0 <= g["input"]["top"] and g["input"]["bottom"] <= g["viewport"], g
    assert 0 <= g["sent"]["top"] and g["sent"]["bottom"] <= g["viewport"], g
    assert 0 <= g["last"]["top"] < g["dock"]["top"], g
    fits = g["end"] - g["last"]["top"] <= g["dock"]["top"] - 16
    if fits:
        assert g["last"]["bottom"] <= g["dock"]["top"], g
        assert all(0 <= b["top"] and b["bottom"] <= g["dock"]["top"] for b in g["buttons"]), g
    return fits


@pytest.mark.parametrize("viewport", [{"width": 360, "height": 740}, {"width": 1280, "height": 800}], ids=["phone", "desktop"])
async def test_the_newest_reply_its_buttons_and_the_box_stay_in_view(browser, stack, viewport):
    page = await open_chat(browser, stack, viewport=viewport)
    fitted = []

    async def step(reply: str) -> None:
        await expect(last_bot(page)).to_contain_text(reply)
        fitted.append(await newest_reply_in_view(page))

    await page.get_by_label("Το μήνυμά σας").fill("Πρέπει να ανανεώσω την άδεια οδήγησης που λήγει")
    await page.get_by_role("button", name="Αποστολή").click()
    await step("προτίμηση για ΚΕΠ")
    await page.locator("#quick button").first.click()
    await step("ελεύθερη ώρα")
    await page.screenshot(path=screenshot_path(f"chat-in-view-{viewport['width']}-slots"))
    await page.locator("#quick button").first.click()
    await step("Συμφωνείτε")
    await page.screenshot(path=screenshot_path(f"chat-in-view-{viewport['width']}-consent"))
    await page.get_by_role("button", name="Ναι, συμφωνώ").click()
    await step("Πώς λέγεστε")
    await page.get_by_label("Το μήνυμά σας").fill("Ευαγγελία Μαυρίδου")
    await page.keyboard.press("Enter")
    await step("Ποιο έγγραφο ταυτότητας")
    await page.get_by_role("button", name="Αστυνομική ταυτότητα").click()
    await step("αστυνομικής σας ταυτότητας")
    for answer, next_question in [("ΑΚ 975310", "ΑΦΜ σας"), ("094259216", "κινητό"), ("6955512345", "email")]:
        await page.get_by_label("Το μήνυμά σας").fill(answer)
        await page.keyboard.press("Enter")
        await step(next_question)
    await page.get_by_role("button", name="Δεν έχω email").click()
    await step("Ελέγξτε τα στοιχεία σας")
    await page.screenshot(path=screenshot_path(f"chat-in-view-{viewport['width']}-summary"))
    await page.get_by_role("button", name="Ναι, κλείστε το ραντεβού").click()
    await step("Το ραντεβού σας")
    await page.screenshot(path=screenshot_path(f"chat-in-view-{viewport['width']}-booked"))
    # Every question with its buttons fitted whole; only the summary and the card may be taller than the screen.
    assert all(fitted[:-2]), fitted
    assert await page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]


async def test_a_lost_booking_is_found_again_in_the_chat(browser, stack):
    booking = await book(stack.handoff_url, "tax", "Φορολογική δήλωση", token=stack.secrets["HANDOFF_SERVICE_TOKEN"])
    page = await open_chat(browser, stack, viewport={"width": 360, "height": 740})
    await say(page, "έχω χάσει το σημείωμα με το ραντεβού μου", "κωδικό του ραντεβού")
    await say(page, booking["reference"], "κωδικό διαχείρισης")
    await say(page, booking["manage_token"], "Βρήκα το ραντεβού σας")
    card = page.get_by_role("region", name="Το ραντεβού σας")
    await expect(card).to_contain_text(booking["reference"])
    await expect(card).to_contain_text(booking["manage_token"])
    await assert_booking_shown_once(page, booking["reference"])
    await newest_reply_in_view(page)
    await page.screenshot(path=screenshot_path("chat-booking-found"))


async def test_booking_with_the_keyboard_only(browser, stack):
    page = await open_chat(browser, stack)
    keyboard = page.keyboard
    await keyboard.press("Tab")  # the skip link comes first
    await keyboard.press("Enter")
    assert await page.evaluate("document.activeElement.id") == "message"

    async def type_and_send(text: str, reply: str) -> None:
        await keyboard.type(text)
        await keyboard.press("Enter")
        await expect(last_bot(page)).to_contain_text(reply)
        assert await page.evaluate("document.activeElement.id") == "message"  # focus stays in the box

    await type_and_send("prepei na vgalw neo diavatirio", "προτίμηση για ΚΕΠ")
    buttons = await page.locator("#quick button").count()
    for _ in range(buttons):  # back from the message box to the first choice
        await keyboard.press("Shift+Tab")
    assert await page.evaluate("document.activeElement.textContent") == "Οποιοδήποτε ΚΕΠ (την πιο κοντινή ώρα)"
    await keyboard.press("Enter")
    await expect(last_bot(page)).to_contain_text("ελεύθερη ώρα")
    await type_and_send("το πρώτο", "Συμφωνείτε")
    await type_and_send("ναι", "Πώς λέγεστε")
    for answer, next_question in IDENTITY:
        await type_and_send(answer, next_question)
    await type_and_send("ναι", "Να έχετε έτοιμα")
    await expect(page.get_by_role("region", name="Το ραντεβού σας")).to_be_visible()


async def test_a_second_tab_of_the_same_chat_catches_up_when_it_comes_back(browser, stack):
    first = await open_chat(browser, stack)
    second = await first.context.new_page()  # the same cookie: the same conversation
    await second.goto(f"{stack.handoff_url}/")
    await say(first, "Η κόρη μου παντρεύτηκε στη Γερμανία και το προξενείο ζητά τη ληξιαρχική πράξη", "προτίμηση για ΚΕΠ")
    await expect(second.locator("#log li.msg")).to_have_count(1)  # it was in the background: as it was
    await second.evaluate("window.dispatchEvent(new Event('focus'))")  # the citizen comes back to it
    await expect(second.locator("#log")).to_contain_text("παντρεύτηκε στη Γερμανία")
    await expect(second.locator("#log li.msg.bot").last).to_contain_text("προτίμηση για ΚΕΠ")
    await expect(second.locator("#quick button").first).to_contain_text("Οποιοδήποτε")
    count = await second.locator("#log li.msg").count()
    await second.evaluate("window.dispatchEvent(new Event('focus'))")  # nothing new: left as it is
    await second.wait_for_timeout(500)
    await expect(second.locator("#log li.msg")).to_have_count(count)


async def test_long_message_is_refused_in_greek_and_kept(browser, stack):
    page = await open_chat(browser, stack)
    box = page.get_by_label("Το μήνυμά σας")
    await box.evaluate("(el) => { el.removeAttribute('maxlength'); el.value = 'α'.repeat(1001); }")
    await page.get_by_role("button", name="Αποστολή").click()
    await expect(page.locator("#status")).to_contain_text("έως 1000 χαρακτήρες")
    assert len(await box.input_value()) == 1001  # nothing lost


@pytest.mark.parametrize("scale_clicks", [0, 7])
async def test_fits_360px_wide_even_with_large_text(browser, stack, scale_clicks):
    page = await open_chat(browser, stack, viewport={"width": 360, "height": 740})
    for _ in range(scale_clicks):
        await page.get_by_role("button", name="Μεγαλύτερα γράμματα").click()
    await say(page, "Πώς υποβάλλω φέτος τη δήλωση εισοδήματος;", "προτίμηση για ΚΕΠ")
    assert await page.evaluate("document.documentElement.scrollWidth") <= 360
    await page.screenshot(path=screenshot_path(f"chat-360px-scale{scale_clicks}"), full_page=True)


async def test_no_serious_accessibility_violations(browser, stack):
    assert AXE.exists(), "axe-core is missing: make test-browser installs it from npm"
    page = await open_chat(browser, stack, bypass_csp=True)  # to inject axe-core, served by the test
    await say(page, "Μου χάθηκε η ταυτότητα, τι κάνω;", "προτίμηση για ΚΕΠ")
    await page.add_script_tag(path=str(AXE))
    result = await page.evaluate("axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']})")
    serious = [v for v in result["violations"] if v["impact"] in ("serious", "critical")]
    assert serious == [], json.dumps([(v["id"], v["help"], [n["target"] for n in v["nodes"]]) for v in serious], ensure_ascii=False)
