"""Clerks: who serves which topics, at which branch, when.

A clerk's slots are cut from their weekly hours (within the branch's opening hours), minus
public holidays and their own absences — see `slots`.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import yaml

from .config import ATHENS
from .store import RecordDirectory, Redis
from .working_time import WeeklyHours, parse_weekly_hours


@dataclass(frozen=True)
class Absence:
    """Away from `from_time` on `start` (the day's beginning if None) until `until` on `end`
    (the day's end if None): whole days, or part of one («sick for the afternoon»)."""

    start: date
    end: date  # inclusive
    reason: str = ""
    from_time: time | None = None
    until: time | None = None

    @property
    def begins(self) -> datetime:
        return datetime.combine(self.start, self.from_time or time(0), ATHENS)

    @property
    def ends(self) -> datetime:
        return datetime.combine(self.end if self.until else self.end + timedelta(days=1), self.until or time(0), ATHENS)

    def covers(self, day: date) -> bool:
        """Away the whole of `day`."""
        return self.begins <= datetime.combine(day, time(0), ATHENS) and datetime.combine(day + timedelta(days=1), time(0), ATHENS) <= self.ends

    def overlaps(self, start: datetime, end: datetime) -> bool:
        return self.begins < end and start < self.ends

    def to_dict(self) -> dict[str, str]:
        return {"start": self.start.isoformat(), "end": self.end.isoformat(), "reason": self.reason,
                **({"from_time": self.from_time.strftime("%H:%M")} if self.from_time else {}),
                **({"until": self.until.strftime("%H:%M")} if self.until else {})}

    @classmethod
    def from_dict(cls, a: dict[str, Any]) -> Absence:
        return cls(_date(a["start"]), _date(a["end"]), a.get("reason", ""),
                   _time(a.get("from_time")), _time(a.get("until")))


@dataclass(frozen=True)
class Clerk:
    id: str
    name: str
    branch: str
    topics: list[str]
    working_hours: WeeklyHours
    absences: list[Absence] = field(default_factory=list)

    def serves(self, topic: str) -> bool:
        return topic in self.topics

    def absent_on(self, day: date) -> bool:
        """Away the whole day."""
        return any(a.covers(day) for a in self.absences)

    def away_during(self, start: datetime, end: datetime) -> bool:
        return any(a.overlaps(start, end) for a in self.absences)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["absences"] = [a.to_dict() for a in self.absences]
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Clerk:
        return cls(
            id=d["id"],
            name=d["name"],
            branch=d["branch"],
            topics=list(d["topics"]),
            working_hours=parse_weekly_hours(d["working_hours"]),
            absences=[Absence.from_dict(a) for a in d.get("absences", [])],
        )


def _date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _time(value: Any) -> time | None:
    return None if value in (None, "") else value if isinstance(value, time) else time.fromisoformat(str(value))


def load_clerks(path: Path) -> list[Clerk]:
    with open(path, encoding="utf-8") as f:
        return [Clerk.from_dict(c) for c in yaml.safe_load(f)["clerks"]]


def clerk_roster(redis: Redis) -> RecordDirectory[Clerk]:
    return RecordDirectory(redis, "clerks", Clerk.from_dict)
