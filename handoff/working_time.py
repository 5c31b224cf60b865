"""When KEP work happens: weekly hours, and the Greek public holidays when it does not.

Weekly hours are written as data, e.g. `mon: [["08:00", "15:00"]]`; holidays come from the
`holidays` package, which knows Orthodox Easter and the moving feasts.
"""
from __future__ import annotations

from datetime import date, time
from functools import lru_cache
from typing import Any

import holidays

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Interval = tuple[time, time]
WeeklyHours = dict[str, list[list[str]]]


def parse_weekly_hours(raw: dict[str, Any]) -> WeeklyHours:
    """Validate hours as written in data files; a typo here must fail the seed, not a booking."""
    hours: WeeklyHours = {}
    for day, ranges in (raw or {}).items():
        if day not in WEEKDAYS:
            raise ValueError(f"unknown weekday {day!r}; use one of {', '.join(WEEKDAYS)}")
        hours[day] = []
        for start, end in ranges or []:
            if time.fromisoformat(start) >= time.fromisoformat(end):
                raise ValueError(f"{day}: {start}-{end} ends before it starts")
            hours[day].append([start, end])
    return hours


def intervals_on(hours: WeeklyHours, day: date) -> list[Interval]:
    return [
        (time.fromisoformat(s), time.fromisoformat(e))
        for s, e in hours.get(WEEKDAYS[day.weekday()], [])
    ]


def intersect(a: list[Interval], b: list[Interval]) -> list[Interval]:
    """Times inside both lists — a clerk works only while the branch is open."""
    out = []
    for a_start, a_end in a:
        for b_start, b_end in b:
            start, end = max(a_start, b_start), min(a_end, b_end)
            if start < end:
                out.append((start, end))
    return sorted(out)


@lru_cache(maxsize=16)
def _greek_holidays(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("GR", years=year, language="el")


def is_public_holiday(day: date) -> bool:
    return day in _greek_holidays(day.year)


def holiday_name(day: date) -> str | None:
    return _greek_holidays(day.year).get(day)
