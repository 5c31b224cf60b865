"""Clerks: who serves which topics, at which branch, when.

A clerk's slots are cut from their weekly hours (within the branch's opening hours), minus
public holidays and their own absences — see `slots`.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from .store import RecordDirectory, Redis
from .working_time import WeeklyHours, parse_weekly_hours


@dataclass(frozen=True)
class Absence:
    start: date
    end: date  # inclusive
    reason: str = ""

    def covers(self, day: date) -> bool:
        return self.start <= day <= self.end


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
        return any(a.covers(day) for a in self.absences)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["absences"] = [
            {"start": a.start.isoformat(), "end": a.end.isoformat(), "reason": a.reason}
            for a in self.absences
        ]
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Clerk:
        return cls(
            id=d["id"],
            name=d["name"],
            branch=d["branch"],
            topics=list(d["topics"]),
            working_hours=parse_weekly_hours(d["working_hours"]),
            absences=[
                Absence(_date(a["start"]), _date(a["end"]), a.get("reason", ""))
                for a in d.get("absences", [])
            ],
        )


def _date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def load_clerks(path: Path) -> list[Clerk]:
    with open(path, encoding="utf-8") as f:
        return [Clerk.from_dict(c) for c in yaml.safe_load(f)["clerks"]]


def clerk_roster(redis: Redis) -> RecordDirectory[Clerk]:
    return RecordDirectory(redis, "clerks", Clerk.from_dict)
