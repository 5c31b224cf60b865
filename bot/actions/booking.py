"""The end of the booking conversation: the summary the citizen checks, corrections, the
booking itself through the handoff API (409 → the next free slots), and stopping."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.nlu.greek_text import normalise

from .booking_card import booking_card, card_text
from .booking_form import conversation_time
from .greek_format import bullet_list, when
from .handoff_api import ApiError, HandoffUnavailable, api
from .identity_documents import POLICE_ID
from .identity_form import NO_EMAIL
from .promises import change_deadline_note, messages_sentence
from .session import SORRY_UNAVAILABLE, forget_everything, fresh_booking
from .transcript import transcript
from .triage import offer_choices, search_catalogue, topic_ranking

# Which answer a correction is about: the button sends the slot name; free text is matched
# by word stems (normalised, so accents, capitals and Greeklish all work).
CORRECTABLE = {
    "slot_id": ("Ώρα", ("ώρα", "μέρα", "ραντεβού", "ημερομηνία")),
    "branch": ("ΚΕΠ", ("κεπ", "κατάστημα", "πόλη")),
    "full_name": ("Ονοματεπώνυμο", ("όνομα", "επώνυμο")),
    "id_card": ("Έγγραφο ταυτότητας", ("ταυτότητ", "αδτ", "διαβατήρ", "δίπλωμ", "έγγραφ", "άδεια διαμον")),
    "afm_or_amka": ("ΑΦΜ/ΑΜΚΑ", ("αφμ", "αμκα")),
    "mobile": ("Κινητό", ("κινητ", "τηλέφων")),
    "email": ("Email", ("email", "μέιλ", "mail")),
}
_STEMS = {slot: tuple(normalise(stem) for stem in stems) for slot, (_, stems) in CORRECTABLE.items()}
# The service's 409s for a citizen who already holds enough bookings (not a slot taken meanwhile).
CITIZEN_LIMITS = ("topic_already_booked", "too_many_bookings")
_RESETS_ALSO = {"branch": ("slot_id", "appointment", "slot_offer"), "slot_id": ("appointment", "slot_offer"),
                "id_card": ("id_document",)}


def _summary_lines(tracker: Tracker, topic_label: str, branch_name: str, documents: dict[str, str]) -> list[str]:
    appointment = tracker.get_slot("appointment") or {}
    email = tracker.get_slot("email")
    document = documents.get(tracker.get_slot("id_document") or POLICE_ID, "")
    return [
        f"Θέμα: {topic_label}",
        f"Ραντεβού: {when(appointment['start']) if appointment.get('start') else tracker.get_slot('slot_id')} — {branch_name}",
        f"Ονοματεπώνυμο: {tracker.get_slot('full_name')}",
        f"Έγγραφο ταυτότητας: {document} {tracker.get_slot('id_card')}",
        f"ΑΦΜ/ΑΜΚΑ: {tracker.get_slot('afm_or_amka')}",
        f"Κινητό: {tracker.get_slot('mobile')}",
        f"Email: {'—' if email == NO_EMAIL else email}",
    ]


class ActionShowSummary(Action):
    def name(self) -> str:
        return "action_show_summary"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        if tracker.get_slot("gave_up"):  # the way out was already given when the form gave up
            if tracker.get_slot("topic") is None:  # «not my topic»: the topic picked next reaches the clerk with these words
                return [e for e in forget_everything(tracker) if e != SlotSet("question", None)]
            return forget_everything(tracker)
        try:
            topics, branches, config = await api.topics(), await api.branches(), await api.config()
        except HandoffUnavailable:
            dispatcher.utter_message(text=SORRY_UNAVAILABLE)
            return []
        appointment = tracker.get_slot("appointment") or {}
        documents = {d["kind"]: d["label"] for d in config["identity_documents"]}
        deadline = ""
        if appointment.get("start"):
            start = datetime.fromisoformat(appointment["start"])
            deadline = change_deadline_note(start, conversation_time(tracker), config["change_notice_hours"]) + "\n"
        topic = topics.get(tracker.get_slot("topic"), {}).get("label", "")
        branch = branches.get(appointment.get("branch", ""), {}).get("name", "ΚΕΠ")
        buttons = [{"title": "Ναι, κλείστε το ραντεβού", "payload": "/affirm"}]
        buttons += [
            {"title": f"Διόρθωση: {label}", "payload": f'/correct{{"field":"{slot}"}}'}
            for slot, (label, _) in CORRECTABLE.items()
        ]
        dispatcher.utter_message(
            text="Ελέγξτε τα στοιχεία σας:\n" + bullet_list(_summary_lines(tracker, topic, branch, documents)) + "\n"
            + deadline + "Να κλείσω το ραντεβού;",
            buttons=buttons,
        )
        return []


def _field_to_correct(tracker: Tracker) -> str | None:
    entity = next(tracker.get_latest_entity_values("field"), None)
    if entity in CORRECTABLE:
        return entity
    said = normalise(tracker.latest_message.get("text") or "")
    return next((slot for slot, stems in _STEMS.items() if any(s in said for s in stems)), None)


class ActionCorrect(Action):
    """Clears the answer to correct; the forms then ask only for it, and the summary returns."""

    def name(self) -> str:
        return "action_correct"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        if not tracker.get_slot("slot_id"):
            return await self._maybe_a_question(dispatcher, tracker)
        field = _field_to_correct(tracker)
        if field is None:
            dispatcher.utter_message(text="Τι να διορθώσω; Πατήστε το κουμπί «Διόρθωση» που ταιριάζει στην περίληψη παραπάνω.")
            return [SlotSet("correcting", False)]
        dispatcher.utter_message(text=f"Εντάξει, ας διορθώσουμε: {CORRECTABLE[field][0]}.")
        return [SlotSet(name, None) for name in (field, *_RESETS_ALSO.get(field, ()))] + [SlotSet("correcting", True)]

    @staticmethod
    async def _maybe_a_question(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType]:
        """No booking to correct: "λάθος στη μερίδα μου, θέλω διόρθωση" is a civil-registry
        question, not a correction. Offer the likeliest topics instead."""
        try:
            topics = await api.topics()
        except HandoffUnavailable:
            topics = {}
        message = tracker.latest_message
        text = message.get("text") or ""
        ranking = [(t, c) for t, c in topic_ranking(message) if t in topics]
        candidates = offer_choices(dispatcher, ranking, (await search_catalogue(text))["results"], topics)
        if not candidates:
            dispatcher.utter_message(text="Δεν υπάρχει ραντεβού σε εξέλιξη για να διορθώσω. Πείτε μου τι χρειάζεστε.")
        return [SlotSet("correcting", False), SlotSet("question", text), SlotSet("topic_candidates", candidates)]


def booking_request(tracker: Tracker) -> dict[str, Any]:
    tax_id = tracker.get_slot("afm_or_amka") or ""
    email = tracker.get_slot("email")
    return {
        "slot_id": tracker.get_slot("slot_id"),
        "topic": tracker.get_slot("topic"),
        "sender_id": tracker.sender_id,
        "question": (tracker.get_slot("question") or "")[:1000],
        "confidence": tracker.get_slot("topic_confidence"),
        "transcript": transcript(tracker.events),
        "citizen": {
            "full_name": tracker.get_slot("full_name"),
            "id_document": tracker.get_slot("id_document") or POLICE_ID,
            "id_card": tracker.get_slot("id_card"),
            "afm": tax_id if len(tax_id) == 9 else "",
            "amka": tax_id if len(tax_id) == 11 else "",
            "mobile": tracker.get_slot("mobile"),
            "email": "" if email in (None, NO_EMAIL) else email,
        },
        "consent": {"video_call": True, "show_id": True, "data_processing": True},
    }


class ActionBook(Action):
    def name(self) -> str:
        return "action_book"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        if not (tracker.get_slot("slot_id") and tracker.get_slot("consent")):
            dispatcher.utter_message(text="Δεν έχουμε ακόμη όλα τα στοιχεία για ραντεβού. Πείτε μου τι χρειάζεστε.")
            return [SlotSet("booking_outcome", "failed")]
        try:
            booking = await api.book(booking_request(tracker))
            topics, branches = await api.topics(), await api.branches()
        except HandoffUnavailable:
            dispatcher.utter_message(text=SORRY_UNAVAILABLE)
            return [SlotSet("booking_outcome", "failed")]
        except ApiError as e:
            return self._refused(dispatcher, tracker, e)
        has_email = bool(booking.get("citizen", {}).get("email"))
        card = booking_card("Το ραντεβού σας κλείστηκε! ✔", booking, topics.get(booking["topic"], {}),
                            branches.get(booking["branch"], {}), (messages_sentence(booking["notifications"], has_email),))
        dispatcher.utter_message(text=card_text(card), json_message={"booking": card})
        return [*fresh_booking(tracker), SlotSet("booking_outcome", "booked"), SlotSet("booking_reference", booking["reference"])]

    @staticmethod
    def _refused(dispatcher: CollectingDispatcher, tracker: Tracker, error: ApiError) -> list[EventType]:
        if error.status == 409 and error.code in CITIZEN_LIMITS:  # the service's own words, then the way on
            dispatcher.utter_message(text=f"Λυπάμαι, δεν μπορώ να κλείσω αυτό το ραντεβού. {error.message} Αν θέλετε "
                                     "να αλλάξετε ή να ακυρώσετε ένα ραντεβού σας, πείτε μου το· θα χρειαστώ τον κωδικό "
                                     "του ραντεβού και τον κωδικό διαχείρισης.")
            return [*fresh_booking(tracker), SlotSet("booking_outcome", "failed")]
        if error.status == 429:  # too many bookings from this connection: the service says when to try again
            dispatcher.utter_message(text=f"Λυπάμαι, δεν μπορώ να κλείσω αυτό το ραντεβού τώρα. {error.message}")
            return [SlotSet("booking_outcome", "failed")]
        if error.status == 409:
            dispatcher.utter_message(text="Λυπάμαι, αυτή η ώρα μόλις κλείστηκε από άλλον πολίτη. Διαλέξτε άλλη:")
            return [SlotSet("slot_id", None), SlotSet("appointment", None), SlotSet("slot_offer", None),
                    SlotSet("booking_outcome", "slot_taken")]
        details = " ".join(f["message"] for f in error.fields.values()) or error.message
        dispatcher.utter_message(text=f"Δεν μπόρεσα να κλείσω το ραντεβού: {details} Πατήστε «Διόρθωση» στην περίληψη ή γράψτε «άκυρο».")
        return [SlotSet("booking_outcome", "failed")]


class ActionStopBooking(Action):
    def name(self) -> str:
        return "action_stop_booking"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        dispatcher.utter_message(
            text="Εντάξει, σταματήσαμε. Δεν κλείστηκε ούτε άλλαξε κανένα ραντεβού. Όποτε θέλετε, γράψτε μου τι χρειάζεστε."
        )
        return forget_everything(tracker)
