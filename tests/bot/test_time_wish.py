"""Greek free-text time wishes → the window the bot searches for free slots."""
from datetime import datetime

import pytest

from bot.actions.time_wish import ATHENS, parse_time_wish

MONDAY_9 = datetime(2030, 2, 4, 9, 0, tzinfo=ATHENS)


def window(text):
    wish = parse_time_wish(text, MONDAY_9)
    assert wish is not None, text
    fmt = "%a %d/%m %H:%M"
    return wish.earliest.strftime(fmt), wish.latest.strftime(fmt) if wish.latest else None, wish.target.strftime(fmt)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("αύριο το πρωί", ("Tue 05/02 08:00", "Tue 05/02 12:00", "Tue 05/02 09:00")),
        ("avrio to prwi", ("Tue 05/02 08:00", "Tue 05/02 12:00", "Tue 05/02 09:00")),
        ("την Τρίτη στις 11", ("Tue 05/02 00:00", "Wed 06/02 00:00", "Tue 05/02 11:00")),
        ("15/12 10:30", ("Sun 15/12 00:00", "Mon 16/12 00:00", "Sun 15/12 10:30")),
        ("μεθαύριο μετά τις 12", ("Wed 06/02 12:00", "Thu 07/02 00:00", "Wed 06/02 12:00")),
        ("ΤΗΝ ΠΑΡΑΣΚΕΥΗ ΤΟ ΑΠΟΓΕΥΜΑ", ("Fri 08/02 15:00", "Fri 08/02 20:00", "Fri 08/02 16:00")),
        ("στις 5", ("Mon 04/02 09:00", "Tue 05/02 00:00", "Mon 04/02 17:00")),  # afternoon at a public office
        ("15 Δεκεμβρίου στις 10", ("Sun 15/12 00:00", "Mon 16/12 00:00", "Sun 15/12 10:00")),
    ],
)
def test_wishes(text, expected):
    assert window(text) == expected


def test_as_soon_as_possible_has_no_upper_bound():
    assert window("το συντομότερο") == ("Mon 04/02 09:00", None, "Mon 04/02 09:00")


@pytest.mark.parametrize("text", ["Θεσσαλονίκη", "Μαρία Παπαδοπούλου", "ath-georgiou@20300205T0900Z", "ναι"])
def test_text_without_a_time_is_not_a_wish(text):
    assert parse_time_wish(text, MONDAY_9) is None
