"""What the service tells citizens about its own rules, in one place: how far ahead and how
close a slot can be booked, until when a booking can be changed, which identity documents
a clerk checks on camera, and which messages the citizen will really receive. The bot and the pages word their promises from this alone
(`GET /api/config`), so a message never promises what the service does not do.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime

from .bookings import Booking, BookingStatus
from .citizens import IdentityDocument
from .config import Settings
from .notifications import REMINDER_HOURS_BEFORE, NotificationKind, reminder_times

HOURS_BEFORE = {NotificationKind.REMINDER_DAY: 24, NotificationKind.REMINDER_HOURS: REMINDER_HOURS_BEFORE}


@dataclass(frozen=True)
class Notifications:
    """The messages the service really sends a citizen about a booking.

    `channels`: through which ("sms" to the mobile, "email" when the citizen gave one);
    `confirmation`: a message when the booking is made, moved or cancelled;
    `reminders_hours_before`: reminders this many hours before the slot.
    Empty while no channel is configured: then the chat promises nothing. The notifications
    service declares here what it sends (`announced_notifications`)."""

    channels: tuple[str, ...] = ()
    confirmation: bool = False
    reminders_hours_before: tuple[int, ...] = ()


def announced_notifications(settings: Settings) -> Notifications:
    """The channels with a real transport (SMTP, the SMS gateway) and what goes through them:
    a message at every change and the two reminders (`notify_worker`). The file transport of
    `make run` reaches nobody, so it announces nothing."""
    channels = tuple(name for name, on in (("sms", bool(settings.sms_url)), ("email", bool(settings.smtp_host))) if on)
    if not channels:
        return Notifications()
    return Notifications(channels, confirmation=True, reminders_hours_before=tuple(HOURS_BEFORE.values()))


def notifications_for(settings: Settings, booking: Booking, now: datetime) -> Notifications:
    """What this citizen will still receive about this booking: e-mail only if they gave one,
    and only the reminders still to come (none for a booking made later than that)."""
    announced = announced_notifications(settings)
    channels = tuple(c for c in announced.channels if c != "email" or booking.citizen.get("email"))
    if not channels or booking.status is not BookingStatus.BOOKED:
        return Notifications(channels, confirmation=bool(channels))
    due = reminder_times(booking.start)
    return Notifications(channels, confirmation=True,
                         reminders_hours_before=tuple(h for kind, h in HOURS_BEFORE.items() if due[kind] > now))


@dataclass(frozen=True)
class PublicConfig:
    slot_minutes: int
    min_lead_minutes: int
    horizon_days: int
    change_notice_hours: int
    notifications: Notifications = field(default_factory=Notifications)

    def to_dict(self) -> dict:
        documents = [{"kind": kind.value, "label": kind.label} for kind in IdentityDocument]
        return asdict(self) | {"identity_documents": documents}


def public_config(settings: Settings) -> PublicConfig:
    return PublicConfig(
        slot_minutes=settings.slot_minutes,
        min_lead_minutes=settings.min_lead_minutes,
        horizon_days=settings.horizon_days,
        change_notice_hours=settings.change_notice_hours,
        notifications=announced_notifications(settings),
    )
