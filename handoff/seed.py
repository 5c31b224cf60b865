"""Loads the reference data in `data/` (topics, branches, clerks) into the store.

Seeding upserts by id, so running it again after editing a data file applies the edit and
touches no booking; each clerk's free slots are recomputed with their record (`slot_index`). A clerk pointing at an unknown branch or topic stops the seed: such a
mistake would otherwise surface as slots nobody can book.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from .branches import branch_directory, load_branches
from .clerks import load_clerks
from .slot_index import SlotIndex
from .slots import SlotRules
from .store import Record, Redis
from .topics import load_topics, topic_catalogue


@dataclass(frozen=True)
class SeedReport:
    topics: int
    branches: int
    clerks: int


async def seed(redis: Redis, data_dir: Path, rules: SlotRules, now: datetime) -> SeedReport:
    topics = load_topics(data_dir / "topics.yml")
    branches = load_branches(data_dir / "branches.yml")
    clerks = load_clerks(data_dir / "clerks.yml")
    topic_ids, branch_ids = {t.id for t in topics}, {b.id for b in branches}
    records: list[Record] = [*topics, *branches, *clerks]
    for record in records:
        if ":" in record.id:
            raise ValueError(f"{record.id!r}: ids have no colon (they are part of Redis key names)")
    for clerk in clerks:
        if clerk.branch not in branch_ids:
            raise ValueError(f"clerk {clerk.id}: unknown branch {clerk.branch!r}")
        unknown = set(clerk.topics) - topic_ids
        if unknown:
            raise ValueError(f"clerk {clerk.id}: unknown topics {sorted(unknown)}")
    report = SeedReport(await topic_catalogue(redis).put(topics), await branch_directory(redis).put(branches), len(clerks))
    await SlotIndex(redis, rules).put_clerks(clerks, now)
    return report


async def seed_if_empty(redis: Redis, data_dir: Path, rules: SlotRules, now: datetime) -> SeedReport | None:
    if await topic_catalogue(redis).count():
        return None
    return await seed(redis, data_dir, rules, now)
