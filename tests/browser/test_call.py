"""The handed-off call in Chromium with its fake camera and microphone: the citizen's page and
the clerk's page in two browser contexts connect through the service (aiortc relay, loopback
only), both videos play, and the clerk's audio-only switch shows on the citizen's page."""
from __future__ import annotations

import asyncio

import aiohttp
import pytest
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


PHONE, DESKTOP = {"width": 360, "height": 740}, {"width": 1280, "height": 800}
ELSEWHERE = "Η κλήση συνεχίζεται σε άλλη συσκευή ή καρτέλα"
# Every camera/microphone track a page gets, so a test can tell whether they were released.
TRACK_LEDGER = """
window.__tracks = [];
const getUserMedia = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
navigator.mediaDevices.getUserMedia = async (constraints) => {
  const stream = await getUserMedia(constraints);
  window.__tracks.push(...stream.getTracks());
  return stream;
};
"""


async def live_tracks(page: Page, kind: str) -> int:
    return await page.evaluate(f"window.__tracks.filter(t => t.kind === '{kind}' && t.readyState === 'live').length")


async def no_live(page: Page, *kinds: str) -> bool:
    return all([await live_tracks(page, kind) == 0 for kind in kinds])


async def until(check, timeout: float = 5) -> None:
    """Waits for an async `check()` to be true."""
    for _ in range(int(timeout * 10)):
        if await check():
            return
        await asyncio.sleep(0.1)
    raise AssertionError("timed out")


async def screenshots(page: Page, name: str) -> None:
    """The page as a phone and as a desktop shows it (looked at by the test's author)."""
    for label, size in (("phone", PHONE), ("desktop", DESKTOP)):
        await page.set_viewport_size(size)
        await page.screenshot(path=screenshot_path(f"{name}-{label}"), full_page=True)


async def call_page(browser, viewport: dict) -> Page:
    context = await browser.new_context(locale="el-GR", viewport=viewport)
    await context.add_init_script(TRACK_LEDGER)
    return await context.new_page()


async def picked_up_call(browser, service, question: str, clerk_viewport: dict = DESKTOP):
    """A booking picked up by its clerk, whose call page is open: (booking, clerk page)."""
    booking = await book(service, "identity_documents", question, branch="kep-athina")
    clerk = await signed_in_page(browser, service, "ath-alexiou", viewport=clerk_viewport)
    await clerk.context.add_init_script(TRACK_LEDGER)
    card = clerk.locator(f'li.card[data-reference="{booking["reference"]}"]')
    await card.get_by_role("button", name="Ανάληψη").click()
    await card.get_by_role("link", name="Έναρξη βιντεοκλήσης").click()
    await expect(clerk.locator("#status")).to_contain_text("Αναμονή του πολίτη")
    return booking, clerk


async def citizen_in_call(browser, booking: dict, clerk: Page) -> Page:
    """The citizen's phone opens the join link and starts; the clerk's page sees them connected."""
    citizen = await call_page(browser, PHONE)
    await citizen.goto(booking["join_url"])
    await citizen.get_by_role("button", name="Έναρξη κάμερας και μικροφώνου").click()
    await expect(clerk.locator("#status")).to_contain_text("Συνδεδεμένοι")
    return citizen


async def test_citizen_and_clerk_talk_then_audio_only(browser, service):
    booking, clerk = await picked_up_call(browser, service, "Έχασα την ταυτότητά μου")
    # Beside the video, what the clerk compares the card with (unmasked: the clerk picked it up).
    await expect(clerk.locator("#citizen-name")).to_have_text("Μαρία Παπαδοπούλου")
    await expect(clerk.locator("#citizen-id")).to_have_text("Αστυνομική ταυτότητα ΑΒ123456")  # as the booking stored it

    citizen = await call_page(browser, PHONE)
    await citizen.goto(booking["join_url"])
    await expect(citizen.locator("#status")).to_contain_text("Ο υπάλληλος σας περιμένει")
    await expect(citizen.locator("#countdown")).to_be_visible()  # «Ξεκινά σε …» while waiting
    await citizen.get_by_role("button", name="Έναρξη κάμερας και μικροφώνου").click()

    await video_playing(citizen, "#remote")
    await video_playing(clerk, "#remote")
    await expect(citizen.locator("#status")).to_contain_text("Δείξτε στην κάμερα το έγγραφο ταυτότητας")
    await expect(citizen.locator("#countdown")).to_be_hidden()  # the call has begun, early or not

    # The citizen mutes; the camera stays on until the ID is verified, and the page says why.
    await citizen.get_by_role("button", name="Σίγαση μικροφώνου").click()
    await expect(citizen.get_by_role("button", name="Άνοιγμα μικροφώνου")).to_have_attribute("aria-pressed", "true")
    await expect(clerk.locator("#status")).to_contain_text("Ο πολίτης έχει κλείσει το μικρόφωνό του")
    await citizen.get_by_role("button", name="Κλείσιμο κάμερας").click()
    await expect(citizen.locator("#controls-note")).to_contain_text("Η κάμερα μένει ανοιχτή μέχρι ο υπάλληλος να επιβεβαιώσει")
    assert await live_tracks(citizen, "video") == 1
    await screenshots(citizen, "call-citizen-connected")
    await screenshots(clerk, "call-clerk-connected")

    await expect(clerk.get_by_role("button", name="Συνέχεια μόνο με ήχο")).to_be_disabled()
    await clerk.get_by_role("button", name="Η ταυτότητα ταιριάζει με το ραντεβού").click()
    await expect(citizen.locator("#status")).to_contain_text("Η ταυτότητα επιβεβαιώθηκε")
    await citizen.get_by_role("button", name="Κλείσιμο κάμερας").click()  # now it may
    await expect(citizen.get_by_role("button", name="Άνοιγμα κάμερας")).to_be_visible()
    assert await live_tracks(citizen, "video") == 0  # released, not just hidden
    await expect(clerk.locator("#status")).to_contain_text("Ο πολίτης έκλεισε την κάμερά του")
    await citizen.get_by_role("button", name="Άνοιγμα κάμερας").click()
    await video_advancing(clerk, "#remote")

    await clerk.get_by_role("button", name="Συνέχεια μόνο με ήχο").click()
    await expect(citizen.locator("#audio-only")).to_be_visible()
    await expect(citizen.locator("#status")).to_contain_text("μόνο με ήχο")
    for page in (citizen, clerk):  # audio-only: both cameras are released, the microphones stay
        await until(lambda page=page: no_live(page, "video"))
        assert await live_tracks(page, "audio") == 1
    await clerk.get_by_label("Κείμενο").fill("Δείτε https://www.gov.gr")
    await clerk.get_by_role("button", name="Αποστολή").click()
    await expect(citizen.get_by_role("link", name="https://www.gov.gr")).to_be_visible()
    await screenshots(clerk, "call-clerk-audio-only")
    await screenshots(citizen, "call-citizen-audio-only")

    await clerk.get_by_role("link", name="Πίσω στη λίστα").click()  # leaving the page asks first
    await until(lambda: asyncio.sleep(0, "beforeunload" in clerk.dialog_types))
    assert clerk.url.endswith(f"/clerk/call/{booking['reference']}")

    await clerk.get_by_role("button", name="Τερματισμός κλήσης").click()  # asks; dismissed: nothing happens
    assert clerk.dialogs[-1].startswith("Να τερματιστεί η κλήση με αποτέλεσμα «Επιλύθηκε»")
    await expect(citizen.locator("#status")).not_to_contain_text("τελείωσε")
    clerk.accept_dialogs = True
    await clerk.get_by_role("button", name="Τερματισμός κλήσης").click()
    await expect(citizen.locator("#ended")).to_contain_text("Η κλήση τελείωσε")
    await until(lambda: no_live(citizen, "audio"))  # the microphone is released too


async def test_a_rejected_id_tells_the_citizen_why_and_what_to_do(browser, service):
    booking, clerk = await picked_up_call(browser, service, "Θέλω να βγάλω διαβατήριο", clerk_viewport=PHONE)
    citizen = await call_page(browser, DESKTOP)
    await citizen.goto(booking["join_url"])
    await citizen.get_by_role("button", name="Έναρξη κάμερας και μικροφώνου").click()
    await expect(clerk.locator("#status")).to_contain_text("Συνδεδεμένοι")

    reason = "Το όνομα στην κάρτα είναι άλλο από το όνομα του ραντεβού."
    await clerk.get_by_label("Δεν ταιριάζει — λόγος").fill(reason)
    await clerk.get_by_role("button", name="Απόρριψη και τερματισμός").click()
    assert "Να απορριφθεί η ταυτότητα;" in clerk.dialogs[-1]
    await expect(citizen.locator("#status")).not_to_contain_text("τελείωσε")  # dismissed: the call goes on
    clerk.accept_dialogs = True
    await clerk.get_by_role("button", name="Απόρριψη και τερματισμός").click()

    ended = citizen.locator("#ended")
    await expect(ended.get_by_role("heading")).to_have_text("Η ταυτότητά σας δεν επιβεβαιώθηκε")
    await expect(ended).to_contain_text(reason)
    await expect(ended.get_by_role("link", name="Κλείστε νέο ραντεβού από τη συνομιλία")).to_have_attribute("href", "/")
    await expect(clerk.locator("#ended")).to_contain_text("το ραντεβού έκλεισε ως «Η ταυτότητα δεν επιβεβαιώθηκε»")
    await expect(clerk.locator("#error")).to_be_empty()
    for page in (citizen, clerk):
        await until(lambda page=page: no_live(page, "audio", "video"))
    await screenshots(citizen, "call-citizen-id-rejected")
    await screenshots(clerk, "call-clerk-id-rejected")
    async with aiohttp.ClientSession() as http:  # the appointment is finished with that outcome
        async with http.get(f"{service}/api/calls/{booking['join_url'].rsplit('/', 1)[1]}/state") as resp:
            assert (await resp.json())["ended_because"] == "id_rejected"


async def test_a_citizen_who_leaves_can_come_back(browser, service):
    booking, clerk = await picked_up_call(browser, service, "Χρειάζομαι πιστοποιητικό")
    citizen = await citizen_in_call(browser, booking, clerk)
    await citizen.get_by_role("button", name="Αποχώρηση").click()
    await expect(citizen.get_by_role("heading", name="Αποχωρήσατε από την κλήση")).to_be_visible()
    assert await no_live(citizen, "audio", "video")
    await expect(clerk.locator("#status")).to_contain_text("Ο πολίτης αποχώρησε από την κλήση")
    await citizen.get_by_role("button", name="Επιστροφή στην κλήση").click()
    await expect(clerk.locator("#status")).to_contain_text("Συνδεδεμένοι")
    await video_advancing(clerk, "#remote")


@pytest.mark.parametrize("where", ["tab", "device"])
async def test_the_link_opened_again_takes_the_call_and_the_first_page_lets_it_go_until_taken_back(
        browser, service, where):
    """The same join link in a second tab of one browser, or on another device (a browser of its
    own: no shared tabs, no storage): the newest page holds the call; the first one does not take
    it back by itself, only with one deliberate press."""
    booking, clerk = await picked_up_call(browser, service, "Μπορώ να εκδώσω κάρτα αναπηρίας για τον πατέρα μου;")
    first = await citizen_in_call(browser, booking, clerk)

    second = await first.context.new_page() if where == "tab" else await call_page(browser, PHONE)
    await second.goto(booking["join_url"])
    await expect(second.locator("#status")).to_contain_text("Η κλήση έχει ήδη ξεκινήσει. Πατήστε «Έναρξη")
    await second.get_by_role("button", name="Έναρξη κάμερας και μικροφώνου").click()
    await expect(first.get_by_role("heading", name=ELSEWHERE)).to_be_visible()
    await until(lambda: no_live(first, "audio", "video"))
    await video_advancing(second, "#remote")
    await video_advancing(clerk, "#remote")
    await first.wait_for_timeout(10000)  # ~10 s: the first page does not take the call back by itself
    await expect(first.locator("#status")).to_have_text(f"{ELSEWHERE}.")
    await expect(second.locator("#elsewhere")).to_be_hidden()
    await expect(second.locator("#status")).to_contain_text("Δείξτε στην κάμερα το έγγραφο ταυτότητας")
    await video_advancing(second, "#remote")
    await video_advancing(clerk, "#remote")
    await screenshots(first, f"call-citizen-other-{where}")

    await first.get_by_role("button", name="Συνέχεια της κλήσης εδώ").click()  # one deliberate press
    await expect(second.get_by_role("heading", name=ELSEWHERE)).to_be_visible()
    await until(lambda: no_live(second, "audio", "video"))
    await video_advancing(first, "#remote")
    await video_advancing(clerk, "#remote")
    await expect(first.locator("#elsewhere")).to_be_hidden()


async def test_the_clerks_call_opened_on_a_second_device_moves_there(browser, service):
    booking, desk = await picked_up_call(browser, service, "Χρειάζομαι βεβαίωση μόνιμης κατοικίας για το σχολείο")
    await citizen_in_call(browser, booking, desk)
    tablet = await signed_in_page(browser, service, "ath-alexiou", viewport=PHONE)  # the clerk's other device
    await tablet.goto(desk.url)
    await expect(tablet.locator("#status")).to_contain_text("Συνδεδεμένοι")
    await expect(desk.get_by_role("heading", name=ELSEWHERE)).to_be_visible()
    await desk.wait_for_timeout(5000)
    await expect(desk.locator("#status")).to_have_text(f"{ELSEWHERE}.")
    await video_advancing(tablet, "#remote")
    await desk.get_by_role("button", name="Συνέχεια της κλήσης εδώ").click()
    await expect(tablet.get_by_role("heading", name=ELSEWHERE)).to_be_visible()
    await video_advancing(desk, "#remote")


async def test_a_call_both_sides_left_for_a_while_goes_on_when_they_come_back(browser, service, clock):
    from datetime import UTC, datetime, timedelta

    booking, clerk = await picked_up_call(browser, service, "Θέλω να ρωτήσω για την ανανέωση της ταυτότητας")
    citizen = await citizen_in_call(browser, booking, clerk)
    await citizen.get_by_role("button", name="Αποχώρηση").click()  # the page stays open
    console = await clerk.context.new_page()
    await clerk.close()  # the clerk closes the call page, early, before the appointment's time
    state = f"{service}/api/calls/{booking['join_url'].rsplit('/', 1)[1]}/state"

    async def nobody_connected() -> bool:
        async with aiohttp.ClientSession() as http, http.get(state) as resp:
            s = await resp.json()
        return not (s["citizen_connected"] or s["clerk_connected"])

    await until(nobody_connected, timeout=60)  # the service has seen both go
    clock.now = datetime.now(UTC) + timedelta(minutes=3)  # nobody connected for longer than the idle time
    await citizen.wait_for_timeout(32000)  # the service's sweep (every 30 s) has closed the call's media
    await expect(citizen.locator("#ended")).to_be_hidden()  # not ended: nobody is locked out

    await console.goto(f"{service}/clerk")
    card = console.locator(f'li.card[data-reference="{booking["reference"]}"]')
    await expect(card).to_contain_text("Σε εξέλιξη")
    await card.get_by_role("link", name="Έναρξη βιντεοκλήσης").click()  # reopens the same call
    await expect(console.locator("#status")).to_contain_text("Ο πολίτης αποχώρησε")
    await citizen.get_by_role("button", name="Επιστροφή στην κλήση").click()
    await expect(console.locator("#status")).to_contain_text("Συνδεδεμένοι")
    await video_advancing(console, "#remote")
    await video_advancing(citizen, "#remote")
    await expect(citizen.locator("#status")).to_contain_text("Δείξτε στην κάμερα το έγγραφο ταυτότητας")


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

    clerk.accept_dialogs = True  # "leave this page?" — yes
    for _ in range(2):
        await clerk.reload()  # the clerk's page reloads twice
        await video_advancing(citizen, "#remote")
        await video_advancing(clerk, "#remote")
    await expect(clerk.get_by_role("button", name="Η ταυτότητα ταιριάζει με το ραντεβού")).to_be_enabled()
    await expect(citizen.locator("#status")).to_contain_text("Δείξτε στην κάμερα το έγγραφο ταυτότητας")


async def test_the_first_clerks_page_lets_go_when_the_supervisor_gives_the_call_to_another(browser, service):
    """The supervisor handed the live call over (the first clerk had to leave): the first
    clerk's call page says so, releases camera and microphone and offers no action it would
    be refused."""
    booking, clerk = await picked_up_call(browser, service, "Θέλω να βγάλω διαβατήριο για το παιδί μου")
    await citizen_in_call(browser, booking, clerk)
    supervisor = await signed_in_page(browser, service, "sup-athina")
    handed = await supervisor.evaluate(
        f"api('/api/clerk/bookings/{booking['reference']}/take-over', {{method: 'POST', body: {{clerk: 'ath-papadopoulou'}}}})")
    assert handed["status"] == 200, handed
    await expect(clerk.locator("#gone")).to_be_visible()
    await expect(clerk.locator("#status")).to_have_text("Ο προϊστάμενος έδωσε αυτή την κλήση σε άλλον υπάλληλο.")
    await expect(clerk.get_by_role("button", name="Τερματισμός κλήσης")).to_be_hidden()
    await expect(clerk.get_by_role("button", name="Η ταυτότητα ταιριάζει με το ραντεβού")).to_be_hidden()
    await until(lambda: no_live(clerk, "audio", "video"))
    await screenshots(clerk, "call-clerk-handed-over")
