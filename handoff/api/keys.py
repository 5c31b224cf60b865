"""Typed keys for what the app factory puts on the application."""
import asyncio

from aiohttp import web

from ..appointment_access import AppointmentAccess
from ..appointments import Appointments, Clock
from ..calls import Calls
from ..chat import ChatIds, ChatOrigins, ChatRelay
from ..config import Settings
from ..console import Console
from ..login import Login
from ..recovery import BookingRecovery
from ..store import Redis

SETTINGS = web.AppKey("settings", Settings)
REDIS = web.AppKey("redis", Redis)
APPOINTMENTS = web.AppKey("appointments", Appointments)
CONSOLE = web.AppKey("console", Console)
LIVE_FEEDS = web.AppKey("live_feeds", set[asyncio.Task])  # open SSE streams, closed at shutdown
CHAT = web.AppKey("chat", ChatRelay)
CHAT_IDS = web.AppKey("chat_ids", ChatIds)
CHAT_ORIGINS = web.AppKey("chat_origins", ChatOrigins)
LOGIN = web.AppKey("login", Login)
CALLS = web.AppKey("calls", Calls)
RECOVERY = web.AppKey("recovery", BookingRecovery)
APPOINTMENT_ACCESS = web.AppKey("appointment_access", AppointmentAccess)
CLOCK: web.AppKey[Clock] = web.AppKey("clock")
