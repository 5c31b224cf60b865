"""The bot promises exactly the messages the service's public config says it sends, and says
before the booking until when it can be changed."""
from datetime import datetime, timedelta

import pytest

from bot.actions.promises import change_deadline_note, email_question, messages_sentence, mobile_question
from bot.actions.time_wish import ATHENS

NOTHING = {"channels": [], "confirmation": False, "reminders_hours_before": []}
EVERYTHING = {"channels": ["sms", "email"], "confirmation": True, "reminders_hours_before": [2, 24]}


def test_nothing_sent_nothing_promised():
    said = " ".join([messages_sentence(NOTHING, True), mobile_question(NOTHING), email_question(NOTHING)])
    assert "υπενθύμιση" not in said and "επιβεβαίωση" not in said and "Θα λάβετε" not in said
    assert "Δεν θα σας σταλεί SMS ή email" in said


@pytest.mark.parametrize("has_email, sentence", [
    (True, "Θα λάβετε με SMS και email επιβεβαίωση και υπενθύμιση μία ημέρα και δύο ώρες πριν."),
    (False, "Θα λάβετε με SMS επιβεβαίωση και υπενθύμιση μία ημέρα και δύο ώρες πριν."),
])
def test_what_is_sent_is_said(has_email, sentence):
    assert messages_sentence(EVERYTHING, has_email) == sentence
    assert "μηνύματα" in mobile_question(EVERYTHING) and "μηνύματα" in email_question(EVERYTHING)


def test_email_alone_is_promised_only_to_who_gave_one():
    email_only = {"channels": ["email"], "confirmation": True, "reminders_hours_before": []}
    assert messages_sentence(email_only, True) == "Θα λάβετε με email επιβεβαίωση."
    assert messages_sentence(email_only, False).startswith("Δεν θα σας σταλεί")
    assert "μηνύματα" not in mobile_question(email_only)


def test_a_slot_inside_the_change_deadline_is_announced_before_booking():
    now = datetime(2030, 2, 4, 9, 0, tzinfo=ATHENS)
    soon = change_deadline_note(now + timedelta(hours=5), now, 8)
    assert soon.startswith("Προσοχή") and "λιγότερο από 8 ώρες" in soon and "δεν θα μπορείτε" in soon
    later = change_deadline_note(datetime(2030, 2, 6, 10, 30, tzinfo=ATHENS), now, 8)
    assert later == "Αλλαγή ή ακύρωση: έως Τετάρτη 6 Φεβρουαρίου, 02:30."
