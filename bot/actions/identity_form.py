"""The identity-check form: what the clerk will compare with the document shown on camera.
The citizen says which document they have (`identity_documents.py`: a lost one is never asked
for); each answer is checked by the handoff service (the document's number format, python-stdnum
for ΑΦΜ/ΑΜΚΑ, phonenumbers for the mobile), the same rules the booking is held to, and a wrong
one is re-asked with what exactly is off."""
from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.nlu.greek_text import normalise, strip_accents

from .attempts import GivingUpForm, failed, succeeded
from .handoff_api import ApiError, HandoffUnavailable, api
from .identity_documents import (
    LOST_REPLY,
    NO_DOCUMENT,
    NONE,
    NUMBER_QUESTIONS,
    ORDER,
    POLICE_ID,
    document_answer,
    document_question,
    document_said,
    lost_in_question,
    offered,
    said_lost,
)
from .in_person import in_person_message
from .promises import email_question, mobile_question
from .session import SORRY_UNAVAILABLE

WHICH_DOCUMENT = "Ποιο έγγραφο θα δείξετε στην κάμερα; Πατήστε ένα από τα κουμπιά, ή γράψτε π.χ. «διαβατήριο»."
NO_EMAIL = "-"
_NO_EMAIL_WORDS = tuple(normalise(w) for w in ("δεν έχω", "δε έχω", "όχι", "κανένα", "none", "-"))


def lost_document(tracker: Tracker) -> str | None:
    """The document the citizen cannot show: said lost in the form, or in their first question."""
    return tracker.get_slot("lost_document") or lost_in_question(tracker.get_slot("question") or "")


# How people start an answer («Λέγομαι …», «ο ΑΦΜ μου είναι …»): the value is what follows.
_NAME_LEAD_IN = re.compile(r"^(?:(?:λεγομαι|ονομαζομαι|με λενε|ειμαι (?:ο|η)|(?:το )?(?:ονοματεπωνυμο|ονομα) μου(?: ειναι)?)"
                           r"[\s:,]+)")
_NUMBER_IN = {  # the one number in a sentence, for each numeric answer
    "id_card": re.compile(r"(?<!\w)(?:[^\W\d_]{1,2}[\s-]?)?\d[\d ]{4,}\d"),
    "afm_or_amka": re.compile(r"(?<!\w)\d[\d .\-]{7,}\d(?!\w)"),
    "mobile": re.compile(r"(?<![\w+])\+?\(?\d[\d \-().]{6,}\d(?!\w)"),
}


def name_said(text: str) -> str:
    """The name in «Λέγομαι Ελένη Μαυρίδου» / «με λένε …»; the text itself otherwise."""
    text = text.strip()
    plain = strip_accents(text.casefold())
    lead_in = _NAME_LEAD_IN.match(plain) if len(plain) == len(text) else None
    return text[lead_in.end():].strip() if lead_in else text


def number_said(slot: str, text: str) -> str | None:
    """The single number in an answer written as a sentence («ο ΑΦΜ μου είναι 094259216»,
    «ΑΜΚΑ 01016512343»), or None when there is none or more than one."""
    found = _NUMBER_IN[slot].findall(text) if slot in _NUMBER_IN else []
    return found[0].strip() if len(found) == 1 and found[0].strip() != text.strip() else None


async def _checked(
    slot: str, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, document: str | None = None
) -> dict[str, Any]:
    """Slot updates for one identity answer, checked by the handoff service (slot = field). An
    answer refused as it was written is checked again as the one number it holds, if it holds one."""
    if value is None:  # cleared for a correction: nothing to check yet
        return {}
    text = name_said(str(value)) if slot == "full_name" else str(value)
    try:
        try:
            _, normalised = await api.check_identity_field(slot, text, document)
        except ApiError:
            if (number := number_said(slot, text)) is None:
                raise
            _, normalised = await api.check_identity_field(slot, number, document)
    except ApiError as e:
        reask = next(iter(e.fields.values()), {}).get("message") or e.message
        return await failed(dispatcher, tracker, slot, reask)
    except HandoffUnavailable:
        dispatcher.utter_message(text=SORRY_UNAVAILABLE)
        return {slot: None, "gave_up": True}
    return succeeded(slot, normalised)


class ValidateIdentityForm(GivingUpForm):
    def name(self) -> str:
        return "validate_identity_form"

    async def validate_full_name(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        return await _checked("full_name", value, dispatcher, tracker)

    async def validate_id_document(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        if value is None:
            return {}
        if value in ORDER and value == tracker.get_slot("id_document"):
            return {}  # chosen earlier; the form is checking it again after a correction
        text = str(value)
        kind = next((e for e in tracker.get_latest_entity_values("id_document") if e in (*ORDER, NONE)), None)
        if kind is None and said_lost(text):  # «έχασα και το διαβατήριο»: ask again without it
            return {"id_document": None, "lost_document": document_said(text) or lost_document(tracker) or POLICE_ID}
        kind = kind or document_answer(text)
        number = re.search(r"(?<!\w)(?:[^\W\d_]{1,2}[\s-]?)?\d[\d ]{4,}", text)  # «διαβατήριο AE 1234567»
        if kind is None and number and lost_document(tracker) != POLICE_ID:
            kind = POLICE_ID  # a bare number («ΑΗ 246813»): an ID card's, if it has the format
        if kind is None:
            return await failed(dispatcher, tracker, "id_document", WHICH_DOCUMENT)
        if kind == NONE:
            dispatcher.utter_message(text=NO_DOCUMENT + " " + await in_person_message(tracker.get_slot("question") or ""))
            return {"id_document": None, "gave_up": True}
        chosen = succeeded("id_document", kind)
        if number:
            try:
                chosen["id_card"] = (await api.check_identity_field("id_card", number.group(0).strip(), kind))[1]
            except ApiError:
                if not document_said(text):  # a number that is no ID card's: ask which document it is
                    return await failed(dispatcher, tracker, "id_document", WHICH_DOCUMENT)
            except HandoffUnavailable:
                pass  # the number is asked for on its own next
        return chosen

    async def validate_id_card(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        if value is None:
            return {}
        document = tracker.get_slot("id_document") or POLICE_ID
        if said_lost(str(value)) and not re.search(r"\d{3}", str(value)):  # never ask for a lost card's number
            dispatcher.utter_message(text=LOST_REPLY)
            return {"id_card": None, "id_document": None, "lost_document": document}
        return await _checked("id_card", value, dispatcher, tracker, document)

    async def validate_afm_or_amka(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        return await _checked("afm_or_amka", value, dispatcher, tracker)

    async def validate_mobile(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        return await _checked("mobile", value, dispatcher, tracker)

    async def validate_email(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        if value is None:
            return {}
        if "@" not in str(value) and any(w in normalise(str(value)) for w in _NO_EMAIL_WORDS):
            return succeeded("email", NO_EMAIL)
        return await _checked("email", value, dispatcher, tracker)

    async def validate_consent(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        if value is None:
            return {}
        if value is True:  # given earlier; the form is checking it again after a correction
            return {}
        intent = tracker.latest_message["intent"]["name"]
        if intent == "affirm":
            return succeeded("consent", True)
        if intent == "deny":
            dispatcher.utter_message(
                text="Κατανοητό. Χωρίς αυτή τη συγκατάθεση δεν μπορεί να γίνει η βιντεοκλήση. "
                + await in_person_message(tracker.get_slot("question") or "")
            )
            return {"consent": None, "gave_up": True}
        return await failed(dispatcher, tracker, "consent", "Απαντήστε με «Ναι» ή «Όχι», παρακαλώ.")


async def _notifications() -> dict[str, Any]:
    try:
        return (await api.config())["notifications"]
    except HandoffUnavailable:
        return {}  # promise nothing


class ActionAskMobile(Action):
    """The mobile question says what the number is for: messages only if the service sends them."""

    def name(self) -> str:
        return "action_ask_mobile"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        dispatcher.utter_message(text=mobile_question(await _notifications()))
        return []


class ActionAskEmail(Action):
    def name(self) -> str:
        return "action_ask_email"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        dispatcher.utter_message(
            text=email_question(await _notifications()), buttons=[{"title": "Δεν έχω email", "payload": "δεν έχω"}]
        )
        return []


class ActionAskIdDocument(Action):
    """Which document: the service's kinds as buttons, a foreigner's first for the migration
    topic, never the one the citizen lost, and a way out for who has none."""

    def name(self) -> str:
        return "action_ask_id_document"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        try:
            labels = {d["kind"]: d["label"] for d in (await api.config())["identity_documents"]}
        except HandoffUnavailable:
            dispatcher.utter_message(text=SORRY_UNAVAILABLE)
            return []
        topic, lost = tracker.get_slot("topic"), lost_document(tracker)
        buttons = [{"title": labels[kind], "payload": f'/inform{{"id_document":"{kind}"}}'}
                   for kind in offered(topic, lost) if kind in labels]
        buttons.append({"title": "Δεν έχω κανένα από αυτά", "payload": f'/inform{{"id_document":"{NONE}"}}'})
        dispatcher.utter_message(text=document_question(topic, lost), buttons=buttons)
        return []


class ActionAskIdCard(Action):
    def name(self) -> str:
        return "action_ask_id_card"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        dispatcher.utter_message(text=NUMBER_QUESTIONS.get(tracker.get_slot("id_document"), NUMBER_QUESTIONS[POLICE_ID]))
        return []
