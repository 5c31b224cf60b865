"""Three tries per question, then the in-person KEP: a citizen who cannot get past a field
is not kept in a loop."""
from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from rasa_sdk import FormValidationAction, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from .in_person import in_person_message
from .session import MAX_ATTEMPTS


async def failed(dispatcher: CollectingDispatcher, tracker: Tracker, slot: str, reask: str) -> dict[str, Any]:
    """Slot updates for one more failed answer: a precise re-ask, or, the third time, the way out."""
    attempts = int(tracker.get_slot("attempts") or 0) + 1
    if attempts < MAX_ATTEMPTS:
        dispatcher.utter_message(text=reask)
        return {slot: None, "attempts": attempts}
    dispatcher.utter_message(
        text=f"{reask}\nΦαίνεται ότι δυσκολευόμαστε εδώ, και δεν θέλω να σας ταλαιπωρώ. "
        + await in_person_message(tracker.get_slot("question") or "")
    )
    return {slot: None, "attempts": 0, "gave_up": True}


def succeeded(slot: str, value: Any) -> dict[str, Any]:
    return {slot: value, "attempts": 0}


class GivingUpForm(FormValidationAction, ABC):
    """A form that ends at once when a validator has given up (`gave_up`): the rule after the
    form then says nothing more, since the way out was already given. (Abstract, so that
    rasa-sdk registers only the forms themselves.)"""

    @abstractmethod
    def name(self) -> str: ...

    async def required_slots(
        self, domain_slots: list[str], dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[str]:
        return [] if tracker.get_slot("gave_up") else self.still_needed(domain_slots, tracker)

    def still_needed(self, domain_slots: list[str], tracker: Tracker) -> list[str]:
        return domain_slots
