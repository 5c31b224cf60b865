"""The aiohttp application factory: wires settings, the store and the routes together."""
from __future__ import annotations

import asyncio
import contextlib
import functools
import logging

import aiohttp
from aiohttp import web

from .account_admin import create_demo_accounts, demo_accounts_kept, write_demo_logins
from .api import (
    appointment,
    bookings,
    calls,
    catalogue,
    chat,
    console,
    health,
    identity,
    metrics,
    openapi,
    pages,
    recovery,
    waiting_room,
)
from .api.errors import json_errors
from .api.keys import (
    APPOINTMENT_ACCESS,
    APPOINTMENTS,
    CALLS,
    CHAT,
    CHAT_IDS,
    CHAT_ORIGINS,
    CLOCK,
    CONSOLE,
    LIVE_FEEDS,
    LOGIN,
    RECOVERY,
    REDIS,
    SETTINGS,
)
from .api.public_rate import public_request_rate
from .appointment_access import AppointmentAccess
from .appointments import Appointments, Clock, utc_now
from .calls import Calls
from .chat import ChatIds, ChatOrigins, ChatRelay
from .config import Settings
from .console import Console
from .login import Login, LoginLimits, PasswordChecks
from .media import restrict_host_addresses
from .metrics import observe
from .notify_worker import NotificationWorker
from .recovery import BookingRecovery
from .retention import PersonalData
from .seed import seed_if_empty
from .slots import SlotRules
from .store import Redis, connect

log = logging.getLogger(__name__)
NO_SHOW_CHECK_SECONDS = 30
RETENTION_SWEEP_SECONDS = 3600


async def _retention_sweep(app: web.Application, settings: Settings, clock: Clock):
    """Every hour, in every process (erasing twice is harmless): personal data past its retention."""
    async def sweep() -> None:
        personal_data = PersonalData(app[REDIS], clock, settings.retention_days)
        while True:
            try:
                erased = await personal_data.sweep()
                if erased:
                    log.info("retention: personal data erased from %d bookings", len(erased))
            except Exception:
                log.exception("retention sweep failed")
            await asyncio.sleep(RETENTION_SWEEP_SECONDS)

    task = asyncio.create_task(sweep())
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def _housekeeping(app: web.Application):
    """Every half minute, in every process: the free slots of days that came into the booking
    horizon (`slot_index.SlotIndex.top_up`), no-shows (an atomic status change) and the media of calls left
    with nobody connected (closed once: whichever process takes the call off `calls:active`)."""
    async def sweep() -> None:
        while True:
            await asyncio.sleep(NO_SHOW_CHECK_SECONDS)
            try:
                await app[APPOINTMENTS].top_up_slots()
                marked = await app[CONSOLE].mark_no_shows()
                if marked:
                    log.info("no-show: %s", ", ".join(marked))
                closed = await app[CALLS].close_idle_media()
                if closed:
                    log.info("closed the media of calls with nobody connected: %s", ", ".join(closed))
            except Exception:
                log.exception("housekeeping failed")

    task = asyncio.create_task(sweep())
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    await app[CALLS].close_all()


async def _embedded_notifications(app: web.Application, settings: Settings, clock: Clock):
    """With the embedded store no other process can see the outbox: this one delivers it."""
    log.warning("embedded store: notifications are delivered by this process (no `notify` worker can reach it)")
    stop = asyncio.Event()
    task = asyncio.create_task(NotificationWorker(app[REDIS], settings, clock, lanes=1).run(stop))
    yield
    stop.set()
    with contextlib.suppress(asyncio.CancelledError, asyncio.TimeoutError):
        await asyncio.wait_for(task, 5)


def create_app(settings: Settings, redis: Redis | None = None, clock: Clock = utc_now) -> web.Application:
    """Build the service. Pass `redis` to share a connection (tests); otherwise it connects
    on start-up to `settings.redis_url`, or to the embedded fallback store."""
    app = web.Application(middlewares=[observe, pages.security_headers, json_errors, public_request_rate], client_max_size=settings.max_body_bytes)
    app[SETTINGS] = settings
    app[CLOCK] = clock
    restrict_host_addresses(list(settings.ice_addresses))
    app[LIVE_FEEDS] = set()
    app[CHAT_IDS] = ChatIds(settings.secret_key)
    app.on_shutdown.append(console.close_live_feeds)

    async def store_context(app: web.Application):
        own = redis is None
        app[REDIS] = redis if redis is not None else await connect(settings.redis_url)
        app[APPOINTMENTS] = Appointments(app[REDIS], settings, clock)
        app[CHAT_ORIGINS] = ChatOrigins(app[REDIS], settings.secret_key)
        app[RECOVERY] = BookingRecovery(app[REDIS], app[APPOINTMENTS], clock)
        app[APPOINTMENT_ACCESS] = AppointmentAccess(app[APPOINTMENTS], app[RECOVERY], settings.secret_key, clock)
        app[CONSOLE] = Console(app[REDIS], app[APPOINTMENTS], clock, settings.no_show_minutes)
        app[CALLS] = Calls(app[REDIS], app[APPOINTMENTS], app[CONSOLE], settings, clock)
        await app[CALLS].start()
        password_checks = PasswordChecks(settings.login_check_threads)
        app[LOGIN] = Login(app[REDIS], password_checks, LoginLimits(settings.login_attempts_per_minute))
        report = await seed_if_empty(app[REDIS], settings.data_dir, SlotRules.from_settings(settings), clock())
        if report:
            log.info("first start: loaded %s", report)
        await app[APPOINTMENTS].top_up_slots()
        if settings.demo_accounts_file and await demo_accounts_kept(app[REDIS], settings.demo_accounts_file):
            log.warning("demo mode: this launch's console accounts kept, listed in %s", settings.demo_accounts_file)
        elif settings.demo_accounts_file:
            logins = await create_demo_accounts(app[REDIS], settings.data_dir, await app[APPOINTMENTS].clerks.all())
            write_demo_logins(logins, settings.demo_accounts_file)
            log.warning("demo mode: %d console accounts with new passwords, listed in %s",
                        len(logins), settings.demo_accounts_file)
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as http:
            app[CHAT] = ChatRelay(http, settings.rasa_url, settings.rasa_token)
            yield
        password_checks.close()
        if own:
            await app[REDIS].aclose()

    app.cleanup_ctx.append(store_context)
    app.cleanup_ctx.append(_housekeeping)
    app.cleanup_ctx.append(functools.partial(_retention_sweep, settings=settings, clock=clock))
    if redis is None and not settings.redis_url:
        app.cleanup_ctx.append(functools.partial(_embedded_notifications, settings=settings, clock=clock))
    for module in (catalogue, recovery, bookings, appointment, identity, chat, console, waiting_room, calls, health, metrics, openapi, pages):
        app.add_routes(module.routes)
    return app
