"""From the citizen's question to a topic, by the classifier's confidence: sure → confirm in
one line and go on to booking; unsure → ask with buttons, the likeliest topics of the classifier
and of the catalogue search, naming the procedure the words matched («Μήπως αφορά: …;»);
lost → list the topics and give the in-person KEP. A question that is not a KEP matter gets an
honest answer saying so and, where the lexicon knows, who handles it; English gets English."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.nlu.language import is_english

from .greek_format import bullet_list
from .handoff_api import HandoffUnavailable, api
from .in_person import KEP_LINE, in_person_message
from .session import SORRY_UNAVAILABLE, fresh_booking

TOPIC_INTENT = "topic_"
# Chosen on the held-out set (docs/nlu-report.md, "Confidence bands"): at or above HIGH the
# top topic was right in almost every case; between MIDDLE and HIGH the right topic is
# usually among the first three.
HIGH_CONFIDENCE = 0.5
MIDDLE_CONFIDENCE = 0.12
CHOICES = 3


def topic_ranking(message: dict[str, Any]) -> list[tuple[str, float]]:
    return [
        (r["name"][len(TOPIC_INTENT):], float(r["confidence"]))
        for r in message.get("intent_ranking", [])
        if r["name"].startswith(TOPIC_INTENT)
    ]


def topic_buttons(topics: list[dict[str, Any]]) -> list[dict[str, str]]:
    return [{"title": t["label"], "payload": f"/{TOPIC_INTENT}{t['id']}"} for t in topics]


def likely_topics(ranking: list[tuple[str, float]], found: list[dict[str, Any]]) -> list[str]:
    """The classifier's likely topics, then the catalogue search's best ones, CHOICES at most."""
    likely = [t for t, c in ranking[:CHOICES] if c >= MIDDLE_CONFIDENCE]
    for result in found:
        if len(likely) >= CHOICES:
            break
        if result["topic"] not in likely:
            likely.append(result["topic"])
    return likely


NOTHING_FOUND: dict[str, Any] = {"results": [], "outside": None}


async def search_catalogue(text: str) -> dict[str, Any]:
    try:
        return await api.search_catalogue(text)
    except HandoffUnavailable:
        return NOTHING_FOUND


def offer_choices(
    dispatcher: CollectingDispatcher, ranking: list[tuple[str, float]], found: list[dict[str, Any]], topics: dict[str, Any]
) -> list[tuple[str, float]]:
    """The likeliest topics as buttons (plus "something else"), with the procedure the citizen's
    words matched when the search found one; the topics offered with the classifier's confidence
    in each, [] when nothing is likely enough."""
    likely = [t for t in likely_topics(ranking, found) if t in topics]
    if not likely:
        return []
    named = next((r for r in found if r["topic"] in likely and r["matched_procedure"]), None)
    procedure = named["matched_procedure"] if named else None
    if named:  # the topic of the procedure we name comes first: «Μήπως αφορά …;» → its button
        likely.insert(0, likely.pop(likely.index(named["topic"])))
    question = "Για να σας συνδέσω με τον σωστό υπάλληλο: ποιο από αυτά ταιριάζει;"
    text = f"Μήπως αφορά: «{procedure}»;\n{question}" if procedure else question
    buttons = topic_buttons([topics[t] for t in likely]) + [{"title": "Κάτι άλλο", "payload": "/list_topics"}]
    dispatcher.utter_message(text=text, buttons=buttons)
    return [(t, dict(ranking).get(t, 0.0)) for t in likely]


def not_a_kep_matter(outside: dict[str, str] | None) -> str:
    if outside:
        return (f"Αυτό δεν είναι υπόθεση των ΚΕΠ: για «{outside['name']}» επικοινωνήστε με {outside['handled_by']}.\n"
                "Αν χρειάζεστε κάτι από δημόσια υπηρεσία, γράψτε μου τι είναι.")
    return ("Σε αυτό δεν μπορώ να βοηθήσω: κλείνω ραντεβού για υποθέσεις δημόσιων υπηρεσιών που εξυπηρετούν τα ΚΕΠ, "
            "όπως πιστοποιητικά, επιδόματα, άδειες και δηλώσεις. Αν χρειάζεστε κάτι τέτοιο, γράψτε μου τι είναι.")


ENGLISH_REPLY = (
    "This service is in Greek. You can write to me in Greek or in Greek with Latin letters "
    f"(\"thelo na vgalo diavatirio\"), pick one of the topics below, or call the KEP line {KEP_LINE} "
    "for help in person at the nearest Citizen Service Centre (KEP)."
)


def _confirmed(tracker: Tracker, topic: dict[str, Any], question: str, confidence: float) -> list[EventType]:
    return [
        *fresh_booking(tracker),
        SlotSet("manage_mode", "book"),
        SlotSet("topic", topic["id"]),
        SlotSet("topic_confidence", round(confidence, 3)),
        SlotSet("question", question),
        SlotSet("triage", "confirmed"),
    ]


class ActionTriage(Action):
    def name(self) -> str:
        return "action_triage"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[EventType]:
        message = tracker.latest_message
        intent = message["intent"]["name"]
        text = message.get("text") or ""
        clicked = text.startswith("/")
        try:
            topics = await api.topics()
        except HandoffUnavailable:
            dispatcher.utter_message(text=SORRY_UNAVAILABLE)
            return [SlotSet("triage", "unclear")]

        if intent.startswith(TOPIC_INTENT) and intent[len(TOPIC_INTENT):] in topics:
            topic = topics[intent[len(TOPIC_INTENT):]]
            confidence = float(message["intent"].get("confidence") or 0)
            if clicked:  # the citizen picked it from our buttons: keep their words and our first guess
                earlier = dict(tracker.get_slot("topic_candidates") or [])
                return self._confirm(dispatcher, tracker, topic, tracker.get_slot("question") or "", earlier.get(topic["id"], 1.0))
            if confidence >= HIGH_CONFIDENCE:
                return self._confirm(dispatcher, tracker, topic, text, confidence)

        ranking = [(t, c) for t, c in topic_ranking(message) if t in topics]
        unclear = [SlotSet("question", text), SlotSet("topic_candidates", ranking[:CHOICES]), SlotSet("triage", "unclear")]
        if not clicked and is_english(text):
            dispatcher.utter_message(text=ENGLISH_REPLY, buttons=topic_buttons(list(topics.values())))
            return unclear
        found = NOTHING_FOUND if clicked else await search_catalogue(text)
        if intent == "out_of_scope":
            dispatcher.utter_message(text=not_a_kep_matter(found["outside"]),
                                     buttons=[{"title": "Τι εξυπηρετούν τα ΚΕΠ", "payload": "/list_topics"}])
            return unclear
        candidates = offer_choices(dispatcher, ranking, found["results"], topics)
        if candidates:
            return [SlotSet("question", text), SlotSet("topic_candidates", candidates), SlotSet("triage", "choose")]

        dispatcher.utter_message(text="Δεν είμαι σίγουρος ότι κατάλαβα. Γράψτε το με άλλα λόγια ή διαλέξτε θέμα:",
                                 buttons=topic_buttons(list(topics.values())))
        dispatcher.utter_message(text=await in_person_message(text))
        return unclear

    @staticmethod
    def _confirm(
        dispatcher: CollectingDispatcher, tracker: Tracker, topic: dict[str, Any], question: str, confidence: float
    ) -> list[EventType]:
        dispatcher.utter_message(text=f"Κατάλαβα: το θέμα σας είναι «{topic['label']}». Ας βρούμε ώρα για βιντεοκλήση με υπάλληλο.")
        return _confirmed(tracker, topic, question, confidence)


class ActionListTopics(Action):
    def name(self) -> str:
        return "action_list_topics"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[EventType]:
        try:
            topics = list((await api.topics()).values())
        except HandoffUnavailable:
            dispatcher.utter_message(text=SORRY_UNAVAILABLE)
            return []
        dispatcher.utter_message(
            text="Κλείνω ραντεβού για βιντεοκλήση με υπάλληλο ΚΕΠ σε αυτά τα θέματα. Διαλέξτε ένα ή γράψτε μου τι χρειάζεστε:",
            buttons=topic_buttons(topics),
        )
        return []


class ActionAnswerTopic(Action):
    """Questions in the middle of a form ("τι δικαιολογητικά χρειάζομαι;"), answered from the
    catalogue; the form then asks its question again."""

    def name(self) -> str:
        return "action_answer_topic"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[EventType]:
        topic_id = tracker.get_slot("topic")
        try:
            topic = (await api.topics()).get(topic_id or "")
        except HandoffUnavailable:
            topic = None
        if topic is None:
            dispatcher.utter_message(text="Πείτε μου πρώτα τι χρειάζεστε, για να σας πω τι αφορά και τι να έχετε έτοιμο.")
            return []
        if tracker.latest_message["intent"]["name"] == "ask_documents":
            documents = bullet_list(topic["documents"])
            dispatcher.utter_message(
                text=f"Για «{topic['label']}» συνήθως χρειάζονται:\n{documents}\n"
                "Στη βιντεοκλήση θα δείξετε πρώτα στην κάμερα ένα έγγραφο ταυτότητας με φωτογραφία (ταυτότητα, "
                "διαβατήριο, δίπλωμα οδήγησης ή άδεια διαμονής)."
            )
        else:
            procedures = bullet_list(topic["procedures"][:5])
            dispatcher.utter_message(text=f"«{topic['label']}»: {topic['description'].strip()}\nΓια παράδειγμα:\n{procedures}")
        return []
