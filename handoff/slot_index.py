"""The free slots, kept in Redis as an index so that listing them is one range read however
full the calendar is.

For each topic there is a sorted set of the free slots of every clerk trained in it,
`slots:free_at:<branch>:<topic>` for one branch and `slots:free:<topic>` for all, scored by the
slot's start (unix seconds); the members are slot ids (`clerk@20300205T0630Z`, see `slots`).
A time two clerks both have free is two members, one per clerk — as the citizen's list
has always shown it, ordered by start and then clerk.

Each clerk's working slots in the filled window (booked or not) are `slots:clerk:<id>`
(their schedule as cut by `slots.slots_on`), the lists their slots appear in are
`slots:offered_in:<id>` (one per topic they serve, twice), and the window itself — from today
to the booking horizon's last day, Athens dates — is `slots:filled[<id>]`.

What changes a slot's freedom changes the index in the same Lua script: booking takes the
slot out of the clerk's lists (`LUA_SLOT_INDEX.take_slot`), cancelling and moving away put it
back if it is still one of the clerk's working slots (`free_slot`), and a new schedule (hours,
topics, absences) is written with the clerk's record by `_FILL`, which recomputes that
clerk's entries. Days come into the window as the date moves (`top_up`): every process checks
its clock's window before each listing and in its housekeeping, and the per-clerk windows make
the top-up idempotent across processes (compare-and-set on the clerk's record and window).
"""
from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import cast

from .branches import Branch, branch_directory
from .clerks import Clerk, clerk_roster
from .config import ATHENS
from .slots import SlotRules, hold_key, slots_on
from .store import Redis, key

log = logging.getLogger(__name__)
FILLED = key("slots", "filled")


def free_list_key(topic: str, branch: str | None = None) -> str:
    """The free slots of `topic` at `branch`, or at every branch. Ids have no colon, so no
    topic and branch asked for can name another list than theirs (or one that exists)."""
    return key("slots", "free_at", branch, topic) if branch else key("slots", "free", topic)


def schedule_key(clerk_id: str) -> str:
    return key("slots", "clerk", clerk_id)


def offered_in_key(clerk_id: str) -> str:
    return key("slots", "offered_in", clerk_id)


def lists_of(clerk: Clerk) -> list[str]:
    return [k for topic in sorted(clerk.topics) for k in (free_list_key(topic, clerk.branch), free_list_key(topic))]


# Lua functions the booking scripts (bookings.py) call in the same script as the hold changes.
LUA_SLOT_INDEX = """
local function take_slot(offered_in, slot_id)
  for _, list in ipairs(redis.call('SMEMBERS', offered_in)) do redis.call('ZREM', list, slot_id) end
end
local function free_slot(schedule, offered_in, slot_id)
  local start = redis.call('ZSCORE', schedule, slot_id)
  if not start then return end
  for _, list in ipairs(redis.call('SMEMBERS', offered_in)) do redis.call('ZADD', list, start, slot_id) end
end
"""

# KEYS: clerks hash, filled hash, clerk's schedule, clerk's offered_in
# ARGV: clerk id, 'put' (write the record) or 'check' (it must still be this one), record, expected window
#       ('' none; with 'put' not checked), new window, trim below (unix s), '1' rebuild from nothing / '0'
#       extend, hold key prefix, number of lists n, n list keys (rebuild), slot id, start, ...
_FILL = LUA_SLOT_INDEX + """
if ARGV[2] == 'check' then
  if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[3] then return 'stale' end
  if (redis.call('HGET', KEYS[2], ARGV[1]) or '') ~= ARGV[4] then return 'stale' end
else
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
end
local lists = redis.call('SMEMBERS', KEYS[4])
local gone
if ARGV[7] == '1' then
  gone = redis.call('ZRANGE', KEYS[3], 0, -1)
  redis.call('DEL', KEYS[3], KEYS[4])
else
  gone = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', '(' .. ARGV[6])
  redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', '(' .. ARGV[6])
end
for _, list in ipairs(lists) do
  for i = 1, #gone, 1000 do redis.call('ZREM', list, unpack(gone, i, math.min(i + 999, #gone))) end
end
local n = tonumber(ARGV[9])
if ARGV[7] == '1' then
  lists = {}
  for i = 1, n do lists[i] = ARGV[9 + i]; redis.call('SADD', KEYS[4], ARGV[9 + i]) end
end
for i = 10 + n, #ARGV, 2 do
  local slot_id, start = ARGV[i], ARGV[i + 1]
  redis.call('ZADD', KEYS[3], start, slot_id)
  if redis.call('EXISTS', ARGV[8] .. slot_id) == 0 then
    for _, list in ipairs(lists) do redis.call('ZADD', list, start, slot_id) end
  end
end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[5])
return 'ok'
"""

# KEYS: a free list
# ARGV: from (unix s, inclusive), to (unix s, exclusive), how many
# The first `how many` by start, and every other slot at the last one's start (the caller
# orders a time's slots by clerk, as members of one score are ordered by id, not by clerk).
_FIRST_FREE = """
local found = redis.call('ZRANGEBYSCORE', KEYS[1], ARGV[1], '(' .. ARGV[2], 'WITHSCORES', 'LIMIT', 0, ARGV[3])
if #found == 2 * tonumber(ARGV[3]) and #found > 0 then
  local last = found[#found]
  while #found > 0 and found[#found] == last do table.remove(found); table.remove(found) end
  for _, x in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], last, last, 'WITHSCORES')) do table.insert(found, x) end
end
return found
"""
MAX_ATTEMPTS = 5


class RecordWrite(StrEnum):
    """How `_FILL` treats the clerk's record: write it (a change), or fill only while it is
    still the one the slots were cut from (a top-up)."""

    PUT = "put"
    CHECK = "check"


@dataclass(frozen=True)
class Window:
    """The days whose slots a clerk has in the index (Athens dates, both ends included)."""

    first: date
    last: date

    def __str__(self) -> str:
        return f"{self.first.isoformat()}/{self.last.isoformat()}"

    @classmethod
    def parse(cls, raw: str | None) -> Window | None:
        if not raw:
            return None
        first, _, last = raw.partition("/")
        return cls(date.fromisoformat(first), date.fromisoformat(last))

    def days(self) -> Iterable[date]:
        day = self.first
        while day <= self.last:
            yield day
            day += timedelta(days=1)


def midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), ATHENS)


class SlotIndex:
    """Reads and writes the free-slot index; `SlotFinder` decides what to ask it."""

    def __init__(self, redis: Redis, rules: SlotRules):
        self._redis = redis
        self._rules = rules
        self._roster = clerk_roster(redis)
        self._branches = branch_directory(redis)
        self._fill = redis.register_script(_FILL)
        self._first_free = redis.register_script(_FIRST_FREE)
        self._current: Window | None = None  # the window this process last saw every clerk filled for
        self._topping_up = asyncio.Lock()

    def window(self, now: datetime) -> Window:
        """Today to the last day of the booking horizon."""
        return Window(now.astimezone(ATHENS).date(), (now + self._rules.horizon).astimezone(ATHENS).date())

    async def first_free(self, topic: str, branch: str | None, start: datetime, end: datetime,
                         limit: int) -> list[tuple[str, int]]:
        """Up to `limit` free slot ids of `topic` (at `branch`, or anywhere) starting in
        [start, end), with their start (unix s), by start then clerk."""
        if start >= end:
            return []
        found = await self._first_free(keys=[free_list_key(topic, branch)],
                                       args=[int(start.timestamp()), int(end.timestamp()), limit])
        pairs = [(found[i], int(float(found[i + 1]))) for i in range(0, len(found), 2)]
        pairs.sort(key=lambda p: (p[1], p[0].partition("@")[0]))
        return pairs[:limit]

    async def top_up(self, now: datetime, wait: bool = True) -> None:
        """Every clerk's slots from today through the horizon's last day (idempotent; cheap
        once this process has seen the window filled). `wait` False (a listing): while this
        process is already topping up, go on with the index as it is (only the newest day
        may be missing) rather than queue behind it."""
        wanted = self.window(now)
        if self._current == wanted or (not wait and self._topping_up.locked()):
            return
        async with self._topping_up:
            if self._current == wanted:
                return
            records, branches, windows = await self._read_all()
            for clerk_id, record in records.items():
                for _ in range(MAX_ATTEMPTS):
                    if await self._top_up_clerk(clerk_id, record, branches, windows.get(clerk_id) or "", wanted):
                        break
                    fresh, branches, window = await self._read_one(clerk_id)
                    windows[clerk_id] = window
                    if fresh is None:  # the clerk left the roster
                        break
                    record = fresh
                else:  # the listing goes on from the index as it is; the next top-up tries again
                    log.warning("slot index: clerk %s's schedule kept changing while its slots were filled", clerk_id)
                    return
            self._current = wanted

    async def put_clerks(self, clerks: Iterable[Clerk], now: datetime) -> None:
        """Write each clerk's record and, in the same script, their slots from today through
        the horizon (hours, topics and absences as the record has them now)."""
        branches = await self._branch_records()
        wanted = self.window(now)
        for clerk in clerks:
            record = self._roster.stored(clerk)
            await self._run_fill(clerk, branches.get(clerk.branch), RecordWrite.PUT, record, "", wanted, wanted, rebuild=True)

    async def _top_up_clerk(self, clerk_id: str, record: str, branches: dict[str, Branch], raw_window: str,
                            wanted: Window) -> bool:
        have = Window.parse(raw_window)
        if have == wanted:
            return True
        clerk = Clerk.from_dict(json.loads(record))
        extend = have is not None and have.first <= wanted.first <= have.last + timedelta(days=1) <= wanted.last + timedelta(days=1)
        days = Window(have.last + timedelta(days=1), wanted.last) if extend and have else wanted
        return await self._run_fill(clerk, branches.get(clerk.branch), RecordWrite.CHECK, record, raw_window, wanted, days,
                                    rebuild=not extend)

    async def _run_fill(self, clerk: Clerk, branch: Branch | None, mode: RecordWrite, record: str, expected: str,
                        window: Window, days: Window, rebuild: bool) -> bool:
        slots = [s for day in days.days() for s in slots_on(clerk, branch, day, self._rules.minutes)] if branch else []
        lists = lists_of(clerk) if rebuild else []
        result = await self._fill(
            keys=[self._roster.key, FILLED, schedule_key(clerk.id), offered_in_key(clerk.id)],
            args=[clerk.id, str(mode), record, expected, str(window), int(midnight(window.first).timestamp()),
                  "1" if rebuild else "0", hold_key(""), len(lists), *lists,
                  *[x for s in slots for x in (s.id, int(s.start.timestamp()))]],
        )
        return result == "ok"

    async def _branch_records(self) -> dict[str, Branch]:
        return {b.id: b for b in await self._branches.all()}

    async def _read_all(self) -> tuple[dict[str, str], dict[str, Branch], dict[str, str]]:
        filled = cast(dict[str, str], await self._redis.hgetall(FILLED))  # decode_responses: str
        return await self._roster.raw(), await self._branch_records(), filled

    async def _read_one(self, clerk_id: str) -> tuple[str | None, dict[str, Branch], str]:
        record = cast(str | None, await self._redis.hget(self._roster.key, clerk_id))
        window = cast(str | None, await self._redis.hget(FILLED, clerk_id))
        return record, await self._branch_records(), window or ""
