"""What the bot tells a citizen will happen after booking — which messages they will receive,
and until when they can change the booking — worded from the handoff service's public config
(`GET /api/config`) alone, so that the chat never promises what the service does not do."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from .greek_format import when

_CHANNEL_NAMES = {"sms": "SMS", "email": "email"}
_NUMBERS = {1: "μία", 2: "δύο", 3: "τρεις", 4: "τέσσερις"}


def channels(notifications: dict[str, Any], has_email: bool) -> list[str]:
    """The channels this citizen will really hear from (e-mail only when they gave one)."""
    return [c for c in notifications.get("channels", []) if c in _CHANNEL_NAMES and (c != "email" or has_email)]


def _before(hours: int) -> str:
    if hours % 24 == 0:
        days = hours // 24
        return f"{_NUMBERS.get(days, days)} {'ημέρα' if days == 1 else 'ημέρες'}"
    return f"{_NUMBERS.get(hours, hours)} {'ώρα' if hours == 1 else 'ώρες'}"


def messages_sentence(notifications: dict[str, Any], has_email: bool) -> str:
    """The sentence of the confirmation that says which messages will come, and only those."""
    through = channels(notifications, has_email)
    reminders = sorted(notifications.get("reminders_hours_before", []), reverse=True)
    what = []
    if through and notifications.get("confirmation"):
        what.append("επιβεβαίωση")
    if through and reminders:
        what.append("υπενθύμιση " + " και ".join(_before(h) for h in reminders) + " πριν")
    if not what:
        return ("Δεν θα σας σταλεί SMS ή email για το ραντεβού: κρατήστε τον κωδικό ραντεβού και τον κωδικό "
                "διαχείρισης, ή προσθέστε το ραντεβού στο ημερολόγιό σας.")
    names = " και ".join(_CHANNEL_NAMES[c] for c in through)
    return f"Θα λάβετε με {names} {' και '.join(what)}."


def mobile_question(notifications: dict[str, Any]) -> str:
    example = "(π.χ. 6912345678· ξένο κινητό με τον κωδικό της χώρας, π.χ. +44 7911 123456)"
    if "sms" in notifications.get("channels", []):
        return f"Σε ποιο κινητό να σας στέλνουμε τα μηνύματα για το ραντεβού; {example}"
    return f"Ένα κινητό τηλέφωνο, για να μπορεί το ΚΕΠ να σας βρει αν χρειαστεί; {example}"


def email_question(notifications: dict[str, Any]) -> str:
    if "email" in notifications.get("channels", []):
        return "Θέλετε τα μηνύματα για το ραντεβού και με email; Γράψτε το, ή πατήστε «Δεν έχω»."
    return "Έχετε email; Γράψτε το (δεν είναι υποχρεωτικό), ή πατήστε «Δεν έχω»."


def change_deadline(start: datetime, notice_hours: int) -> datetime:
    return start - timedelta(hours=notice_hours)


def change_deadline_note(start: datetime, now: datetime, notice_hours: int) -> str:
    """Said at the summary, before the citizen confirms: until when the booking can be changed,
    or, for a slot inside the change deadline, that it cannot be changed once booked."""
    deadline = change_deadline(start, notice_hours)
    if now >= deadline:
        return (
            f"Προσοχή: αυτή η ώρα είναι σε λιγότερο από {notice_hours} ώρες. Αν την κλείσετε, δεν θα μπορείτε "
            "να την αλλάξετε ή να την ακυρώσετε από εδώ, μόνο τηλεφωνώντας στο ΚΕΠ. Για ώρα που αλλάζει, "
            "πατήστε «Διόρθωση: Ώρα»."
        )
    return f"Αλλαγή ή ακύρωση: έως {when(deadline.isoformat())}."
