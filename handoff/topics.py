"""Topics (θεματικές ενότητες): what a citizen's question is about, and who may serve it.

The catalogue is data (`data/topics.yml`); the bot classifies into these ids and clerks are
trained for a subset of them.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .store import RecordDirectory, Redis


@dataclass(frozen=True)
class KnowledgeLink:
    title: str
    url: str
    agency: str
    helpdesk: str = ""


@dataclass(frozen=True)
class Topic:
    id: str
    label: str
    description: str
    procedures: list[str]
    links: list[KnowledgeLink] = field(default_factory=list)
    documents: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Topic:
        return cls(
            id=d["id"],
            label=d["label"],
            description=d["description"].strip(),
            procedures=list(d["procedures"]),
            links=[KnowledgeLink(**link) for link in d.get("links", [])],
            documents=list(d.get("documents", [])),
        )


def load_topics(path: Path) -> list[Topic]:
    with open(path, encoding="utf-8") as f:
        return [Topic.from_dict(t) for t in yaml.safe_load(f)["topics"]]


def topic_catalogue(redis: Redis) -> RecordDirectory[Topic]:
    return RecordDirectory(redis, "topics", Topic.from_dict)
