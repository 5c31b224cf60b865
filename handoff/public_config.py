"""What the service tells citizens about its own rules, in one place: how far ahead and how
close a slot can be booked, until when a booking can be changed, and which messages the
citizen will really receive. The bot and the pages word their promises from this alone
(`GET /api/config`), so a message never promises what the service does not do.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

from .config import Settings
from .notifications import REMINDER_HOURS_BEFORE


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
    return Notifications(channels, confirmation=True, reminders_hours_before=(24, REMINDER_HOURS_BEFORE))


@dataclass(frozen=True)
class PublicConfig:
    slot_minutes: int
    min_lead_minutes: int
    horizon_days: int
    change_notice_hours: int
    notifications: Notifications = field(default_factory=Notifications)

    def to_dict(self) -> dict:
        return asdict(self)


def public_config(settings: Settings) -> PublicConfig:
    return PublicConfig(
        slot_minutes=settings.slot_minutes,
        min_lead_minutes=settings.min_lead_minutes,
        horizon_days=settings.horizon_days,
        change_notice_hours=settings.change_notice_hours,
        notifications=announced_notifications(settings),
    )
