"""The booking form: which KEP (any is fine — the call is from home) and which slot: a button,
an unmistakable pick of one («το δεύτερο»), or a time wish in the citizen's words («την
Παρασκευή το απόγευμα»), answered with the free slots inside it or, when there are none, the
nearest ones and how they differ (`offer.py`)."""
from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.nlu.greek_text import normalise

from .attempts import GivingUpForm, failed, succeeded
from .greek_format import ATHENS, slot_buttons, when
from .handoff_api import HandoffUnavailable, api
from .offer import OFFERED, distinct_times, offer_message, picked, slots_for_wish, start_of
from .session import SORRY_UNAVAILABLE
from .time_wish import parse_time_wish
from .triage import topic_buttons

ANY_BRANCH = "any"
SLOT_ID = re.compile(r"[a-z0-9-]+@\d{8}T\d{4}Z")
# Word stems, normalised like the citizen's text (accents, case, Greeklish, spelling).
_ANY_WORDS = tuple(normalise(w) for w in ("οποιο", "όπου", "αδιάφορ", "ενδιαφέρ", "σημασία", "οτιδήποτε", "όλα", "any",
                                          "προτίμηση", "νοιάζ", "κανένα"))  # «δεν έχω προτίμηση», «δεν με νοιάζει»
# «Όχι, δεν είναι αυτό το θέμα μου», «λάθος, θέλω κάτι άλλο» right after the topic was confirmed;
# once times are on screen only a message that names the topic («άλλο θέμα») leaves them.
_WRONG_TOPIC = tuple(normalise(w) for w in ("θέμα", "λάθος", "κάτι άλλο", "δεν είναι αυτό"))
START_AGAIN = "Εντάξει, ας το πάρουμε από την αρχή. Γράψτε μου με δικά σας λόγια τι χρειάζεστε, ή διαλέξτε θέμα:"
_NO = {normalise(w) for w in ("όχι", "οχι ευχαριστώ", "όχι δεν έχω", "δεν έχω", "no", "nope", "ohi")}  # to «Έχετε προτίμηση;»
NOT_UNDERSTOOD = (
    "Δεν κατάλαβα ποια μέρα ή ώρα θέλετε. Πατήστε μία από τις ώρες, ή γράψτε π.χ. «αύριο το πρωί», "
    "«την Πέμπτη μετά τις 12», «15/12 στις 10:30» ή «όσο πιο νωρίς γίνεται»."
)


def conversation_time(tracker: Tracker) -> datetime:
    """The time of the citizen's latest message, in Athens: what "αύριο" is relative to."""
    stamp = next((e.get("timestamp") for e in reversed(tracker.events) if e.get("event") == "user"), None)
    return datetime.fromtimestamp(stamp, ATHENS) if stamp else datetime.now(ATHENS)


def match_branch(text: str, branches: dict[str, dict[str, Any]], entity: str | None) -> str | None:
    """Branch id (or ANY_BRANCH) from a button or from the town named in the citizen's words."""
    if entity in branches or entity == ANY_BRANCH:
        return entity
    said = normalise(text)
    for branch_id, branch in branches.items():  # a town named wins («όποιο, ας πούμε στη Λάρισα»)
        town = normalise(branch["municipality"])
        if town[: max(4, len(town) - 1)] in said:
            return branch_id
    if any(word in said for word in _ANY_WORDS) or " ".join(re.findall(r"\w+", said)) in _NO:
        return ANY_BRANCH
    return None


def wrong_topic(tracker: Tracker, slot: str, words: tuple[str, ...] = _WRONG_TOPIC) -> bool:
    """The citizen, asked for `slot`, says the topic just confirmed is not theirs (a denial or
    correction naming it; not «έγραψα λάθος κινητό» at the summary, which checks the slot again)."""
    message = tracker.latest_message
    said = normalise(message.get("text") or "")
    return (tracker.get_slot("requested_slot") == slot and tracker.get_slot("manage_mode") == "book"
            and message.get("intent", {}).get("name") in ("deny", "correct") and any(word in said for word in words))


async def start_again(dispatcher: CollectingDispatcher, slot: str) -> dict[str, Any]:
    """Leave the booking (the rules after the form then forget it) and ask for the matter again."""
    try:
        topics = list((await api.topics()).values())
    except HandoffUnavailable:
        topics = []
    dispatcher.utter_message(text=START_AGAIN, buttons=topic_buttons(topics))
    return {slot: None, "gave_up": True, "topic": None}  # no topic: the citizen's words stay (action_show_summary)


def _branch_filter(tracker: Tracker) -> str | None:
    branch = tracker.get_slot("branch")
    return None if branch in (None, ANY_BRANCH) else branch


class ValidateBookingForm(GivingUpForm):
    def name(self) -> str:
        return "validate_booking_form"

    def still_needed(self, domain_slots: list[str], tracker: Tracker) -> list[str]:
        if tracker.get_slot("manage_mode") == "reschedule":  # the branch stays the booking's
            return ["slot_id"]
        return domain_slots

    async def validate_branch(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value is None:
            return {}
        if wrong_topic(tracker, "branch"):
            return await start_again(dispatcher, "branch")
        entity = next(tracker.get_latest_entity_values("branch"), None)
        try:
            branches = await api.branches()
            chosen = match_branch(str(value), branches, entity)
            if chosen is None:
                return await failed(dispatcher, tracker, "branch", "Δεν βρήκα αυτό το ΚΕΠ. Διαλέξτε από τα κουμπιά ή γράψτε «οποιοδήποτε».")
            if chosen != ANY_BRANCH and chosen not in await api.branches(tracker.get_slot("topic")):
                return await failed(
                    dispatcher, tracker, "branch",
                    f"Στο {branches[chosen]['name']} δεν υπάρχει υπάλληλος για αυτό το θέμα. "
                    "Διαλέξτε από τα κουμπιά ή «Οποιοδήποτε ΚΕΠ».",
                )
            if chosen != ANY_BRANCH and not await api.free_slots(tracker.get_slot("topic"), chosen, limit=1):
                return await failed(
                    dispatcher, tracker, "branch",
                    f"Το {branches[chosen]['name']} δεν έχει ελεύθερη ώρα για αυτό το θέμα τις επόμενες εβδομάδες. "
                    "Διαλέξτε άλλο ή «Οποιοδήποτε ΚΕΠ».",
                )
        except HandoffUnavailable:
            dispatcher.utter_message(text=SORRY_UNAVAILABLE)
            return {"branch": None, "gave_up": True}
        return succeeded("branch", chosen)

    async def validate_slot_id(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value is None:
            return {}
        if wrong_topic(tracker, "slot_id", (normalise("θέμα"),)):
            return await start_again(dispatcher, "slot_id")
        text = str(value)
        button = SLOT_ID.search(text)
        offer = tracker.get_slot("slot_offer") or []
        if button:
            if (tracker.get_slot("appointment") or {}).get("slot_id") == button.group(0):
                return {}  # chosen earlier; the form is checking it again after a correction
            slot = next((s for s in offer if s["slot_id"] == button.group(0)), {"slot_id": button.group(0)})
            return succeeded("slot_id", slot["slot_id"]) | {"appointment": slot, "slot_offer": None}
        index = picked(text)
        if index is not None and offer:
            if -len(offer) <= index < len(offer):
                return succeeded("slot_id", offer[index]["slot_id"]) | {"appointment": offer[index], "slot_offer": None}
            return await failed(
                dispatcher, tracker, "slot_id",
                f"Σας έδειξα {len(offer)} ώρες· πατήστε μία από αυτές, ή γράψτε μου μέρα και ώρα.",
            )
        now = conversation_time(tracker)
        offered_days = {start_of(s).date() for s in offer}
        wish = parse_time_wish(text, now, max((start_of(s) for s in offer), default=None),
                               offered_days.pop() if len(offered_days) == 1 else None)
        if wish is None:
            return await failed(dispatcher, tracker, "slot_id", NOT_UNDERSTOOD)
        try:
            horizon = (await api.config())["horizon_days"]
            found, inside = await slots_for_wish(wish, tracker.get_slot("topic"), _branch_filter(tracker), now, horizon)
        except HandoffUnavailable:
            dispatcher.utter_message(text=SORRY_UNAVAILABLE)
            return {"slot_id": None, "gave_up": True}
        if not found:
            dispatcher.utter_message(text="Δεν βρήκα καμία ελεύθερη ώρα κοντά σε αυτό που ζητήσατε.")
            return {"slot_id": None, "attempts": 0}
        dispatcher.utter_message(text=offer_message(wish, found, inside, now, horizon))
        return {"slot_id": None, "slot_offer": found, "attempts": 0}


class ActionAskBranch(Action):
    def name(self) -> str:
        return "action_ask_branch"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        try:
            branches = await api.branches(tracker.get_slot("topic"))  # those with a clerk trained in it
        except HandoffUnavailable:
            dispatcher.utter_message(text=SORRY_UNAVAILABLE)
            return []
        buttons = [{"title": "Οποιοδήποτε ΚΕΠ (την πιο κοντινή ώρα)", "payload": f'/inform{{"branch":"{ANY_BRANCH}"}}'}]
        buttons += [{"title": b["name"], "payload": f'/inform{{"branch":"{b["id"]}"}}'} for b in branches.values()]
        dispatcher.utter_message(
            text="Έχετε προτίμηση για ΚΕΠ; Η βιντεοκλήση γίνεται από όπου βρίσκεστε, οπότε μπορείτε να διαλέξετε "
            "«Οποιοδήποτε» για την πιο κοντινή ώρα.",
            buttons=buttons,
        )
        return []


class ActionAskSlotId(Action):
    def name(self) -> str:
        return "action_ask_slot_id"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        offer = tracker.get_slot("slot_offer")
        first_offer = not offer
        try:
            branches = await api.branches()
            if first_offer:
                after = (conversation_time(tracker) + timedelta(minutes=1)).isoformat()
                slots = await api.free_slots(tracker.get_slot("topic"), _branch_filter(tracker), after, 5 * OFFERED)
                offer = distinct_times(slots)[:OFFERED]
        except HandoffUnavailable:
            dispatcher.utter_message(text=SORRY_UNAVAILABLE)
            return []
        if not offer:
            dispatcher.utter_message(text="Δεν βρήκα ελεύθερη ώρα τις επόμενες εβδομάδες. Γράψτε «άκυρο» ή δοκιμάστε άλλο ΚΕΠ.")
            return []
        text = (
            f"Η πρώτη ελεύθερη ώρα είναι {when(offer[0]['start'])}. Διαλέξτε μία από τις ώρες, ή γράψτε μου πότε "
            "σας βολεύει, π.χ. «αύριο το πρωί» ή «την Τρίτη στις 11»."
            if first_offer
            else "Διαλέξτε μία από αυτές, ή γράψτε μου άλλη μέρα ή ώρα."
        )
        dispatcher.utter_message(text=text, buttons=slot_buttons(offer, branches))
        return [SlotSet("slot_offer", offer)]
