"""«Έχασα τον σύνδεσμο»: a lost booking found again and shown as its card. With the reference
and manage code; or, when the codes are lost too, with the identity document number and the
mobile given at booking (the handoff service then issues a new manage code). The handoff
service answers every miss the same way and limits the attempts."""
from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from .attempts import GivingUpForm, failed, succeeded
from .booking_card import booking_card, card_text
from .changes import manage_code_typed, parse_reference
from .handoff_api import ApiError, HandoffUnavailable, api
from .session import SORRY_UNAVAILABLE, fresh_booking

BY_IDENTITY = "identity"
FOUND = "Βρήκα το ραντεβού σας."
NEW_CODE = "Σας έδωσα νέο κωδικό διαχείρισης· ο προηγούμενος δεν ισχύει πια. Κρατήστε τον μαζί με τον κωδικό ραντεβού."
WHAT_NEXT = "Για αλλαγή ή ακύρωση ανοίξτε τη σελίδα «Το ραντεβού μου» ή γράψτε μου «αλλαγή ραντεβού» ή «ακύρωση ραντεβού»."
IN_CALL = "Ο υπάλληλος έχει ήδη αναλάβει αυτό το ραντεβού: μπείτε στη βιντεοκλήση με τον σύνδεσμο του ραντεβού."
# What the card needs of each booking found; the rest (identity data, transcript) stays out of the tracker.
CARD_FIELDS = ("reference", "start", "branch", "topic", "join_url", "calendar_url", "appointment_url",
               "manage_token", "change_deadline", "new_manage_token", "status")


def found_notices(booking: dict[str, Any]) -> tuple[str, ...]:
    """What the card of a booking found adds: its new code, and what can be done now (an
    appointment the clerk has picked up, its call on, is joined, not changed)."""
    next_step = IN_CALL if booking.get("status") == "in_call" else WHAT_NEXT
    return (NEW_CODE, next_step) if booking.get("new_manage_token") else (next_step,)

_DOCUMENT = re.compile(r"^(?=.*\d)[\w]{5,20}$")


def document_typed(text: str) -> str | None:
    number = re.sub(r"[\s\-./]", "", text.strip())
    return number if _DOCUMENT.match(number) else None


class ActionStartFinding(Action):
    def name(self) -> str:
        return "action_start_finding"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        reference = parse_reference(tracker.latest_message.get("text") or "")
        return [*fresh_booking(tracker), *([SlotSet("booking_reference", reference)] if reference else [])]


class ValidateFindBookingForm(GivingUpForm):
    def name(self) -> str:
        return "validate_find_booking_form"

    def still_needed(self, domain_slots: list[str], tracker: Tracker) -> list[str]:
        if tracker.get_slot("recovery_method") == BY_IDENTITY:
            return ["recovery_document", "recovery_mobile"]
        return ["booking_reference", "manage_code"]

    async def validate_booking_reference(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value is None:
            return {}
        if tracker.get_slot("recovery_method") == BY_IDENTITY:  # «Δεν έχω τους κωδικούς»
            return {"booking_reference": None}
        text = str(value)
        reference = parse_reference(text)
        if reference:
            return succeeded("booking_reference", reference)
        if document_typed(text) and not text.upper().startswith(("KEP", "ΚΕΠ")):  # an ID number instead
            return {"booking_reference": None, "recovery_method": BY_IDENTITY, "recovery_document": document_typed(text)}
        if not any(c.isdigit() for c in text):  # «δεν τον έχω», «τον έχασα κι αυτόν»
            return {"booking_reference": None, "recovery_method": BY_IDENTITY}
        return await failed(
            dispatcher, tracker, "booking_reference",
            "Ο κωδικός ραντεβού μοιάζει με KEP-7K3F9Q: «KEP», παύλα και 6 γράμματα ή ψηφία. "
            "Αν δεν τον έχετε, πατήστε «Δεν έχω τους κωδικούς».",
        )

    async def validate_manage_code(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value is None:
            return {}
        if tracker.get_slot("recovery_method") == BY_IDENTITY:
            return {"manage_code": None}
        code = manage_code_typed(str(value))
        if code is None:
            if len(str(value).split()) > 1:  # words, not a code: they do not have it
                return {"manage_code": None, "recovery_method": BY_IDENTITY}
            return await failed(dispatcher, tracker, "manage_code",
                                "Ο κωδικός διαχείρισης έχει 10 γράμματα και ψηφία (π.χ. 7HRW3NZ9DC). "
                                "Αν δεν τον έχετε, πατήστε «Δεν τον έχω».")
        return await self._look_up(dispatcher, tracker, "manage_code", code,
                                   reference=tracker.get_slot("booking_reference"), manage_code=code)

    async def validate_recovery_document(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value is None:
            return {}
        number = document_typed(str(value))
        if number is None:
            return await failed(dispatcher, tracker, "recovery_document",
                                "Γράψτε τον αριθμό όπως είναι τυπωμένος στο έγγραφο, με τα γράμματα και τα ψηφία του (π.χ. ΑΒ 123456).")
        return succeeded("recovery_document", number)

    async def validate_recovery_mobile(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value is None:
            return {}
        return await self._look_up(dispatcher, tracker, "recovery_mobile", str(value),
                                   document_number=tracker.get_slot("recovery_document"), mobile=str(value))

    @staticmethod
    async def _look_up(
        dispatcher: CollectingDispatcher, tracker: Tracker, slot: str, value: str, **details: str
    ) -> dict[str, Any]:
        """The last answer is in: ask the handoff service. A miss starts the questions over."""
        try:
            found = await api.recover(tracker.sender_id, **details)
        except HandoffUnavailable:
            dispatcher.utter_message(text=SORRY_UNAVAILABLE)
            return {slot: None, "gave_up": True}
        except ApiError as e:
            if e.status == 429:
                dispatcher.utter_message(text=e.message)
                return {slot: None, "gave_up": True}
            if e.status == 422:  # a malformed mobile: ask for it again
                return await failed(dispatcher, tracker, slot, next(iter(e.fields.values()), {}).get("message") or e.message)
            first = "recovery_document" if slot == "recovery_mobile" else "booking_reference"
            return await failed(dispatcher, tracker, slot, f"{e.message} Ας ξεκινήσουμε από την αρχή.") | {first: None}
        return succeeded(slot, value) | {"found_bookings": [{k: b.get(k) for k in CARD_FIELDS} for b in found]}


class ActionShowFoundBookings(Action):
    def name(self) -> str:
        return "action_show_found_bookings"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        found = tracker.get_slot("found_bookings") or []
        if found and not tracker.get_slot("gave_up"):
            try:
                topics, branches = await api.topics(), await api.branches()
            except HandoffUnavailable:
                topics, branches = {}, {}
            for booking in found:
                card = booking_card(FOUND, booking, topics.get(booking["topic"], {}), branches.get(booking["branch"], {}),
                                    found_notices(booking))
                dispatcher.utter_message(text=card_text(card), json_message={"booking": card})
        return fresh_booking(tracker)
