"""Slots are cut from working hours, within branch hours, skipping holidays and absences."""
from datetime import date, datetime, timedelta

import pytest

from handoff.branches import Branch
from handoff.clerks import Absence, Clerk
from handoff.config import ATHENS
from handoff.errors import Unprocessable
from handoff.slots import Slot, SlotFinder, SlotRules, parse_slot_id, slots_on
from handoff.working_time import holiday_name, parse_weekly_hours

WEEKDAYS_9_TO_13 = {d: [["09:00", "13:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}
BRANCH = Branch("b", "ΚΕΠ", "Αθήνα", "", "1500", parse_weekly_hours({**WEEKDAYS_9_TO_13, "fri": [["09:00", "11:00"]]}))


def clerk(**kw) -> Clerk:
    return Clerk(
        id="c1", name="Κ", branch="b", topics=["tax"],
        working_hours=parse_weekly_hours(kw.pop("hours", {d: [["08:00", "12:00"]] for d in WEEKDAYS_9_TO_13})),
        **kw,
    )


def test_slots_are_the_overlap_of_clerk_and_branch_hours():
    slots = slots_on(clerk(), BRANCH, date(2027, 5, 5), 20)  # a Wednesday
    assert slots[0].start == datetime(2027, 5, 5, 9, 0, tzinfo=ATHENS)  # branch opens at 9
    assert slots[-1].end == datetime(2027, 5, 5, 12, 0, tzinfo=ATHENS)  # clerk stops at 12
    assert len(slots) == 9
    friday = slots_on(clerk(), BRANCH, date(2027, 5, 7), 20)
    assert friday[-1].end == datetime(2027, 5, 7, 11, 0, tzinfo=ATHENS)


@pytest.mark.parametrize(
    "day",
    [date(2027, 3, 15), date(2027, 3, 25), date(2027, 4, 30), date(2027, 5, 3), date(2027, 6, 21), date(2027, 10, 28)],
    ids=["clean-monday", "25-march", "good-friday", "easter-monday", "whit-monday", "28-october"],
)
def test_no_slots_on_greek_public_holidays(day):
    assert holiday_name(day)
    assert slots_on(clerk(), BRANCH, day, 20) == []


def test_slots_resume_the_day_after_easter_monday_week():
    assert slots_on(clerk(), BRANCH, date(2027, 5, 5), 20)


def test_no_slots_during_an_absence_inclusive():
    away = clerk(absences=[Absence(date(2027, 5, 5), date(2027, 5, 6), "άδεια")])
    assert slots_on(away, BRANCH, date(2027, 5, 5), 20) == []
    assert slots_on(away, BRANCH, date(2027, 5, 6), 20) == []
    assert slots_on(away, BRANCH, date(2027, 5, 7), 20)


def test_slots_keep_local_time_across_daylight_saving():
    winter = slots_on(clerk(), BRANCH, date(2027, 3, 26), 20)[0]
    summer = slots_on(clerk(), BRANCH, date(2027, 3, 29), 20)[0]
    assert (winter.start.hour, summer.start.hour) == (9, 9)
    assert winter.id == "c1@20270326T0700Z" and summer.id == "c1@20270329T0600Z"


def test_slot_id_round_trips_and_rejects_garbage():
    slot = Slot("c1", "b", datetime(2027, 5, 5, 9, 0, tzinfo=ATHENS), datetime(2027, 5, 5, 9, 20, tzinfo=ATHENS))
    assert parse_slot_id(slot.id) == ("c1", slot.start)
    for bad in ("", "c1", "c1@", "@20270505T0600Z", "c1@2027-05-05", "c1@20271305T0600Z"):
        with pytest.raises(Unprocessable):
            parse_slot_id(bad)


def test_resolve_refuses_slots_inside_the_lead_time_and_off_schedule():
    finder = SlotFinder(index=None, roster=None, rules=SlotRules(20, timedelta(hours=1), timedelta(days=28)))
    now = datetime(2027, 5, 5, 9, 30, tzinfo=ATHENS)
    c = clerk()
    assert finder.resolve("c1@20270505T0800Z", c, BRANCH, now).start.hour == 11  # 11:00 local
    with pytest.raises(Unprocessable, match="πολύ κοντά"):
        finder.resolve("c1@20270505T0700Z", c, BRANCH, now)  # 10:00, inside the hour of lead
    with pytest.raises(Unprocessable):
        finder.resolve("c1@20270505T0710Z", c, BRANCH, now)  # 10:10 is not on the 20-minute grid
    with pytest.raises(Unprocessable):
        finder.resolve("c1@20270503T0700Z", c, BRANCH, now)  # Easter Monday
