"""Dates, times and slot buttons as a Greek citizen reads them ("Τρίτη 5 Φεβρουαρίου, 09:30"),
without depending on the machine's locale."""
from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

ATHENS = ZoneInfo("Europe/Athens")
_WEEKDAYS = ("Δευτέρα", "Τρίτη", "Τετάρτη", "Πέμπτη", "Παρασκευή", "Σάββατο", "Κυριακή")
_MONTHS = (
    "Ιανουαρίου", "Φεβρουαρίου", "Μαρτίου", "Απριλίου", "Μαΐου", "Ιουνίου",
    "Ιουλίου", "Αυγούστου", "Σεπτεμβρίου", "Οκτωβρίου", "Νοεμβρίου", "Δεκεμβρίου",
)


def when(iso: str) -> str:
    start = datetime.fromisoformat(iso).astimezone(ATHENS)
    return f"{_WEEKDAYS[start.weekday()]} {start.day} {_MONTHS[start.month - 1]}, {start:%H:%M}"


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
