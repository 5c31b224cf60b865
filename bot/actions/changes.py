"""Cancelling or moving a booking in the chat, with its reference and manage code, up to the
change deadline the handoff service states (8 hours before, by default); later than that
the citizen is given the branch's contact."""
from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.nlu.greek_text import LATIN_LOOKALIKES

from .attempts import GivingUpForm, failed, succeeded
from .booking_card import booking_card, card_text
from .greek_format import when
from .handoff_api import ApiError, HandoffUnavailable, api
from .session import SORRY_UNAVAILABLE, fresh_booking

UTC = timezone.utc  # datetime.UTC is Python 3.11+; the bot runs on 3.10

# References look like KEP-7K3F9Q; citizens type them in Greek letters too (Κ, Ε, Ρ…).
_WITH_PREFIX = re.compile(r"\bKEP[\s-]*([2-9A-Z]{6})\b")
_BARE = re.compile(r"\b(?=[A-Z]*[2-9])([2-9A-Z]{6})\b")  # without "KEP-", a digit tells it from a word


_MANAGE_CODE = re.compile(r"^[2-9A-Z]{10}$")


def manage_code_typed(text: str) -> str | None:
    """A manage code as typed on a Greek or Latin keyboard, any case, with spaces or dashes."""
    code = re.sub(r"[\s\-]", "", text.upper().translate(LATIN_LOOKALIKES))
    return code if _MANAGE_CODE.match(code) else None


def parse_reference(text: str) -> str | None:
    latin = text.upper().replace("ΚΕΠ", "KEP").translate(LATIN_LOOKALIKES)
    match = _WITH_PREFIX.search(latin) or _BARE.search(latin)
    return f"KEP-{match.group(1)}" if match else None


class ActionStartChange(Action):
    """Remembers whether the citizen came to cancel or to move, for the rules after the form."""

    def name(self) -> str:
        return "action_start_change"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        mode = "cancel" if tracker.latest_message["intent"]["name"] == "cancel_booking" else "reschedule"
        reference = parse_reference(tracker.latest_message.get("text") or "")
        found = [SlotSet("booking_reference", reference)] if reference else []
        return [*fresh_booking(tracker), SlotSet("manage_mode", mode), *found]


class ValidateManageForm(GivingUpForm):
    def name(self) -> str:
        return "validate_manage_form"

    async def validate_booking_reference(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value is None:
            return {}
        reference = parse_reference(str(value))
        if reference is None:
            return await failed(
                dispatcher, tracker, "booking_reference",
                "Ο κωδικός ραντεβού μοιάζει με KEP-7K3F9Q: «KEP», παύλα και 6 γράμματα ή ψηφία. Σας δόθηκε όταν κλείσατε το ραντεβού.",
            )
        return succeeded("booking_reference", reference)

    async def validate_manage_code(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value is None:
            return {}
        reference = tracker.get_slot("booking_reference")
        code = manage_code_typed(str(value)) or str(value).strip()  # as printed: the card shows it again
        try:
            booking = await api.booking(reference, code)
            branches = await api.branches()
        except HandoffUnavailable:
            dispatcher.utter_message(text=SORRY_UNAVAILABLE)
            return {"manage_code": None, "gave_up": True}
        except ApiError:
            # One answer for a reference that does not exist and a code that does not match it
            # (the service does not tell them apart): both are asked again.
            return await failed(dispatcher, tracker, "booking_reference",
                                "Δεν βρήκα ραντεβού με αυτόν τον κωδικό ραντεβού και αυτόν τον κωδικό διαχείρισης. "
                                "Ελέγξτε τους· γράψτε πρώτα ξανά τον κωδικό του ραντεβού.") | {"manage_code": None}
        branch = branches.get(booking["branch"], {})
        refusal = _why_not_changeable(booking, branch)
        if refusal:
            dispatcher.utter_message(text=refusal)
            return {"manage_code": None, "gave_up": True}
        dispatcher.utter_message(text=f"Βρήκα το ραντεβού σας: {when(booking['start'])}, {branch.get('name', '')}.")
        return succeeded("manage_code", code) | {"topic": booking["topic"], "branch": booking["branch"]}


def _why_not_changeable(booking: dict[str, Any], branch: dict[str, Any]) -> str | None:
    if booking["status"] != "booked":
        return f"Το ραντεβού {booking['reference']} δεν είναι πια ενεργό, οπότε δεν χρειάζεται αλλαγή."
    if datetime.now(UTC) > datetime.fromisoformat(booking["change_deadline"]):
        hours = round((datetime.fromisoformat(booking["start"]) - datetime.fromisoformat(booking["change_deadline"])).total_seconds() / 3600)
        return (
            f"Αλλαγές και ακυρώσεις γίνονται έως {hours} ώρες πριν από το ραντεβού, και το δικό σας είναι πιο κοντά. "
            f"Επικοινωνήστε με το {branch.get('name', 'ΚΕΠ σας')} στο τηλέφωνο {branch.get('phone', '1500')}."
        )
    return None


class ActionCancelBooking(Action):
    def name(self) -> str:
        return "action_cancel_booking"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        if not tracker.get_slot("gave_up"):
            booking = await _apply(dispatcher, api.cancel(tracker.get_slot("booking_reference"), tracker.get_slot("manage_code")))
            if booking:
                dispatcher.utter_message(text=f"Το ραντεβού {booking['reference']} ακυρώθηκε. Αν χρειαστείτε νέο, γράψτε μου τι χρειάζεστε.")
        return fresh_booking(tracker)


class ActionRescheduleBooking(Action):
    def name(self) -> str:
        return "action_reschedule_booking"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        if tracker.get_slot("gave_up"):
            return fresh_booking(tracker)
        code = tracker.get_slot("manage_code")
        booking = await _apply(dispatcher, api.reschedule(tracker.get_slot("booking_reference"), code, tracker.get_slot("slot_id")))
        if booking:
            try:
                topics, branches = await api.topics(), await api.branches()
            except HandoffUnavailable:
                topics, branches = {}, {}
            card = booking_card("Έγινε! Το ραντεβού σας μεταφέρθηκε.", booking | {"manage_token": code},
                                topics.get(booking["topic"], {}), branches.get(booking["branch"], {}))
            dispatcher.utter_message(text=card_text(card), json_message={"booking": card})
        return fresh_booking(tracker)


async def _apply(dispatcher: CollectingDispatcher, call: Any) -> dict[str, Any] | None:
    """Run a cancel/reschedule call: the booking after it, or None once the citizen was told why not."""
    try:
        return await call
    except HandoffUnavailable:
        dispatcher.utter_message(text=SORRY_UNAVAILABLE)
    except ApiError as e:
        if e.code == "slot_taken":
            dispatcher.utter_message(
                text="Λυπάμαι, αυτή η ώρα μόλις κλείστηκε από άλλον. Το ραντεβού σας έμεινε όπως ήταν· "
                "γράψτε «αλλαγή ραντεβού» για να διαλέξετε άλλη ώρα."
            )
        else:
            dispatcher.utter_message(text=e.message)
    return None
