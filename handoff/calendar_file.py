"""The appointment as an .ics file, so the citizen's own calendar reminds them."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from icalendar import Alarm, Calendar, Event

from .bookings import Booking
from .citizens import show_on_camera


def booking_calendar(
    booking: Booking, topic_label: str, branch_name: str, join_url: str, *, sequence: int = 0, cancelled: bool = False
) -> bytes:
    """The event; one UID per booking, so a later file with a higher `sequence` (a new time,
    or `cancelled`) replaces it in the citizen's calendar."""
    cal = Calendar()
    cal.add("prodid", "-//KEP Connect//el")
    cal.add("version", "2.0")
    cal.add("method", "CANCEL" if cancelled else "PUBLISH")
    event = Event()
    event.add("uid", f"{booking.reference}@kep-connect")
    event.add("sequence", sequence)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    event.add("dtstamp", datetime.now(UTC))
    event.add("dtstart", booking.start.astimezone(UTC))
    event.add("dtend", booking.end.astimezone(UTC))
    event.add("summary", f"Βιντεοκλήση με ΚΕΠ: {topic_label}")
    event.add(
        "description",
        f"Κωδικός ραντεβού: {booking.reference}\n"
        f"{branch_name}\n"
        f"Σύνδεσμος κλήσης: {join_url}\n"
        + show_on_camera(booking.citizen.get("id_document")),
    )
    event.add("url", join_url)
    event.add("location", join_url)
    for before, text in () if cancelled else ((timedelta(days=-1), "Αύριο"), (timedelta(hours=-2), "Σε 2 ώρες")):
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", f"{text}: βιντεοκλήση με ΚΕΠ ({booking.reference})")
        alarm.add("trigger", before)
        event.add_component(alarm)
    cal.add_component(event)
    return cal.to_ical()

