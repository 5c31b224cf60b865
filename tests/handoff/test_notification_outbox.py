"""The transactional outbox: every booking change a citizen should hear about writes its
message (and moves its reminders) in the same script as the change; a refused change writes
nothing; due reminders move into the stream once, whoever asks."""
from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from handoff.api.keys import CONSOLE
from handoff.config import ATHENS
from handoff.notifications import SCHEDULED, NotificationKind, Schedule, reminder_times

from .helpers import AUTH, add_accounts, book, first_free_slot, outbox_messages, sign_in

Kind = NotificationKind


@pytest.fixture(autouse=True)
async def accounts(redis):
    await add_accounts(redis)


def athens(*args: int) -> datetime:
    return datetime(*args, tzinfo=ATHENS)


async def test_a_booking_writes_its_confirmation_and_two_reminders(client, redis):
    booking = await book(client, after="2030-02-07T10:00:00+02:00")
    [message] = await outbox_messages(redis)
    assert (message.kind, message.reference, message.manage_code) == (Kind.BOOKED, booking["reference"], booking["manage_token"])
    assert message.start == datetime.fromisoformat(booking["start"]) and message.branch == booking["branch"]
    due = await Schedule(redis).due_times(booking["reference"])
    start = datetime.fromisoformat(booking["start"])
    assert due == {Kind.REMINDER_DAY: start - timedelta(days=1), Kind.REMINDER_HOURS: start - timedelta(hours=2)}


async def test_reminders_already_past_are_not_scheduled(client, redis, clock):
    # It is 07:00; a slot after 10:00 today leaves only the two-hour reminder, one at 08:30 none.
    three_hours = await book(client, after="2030-02-04T10:00:00+02:00")
    assert timedelta(hours=3) <= datetime.fromisoformat(three_hours["start"]) - clock.now < timedelta(hours=4)
    assert set(await Schedule(redis).due_times(three_hours["reference"])) == {Kind.REMINDER_HOURS}
    soon = await book(client, after=None)
    assert datetime.fromisoformat(soon["start"]) - clock.now < timedelta(hours=2)
    assert await Schedule(redis).due_times(soon["reference"]) == {}
    assert [m.kind for m in await outbox_messages(redis)] == [Kind.BOOKED, Kind.BOOKED]


async def test_citizen_reschedule_tells_both_times_and_moves_the_reminders(client, redis):
    booking = await book(client, after="2030-02-07T10:00:00+02:00")
    later = await first_free_slot(client, after="2030-02-12T09:00:00+02:00")
    resp = await client.post(f"/api/bookings/{booking['reference']}/reschedule", json={"slot_id": later["slot_id"]},
                             headers={"X-Manage-Token": booking["manage_token"]})
    assert resp.status == 200
    _, moved = await outbox_messages(redis)
    assert moved.kind is Kind.RESCHEDULED and moved.manage_code == ""
    assert moved.start == datetime.fromisoformat(later["start"])
    assert moved.previous_start == datetime.fromisoformat(booking["start"])
    due = await Schedule(redis).due_times(booking["reference"])
    assert due[Kind.REMINDER_DAY] == datetime.fromisoformat(later["start"]) - timedelta(days=1)


async def test_citizen_cancel_tells_and_drops_the_reminders(client, redis):
    booking = await book(client, after="2030-02-07T10:00:00+02:00")
    resp = await client.post(f"/api/bookings/{booking['reference']}/cancel", headers={"X-Manage-Token": booking["manage_token"]})
    assert resp.status == 200
    assert [m.kind for m in await outbox_messages(redis)] == [Kind.BOOKED, Kind.CANCELLED]
    assert await Schedule(redis).due_times(booking["reference"]) == {}
    assert await redis.zcard(SCHEDULED) == 0 and await redis.hlen(SCHEDULED + ":payloads") == 0


async def test_refused_changes_write_nothing(client, redis, clock):
    first = await book(client)
    second = await book(client)
    taken = await client.post(f"/api/bookings/{first['reference']}/reschedule",
                              json={"slot_id": second["slot_id"]}, headers=AUTH)
    assert taken.status == 409
    once = await client.post(f"/api/bookings/{second['reference']}/cancel", headers=AUTH)
    again = await client.post(f"/api/bookings/{second['reference']}/cancel", headers=AUTH)
    assert (once.status, again.status) == (200, 409)
    clock.now = datetime.fromisoformat(first["start"]) - timedelta(hours=1)  # inside the change notice
    too_late = await client.post(f"/api/bookings/{first['reference']}/cancel", headers=AUTH)
    assert too_late.status == 409
    assert [(m.kind, m.reference) for m in await outbox_messages(redis)] == [
        (Kind.BOOKED, first["reference"]), (Kind.BOOKED, second["reference"]), (Kind.CANCELLED, second["reference"])]


async def test_the_service_cancels_with_a_reason_the_citizen_is_told(aiohttp_client, client, redis):
    booking = await book(client, "identity_documents", after="2030-02-07T10:00:00+02:00")
    ref = booking["reference"]
    clerk, csrf_c = await sign_in(aiohttp_client, client, "ath-alexiou")
    supervisor, csrf_s = await sign_in(aiohttp_client, client, "supervisor")
    reason = "Ο υπάλληλος απουσιάζει λόγω ασθένειας."
    refused = await clerk.post(f"/api/clerk/bookings/{ref}/cancel", json={"reason": reason}, headers={"X-CSRF-Token": csrf_c})
    assert refused.status == 403
    no_reason = await supervisor.post(f"/api/clerk/bookings/{ref}/cancel", json={"reason": " "}, headers={"X-CSRF-Token": csrf_s})
    assert no_reason.status == 422 and "reason" in (await no_reason.json())["error"]["fields"]
    done = await supervisor.post(f"/api/clerk/bookings/{ref}/cancel", json={"reason": reason}, headers={"X-CSRF-Token": csrf_s})
    assert done.status == 200 and (await done.json())["status"] == "cancelled"
    _, cancelled = await outbox_messages(redis)
    assert (cancelled.kind, cancelled.reason) == (Kind.CANCELLED_BY_SERVICE, reason)
    assert await Schedule(redis).due_times(ref) == {}


async def test_the_service_moves_to_another_time_and_the_citizen_is_told(aiohttp_client, client, redis):
    booking = await book(client, "identity_documents", after="2030-02-07T10:00:00+02:00")
    ref = booking["reference"]
    later = await first_free_slot(client, "identity_documents", after="2030-02-08T11:00:00+02:00", branch="kep-athina")
    supervisor, csrf = await sign_in(aiohttp_client, client, "supervisor")
    same_time = await supervisor.post(f"/api/clerk/bookings/{ref}/move", json={"slot_id": booking["slot_id"], "reason": "x"},
                                      headers={"X-CSRF-Token": csrf})
    assert same_time.status == 409
    resp = await supervisor.post(f"/api/clerk/bookings/{ref}/move", headers={"X-CSRF-Token": csrf},
                                 json={"slot_id": later["slot_id"], "reason": "Το ΚΕΠ κλείνει νωρίτερα εκείνη την ημέρα."})
    assert resp.status == 200 and (await resp.json())["start"] == later["start"]
    _, moved = await outbox_messages(redis)
    assert moved.kind is Kind.MOVED_BY_SERVICE and moved.reason.startswith("Το ΚΕΠ κλείνει")
    assert (moved.previous_start, moved.start) == (datetime.fromisoformat(booking["start"]), datetime.fromisoformat(later["start"]))
    assert (await Schedule(redis).due_times(ref))[Kind.REMINDER_HOURS] == moved.start - timedelta(hours=2)


async def test_another_clerk_at_the_same_time_is_not_news_for_the_citizen(aiohttp_client, client, redis):
    booking = await book(client, "identity_documents", after="2030-02-07T10:00:00+02:00")
    other = "ath-papadopoulou" if booking["clerk"] == "ath-alexiou" else "ath-alexiou"
    supervisor, csrf = await sign_in(aiohttp_client, client, "supervisor")
    before = await Schedule(redis).due_times(booking["reference"])
    resp = await supervisor.post(f"/api/clerk/bookings/{booking['reference']}/reassign", json={"clerk": other},
                                 headers={"X-CSRF-Token": csrf})
    assert resp.status == 200
    assert [m.kind for m in await outbox_messages(redis)] == [Kind.BOOKED]
    assert await Schedule(redis).due_times(booking["reference"]) == before


async def test_a_no_show_is_told_how_to_book_again(client, redis, clock):
    booking = await book(client, after=None)
    clock.now = datetime.fromisoformat(booking["start"]) + timedelta(minutes=30)
    assert await client.server.app[CONSOLE].mark_no_shows() == [booking["reference"]]
    assert await client.server.app[CONSOLE].mark_no_shows() == []
    assert [m.kind for m in await outbox_messages(redis)] == [Kind.BOOKED, Kind.NO_SHOW]


def test_reminder_times_across_the_daylight_saving_changes():
    # Summer time starts on the last Sunday of March (31/3/2030, 03:00 → 04:00) and ends on the
    # last Sunday of October (27/10/2030, 04:00 → 03:00). The day-before reminder keeps the
    # clock time (the citizen reads "tomorrow at 10:00"), the two-hour one counts real hours.
    monday_after_spring = reminder_times(athens(2030, 4, 1, 10, 0))
    assert monday_after_spring[Kind.REMINDER_DAY].astimezone(UTC) == datetime(2030, 3, 31, 7, 0, tzinfo=UTC)
    assert monday_after_spring[Kind.REMINDER_HOURS].astimezone(UTC) == datetime(2030, 4, 1, 5, 0, tzinfo=UTC)
    def hours_before(start: datetime, kind: Kind) -> float:
        return (start.astimezone(UTC) - reminder_times(start)[kind].astimezone(UTC)) / timedelta(hours=1)

    def athens_clock(start: datetime, kind: Kind) -> str:
        return reminder_times(start)[kind].astimezone(ATHENS).strftime("%d/%m %H:%M")

    sunday_dawn = athens(2030, 3, 31, 5, 0)  # 02:00 UTC, two hours after the change
    assert (hours_before(sunday_dawn, Kind.REMINDER_DAY), athens_clock(sunday_dawn, Kind.REMINDER_DAY)) == (23, "30/03 05:00")
    # two real hours, which the clock shows as three
    assert (hours_before(sunday_dawn, Kind.REMINDER_HOURS), athens_clock(sunday_dawn, Kind.REMINDER_HOURS)) == (2, "31/03 02:00")
    autumn_dawn = athens(2030, 10, 27, 5, 0)  # 03:00 UTC, after the change back
    assert (hours_before(autumn_dawn, Kind.REMINDER_DAY), athens_clock(autumn_dawn, Kind.REMINDER_DAY)) == (25, "26/10 05:00")
    assert (hours_before(autumn_dawn, Kind.REMINDER_HOURS), athens_clock(autumn_dawn, Kind.REMINDER_HOURS)) == (2, "27/10 03:00")


# Booked in one offset for a slot in the other: the reminders keep the Athens clock of their own
# day (a bug using the offset of the booking day would be an hour off). 28/10 is a holiday.
@pytest.mark.parametrize("booked_on, after, day_before_utc, day_before", [
    ("2030-03-25T09:00:00+02:00", "2030-04-01T10:10:00+03:00", datetime(2030, 3, 31, 7, 10, tzinfo=UTC), "Sun 10:10"),
    ("2030-10-21T09:00:00+03:00", "2030-10-29T10:10:00+02:00", datetime(2030, 10, 28, 8, 10, tzinfo=UTC), "Mon 10:10"),
])
async def test_booked_before_a_clock_change_reminded_on_the_clock_after_it(
    client, redis, clock, booked_on, after, day_before_utc, day_before
):
    clock.now = datetime.fromisoformat(booked_on)
    booking = await book(client, after=after)
    assert booking["start"] == after
    due = await Schedule(redis).due_times(booking["reference"])
    assert due[Kind.REMINDER_DAY].astimezone(UTC) == day_before_utc
    assert due[Kind.REMINDER_DAY].astimezone(ATHENS).strftime("%a %H:%M") == day_before
    assert due[Kind.REMINDER_HOURS].astimezone(ATHENS).strftime("%H:%M") == "08:10"


async def test_due_reminders_move_into_the_stream_once_whoever_asks(client, redis):
    booking = await book(client, after="2030-02-07T10:00:00+02:00")
    start = datetime.fromisoformat(booking["start"])
    schedule = Schedule(redis)
    day_before = start - timedelta(days=1)
    assert await schedule.release_due(day_before - timedelta(seconds=1)) == 0
    moved = await asyncio.gather(*(Schedule(redis).release_due(day_before) for _ in range(8)))
    assert sorted(moved) == [0] * 7 + [1]
    reminders = [m for m in await outbox_messages(redis) if m.kind.is_reminder]
    assert [(m.kind, m.reference, m.start) for m in reminders] == [(Kind.REMINDER_DAY, booking["reference"], start)]
    assert set(await schedule.due_times(booking["reference"])) == {Kind.REMINDER_HOURS}
    assert await schedule.release_due(start) == 1
    assert await redis.zcard(SCHEDULED) == 0
