"""The notification worker (`python -m handoff notify`; run as many as you like).

Each worker runs a few lanes that take one entry at a time from the outbox stream (consumer
group), a mover that releases due reminders and retries into the stream, and a claimer that
takes over entries a dead worker left pending. A notification is rendered from its facts and
sent on each of the citizen's channels (SMS always, e-mail when they gave one).

Once per notification and channel: a "sent" key, set with NX before sending ("sending") and
overwritten after ("sent"). A key already "sent" means done; one left "sending" means a
worker died mid-send: channels that recognise the same message twice (e-mail Message-ID,
file name) send again, the others do not guess and report it as failed, for a person to check.
Failures are retried with exponential backoff; after `notify_max_attempts` they join the
failed set (`/healthz`, the supervisor's `GET /api/clerk/notifications/failed`).
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import socket
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from functools import partial

from .appointments import Appointments, Clock, utc_now
from .bookings import Booking, BookingStatus
from .calendar_file import booking_calendar
from .channels import Channel, ChannelName, DeliveryFailed, Outgoing, configured_channels
from .config import ATHENS, Settings
from .notification_texts import NoticeFacts, render_email, render_sms
from .notifications import REMINDER_KINDS, Notification, NotificationKind, Schedule, reminder_times
from .outbox import Entry, Outbox
from .store import Redis, key

log = logging.getLogger(__name__)

SENDING, SENT = "sending", "sent"
SENT_TTL = 60 * 60 * 24 * 60  # keys outlive any retry and any appointment they concern
MAX_BACKOFF = timedelta(hours=1)
NEW_TIME = (NotificationKind.BOOKED, NotificationKind.RESCHEDULED, NotificationKind.MOVED_BY_SERVICE)
ENDED = (NotificationKind.CANCELLED, NotificationKind.CANCELLED_BY_SERVICE)


def sent_key(notification_id: str, channel: ChannelName) -> str:
    return key("notifications", "sent", notification_id, channel.value)


def backoff(attempt: int, base_seconds: float) -> timedelta:
    """After the 1st failure `base`, then twice as long each time (±10 %), at most an hour."""
    seconds = min(base_seconds * 2 ** attempt, MAX_BACKOFF.total_seconds())
    return timedelta(seconds=seconds * random.uniform(0.9, 1.1))


def worker_name() -> str:
    return f"{socket.gethostname()}-{os.getpid()}-{random.randrange(16**4):04x}"


class NotificationWorker:
    def __init__(
        self, redis: Redis, settings: Settings, clock: Clock = utc_now, *, lanes: int | None = None,
        channels: Callable[[], dict[ChannelName, Channel]] | None = None, name: str | None = None,
    ):
        self._redis = redis
        self._settings = settings
        self._clock = clock
        self._appointments = Appointments(redis, settings, clock)
        self._outbox = Outbox(redis)
        self._schedule = Schedule(redis)
        self._make_channels = channels or (lambda: configured_channels(settings))
        self._lanes = lanes or settings.notify_lanes
        self.name = name or worker_name()
        self._claimed: asyncio.Queue[Entry] = asyncio.Queue()

    async def run(self, stop: asyncio.Event) -> None:
        await self._outbox.ensure_group()
        log.info("notification worker %s: %d lanes", self.name, self._lanes)
        tasks = [asyncio.create_task(self._lane(stop)) for _ in range(self._lanes)]
        tasks.append(asyncio.create_task(self._housekeeping(stop)))
        try:
            await asyncio.gather(*tasks)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _housekeeping(self, stop: asyncio.Event) -> None:
        """Due reminders and retries into the stream every second; dead workers' entries taken
        over every few seconds."""
        idle_ms = self._settings.notify_claim_idle_seconds * 1000
        claim_every = max(1.0, self._settings.notify_claim_idle_seconds / 4)
        last_claim = 0.0
        loop = asyncio.get_running_loop()
        while not stop.is_set():
            try:
                await self._schedule.release_due(self._clock())
                if loop.time() - last_claim >= claim_every:
                    last_claim = loop.time()
                    for entry in await self._outbox.claim(self.name, idle_ms):
                        log.info("taking over %s (%s) from a silent worker", entry.stream_id,
                                 entry.notification.id if entry.notification else "?")
                        self._claimed.put_nowait(entry)
            except Exception:
                log.exception("notification housekeeping failed")
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(stop.wait(), 1)

    async def _lane(self, stop: asyncio.Event) -> None:
        channels = self._make_channels()
        try:
            while not stop.is_set():
                try:
                    entry = self._claimed.get_nowait() if not self._claimed.empty() else None
                    entries = [entry] if entry else await self._outbox.read(self.name, 1, 1000)
                    for entry in entries:
                        await self.settle(entry, channels)
                except Exception:
                    log.exception("notification lane failed; the entry stays pending for a retry")
                    await asyncio.sleep(1)
        finally:
            for channel in channels.values():
                await channel.close()

    async def settle(self, entry: Entry, channels: dict[ChannelName, Channel]) -> None:
        """Deliver one entry, then acknowledge it, schedule a retry, or give up on it."""
        n = entry.notification
        if n is None:
            await self._outbox.give_up(entry, {"payload": "unreadable"}, self._clock())
            return
        failures = await self.deliver(n, channels)
        if not failures:
            await self._outbox.done(entry)
            return
        summary = {name.value: str(e) for name, e in failures.items()}
        permanent = all(e.permanent for e in failures.values())
        if permanent or n.attempt + 1 >= self._settings.notify_max_attempts:
            log.error("notification %s (%s %s) failed for good: %s", n.id, n.kind, n.reference, summary)
            await self._outbox.give_up(entry, summary, self._clock())
        else:
            delay = backoff(n.attempt, self._settings.notify_retry_seconds)
            log.warning("notification %s failed (attempt %d), again in %.0f s: %s", n.id, n.attempt + 1,
                        delay.total_seconds(), summary)
            await self._outbox.retry_later(entry, n.retried(), self._clock() + delay)

    async def deliver(self, n: Notification, channels: dict[ChannelName, Channel]) -> dict[ChannelName, DeliveryFailed]:
        """Send on every channel that has not had it yet; returns the channels that failed."""
        booking = await self._appointments.bookings.get(n.reference)
        if booking is None:
            log.error("notification %s: booking %s does not exist; dropped", n.id, n.reference)
            return {}
        if n.kind.is_reminder and self._stale(n, booking):
            log.info("reminder %s no longer applies; dropped", n.id)
            return {}
        recipients = {ChannelName.SMS: booking.citizen.get("mobile", "")}
        if booking.citizen.get("email"):
            recipients[ChannelName.EMAIL] = booking.citizen["email"]
        try:
            facts = await self._facts(n, booking, with_email=ChannelName.EMAIL in recipients)
        except Exception as e:  # a missing branch or topic, a template error: retried, then reported
            log.exception("notification %s could not be written", n.id)
            return {name: DeliveryFailed(f"could not be written: {e!r}") for name in recipients}
        failures = {}
        for name, to in recipients.items():
            if not to:
                continue
            try:
                await self._send_once(n, channels[name], partial(self._render, name, facts, to, booking, n))
            except DeliveryFailed as e:
                failures[name] = e
        return failures

    async def _send_once(self, n: Notification, channel: Channel, render: Callable[[], Outgoing]) -> None:
        marker = sent_key(n.id, channel.name)
        previous = await self._redis.set(marker, SENDING, nx=True, ex=SENT_TTL, get=True)
        if previous == SENT:
            return
        if previous == SENDING and not channel.dedupes:
            raise DeliveryFailed(
                f"a worker stopped while sending by {channel.transport}: it may have arrived; not sent twice",
                permanent=True,
            )
        try:
            await channel.send(render(), n.id)
        except DeliveryFailed:
            await self._redis.delete(marker)
            raise
        await self._redis.set(marker, SENT, ex=SENT_TTL)

    def _stale(self, n: Notification, booking: Booking) -> bool:
        """A reminder for a time the booking no longer has, or too late to be true ("αύριο",
        "σήμερα"): the other reminder, or none, applies."""
        now = self._clock()
        if booking.status is not BookingStatus.BOOKED or booking.start != n.start or now >= n.start:
            return True
        today, day = now.astimezone(ATHENS).date(), n.start.astimezone(ATHENS).date()
        if n.kind is NotificationKind.REMINDER_DAY:
            return today != day - timedelta(days=1)
        return today != day

    async def _facts(self, n: Notification, booking: Booking, with_email: bool) -> NoticeFacts:
        branch = await self._appointments.branch(n.branch)
        topic = await self._appointments.topic(n.topic)
        deadline = self._appointments.change_deadline_for(n.start)
        upcoming = reminder_times(n.start)
        return NoticeFacts(
            kind=n.kind, reference=n.reference, start=n.start, previous_start=n.previous_start,
            branch_name=branch.name, branch_phone=branch.phone or "1500", topic_label=topic.label,
            join_url=self._appointments.join_url(booking), short_join_url=self._appointments.short_join_url(booking),
            chat_url=f"{self._settings.base_url}/", appointment_url=self._appointments.appointment_page_url(),
            manage_code=n.manage_code, change_deadline=deadline,
            can_still_change=deadline > n.created_at, reason=n.reason,
            reminders=tuple(k for k in REMINDER_KINDS if n.kind in NEW_TIME and upcoming[k] > n.created_at),
            channels_named="με SMS και email" if with_email else "με SMS",
        )

    def _render(self, name: ChannelName, facts: NoticeFacts, to: str, booking: Booking, n: Notification) -> Outgoing:
        if name is ChannelName.SMS:
            return render_sms(facts, to)
        calendar = None
        if n.kind in NEW_TIME or n.kind in ENDED:
            at_the_time = replace(booking, start=n.start, end=n.end)
            calendar = booking_calendar(
                at_the_time, facts.topic_label, facts.branch_name, facts.join_url,
                sequence=int(n.created_at.timestamp()) // 60, cancelled=n.kind in ENDED,
            )
        return render_email(facts, to, calendar)


async def run_worker(settings: Settings, stop: asyncio.Event, redis: Redis | None = None) -> None:
    """The `notify` command: connect, work until `stop`."""
    from .store import connect

    own = redis is None
    redis = redis or await connect(settings.redis_url)
    try:
        await NotificationWorker(redis, settings).run(stop)
    finally:
        if own:
            await redis.aclose()
