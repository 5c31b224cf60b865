"""A citizen's wish for a time, in their own Greek ("αύριο το πρωί", "την Τρίτη στις 11",
"15/12 10:30", "μεθαύριο μετά τις 12") → a window and a target in Europe/Athens.

dateparser finds the day (dates, month names, weekdays, αύριο); the hours are read here,
because dateparser reads "στις 11" as the 11th of the month and knows neither "μεθαύριο"
nor the parts of the day. The bot then offers the free slots nearest to the target.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dateparser.search import search_dates

from bot.nlu.greek_text import greeklish_to_greek, strip_accents

ATHENS = ZoneInfo("Europe/Athens")

# Parts of the day as KEP citizens use them: (from, to, preferred).
_PARTS_OF_DAY = {
    "πρωι": (time(8), time(12), time(9)),
    "μεσημερι": (time(12), time(15), time(12, 30)),
    "απογευμα": (time(15), time(20), time(16)),
    "βραδυ": (time(17), time(20), time(18)),
}
_CLOCK = r"(\d{1,2})(?:[:.](\d{2}))?(\s+και\s+μιση)?"
_AFTER = re.compile(rf"\b(?:μετα|απο)\s+(?:τισ|τη|τι)?\s*{_CLOCK}")
_BEFORE = re.compile(rf"\b(?:πριν|μεχρι|εωσ)\s+(?:τισ|τη|τι|απο\s+τισ)?\s*{_CLOCK}")
_AT = re.compile(rf"\b(?:στισ|κατα\s+τισ|γυρω\s+στισ)\s+{_CLOCK}|\b(\d{{1,2}})[:.](\d{{2}})\b(?![./]\d)")
_DAY_AFTER_TOMORROW = re.compile(r"\bμεθαυριο\b")
_NEXT_WEEK = re.compile(r"\b(?:αλλη|επομενη)\s+(?:εβδομαδα|βδομαδα)\b")
_SOON = re.compile(r"\b(?:νωριτερο|συντομοτερο|νωρισ|αμεσωσ|οτι\s+πιο\s+νωρισ|πρωτο\s+διαθεσιμο)\b")


@dataclass(frozen=True)
class TimeWish:
    earliest: datetime
    latest: datetime | None
    target: datetime


def _plain(text: str) -> str:
    """Lower case, no accents, Greeklish read as Greek, final sigma as σ: what the rules match."""
    return " ".join(greeklish_to_greek(strip_accents(text.casefold())).replace("ς", "σ").split())


def _clock(hour: str, minute: str | None, half: str | None) -> time | None:
    h, m = int(hour), int(minute or 0) + (30 if half else 0)
    if h < 8 and h + 12 <= 20:
        h += 12  # "στις 5" at a public office means 17:00
    return time(h, m) if h < 24 and m < 60 else None


def _day(plain: str, now: datetime) -> date | None:
    if _DAY_AFTER_TOMORROW.search(plain):
        return now.date() + timedelta(days=2)
    if _NEXT_WEEK.search(plain):
        return now.date() + timedelta(days=7 - now.weekday())
    # dateparser reads "11" in "στις 11" as a day; take the hours out first.
    day_text = _AT.sub(" ", _BEFORE.sub(" ", _AFTER.sub(" ", plain)))
    found = search_dates(
        day_text,
        languages=["el"],
        settings={
            "PREFER_DATES_FROM": "future",
            "RELATIVE_BASE": now.replace(tzinfo=None),
            "DATE_ORDER": "DMY",
        },
    )
    return found[0][1].date() if found else None


def _first_clock(pattern: re.Pattern, plain: str) -> time | None:
    match = pattern.search(plain)
    if not match:
        return None
    groups = [g for g in match.groups()]
    if groups[0] is None and len(groups) > 3:  # the bare "10:30" branch of _AT
        return _clock(groups[3], groups[4], None)
    return _clock(groups[0], groups[1], groups[2])


def parse_time_wish(text: str, now: datetime) -> TimeWish | None:
    """The window the citizen asked for, or None when the text names no day or time."""
    now = now.astimezone(ATHENS)
    plain = _plain(text)
    if _SOON.search(plain):
        return TimeWish(now, None, now)
    day = _day(plain, now)
    after, before, at = _first_clock(_AFTER, plain), _first_clock(_BEFORE, plain), _first_clock(_AT, plain)
    part = next((p for word, p in _PARTS_OF_DAY.items() if re.search(rf"\b{word}", plain)), None)
    if day is None and not (after or before or at or part):
        return None
    if day is None:
        first = at or after or (part[0] if part else None) or time(0)
        day = now.date() if datetime.combine(now.date(), first, ATHENS) > now else now.date() + timedelta(days=1)
    start, end = time(0), None
    if part:
        start, end = part[0], part[1]
    if after:
        start = after
    if before:
        end = before
    target = at or (part[2] if part and not after else start)
    earliest = datetime.combine(day, start, ATHENS)
    latest = datetime.combine(day, end, ATHENS) if end else datetime.combine(day + timedelta(days=1), time(0), ATHENS)
    if at:
        earliest = min(earliest, datetime.combine(day, time(0), ATHENS))
    return TimeWish(max(earliest, now), latest, datetime.combine(day, target, ATHENS))
