"""Notifications delivered with real parts: a real SMTP server (aiosmtpd) receives the
e-mails, a local HTTP endpoint the SMS calls, Redis holds the outbox; the worker runs as in
production (in this process, or as `python -m handoff notify` where it must be killed)."""
from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import replace
from datetime import datetime, timedelta
from email.parser import BytesHeaderParser

import pytest
from icalendar import Calendar

from handoff.api.keys import APPOINTMENTS, CONSOLE
from handoff.app import create_app
from handoff.channels import ChannelName, OutboxFolder, configured_channels, sms_segments, sms_units
from handoff.config import ATHENS, PROJECT_ROOT
from handoff.notification_texts import SMS_LIMIT, NoticeFacts, long_time, render_sms, short_time
from handoff.notifications import SCHEDULED, NotificationKind, Schedule
from handoff.notify_worker import NotificationWorker, sent_key
from handoff.outbox import FAILED, Outbox

from .helpers import add_accounts, book, citizen, first_free_slot, sign_in

Kind = NotificationKind
LATER = "2030-02-07T10:00:00+02:00"  # a Thursday: both reminders still to come


@pytest.fixture(autouse=True)
async def accounts(redis):
    await add_accounts(redis)


@contextlib.asynccontextmanager
async def worker(redis, settings, clock, **options):
    stop = asyncio.Event()
    running = NotificationWorker(redis, settings, clock, **options)
    task = asyncio.create_task(running.run(stop))
    try:
        yield running
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)


async def until(condition, timeout: float = 10, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not met within {timeout} s")
        await asyncio.sleep(0.05)


async def eventually(read, expected, timeout: float = 10):
    """Wait until an awaitable read (e.g. a Redis count) gives `expected`."""
    deadline = time.monotonic() + timeout
    while (value := await read()) != expected:
        if time.monotonic() > deadline:
            raise AssertionError(f"still {value!r}, not {expected!r}, after {timeout} s")
        await asyncio.sleep(0.05)


def plain(email) -> str:
    return email.get_body(("plain",)).get_content()


def html(email) -> str:
    return email.get_body(("html",)).get_content()


def test_greek_times_on_the_athens_clock():
    moment = datetime(2030, 2, 7, 8, 10, tzinfo=ATHENS)
    assert long_time(moment) == "Πέμπτη 7 Φεβρουαρίου, 08:10"
    assert short_time(moment) == "Πεμ 7/2 08:10"
    summer = datetime.fromisoformat("2030-07-01T05:30:00+00:00")  # UTC in, Athens (UTC+3) out
    assert (long_time(summer), short_time(summer)) == ("Δευτέρα 1 Ιουλίου, 08:30", "Δευ 1/7 08:30")


async def test_booking_confirmation_by_email_and_sms(client, redis, notify_settings, running_clock, mail_sink, sms_gateway):
    async with worker(redis, notify_settings, running_clock):
        booking = await book(client, after=LATER)
        await mail_sink.wait_for(1)
        await until(lambda: len(sms_gateway.calls) == 1, what="the SMS")
    start = datetime.fromisoformat(booking["start"])
    [email] = mail_sink.messages
    assert email["To"] == "maria@example.gr" and email["From"] == "ΚΕΠ <no-reply@kep.test>"
    assert email["Subject"] == f"Το ραντεβού σας με το ΚΕΠ: {long_time(start)}"
    text = plain(email)
    for fact in (f"Πότε: {long_time(start)} (ώρα Ελλάδας)", "ΚΕΠ Δήμου", "Φορολογικά θέματα", booking["reference"],
                 f"Κωδικός διαχείρισης: {booking['manage_token']}", booking["join_url"], "έγγραφο ταυτότητας που δηλώσατε",
                 f"έως {long_time(start - timedelta(hours=8))}", "http://kep.test/appointment", "«ακύρωση ραντεβού»",
                 "Θα σας θυμίσουμε το ραντεβού με SMS και email μία ημέρα και δύο ώρες πριν."):
        assert fact in text, fact
    assert f'href="{booking["join_url"]}"' in html(email) and booking["manage_token"] in html(email)
    [attachment] = list(email.iter_attachments())
    assert attachment.get_filename() == f"{booking['reference']}.ics"
    event = Calendar.from_ical(attachment.get_content()).walk("VEVENT")[0]
    assert event.decoded("dtstart") == start and str(event["status"]) == "CONFIRMED"

    [sms] = sms_gateway.calls
    assert sms["to"] == "+306912345678" and sms["from"] == "KEP"
    assert booking["reference"] in sms["text"] and short_time(start) in sms["text"]
    assert sms_units(sms["text"])[0] <= SMS_LIMIT
    assert sms_gateway.headers[0]["Authorization"] == "Bearer test-sms-key"
    assert sms_gateway.headers[0]["Idempotency-Key"] == sms["reference"] and sms["reference"] in email["Message-ID"]
    short_link = sms["text"].rsplit(" ", 1)[1]
    assert short_link.startswith("http://kep.test/k/")
    resp = await client.get(short_link.removeprefix("http://kep.test"), allow_redirects=False)
    assert resp.status == 302 and resp.headers["Location"] == booking["join_url"]
    other = "3" if short_link.endswith("2") else "2"  # (ending in "2" already, "+ 2" changed nothing: 1 run in 30)
    tampered = await client.get(short_link.removeprefix("http://kep.test")[:-1] + other, allow_redirects=False)
    assert tampered.status == 403 and "δεν είναι έγκυρος" in await tampered.text()
    assert await Outbox(redis).counts() == {"queued": 0, "scheduled": 2, "failed": 0}


async def test_every_change_and_both_reminders_reach_the_citizen(
    aiohttp_client, client, redis, clock, notify_settings, running_clock, mail_sink, sms_gateway
):
    supervisor, csrf = await sign_in(aiohttp_client, client, "supervisor")

    async def expect(count_before: int, subject_start: str, *facts: str) -> tuple[str, str]:
        await mail_sink.wait_for(count_before + 1)
        await until(lambda: len(sms_gateway.calls) >= count_before + 1, what="the SMS")
        email, sms = mail_sink.messages[count_before], sms_gateway.calls[count_before]
        assert email["Subject"].startswith(subject_start), email["Subject"]
        for fact in facts:
            assert fact in plain(email), fact
        assert sms_units(sms["text"])[0] <= SMS_LIMIT, sms["text"]
        return plain(email), sms["text"]

    async with worker(redis, notify_settings, running_clock):
        booking = await book(client, "identity_documents", after=LATER)
        ref, code = booking["reference"], booking["manage_token"]
        await expect(0, "Το ραντεβού σας με το ΚΕΠ")

        later = await first_free_slot(client, "identity_documents", after="2030-02-12T09:00:00+02:00", branch="kep-athina")
        resp = await client.post(f"/api/bookings/{ref}/reschedule", json={"slot_id": later["slot_id"]},
                                 headers={"X-Manage-Token": code})
        assert resp.status == 200
        new, old = datetime.fromisoformat(later["start"]), datetime.fromisoformat(booking["start"])
        text, sms = await expect(1, "Νέα ώρα για το ραντεβού σας", f"Νέα ώρα: {long_time(new)} (αντί για {long_time(old)})")
        assert sms.startswith(f"Νέα ώρα για το {ref}: {short_time(new)}")

        clock.now = new - timedelta(days=1)  # the worker's clock runs from here
        text, sms = await expect(2, "Υπενθύμιση: βιντεοκλήση με το ΚΕΠ αύριο", f"αύριο στις {new:%H:%M}", booking["join_url"][:40])
        assert sms.startswith(f"Υπενθύμιση: βιντεοκλήση αύριο {new:%H:%M}")
        clock.now = new - timedelta(hours=2)
        text, sms = await expect(3, "Υπενθύμιση: βιντεοκλήση με το ΚΕΠ σήμερα", "Για αλλαγή ή ακύρωση τηλεφωνήστε στο 1500")

        resp = await supervisor.post(f"/api/clerk/bookings/{ref}/cancel", headers={"X-CSRF-Token": csrf},
                                     json={"reason": "Ο υπάλληλος απουσιάζει λόγω ασθένειας."})
        assert resp.status == 200
        await expect(4, "Το ΚΕΠ ακύρωσε το ραντεβού σας", "Ο λόγος: Ο υπάλληλος απουσιάζει λόγω ασθένειας.",
                     "Για νέο ραντεβού γράψτε μας στη συνομιλία http://kep.test/")
        ics = Calendar.from_ical(list(mail_sink.messages[4].iter_attachments())[0].get_content())
        assert str(ics["method"]) == "CANCEL" and str(ics.walk("VEVENT")[0]["status"]) == "CANCELLED"

        clock.now = datetime.fromisoformat("2030-02-04T07:00:00+02:00")
        second = await book(client, "identity_documents", after=LATER)
        await expect(5, "Το ραντεβού σας με το ΚΕΠ")
        elsewhere = await first_free_slot(client, "identity_documents", after="2030-02-08T11:00:00+02:00", branch="kep-athina")
        resp = await supervisor.post(f"/api/clerk/bookings/{second['reference']}/move", headers={"X-CSRF-Token": csrf},
                                     json={"slot_id": elsewhere["slot_id"], "reason": "Το ΚΕΠ κλείνει νωρίτερα εκείνη την ημέρα."})
        assert resp.status == 200
        await expect(6, "Το ΚΕΠ άλλαξε την ώρα του ραντεβού σας", "Ο λόγος: Το ΚΕΠ κλείνει νωρίτερα",
                     f"Νέα ώρα: {long_time(datetime.fromisoformat(elsewhere['start']))}")
        resp = await client.post(f"/api/bookings/{second['reference']}/cancel", headers={"X-Manage-Token": second["manage_token"]})
        assert resp.status == 200
        await expect(7, "Ακυρώθηκε το ραντεβού σας", "ακυρώσατε το ραντεβού σας")

        third = await book(client, "identity_documents", after=LATER)
        await expect(8, "Το ραντεβού σας με το ΚΕΠ")
        clock.now = datetime.fromisoformat(third["start"]) + timedelta(minutes=20)
        assert await client.server.app[CONSOLE].mark_no_shows() == [third["reference"]]
        text, sms = await expect(9, "Χάσατε το ραντεβού σας", "δεν συνδεθήκατε", "Για νέο ραντεβού")
        assert "Νέο ραντεβού: http://kep.test/" in sms
        await asyncio.sleep(1.5)  # the third booking's reminders were past: nothing more comes
    assert len(mail_sink.messages) == len(sms_gateway.calls) == 10
    assert len(set(mail_sink.message_ids())) == 10


async def test_without_an_email_only_the_sms_goes(client, redis, notify_settings, running_clock, mail_sink, sms_gateway):
    async with worker(redis, notify_settings, running_clock):
        await book(client, after=LATER, citizen=citizen(email=""))
        await until(lambda: len(sms_gateway.calls) == 1, what="the SMS")
        await asyncio.sleep(0.5)
    assert mail_sink.messages == []


@pytest.mark.parametrize("kind", list(NotificationKind))
def test_every_sms_fits_two_segments_with_long_names(kind):
    start = datetime(2030, 2, 7, 10, 10, tzinfo=ATHENS)
    facts = NoticeFacts(
        kind=kind, reference="KEP-7K3F9Q", start=start, previous_start=start - timedelta(days=3),
        branch_name="ΚΕΠ Δήμου Φιλαδελφείας-Χαλκηδόνος", branch_phone="2132150000", topic_label="Ακίνητα",
        join_url="https://kep-connect.example.gr/call/x", short_join_url="https://kep-connect.example.gr/k/7K3F9QAB23CD",
        chat_url="https://kep-connect.example.gr/", appointment_url="https://kep-connect.example.gr/appointment",
        manage_code="7K3F9QAB23", change_deadline=start - timedelta(hours=8),
        can_still_change=True, reason="Απουσία υπαλλήλου", reminders=(), channels_named="με SMS",
    )
    text = render_sms(facts, "+306912345678").text
    assert sms_units(text)[0] <= SMS_LIMIT and sms_segments(text) <= 2, (len(text), text)
    assert "KEP-7K3F9Q" in text or "kep-connect.example.gr/" in text
    assert "  " not in text and text == text.strip()


def test_sms_segments_count_greek_as_ucs2():
    assert sms_segments("a" * 160) == 1 and sms_segments("a" * 161) == 2  # GSM-7
    assert sms_segments("α" * 70) == 1 and sms_segments("α" * 71) == 2 and sms_segments("α" * 134) == 2
    assert sms_segments("α" * 135) == 3


async def test_smtp_down_for_a_while_then_delivered(client, redis, notify_settings, running_clock, mail_sink, sms_gateway):
    mail_sink.stop()
    async with worker(redis, notify_settings, running_clock):
        booking = await book(client, after=LATER)
        await until(lambda: len(sms_gateway.calls) == 1, what="the SMS")
        await asyncio.sleep(1.0)  # the e-mail failed, and waits for its retry (the server is still down)
        assert any(m.startswith("retry|") for m in await redis.zrange(SCHEDULED, 0, -1))
        mail_sink.start()
        await mail_sink.wait_for(1, timeout=15)
        await asyncio.sleep(0.5)
    assert booking["reference"] in mail_sink.messages[0]["Subject"] or booking["reference"] in plain(mail_sink.messages[0])
    assert len(sms_gateway.calls) == 1  # the retries did not send the SMS again
    assert await Outbox(redis).counts() == {"queued": 0, "scheduled": 2, "failed": 0}


async def test_two_workers_deliver_each_message_once(client, redis, notify_settings, running_clock, mail_sink, sms_gateway):
    references = [(await book(client, after=LATER))["reference"] for _ in range(30)]
    async with worker(redis, notify_settings, running_clock, name="one"), \
            worker(redis, notify_settings, running_clock, name="two"):
        await mail_sink.wait_for(30, timeout=20)
        await until(lambda: len(sms_gateway.calls) == 30, what="30 SMS")
        await asyncio.sleep(0.5)
    assert len(mail_sink.messages) == 30 and len(set(mail_sink.message_ids())) == 30
    assert sorted(c["text"].split("κωδ. ")[1][:10] for c in sms_gateway.calls) == sorted(references)
    assert await Outbox(redis).counts() == {"queued": 0, "scheduled": 60, "failed": 0}
    consumers = {c["name"]: c["pending"] for c in await redis.xinfo_consumers("kep:notifications", "notify")}
    assert consumers == {"one": 0, "two": 0}


async def test_sent_before_a_crash_is_not_sent_again_by_the_next_worker(
    client, redis, notify_settings, running_clock, mail_sink, sms_gateway
):
    """A worker read an entry, delivered it on both channels, and died before acknowledging:
    the next one takes the entry over and settles it without sending anything twice."""
    booking = await book(client, after=LATER)
    outbox = Outbox(redis)
    await outbox.ensure_group()
    [entry] = await outbox.read("crashed", 1, 100)
    crashed = NotificationWorker(redis, notify_settings, running_clock, name="crashed")
    channels = configured_channels(notify_settings)
    assert await crashed.deliver(entry.notification, channels) == {}
    for channel in channels.values():
        await channel.close()
    assert (len(mail_sink.messages), len(sms_gateway.calls)) == (1, 1)
    async with worker(redis, notify_settings, running_clock, name="next"):
        await eventually(lambda: redis.xlen("kep:notifications"), 0)
    assert (len(mail_sink.messages), len(sms_gateway.calls)) == (1, 1)
    assert booking["reference"] in plain(mail_sink.messages[0])


def _worker_process(settings, lanes: int = 1) -> subprocess.Popen:
    env = {
        **os.environ, "REDIS_URL": settings.redis_url, "HANDOFF_SECRET_KEY": settings.secret_key,
        "HANDOFF_PUBLIC_URL": settings.public_url, "HANDOFF_SMTP_HOST": settings.smtp_host,
        "HANDOFF_SMTP_PORT": str(settings.smtp_port), "HANDOFF_SMTP_FROM": settings.smtp_from,
        "HANDOFF_SMS_URL": settings.sms_url, "HANDOFF_SMS_KEY": settings.sms_key,
        "HANDOFF_NOTIFY_LANES": str(lanes), "HANDOFF_NOTIFY_CLAIM_IDLE_SECONDS": "1", "PYTHONPATH": str(PROJECT_ROOT),
    }
    return subprocess.Popen([sys.executable, "-m", "handoff", "notify"], cwd=PROJECT_ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


@pytest.mark.slow
async def test_worker_killed_while_sending_an_email(
    client, redis, redis_server, notify_settings, running_clock, mail_sink, sms_gateway
):
    """SIGKILL while the SMTP server takes the 4th e-mail (it keeps it; the worker never hears
    back). Another worker takes over: nothing is lost, the e-mail in flight goes again with
    the same Message-ID (one message in the mailbox), nothing else goes twice."""
    references = [(await book(client, after=LATER))["reference"] for _ in range(8)]
    settings = replace(notify_settings, redis_url=redis_server.url)
    process = _worker_process(settings)
    killed: list[str] = []

    def kill_on_fourth(raw: bytes) -> None:
        if len(mail_sink.raw) == 4 and not killed:
            killed.append(BytesHeaderParser().parsebytes(raw)["Message-ID"])
            os.kill(process.pid, signal.SIGKILL)

    mail_sink.on_message = kill_on_fourth
    try:
        await until(lambda: process.poll() is not None, timeout=30, what="the kill")
        assert process.returncode == -signal.SIGKILL
        assert (await redis.xpending("kep:notifications", "notify"))["pending"] >= 1
        async with worker(redis, notify_settings, running_clock, name="successor"):
            await mail_sink.wait_for(9, timeout=20)
            await until(lambda: len(sms_gateway.calls) >= 8, what="8 SMS")
            await asyncio.sleep(0.5)
    finally:
        if process.poll() is None:
            process.kill()
    ids = Counter(mail_sink.message_ids())
    assert ids[killed[0]] == 2 and all(n == 1 for mid, n in ids.items() if mid != killed[0])
    assert len(mail_sink.mailbox()) == 8
    assert sorted(c["text"].split("κωδ. ")[1][:10] for c in sms_gateway.calls) == sorted(references)
    assert await Outbox(redis).counts() == {"queued": 0, "scheduled": 16, "failed": 0}


@pytest.mark.slow
async def test_worker_killed_while_sending_an_sms_does_not_guess(
    aiohttp_client, client, redis, redis_server, notify_settings, running_clock, mail_sink, sms_gateway
):
    """SIGKILL while the gateway takes the 3rd SMS: the gateway may have sent it and does not
    promise to recognise a resend, so it is not sent twice; it shows among the failed
    messages, for a person to check. Everything else arrives once."""
    references = [(await book(client, after=LATER))["reference"] for _ in range(5)]
    settings = replace(notify_settings, redis_url=redis_server.url)
    process = _worker_process(settings)

    async def kill_on_third() -> None:
        if len(sms_gateway.calls) == 3 and process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)

    sms_gateway.on_call = kill_on_third
    try:
        await until(lambda: process.poll() is not None, timeout=30, what="the kill")
        async with worker(redis, notify_settings, running_clock, name="successor"):
            await mail_sink.wait_for(5, timeout=20)
            await eventually(lambda: redis.xlen("kep:notifications"), 0)
    finally:
        if process.poll() is None:
            process.kill()
    texts = [c["text"] for c in sms_gateway.calls]
    assert len(texts) == len(set(texts)) == 5  # never twice
    assert len(mail_sink.mailbox()) == 5
    [failed] = [json.loads(v) for v in (await redis.hvals(FAILED))]
    assert failed["reference"] == references[2] and "may have arrived" in failed["errors"]["sms"]
    assert await redis.get(sent_key(failed["id"], ChannelName.EMAIL)) == "sent"


async def test_failed_for_good_is_visible_and_can_be_sent_again(
    aiohttp_client, client, redis, notify_settings, running_clock, mail_sink, sms_gateway
):
    settings = replace(notify_settings, notify_max_attempts=3, notify_retry_seconds=0.1)
    sms_gateway.status = 503
    async with worker(redis, settings, running_clock):
        booking = await book(client, "identity_documents", after=LATER)
        await mail_sink.wait_for(1)
        await eventually(lambda: redis.hlen(FAILED), 1)
        health = await (await client.get("/healthz")).json()
        assert health["notifications"] == {"queued": 0, "scheduled": 2, "failed": 1}

        clerk, csrf_c = await sign_in(aiohttp_client, client, "ath-alexiou")
        assert (await clerk.get("/api/clerk/notifications/failed")).status == 403
        supervisor, csrf = await sign_in(aiohttp_client, client, "supervisor")
        [item] = await (await supervisor.get("/api/clerk/notifications/failed")).json()
        assert (item["kind"], item["reference"], item["attempts"]) == ("booked", booking["reference"], 3)
        assert "503" in item["errors"]["sms"] and "email" not in item["errors"]
        assert booking["manage_token"] not in json.dumps(item)

        sms_gateway.status = 200
        again = await supervisor.post(f"/api/clerk/notifications/failed/{item['id']}/send-again", headers={"X-CSRF-Token": csrf})
        assert again.status == 200
        await until(lambda: len(sms_gateway.calls) == 1, what="the SMS sent again")
        missing = await supervisor.post(f"/api/clerk/notifications/failed/{item['id']}/send-again", headers={"X-CSRF-Token": csrf})
        assert missing.status == 404
        await asyncio.sleep(0.3)
    assert len(mail_sink.messages) == 1  # the e-mail had gone the first time: not again
    assert (await (await client.get("/healthz")).json())["notifications"]["failed"] == 0


async def test_a_refused_address_fails_at_once(client, redis, notify_settings, running_clock, mail_sink, sms_gateway):
    sms_gateway.status = 422  # the gateway says this number can never receive
    async with worker(redis, notify_settings, running_clock):
        await book(client, after=LATER)
        await eventually(lambda: redis.hlen(FAILED), 1)
    [failed] = [json.loads(v) for v in await redis.hvals(FAILED)]
    assert failed["attempts"] == 1 and "422" in failed["errors"]["sms"]


async def test_a_reminder_already_released_for_a_cancelled_booking_is_dropped(
    client, redis, clock, notify_settings, running_clock, mail_sink, sms_gateway
):
    booking = await book(client, after=LATER)
    start = datetime.fromisoformat(booking["start"])
    clock.now = start - timedelta(hours=2)
    assert await Schedule(redis).release_due(clock.now) == 2  # both reminders are in the stream, unsent …
    appointments = client.server.app[APPOINTMENTS]
    await appointments.cancel_by_service(await appointments.find(booking["reference"], None, trusted=True),
                                         "supervisor", "Απουσία υπαλλήλου")  # … when the service cancels
    async with worker(redis, notify_settings, running_clock, lanes=1):
        await mail_sink.wait_for(2)
        await eventually(lambda: redis.xlen("kep:notifications"), 0)
    subjects = [m["Subject"] for m in mail_sink.messages]
    assert subjects == [f"Το ραντεβού σας με το ΚΕΠ: {long_time(start)}", f"Το ΚΕΠ ακύρωσε το ραντεβού σας {booking['reference']}"]
    assert len(sms_gateway.calls) == 2


async def test_file_transport_writes_one_readable_file_per_message(client, redis, settings, running_clock, tmp_path):
    folder = replace(settings, outbox_dir=tmp_path / "outbox")
    async with worker(redis, folder, running_clock):
        booking = await book(client, after=LATER)
        await until(lambda: len(list((tmp_path / "outbox").glob("*"))) == 2, what="two files")
    [email_file] = (tmp_path / "outbox").glob("*.email.eml")
    [sms_file] = (tmp_path / "outbox").glob("*.sms.txt")
    email_text = email_file.read_text(encoding="utf-8")
    assert "\nSubject: Το ραντεβού σας με το ΚΕΠ: " in email_text
    assert booking["manage_token"] in email_text and "Γεια σας" in email_text  # Greek as it is, not encoded
    sms_text = sms_file.read_text(encoding="utf-8")
    assert sms_text.startswith("To: +306912345678\n") and booking["reference"] in sms_text and "segment" in sms_text
    assert OutboxFolder(ChannelName.SMS, tmp_path).dedupes


async def test_what_the_chat_promises_is_what_is_sent(aiohttp_client, redis, clock, notify_settings, running_clock,
                                                      mail_sink, sms_gateway):
    """GET /api/config (from which the bot words its promise) names the channels that really
    reach the citizen and the reminders that really come, and nothing else."""
    app = await aiohttp_client(create_app(notify_settings, redis=redis, clock=clock))
    promised = (await (await app.get("/api/config")).json())["notifications"]
    assert promised == {"channels": ["sms", "email"], "confirmation": True, "reminders_hours_before": [24, 2]}
    async with worker(redis, notify_settings, running_clock):
        booking = await book(app, after=LATER)
        start = datetime.fromisoformat(booking["start"])
        for sent, hours in enumerate(promised["reminders_hours_before"], start=2):
            clock.now = start - timedelta(hours=hours)
            await until(lambda sent=sent: len(sms_gateway.calls) == sent, what=f"the reminder {hours} h before")
        await mail_sink.wait_for(3)
    assert len(sms_gateway.calls) == len(mail_sink.messages) == 3

    # Per booking, as the confirmation in the chat and the appointment page say it: e-mail only
    # to whom gave one, and only the reminders still to come.
    assert booking["notifications"] == promised
    page = await app.post("/api/appointment/session",
                          json={"reference": booking["reference"], "manage_code": booking["manage_token"]})
    view = await page.json()
    assert view["messages"] == ""  # both reminders went already (the clock is two hours before)
    clock.now = datetime.fromisoformat("2030-02-04T07:00:00+02:00")
    soon = await book(app, after="2030-02-04T11:00:00+02:00", citizen=citizen(email=""))  # in about 4 hours
    assert soon["notifications"] == {"channels": ["sms"], "confirmation": True, "reminders_hours_before": [2]}
    page = await app.post("/api/appointment/session",
                          json={"reference": soon["reference"], "manage_code": soon["manage_token"]})
    assert (await page.json())["messages"] == "Θα λάβετε με SMS υπενθύμιση δύο ώρες πριν."

    sms_only = replace(notify_settings, smtp_host="")  # e-mails would only be files: not promised
    app = await aiohttp_client(create_app(sms_only, redis=redis, clock=clock))
    assert (await (await app.get("/api/config")).json())["notifications"]["channels"] == ["sms"]
    nothing = replace(sms_only, sms_url="")
    app = await aiohttp_client(create_app(nothing, redis=redis, clock=clock))
    assert (await (await app.get("/api/config")).json())["notifications"] == {
        "channels": [], "confirmation": False, "reminders_hours_before": []}
    page = await app.post("/api/appointment/session",
                          json={"reference": soon["reference"], "manage_code": soon["manage_token"]})
    assert (await page.json())["messages"].startswith("Δεν θα σας σταλεί SMS ή email")


def test_backoff_doubles_up_to_an_hour():
    from handoff.notify_worker import backoff

    waits = [backoff(attempt, 30).total_seconds() for attempt in range(12)]
    assert 27 <= waits[0] <= 33 and 216 <= waits[3] <= 264
    assert all(w <= 3600 * 1.1 for w in waits) and waits[-1] >= 3600 * 0.9
