"""The free-slot index in Redis stays what a walk over every clerk's schedule gives, whatever
happens in between: bookings, cancellations, moves, reassignments, absences, new hours and
topics, and the date moving on (a property test on the real Redis)."""
from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import datetime, time, timedelta

import redis.asyncio as aioredis
from hypothesis import given, settings
from hypothesis import strategies as st

from handoff.appointments import Appointments
from handoff.bookings import parse_new_booking
from handoff.clerk_schedule import ClerkSchedule, parse_period
from handoff.clerks import Clerk
from handoff.config import ATHENS, Settings
from handoff.errors import DomainError
from handoff.slot_index import free_list_key
from handoff.slots import hold_key, slots_on
from handoff.working_time import parse_weekly_hours

from .conftest import Clock
from .helpers import NOW, booking_body, citizen, seed_data

TOPICS = ["tax", "identity_documents", "welfare", "migration", "civil_registry", "property"]
HOURS = [
    {d: [["08:30", "14:30"]] for d in ("mon", "tue", "wed", "thu", "fri")},
    {d: [["13:00", "19:40"]] for d in ("mon", "tue", "wed", "thu", "fri")},
    {"mon": [["10:00", "12:00"]], "wed": [["09:00", "10:20"], ["11:00", "13:00"]]},
    {},
]
SETTINGS = Settings(max_bookings_per_citizen=0, secret_key="test-secret", public_url="http://kep.test")

steps = st.one_of(
    st.tuples(st.just("book"), st.sampled_from(TOPICS), st.booleans(), st.integers(0, 30)),
    st.tuples(st.just("cancel"), st.integers(0, 50)),
    st.tuples(st.just("move"), st.integers(0, 50), st.integers(0, 30)),
    st.tuples(st.just("reassign"), st.integers(0, 50)),
    st.tuples(st.just("absence"), st.integers(0, 8), st.integers(0, 10), st.integers(7, 18), st.integers(1, 40)),
    st.tuples(st.just("back"), st.integers(0, 8)),
    st.tuples(st.just("schedule"), st.integers(0, 8), st.sets(st.sampled_from(TOPICS), min_size=1, max_size=3),
              st.integers(0, len(HOURS) - 1)),
    st.tuples(st.just("later"), st.integers(0, 3), st.integers(0, 23)),
)


async def from_scratch(appointments: Appointments, redis: aioredis.Redis, now: datetime) -> dict[str, set[tuple[str, int]]]:
    """Every free list as a walk over each clerk's schedule from today to the horizon gives it."""
    window = appointments.slot_index.window(now)
    branches = {b.id: b for b in await appointments.branches.all()}
    expected: dict[str, set[tuple[str, int]]] = {}
    for clerk in await appointments.clerks.all():
        slots = [s for day in window.days() for s in slots_on(clerk, branches[clerk.branch], day, SETTINGS.slot_minutes)]
        held = await redis.mget([hold_key(s.id) for s in slots]) if slots else []
        for slot, hold in zip(slots, held, strict=True):
            if hold is None:
                for topic in clerk.topics:
                    for list_key in (free_list_key(topic, clerk.branch), free_list_key(topic)):
                        expected.setdefault(list_key, set()).add((slot.id, int(slot.start.timestamp())))
    return expected


async def in_the_index(redis: aioredis.Redis) -> dict[str, set[tuple[str, int]]]:
    found = {}
    async for list_key in redis.scan_iter(match="kep:slots:free*"):
        found[list_key] = {(m, int(s)) for m, s in await redis.zrange(list_key, 0, -1, withscores=True)}
    return found


async def play(redis_url: str, script: list[tuple]) -> None:
    redis = aioredis.from_url(redis_url, decode_responses=True)
    await redis.flushdb()
    clock = Clock(NOW)
    await seed_data(redis)
    appointments = Appointments(redis, SETTINGS, clock)
    schedule = ClerkSchedule(redis, appointments, clock)
    clerks = [c.id for c in await appointments.clerks.all()]
    made: list[str] = []
    try:
        for step in script:
            try:
                await perform(step, appointments, schedule, clerks, made, clock)
            except DomainError:
                pass  # a step the rules refuse (too late to change, nobody free): the index must not care
        await appointments.top_up_slots()
        assert await in_the_index(redis) == await from_scratch(appointments, redis, clock.now)
        for topic in TOPICS:  # and the citizen's list is the walk's first slots, by start then clerk
            expected = sorted(
                ((at, slot_id.partition("@")[0], slot_id) for slot_id, at in (await from_scratch(appointments, redis, clock.now)).get(free_list_key(topic), ())
                 if at >= (clock.now + timedelta(hours=1)).timestamp()),
            )[:12]
            listed = await appointments.free_slots(topic, None, None, 12)
            assert [s.id for s in listed] == [slot_id for _, _, slot_id in expected]
    finally:
        await redis.aclose()


async def perform(step: tuple, appointments: Appointments, schedule: ClerkSchedule, clerks: list[str],
                  made: list[str], clock: Clock) -> None:
    kind, *args = step
    if kind == "book":
        topic, at_branch, pick = args
        free = await appointments.free_slots(topic, "kep-athina" if at_branch else None, None, 30)
        if free:
            n = len(made)
            body = booking_body(free[pick % len(free)].id, topic, citizen=citizen(id_card=f"ΑΚ {300000 + n}", mobile=f"69{3000000 + n:08d}"))
            made.append((await appointments.book(parse_new_booking(body))).booking.reference)
    elif kind in ("cancel", "move", "reassign") and made:
        booking = await appointments.find(made[args[0] % len(made)], None, trusted=True)
        if kind == "cancel":
            await appointments.cancel_by_service(booking, "test", "δοκιμή")
        elif kind == "move":
            free = await appointments.free_slots(booking.topic, None, None, 30)
            if free:
                await appointments.reschedule(booking.reference, free[args[1] % len(free)].id, None, "test", trusted=True)
        else:
            others = await appointments.reassignable_clerks(booking)
            if others:
                await appointments.reassign(booking, others[0].id, "test")
    elif kind == "absence":
        clerk_no, day, hour, hours = args
        clerk = await appointments.clerks.get(clerks[clerk_no % len(clerks)])
        begins = datetime.combine(clock.now.astimezone(ATHENS).date() + timedelta(days=day), time(hour))
        ends = begins + timedelta(hours=hours)
        await schedule.add_absence(clerk, parse_period(begins.isoformat(), ends.isoformat(), "δοκιμή", clock.now), "test")
    elif kind == "back":
        clerk = await appointments.clerks.get(clerks[args[0] % len(clerks)])
        if clerk.absences:
            await schedule.remove_absence(clerk, clerk.absences[-1], "test")
    elif kind == "schedule":
        clerk_no, topics, hours = args
        clerk = await appointments.clerks.get(clerks[clerk_no % len(clerks)])
        await schedule.change(clerk, sorted(topics), parse_weekly_hours(HOURS[hours]), "test")
    elif kind == "later":
        clock.now += timedelta(days=args[0], hours=args[1])


@settings(max_examples=30, deadline=None)
@given(st.lists(steps, min_size=1, max_size=14))
def test_the_index_is_what_a_walk_over_the_schedules_gives(redis_server, script):
    asyncio.run(play(redis_server.url, script))


async def test_a_time_two_clerks_have_free_is_listed_by_clerk_then_the_next_time(redis, clock):
    """Members of one start are ordered by slot id in Redis («kep-a2@…» before «kep-a@…»);
    the list orders them by clerk, as before, even when the page ends among them."""
    await seed_data(redis)
    appointments = Appointments(redis, SETTINGS, clock)
    hours = parse_weekly_hours({"tue": [["09:00", "09:40"]]})
    twins = [Clerk(cid, cid, "kep-patra", ["agriculture"], hours) for cid in ("kep-a2", "kep-a")]
    others = [replace(c, topics=[t for t in c.topics if t != "agriculture"]) for c in await appointments.clerks.all()]
    await appointments.put_clerks([*others, *twins])
    first = await appointments.free_slots("agriculture", "kep-patra", None, 1)
    assert [s.id for s in first] == ["kep-a@20300205T0700Z"]
    three = await appointments.free_slots("agriculture", None, None, 3)
    assert [s.id for s in three] == ["kep-a@20300205T0700Z", "kep-a2@20300205T0700Z", "kep-a@20300205T0720Z"]
    assert {s.branch for s in three} == {"kep-patra"}
    assert three[0].start == datetime(2030, 2, 5, 9, 0, tzinfo=ATHENS) and three[0].end == datetime(2030, 2, 5, 9, 20, tzinfo=ATHENS)


async def test_a_topic_or_branch_that_does_not_exist_is_refused_not_read_as_another_list(client):
    """Listing reads the list its topic and branch name, and checks them only when it is empty:
    no spelling of an unknown one reaches a list that exists."""
    known = await client.get("/api/slots", params={"topic": "tax", "branch": "kep-athina", "limit": "1"})
    assert known.status == 200 and len(await known.json()) == 1
    for params, code in [({"topic": "kep-athina:tax"}, "unknown_topic"), ({"topic": "tax", "branch": "kep-athina:tax"}, "unknown_branch"),
                         ({"topic": "tax:kep-athina"}, "unknown_topic"), ({"topic": "tax", "branch": "all"}, "unknown_branch")]:
        resp = await client.get("/api/slots", params=params)
        assert resp.status == 422, params
        assert (await resp.json())["error"]["code"] == code, params


async def test_processes_topping_up_at_once_while_a_schedule_changes_agree(redis, clock):
    """Two processes see the date move at the same moment a supervisor changes a clerk's
    hours and topics: whichever order their scripts run in, the index is the walk's."""
    await seed_data(redis)
    first, second = Appointments(redis, SETTINGS, clock), Appointments(redis, SETTINGS, clock)
    schedule = ClerkSchedule(redis, first, clock)
    for days in (3, 1, 30):
        clock.now += timedelta(days=days)
        clerk = await first.clerks.get("ath-alexiou")
        await asyncio.gather(first.top_up_slots(), second.top_up_slots(),
                             schedule.change(clerk, ["migration", "tax"], parse_weekly_hours(HOURS[days % 3]), "test"))
        assert await in_the_index(redis) == await from_scratch(first, redis, clock.now)
