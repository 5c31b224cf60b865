"""The identity-check form: what the clerk will compare with the ID card on camera. Each
answer is checked by the handoff service (python-stdnum for ΑΦΜ/ΑΜΚΑ), the same rules the
booking is held to, and a wrong one is re-asked with what exactly is off."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.nlu.greek_text import normalise

from .attempts import GivingUpForm, failed, succeeded
from .handoff_api import ApiError, HandoffUnavailable, api
from .in_person import in_person_message
from .promises import email_question, mobile_question
from .session import SORRY_UNAVAILABLE

NO_EMAIL = "-"
_NO_EMAIL_WORDS = tuple(normalise(w) for w in ("δεν έχω", "δε έχω", "όχι", "κανένα", "none", "-"))


async def _checked(slot: str, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker) -> dict[str, Any]:
    """Slot updates for one identity answer, checked by the handoff service (slot = field)."""
    if value is None:  # cleared for a correction: nothing to check yet
        return {}
    try:
        _, normalised = await api.check_identity_field(slot, str(value))
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

    async def validate_id_card(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        return await _checked("id_card", value, dispatcher, tracker)

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
