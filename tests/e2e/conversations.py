"""Scripted Greek conversations, played through Rasa's REST channel against the running
stack. Each step says what the citizen sends and what the bot's reply must contain, so a
script checks itself. The same scripts drive the end-to-end test, the recording of Rasa's
test stories (`make stories`) and the chat latency benchmark.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp


@dataclass
class Chat:
    """One citizen's conversation: what the bot said last and what was booked."""

    sender: str
    replies: list[dict[str, Any]] = field(default_factory=list)
    said: list[str] = field(default_factory=list)  # every text of the bot, in order
    booking: dict[str, Any] | None = None
    latencies: list[float] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n".join(r.get("text", "") for r in self.replies)

    @property
    def buttons(self) -> list[dict[str, str]]:
        with_buttons = [r["buttons"] for r in self.replies if r.get("buttons")]
        return with_buttons[-1] if with_buttons else []


@dataclass(frozen=True)
class Say:
    text: str | Callable[[dict[str, Any]], str]
    expect: tuple[str, ...] = ()


@dataclass(frozen=True)
class Click:
    """Press the n-th button of the bot's last message with buttons."""

    index: int = 0
    expect: tuple[str, ...] = ()


@dataclass(frozen=True)
class SomeoneTakesTheSlot:
    """Another citizen books the slot this one chose, between the summary and the "ναι"."""

    topic: str


Step = Say | Click | SomeoneTakesTheSlot

# After the slot: the privacy notice and consent come before the first personal question.
PICK_SLOT = Click(0, ("Πριν σας ζητήσω στοιχεία", "μόνο ο υπάλληλος του ΚΕΠ που θα αναλάβει", "Συμφωνείτε"))
CONSENT = Say("ναι", ("Πώς λέγεστε",))
IDENTITY = [
    Say("Δέσποινα Λαμπράκη", ("κάμερα",)),
    Say("θα δείξω το διαβατήριό μου", ("διαβατηρίου",)),
    Say("AE 1234567", ("ΑΦΜ",)),
    Say("090000045", ("κινητό",)),
    Say("6912345678", ("email",)),
    Say("despoina.l@example.gr", ("Ελέγξτε τα στοιχεία σας", "Δέσποινα Λαμπράκη", "Διαβατήριο AE1234567", "+306912345678")),
]


def last_booking(key: str) -> Callable[[dict[str, Any]], str]:
    """What the citizen copies from the confirmation of their latest booking."""
    return lambda context: context["bookings"][-1][key]


def other_citizen_booking(slot_id: str, topic: str) -> dict[str, Any]:
    return {
        "slot_id": slot_id,
        "topic": topic,
        "question": "Άλλος πολίτης",
        "citizen": {"full_name": "Κώστας Άλλος", "id_card": "ΑΚ 123456", "afm": "090000045", "mobile": "6900000000"},
        "consent": {"video_call": True, "show_id": True, "data_processing": True},
    }


SCRIPTS: dict[str, list[Step]] = {
    "happy_path": [
        Say("Καλημέρα", ("ψηφιακός βοηθός",)),
        Say("Έχασα την ταυτότητά μου, τι πρέπει να κάνω;", ("Ταυτότητες και διαβατήρια", "προτίμηση για ΚΕΠ")),
        Click(0, ("ελεύθερη ώρα",)),
        PICK_SLOT,
        CONSENT,
        *IDENTITY,
        Say("ναι", ("κλείστηκε", "KEP-", "/call/", "calendar.ics", "Το διαβατήριό σας")),
        Say("ευχαριστώ", ("Παρακαλώ",)),
    ],
    "wrong_topic_then_the_right_one": [
        Say("θέλω να βγάλω δίπλωμα για το σκάφος μου", ("το θέμα σας είναι", "προτίμηση για ΚΕΠ")),
        Say("όχι, δεν είναι αυτό το θέμα μου", ("Γράψτε μου με δικά σας λόγια", "διαλέξτε θέμα")),  # not «Δεν βρήκα αυτό το ΚΕΠ»
        Say("μου έρχεται μεγάλος λογαριασμός ρεύματος και θέλω να πάρω το κοινωνικό οικιακό τιμολόγιο",
            ("το θέμα σας είναι", "προτίμηση για ΚΕΠ")),
    ],
    "a_branch_without_the_topic": [
        Say("θα ήθελα να μιλήσω με κάποιον για τη σύνταξη γήρατος της μητέρας μου από τον ΕΦΚΑ",
            ("το θέμα σας είναι", "προτίμηση για ΚΕΠ")),
        Say("στην Πάτρα", ("δεν υπάρχει υπάλληλος για αυτό το θέμα", "Οποιοδήποτε ΚΕΠ")),  # not «no free time»
    ],
    "invalid_afm_then_valid": [
        Say("Μου ζήτησαν από τη σχολή πιστοποιητικό οικογενειακής κατάστασης, πού το βγάζω;", ("Ληξιαρχείο",)),
        Click(0),
        PICK_SLOT,
        CONSENT,
        Say("Γιώργος Νικολάου", ("κάμερα",)),
        Say("την αστυνομική μου ταυτότητα θα δείξω", ("ταυτότητας",)),
        Say("Χ 654321", ("ΑΦΜ",)),
        Say("12345678", ("9 ψηφία", "έχει 8 ψηφία")),
        Say("090000046", ("ψηφίο ελέγχου",)),
        Say("090000045", ("κινητό",)),
    ],
    "three_failures_lead_to_the_kep": [
        Say("Χρειάζομαι γνήσιο υπογραφής", ("Εξουσιοδοτήσεις",)),
        Click(0),
        PICK_SLOT,
        CONSENT,
        Say("Ελένη Κωνσταντίνου", ("κάμερα",)),
        Click(0, ("αστυνομικής σας ταυτότητας",)),
        Say("123", ("1 ή 2 γράμματα", "μόνο ψηφία")),
        Say("ΑΒΓ", ("1 ή 2 γράμματα", "3 γράμματα")),
        Say("δεν ξέρω", ("δυσκολευόμαστε", "1500")),
    ],
    "lost_id_shows_a_driving_licence": [
        Say("Μου έκλεψαν την τσάντα με την ταυτότητα μέσα, τι πρέπει να κάνω;", ("Ταυτότητες",)),
        Click(0),
        PICK_SLOT,
        CONSENT,
        Say("Στέλιος Μαυρίδης", ("διαβατήριο ή το δίπλωμα οδήγησης",)),  # the lost card is not asked for
        Say("έχω δίπλωμα οδήγησης", ("πεδίο 5",)),
        Say("123456789", ("ΑΦΜ",)),
    ],
    "lost_id_said_at_its_number_and_no_other_document": [
        Say("χρειάζομαι ένα αντίγραφο της ληξιαρχικής πράξης γέννησης του γιου μου", ("Ληξιαρχείο",)),
        Click(0),
        PICK_SLOT,
        CONSENT,
        Say("Στέλιος Μαυρίδης", ("κάμερα",)),
        Click(0, ("αστυνομικής σας ταυτότητας",)),
        Say("την έχω χάσει δυστυχώς", ("δεν χρειάζομαι αυτόν τον αριθμό", "διαβατήριο ή το δίπλωμα οδήγησης")),
        Say("κανένα από τα δύο", ("βεβαίωση απώλειας", "αστυνομικό τμήμα", "1500")),
    ],
    "stop_in_the_middle": [
        Say("Μου λήγει το δίπλωμα οδήγησης τον Μάρτιο, πώς το ανανεώνω;", ("Οχήματα",)),
        Click(0),
        Say("άκυρο", ("σταματήσαμε",)),
        Say("γεια", ("ψηφιακός βοηθός",)),
    ],
    "change_of_mind_at_the_summary": [
        Say("Η κόρη μου είναι οχτώ χρονών και χρειάζεται διαβατήριο για ταξίδι", ("Ταυτότητες",)),
        Click(0),
        PICK_SLOT,
        CONSENT,
        *IDENTITY,
        Say("όχι", ("Τι να διορθώσω",)),
        Say("έγραψα λάθος κινητό", ("Κινητό", "κινητό")),
        Say("6987654321", ("Ελέγξτε τα στοιχεία σας", "+306987654321")),
        Say("σταμάτα", ("σταματήσαμε",)),
    ],
    "digression_in_the_form": [
        Say("μου έκλεψαν την ταυτότητα στο λεωφορείο", ("Ταυτότητες",)),
        Click(0),
        PICK_SLOT,
        CONSENT,
        Say("ποια έγγραφα να ετοιμάσω για την κλήση;", ("συνήθως χρειάζονται", "Πώς λέγεστε")),
        Say("μπορώ να μιλήσω με έναν άνθρωπο;", ("βιντεοκλήση", "Πώς λέγεστε")),
        Say("Ρένα Σταματίου", ("κάμερα", "διαβατήριο")),  # the lost card is not asked for
    ],
    "slot_taken_before_confirmation": [
        Say("δεν θυμάμαι το συνθηματικό μου για το taxisnet", ("Φορολογικά",)),
        Click(0),
        PICK_SLOT,
        CONSENT,
        *IDENTITY,
        SomeoneTakesTheSlot("tax"),
        Say("ναι", ("μόλις κλείστηκε από άλλον", "ελεύθερη ώρα")),
        Click(0, ("Ελέγξτε τα στοιχεία σας",)),
        Say("ναι", ("κλείστηκε", "KEP-")),
    ],
    "unsure_topic_offers_choices": [
        Say("Θέλω ο ξάδερφός μου να παραλάβει ένα πιστοποιητικό για λογαριασμό μου", ("ποιο από αυτά ταιριάζει",)),
        Click(0, ("Ας βρούμε ώρα",)),
    ],
    "question_that_reads_like_a_correction": [
        Say("Γράψαμε λάθος το όνομα του μωρού, διορθώνεται;", ("ποιο από αυτά ταιριάζει",)),
        Click(0, ("Ληξιαρχείο", "Ας βρούμε ώρα")),
        Say("άκυρο", ("σταματήσαμε",)),
        Say("Απολύθηκα πριν από μία εβδομάδα", ("ποιο από αυτά ταιριάζει",)),  # read as an answer: triage, not fallback
        Click(0, ("Εργασία και ανεργία",)),
    ],
    "out_of_scope": [
        Say("ποιο φαρμακείο εφημερεύει απόψε στο Παγκράτι;", ("δεν μπορώ να βοηθήσω", "ΚΕΠ")),
        Say("ποια θέματα εξυπηρετείτε;", ("Διαλέξτε ένα",)),
    ],
    "english": [
        Say("Good afternoon, my residence permit expires soon, who can help me?", ("This service is in Greek", "1500")),
    ],
    "not_a_kep_matter_says_who_handles_it": [
        Say("η ΔΕΗ μου έστειλε πολύ φουσκωμένο λογαριασμό ρεύματος", ("δεν είναι υπόθεση των ΚΕΠ", "ΔΕΔΔΗΕ")),
    ],
    "unsure_topic_names_the_procedure": [
        Say("Θέλω να πάρω το χαρτί της επισημείωσης της Χάγης για ένα πτυχίο", ("Μήπως αφορά", "Χάγης", "ποιο από αυτά ταιριάζει")),
        Click(0, ("Εξουσιοδοτήσεις", "Ας βρούμε ώρα")),
    ],
    "consent_refused": [
        Say("Θέλω επίδομα παιδιού", ("Επιδόματα",)),
        Click(0),
        PICK_SLOT,
        Say("όχι", ("Χωρίς αυτή τη συγκατάθεση", "1500")),  # nothing personal was asked
    ],
    "time_in_greek_words": [
        Say("den exw kanei akoma forologiki dhlwsh fetos", ("Φορολογικά",)),
        Say("Αθήνα", ("ελεύθερη ώρα",)),
        Say("μεθαύριο κάπου μετά τις 12 αν βολεύει", ("Διαλέξτε μία από αυτές",)),
        PICK_SLOT,
        CONSENT,
        *IDENTITY,
        Say("ναι", ("κλείστηκε",)),
    ],
    # A lost booking found again (after time_in_greek_words, whose booking it finds).
    "find_booking_by_codes": [
        Say("Δεν μπορώ να βρω πουθενά το λινκ για την κλήση μου", ("κωδικό του ραντεβού", "Δεν έχω τους κωδικούς")),
        Say(last_booking("reference"), ("κωδικό διαχείρισης",)),
        Say(lambda c: " ".join(c["bookings"][-1]["manage_code"].lower()), ("Βρήκα το ραντεβού σας", "/call/", "/appointment")),
    ],
    "find_booking_with_a_wrong_code": [
        Say("μου διέφυγε πότε έχω κλείσει να με δει ο υπάλληλος", ("κωδικό του ραντεβού",)),
        Say(last_booking("reference"), ("κωδικό διαχείρισης",)),
        Say("QQQQQQQQQQ", ("Δεν βρήκα ενεργό ραντεβού", "κωδικό του ραντεβού")),
        Say("καλύτερα να σταματήσουμε εδώ", ("σταματήσαμε",)),
    ],
    "reschedule": [
        Say("μπορώ να μεταφέρω το ραντεβού για άλλη μέρα;", ("κωδικός του ραντεβού",)),
        Say(last_booking("reference"), ("κωδικό διαχείρισης",)),
        Say(lambda c: c["bookings"][-1]["manage_code"].lower(), ("Βρήκα το ραντεβού σας", "ελεύθερη ώρα")),  # lower case
        Say("κάποια μέρα της επόμενης βδομάδας", ("Διαλέξτε μία από αυτές",)),  # far enough ahead to still be cancellable
        Click(1, ("μεταφέρθηκε",)),
    ],
    "cancel": [
        Say("τελικά δεν με βολεύει, ακύρωση του ραντεβού παρακαλώ", ("κωδικός του ραντεβού",)),
        Say(lambda c: c["bookings"][-1]["reference"].lower()),  # typed in lower case
        Say(last_booking("manage_code"), ("ακυρώθηκε",)),
    ],
    "cancel_with_a_wrong_code": [
        Say(lambda c: f"ακύρωση ραντεβού {c['bookings'][-1]['reference']}", ("κωδικό διαχείρισης",)),  # reference in the request
        Say("ZZZZZZZZZZ", ("Δεν βρήκα ραντεβού με αυτόν τον κωδικό ραντεβού και αυτόν τον κωδικό διαχείρισης",)),
        Say("άκυρο", ("σταματήσαμε",)),
    ],
    # Books with its own identity, then finds that booking without the codes.
    "find_booking_by_identity": [
        Say("Ο γιατρός μου ζητάει βεβαίωση ότι είμαι ασφαλισμένος στον ΕΦΚΑ", ("Ασφάλιση",)),
        Click(0),
        PICK_SLOT,
        Click(0, ("Πώς λέγεστε",)),  # Ναι, συμφωνώ
        Say("Σταύρος Ιωαννίδης", ("κάμερα",)),
        Say("ΑΗ 246813", ("ΑΦΜ",)),  # a bare ID number answers "which document" too
        Say("090000045", ("κινητό",)),
        Say("6944556677", ("email",)),
        Click(0, ("Ελέγξτε τα στοιχεία σας",)),  # Δεν έχω email
        Click(0, ("κλείστηκε",)),  # Ναι, κλείστε το ραντεβού
        Say("ποια μέρα είχα κλείσει για τη βιντεοκλήση;", ("κωδικό του ραντεβού",)),
        Click(0, ("αριθμό εγγράφου",)),  # Δεν έχω τους κωδικούς
        Say("ah-246813", ("κινητό",)),  # Latin letters, a dash
        Say("+30 694 455 6677", ("Βρήκα το ραντεβού σας", "νέο κωδικό διαχείρισης", "Ασφάλιση")),
    ],
}


class ScriptFailed(AssertionError):
    pass


class ChatClient:
    """Talks to Rasa's REST channel; books behind the bot's back for the 409 path."""

    def __init__(self, session: aiohttp.ClientSession, rasa_url: str, handoff_url: str, service_token: str):
        self._session, self._rasa, self._handoff, self._token = session, rasa_url, handoff_url, service_token

    async def send(self, chat: Chat, text: str) -> None:
        started = time.perf_counter()
        async with self._session.post(f"{self._rasa}/webhooks/rest/webhook", json={"sender": chat.sender, "message": text}) as resp:
            resp.raise_for_status()
            chat.replies = await resp.json()
        chat.said += [r["text"] for r in chat.replies if r.get("text")]
        chat.latencies.append(time.perf_counter() - started)
        for reply in chat.replies:
            if "booking" in (reply.get("custom") or {}):
                chat.booking = reply["custom"]["booking"]

    async def take_slot(self, slot_id: str, topic: str) -> None:
        async with self._session.post(f"{self._handoff}/api/bookings", json=other_citizen_booking(slot_id, topic),
                                      headers={"Authorization": f"Bearer {self._token}"}) as resp:
            assert resp.status == 201, await resp.text()

    async def play(self, name: str, sender: str, context: dict[str, Any], check: bool = True,
                   steps: slice = slice(None), chat: Chat | None = None) -> Chat:
        """Play the script (or `steps` of it, continuing `chat`)."""
        chat = chat or Chat(sender)
        chosen_slot = None
        for number, step in enumerate(SCRIPTS[name][steps], (steps.start or 0) + 1):
            if isinstance(step, SomeoneTakesTheSlot):
                await self.take_slot(chosen_slot, step.topic)
                continue
            if isinstance(step, Click):
                if len(chat.buttons) <= step.index:
                    raise ScriptFailed(f"{name} step {number}: no button {step.index} in:\n{chat.text}")
                text = chat.buttons[step.index]["payload"]
                if '"slot_id"' in text:
                    chosen_slot = text.split('"slot_id":"')[1].split('"')[0]
            else:
                text = step.text(context) if callable(step.text) else step.text
            await self.send(chat, text)
            missing = [e for e in step.expect if e not in chat.text]
            if check and missing:
                raise ScriptFailed(f"{name} step {number} ({text!r}): {missing} not in the reply:\n{chat.text}")
        if chat.booking:
            context["bookings"].append(chat.booking)
        return chat


class RelayChatClient(ChatClient):
    """The same scripts through the chat page's entry point, `POST /api/chat` of the handoff
    service (the chat session in a cookie; the session needs a cookie jar that accepts
    127.0.0.1). A booking comes back as a card without text. A chat with a sender sends each
    message with the request id `<sender>.<n>` (its n-th message), as a proxy gives one."""

    async def send(self, chat: Chat, text: str) -> None:
        started = time.perf_counter()
        traced = {"X-Request-Id": f"{chat.sender}.{len(chat.latencies) + 1}"} if chat.sender else {}
        async with self._session.post(f"{self._handoff}/api/chat", json={"message": text}, headers=traced) as resp:
            resp.raise_for_status()
            chat.replies = (await resp.json())["messages"]
        chat.said += [r["text"] for r in chat.replies if r.get("text")]
        chat.latencies.append(time.perf_counter() - started)
        chat.booking = next((r["booking"] for r in chat.replies if "booking" in r), chat.booking)
