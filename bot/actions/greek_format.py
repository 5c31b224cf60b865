"""Dates, times and slot buttons as a Greek citizen reads them ("Τρίτη 5 Φεβρουαρίου, 09:30"),
without depending on the machine's locale."""
from __future__ import annotations

from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

ATHENS = ZoneInfo("Europe/Athens")
_WEEKDAYS = ("Δευτέρα", "Τρίτη", "Τετάρτη", "Πέμπτη", "Παρασκευή", "Σάββατο", "Κυριακή")
# The accusative article each weekday takes: "τη Δευτέρα", "την Τρίτη", "το Σάββατο".
_ON = ("τη", "την", "την", "την", "την", "το", "την")
_MONTHS = (
    "Ιανουαρίου", "Φεβρουαρίου", "Μαρτίου", "Απριλίου", "Μαΐου", "Ιουνίου",
    "Ιουλίου", "Αυγούστου", "Σεπτεμβρίου", "Οκτωβρίου", "Νοεμβρίου", "Δεκεμβρίου",
)


def when(iso: str) -> str:
    start = datetime.fromisoformat(iso).astimezone(ATHENS)
    return f"{_WEEKDAYS[start.weekday()]} {start.day} {_MONTHS[start.month - 1]}, {start:%H:%M}"


def day_name(day: date) -> str:
    """"Παρασκευή 8 Φεβρουαρίου"."""
    return f"{_WEEKDAYS[day.weekday()]} {day.day} {_MONTHS[day.month - 1]}"


def on_day(day: date, today: date | None = None) -> str:
    """"σήμερα", "αύριο", or "την Παρασκευή 8 Φεβρουαρίου", as said after a verb."""
    if today is not None and (day - today).days in (0, 1):
        return ("σήμερα", "αύριο")[(day - today).days]
    return f"{_ON[day.weekday()]} {day_name(day)}"


def clock(moment: time | datetime) -> str:
    return f"{moment:%H:%M}"


def weekday_names(weekdays: set[int] | frozenset[int]) -> str:
    names = [_WEEKDAYS[d] for d in sorted(weekdays)]
    return " και ".join([", ".join(names[:-1]), names[-1]]) if len(names) > 1 else names[0]


def slot_buttons(slots: list[dict[str, Any]], branches: dict[str, dict[str, Any]]) -> list[dict[str, str]]:
    """One button per slot; the payload carries the slot id so a click cannot be misread."""
    return [
        {
            "title": f"{when(s['start'])} — {branches.get(s['branch'], {}).get('name', s['branch'])}",
            "payload": f'/inform{{"slot_id":"{s["slot_id"]}"}}',
        }
        for s in slots
    ]


def bullet_list(items: list[str]) -> str:
    return "\n".join(f"• {item}" for item in items)
