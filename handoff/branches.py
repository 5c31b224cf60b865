"""KEP branches: where a clerk works and where a citizen can also go in person.

Branches are data (`data/branches.yml`): a new pilot branch is a new entry, not new code.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import yaml

from .store import RecordDirectory, Redis
from .working_time import WeeklyHours, parse_weekly_hours


@dataclass(frozen=True)
class Branch:
    id: str
    name: str
    municipality: str
    address: str
    phone: str
    opening_hours: WeeklyHours

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Branch:
        return cls(
            id=d["id"],
            name=d["name"],
            municipality=d["municipality"],
            address=d.get("address", ""),
            phone=d.get("phone", ""),
            opening_hours=parse_weekly_hours(d["opening_hours"]),
        )


def load_branches(path: Path) -> list[Branch]:
    with open(path, encoding="utf-8") as f:
        return [Branch.from_dict(b) for b in yaml.safe_load(f)["branches"]]


def branch_directory(redis: Redis) -> RecordDirectory[Branch]:
    return RecordDirectory(redis, "branches", Branch.from_dict)
