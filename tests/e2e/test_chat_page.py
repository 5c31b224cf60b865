"""The citizen's chat page in Chromium, against the whole stack: a booking with the mouse,
one with the keyboard only, the history surviving a reload, the 360 px layout, and axe-core."""
from __future__ import annotations

import json

import pytest
from playwright.async_api import Page, expect

from tests.browser.chromium import AXE, screenshot_path

# (answer, what the bot asks next)
IDENTITY = [("Μαρία Παπαδοπούλου", "αστυνομικής σας ταυτότητας"), ("ΑΒ 123456", "ΑΦΜ σας"),
            ("090000045", "Σε ποιο κινητό"), ("6912345678", "Έχετε email"), ("maria@example.gr", "Συμφωνείτε")]


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
    await say(page, "Έχασα την ταυτότητά μου", "προτίμηση για ΚΕΠ")
    await page.locator("#quick button").first.click()  # Οποιοδήποτε ΚΕΠ
    await expect(last_bot(page)).to_contain_text("ελεύθερη ώρα")
    await page.screenshot(path=screenshot_path("chat-slots"), full_page=True)
    await page.locator("#quick button").first.click()  # the first free time
    await expect(last_bot(page)).to_contain_text("Πώς λέγεστε")
    for answer, next_question in IDENTITY:
        await say(page, answer, next_question)
    await page.get_by_role("button", name="Ναι, συμφωνώ").click()
    await expect(last_bot(page)).to_contain_text("Ελέγξτε τα στοιχεία σας")
    await page.get_by_role("button", name="Ναι, κλείστε το ραντεβού").click()
    card = page.get_by_role("region", name="Το ραντεβού σας")
    await expect(card).to_contain_text("KEP-")
    reference = (await card.locator("dd").nth(2).text_content()).strip()
    assert await card.get_by_role("link", name="Προσθήκη στο ημερολόγιο (.ics)").get_attribute("download") == f"{reference}.ics"
    assert "/call/" in await card.get_by_role("link", name="Σύνδεσμος βιντεοκλήσης").get_attribute("href")
    await page.screenshot(path=screenshot_path("chat-booked"), full_page=True)

    await page.reload()
    await expect(page.get_by_role("region", name="Το ραντεβού σας")).to_contain_text(reference)
    await expect(page.locator("#log")).to_contain_text("Έχασα την ταυτότητά μου")
    await expect(page.locator("#log")).to_contain_text("Οποιοδήποτε ΚΕΠ")  # a click reads as its words

    await page.get_by_role("button", name="Νέα συζήτηση").click()
    await expect(page.locator("#log li")).to_have_count(1)
    await page.reload()
    await expect(page.locator("#log li")).to_have_count(1)


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

    await type_and_send("thelo na vgalo diavatirio", "προτίμηση για ΚΕΠ")
    buttons = await page.locator("#quick button").count()
    for _ in range(buttons):  # back from the message box to the first choice
        await keyboard.press("Shift+Tab")
    assert await page.evaluate("document.activeElement.textContent") == "Οποιοδήποτε ΚΕΠ (την πιο κοντινή ώρα)"
    await keyboard.press("Enter")
    await expect(last_bot(page)).to_contain_text("ελεύθερη ώρα")
    await type_and_send("το πρώτο", "Πώς λέγεστε")
    for answer, next_question in IDENTITY:
        await type_and_send(answer, next_question)
    await type_and_send("ναι", "Ελέγξτε τα στοιχεία σας")
    await type_and_send("ναι", "Να έχετε έτοιμα")
    await expect(page.get_by_role("region", name="Το ραντεβού σας")).to_be_visible()


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
    await say(page, "Θέλω να κάνω φορολογική δήλωση", "προτίμηση για ΚΕΠ")
    assert await page.evaluate("document.documentElement.scrollWidth") <= 360
    await page.screenshot(path=screenshot_path(f"chat-360px-scale{scale_clicks}"), full_page=True)


async def test_no_serious_accessibility_violations(browser, stack):
    assert AXE.exists(), "axe-core is missing: make test-browser installs it from npm"
    page = await open_chat(browser, stack, bypass_csp=True)  # to inject axe-core, served by the test
    await say(page, "Έχασα την ταυτότητά μου", "προτίμηση για ΚΕΠ")
    await page.add_script_tag(path=str(AXE))
    result = await page.evaluate("axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']})")
    serious = [v for v in result["violations"] if v["impact"] in ("serious", "critical")]
    assert serious == [], json.dumps([(v["id"], v["help"], [n["target"] for n in v["nodes"]]) for v in serious], ensure_ascii=False)
