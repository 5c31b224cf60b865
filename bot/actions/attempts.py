"""Three tries per question, then the in-person KEP: a citizen who cannot get past a field
is not kept in a loop."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

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
