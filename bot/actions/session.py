"""What one booking conversation holds, and how it is cleared: after a booking, a stop, or a
new question the citizen starts clean (identity answers are kept, and shown again at the
summary, so a second booking in the same chat does not ask for them twice)."""
from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet

SORRY_UNAVAILABLE = (
    "Λυπάμαι, η υπηρεσία κρατήσεων δεν απαντά αυτή τη στιγμή. Δοκιμάστε ξανά σε λίγα λεπτά "
    "ή καλέστε τη γραμμή των ΚΕΠ 1500."
)
MAX_ATTEMPTS = 3
IDENTITY_SLOTS = ("full_name", "id_document", "lost_document", "id_card", "afm_or_amka", "mobile", "email", "consent")
BOOKING_SLOTS = ("branch", "slot_id", "slot_offer", "booking_outcome", "attempts", "gave_up")
CHANGE_SLOTS = ("booking_reference", "manage_code")
RECOVERY_SLOTS = ("recovery_method", "recovery_document", "recovery_mobile", "found_bookings")  # find_booking.py
TOPIC_SLOTS = ("topic", "question", "topic_confidence", "topic_candidates")


def _clear(tracker: Tracker, names: tuple[str, ...]) -> list[EventType]:
    # Only slots that hold something: a SlotSet(None) would make the next form validate it.
    return [SlotSet(name, None) for name in names if tracker.get_slot(name) is not None]


def fresh_booking(tracker: Tracker) -> list[EventType]:
    return _clear(tracker, BOOKING_SLOTS + ("appointment",) + CHANGE_SLOTS + RECOVERY_SLOTS)


def forget_everything(tracker: Tracker) -> list[EventType]:
    """After a stop: nothing of the abandoned booking stays behind."""
    return _clear(tracker, BOOKING_SLOTS + ("appointment",) + CHANGE_SLOTS + RECOVERY_SLOTS + IDENTITY_SLOTS + TOPIC_SLOTS)
