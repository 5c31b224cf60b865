"""The action server's own logic, without the network: references, branches, nearest slots,
the transcript the clerk reads."""
from datetime import datetime

from bot.actions.booking_form import ANY_BRANCH, match_branch
from bot.actions.changes import manage_code_typed, parse_reference
from bot.actions.find_booking import IN_CALL, NEW_CODE, WHAT_NEXT, document_typed, found_notices
from bot.actions.offer import distinct_times, how_they_differ, nearest, offer_message
from bot.actions.time_wish import ATHENS, TimeWish, parse_time_wish
from bot.actions.transcript import transcript

BRANCHES = {
    "kep-athina": {"municipality": "Αθήνα"},
    "kep-patra": {"municipality": "Πάτρα"},
    "kep-thessaloniki": {"municipality": "Θεσσαλονίκη"},
}


def test_references_are_read_however_they_are_typed():
    assert parse_reference("KEP-7K3F9Q") == "KEP-7K3F9Q"
    assert parse_reference("ο κωδικός είναι κεπ-7κ3τ9q") == "KEP-7K3T9Q"  # Greek look-alike letters
    assert parse_reference("7k3f9q") == "KEP-7K3F9Q"
    assert parse_reference("ακυρώστε μου σας παρακαλώ το ραντεβού") is None
    assert parse_reference("ΑΚΥΡΩΣΗ ΡΑΝΤΕΒΟΥ") is None


def test_manage_codes_and_document_numbers_however_they_are_typed():
    assert manage_code_typed("7hrw 3nz9-dc") == "7HRW3NZ9DC"
    assert manage_code_typed("ΒΧ4Ν7Κ2Ρ9Μ") == "BX4N7K2P9M"  # a Greek keyboard
    assert manage_code_typed("δεν τον έχω") is None
    assert manage_code_typed("7HRW3NZ9D") is None  # one character short
    assert document_typed("ΑΒ 123456") == "ΑΒ123456"
    assert document_typed("ak-1234567") == "ak1234567"
    assert document_typed("δεν θυμάμαι") is None


def test_branch_from_button_town_or_any():
    assert match_branch("/inform", BRANCHES, "kep-patra") == "kep-patra"
    assert match_branch("στο ΚΕΠ Πατρών", BRANCHES, None) == "kep-patra"
    assert match_branch("thessaloniki", BRANCHES, None) == "kep-thessaloniki"
    assert match_branch("οποιοδήποτε", BRANCHES, None) == ANY_BRANCH
    assert match_branch("δεν με ενδιαφέρει", BRANCHES, None) == ANY_BRANCH
    assert match_branch("Λάρισα", BRANCHES, None) is None
    # «Έχετε προτίμηση για ΚΕΠ;» answered as the question was put
    for no_preference in ("Όχι.", "οχι, δεν εχω", "δεν έχω καμία προτίμηση", "δε με νοιάζει καθόλου"):
        assert match_branch(no_preference, BRANCHES, None) == ANY_BRANCH, no_preference
    assert match_branch("όποιο να 'ναι, ας πούμε στην Πάτρα", BRANCHES, None) == "kep-patra"  # a town named wins


def slot(hhmm: str, branch: str = "kep-athina") -> dict:
    return {"slot_id": f"c@{hhmm}", "start": f"2030-02-05T{hhmm}:00+02:00", "branch": branch}


def test_nearest_slots_to_the_wish_in_time_order_one_per_time():
    slots = [slot("08:30"), slot("08:30", "kep-patra"), slot("10:10"), slot("10:50"), slot("11:30"), slot("13:00")]
    wish = TimeWish(
        datetime(2030, 2, 5, 8, tzinfo=ATHENS), datetime(2030, 2, 5, 12, tzinfo=ATHENS), datetime(2030, 2, 5, 11, tzinfo=ATHENS)
    )
    assert [s["start"][11:16] for s in nearest(slots, wish, count=3)] == ["10:10", "10:50", "11:30"]
    assert len(distinct_times(slots)) == 5


def at(day: int, hhmm: str) -> dict:
    return {"slot_id": f"c@{day}{hhmm}", "start": f"2030-02-{day:02d}T{hhmm}:00+02:00", "branch": "kep-athina"}


def test_no_free_slot_in_the_wish_offers_the_nearest_and_says_how_they_differ():
    monday = datetime(2030, 2, 4, 9, tzinfo=ATHENS)
    wish = parse_time_wish("Παρασκευή απογευματινές ώρες", monday)
    free = [at(7, "09:00"), at(8, "09:00"), at(8, "10:00"), at(11, "15:00"), at(11, "15:20"), at(12, "16:00")]
    offer = nearest(free, wish)
    # Thursday morning (30 hours before) is nearer than Monday afternoon (67 hours after)
    assert [s["start"][5:16] for s in offer] == ["02-07T09:00", "02-08T09:00", "02-08T10:00", "02-11T15:00"]
    assert offer_message(wish, offer, False, monday, 28) == (
        "Την Παρασκευή 8 Φεβρουαρίου, μετά τις 15:00 δεν υπάρχει ελεύθερη ώρα· "
        "οι πλησιέστερες είναι την Πέμπτη 7 Φεβρουαρίου, την ίδια μέρα νωρίτερα και τη Δευτέρα 11 Φεβρουαρίου."
    )
    eleven = parse_time_wish("την Τετάρτη κατά τις 11", monday)
    assert how_they_differ(eleven, [at(6, "08:40"), at(6, "13:20")], monday) == "την ίδια μέρα νωρίτερα και αργότερα"


def test_a_wish_already_past_or_beyond_the_horizon_is_said_so():
    monday = datetime(2030, 2, 4, 13, tzinfo=ATHENS)
    morning = parse_time_wish("σήμερα κατά τις 9 το πρωί", monday)
    assert offer_message(morning, [at(4, "14:20")], False, monday, 28).startswith("Σήμερα, γύρω στις 09:00 έχει ήδη περάσει")
    far = parse_time_wish("15 Ιουνίου", monday)
    assert offer_message(far, [at(28, "12:00")], False, monday, 28).startswith("Ραντεβού κλείνονται έως 28 ημέρες μπροστά")


def test_transcript_shows_button_titles_and_only_this_session():
    events = [
        {"event": "user", "text": "παλιά συνομιλία", "timestamp": 1},
        {"event": "session_started", "timestamp": 2},
        {"event": "user", "text": "Ο σκύλος μου μάσησε το δελτίο ταυτότητας", "timestamp": 3},
        {"event": "bot", "text": "Ποιο ΚΕΠ;", "timestamp": 4,
         "data": {"buttons": [{"title": "ΚΕΠ Πάτρας", "payload": '/inform{"branch":"kep-patra"}'}]}},
        {"event": "user", "text": '/inform{"branch":"kep-patra"}', "timestamp": 5},
        {"event": "slot", "name": "branch", "value": "kep-patra"},
    ]
    assert [(t["sender"], t["text"]) for t in transcript(events)] == [
        ("user", "Ο σκύλος μου μάσησε το δελτίο ταυτότητας"), ("bot", "Ποιο ΚΕΠ;"), ("user", "ΚΕΠ Πάτρας"),
    ]
    assert transcript(events)[0]["at"].startswith("1970-01-01T00:00:03")


def _form_answer(slot: str, question: str, answer: str, stored: str, at: int) -> list[dict]:
    """The events of one form question and its answer, as Rasa records them."""
    return [
        {"event": "slot", "name": "requested_slot", "value": slot},
        {"event": "bot", "text": question, "timestamp": at},
        {"event": "user", "text": answer, "timestamp": at + 1},
        {"event": "slot", "name": slot, "value": stored},
    ]


def _booked(at: int, reference: str, code: str) -> list[dict]:
    return [
        {"event": "active_loop", "name": None},
        {"event": "slot", "name": "requested_slot", "value": None},
        {"event": "bot", "timestamp": at,
         "text": "Ελέγξτε τα στοιχεία σας:\n• Ονοματεπώνυμο: Ευάγγελος Τσακίρης\n• Κινητό: +306977001122\nΝα κλείσω το ραντεβού;"},
        {"event": "user", "text": "/affirm", "timestamp": at + 1},
        {"event": "bot", "timestamp": at + 2, "data": {"custom": {"booking": {"reference": reference}}},
         "text": f"Το ραντεβού σας κλείστηκε!\nΚωδικός ραντεβού: {reference}\nΚωδικός διαχείρισης: {code}"},
        {"event": "slot", "name": "booking_outcome", "value": "booked"},
        {"event": "slot", "name": "booking_reference", "value": reference},
    ]


def test_transcript_holds_no_identity_answer_summary_or_code():
    events = [
        {"event": "session_started", "timestamp": 1},
        {"event": "user", "text": "Η άδεια παραμονής της γυναίκας μου λήγει σε λίγες μέρες", "timestamp": 2},
        *_form_answer("consent", "Πριν από τα στοιχεία σας… Συμφωνείτε;", "ναι", True, 3),
        *_form_answer("full_name", "Πώς λέγεστε;", "Ευάγγελος Τσακίρης", "Ευάγγελος Τσακίρης", 5),
        *_form_answer("id_card", "Αριθμός ταυτότητας;", "ak 778899", "ΑΚ778899", 7),
        *_form_answer("afm_or_amka", "ΑΦΜ ή ΑΜΚΑ;", "090000045", "090000045", 9),
        *_form_answer("mobile", "Κινητό;", "697 700 1122", "+306977001122", 11),
        *_form_answer("email", "Email;", "vag@example.gr", "vag@example.gr", 13),
        *_booked(15, "KEP-7K3F9Q", "7HRW3NZ9DC"),
        # a second booking in the same chat: the identity answers are kept, not asked again
        {"event": "user", "text": "χρειάζομαι και βεβαίωση για τα ένσημα του πατέρα μου", "timestamp": 20},
        {"event": "bot", "text": "Κατάλαβα: Ασφάλιση και σύνταξη.", "timestamp": 21},
        {"event": "user", "text": "το κινητό μου είναι πάντα 6977001122 και ο παλιός κωδικός KEP-7K3F9Q", "timestamp": 22},
        *_booked(23, "KEP-2M4N6P", "BX4N7K2P9M"),
    ]
    cards = [i for i, e in enumerate(events) if "custom" in (e.get("data") or {})]
    first = transcript(events[:cards[0]])  # as action_book sends it, before its own confirmation
    assert [(t["sender"], t["text"]) for t in first] == [
        ("user", "Η άδεια παραμονής της γυναίκας μου λήγει σε λίγες μέρες"),
        ("bot", "Πριν από τα στοιχεία σας… Συμφωνείτε;"), ("user", "ναι"),
        ("bot", "Πώς λέγεστε;"), ("user", "[στοιχεία ταυτότητας]"),
        ("bot", "Αριθμός ταυτότητας;"), ("user", "[στοιχεία ταυτότητας]"),
        ("bot", "ΑΦΜ ή ΑΜΚΑ;"), ("user", "[στοιχεία ταυτότητας]"),
        ("bot", "Κινητό;"), ("user", "[στοιχεία ταυτότητας]"),
        ("bot", "Email;"), ("user", "[στοιχεία ταυτότητας]"),
        ("user", "/affirm"),
    ]
    second = transcript(events[:cards[1]])
    assert [(t["sender"], t["text"]) for t in second] == [
        ("user", "χρειάζομαι και βεβαίωση για τα ένσημα του πατέρα μου"), ("bot", "Κατάλαβα: Ασφάλιση και σύνταξη."),
        ("user", "[στοιχεία ταυτότητας]"), ("user", "/affirm"),
    ]
    everything = str(first) + str(second)
    for secret in ("Τσακίρης", "778899", "090000045", "6977001122", "vag@", "KEP-7K3F9Q", "7HRW3NZ9DC"):
        assert secret not in everything


def test_a_citizen_over_the_booking_limit_is_told_politely_and_the_booking_is_let_go():
    from rasa_sdk import Tracker
    from rasa_sdk.events import SlotSet
    from rasa_sdk.executor import CollectingDispatcher

    from bot.actions.booking import ActionBook
    from bot.actions.handoff_api import ApiError

    tracker = Tracker("chat-7", {"slot_id": "ath-alexiou@20300205T0800Z", "branch": "kep-athina", "full_name": "Ιφιγένεια Λάμπρου"},
                      {}, [], False, None, {}, "action_listen")
    dispatcher = CollectingDispatcher()
    said = "Με αυτά τα στοιχεία υπάρχουν ήδη 2 ενεργά ραντεβού, όσα επιτρέπονται."
    events = ActionBook._refused(dispatcher, tracker, ApiError(409, "too_many_bookings", said, {}))
    [message] = dispatcher.messages
    assert message["text"].startswith("Λυπάμαι") and said in message["text"] and "κωδικό διαχείρισης" in message["text"]
    assert "μόλις κλείστηκε" not in message["text"]  # not the slot-taken answer
    assert SlotSet("booking_outcome", "failed") in events and SlotSet("slot_id", None) in events
    assert SlotSet("full_name", None) not in events  # the identity answers stay for another booking


def test_a_booking_refused_for_its_address_says_so_without_asking_for_corrections():
    from rasa_sdk import Tracker
    from rasa_sdk.executor import CollectingDispatcher

    from bot.actions.booking import ActionBook
    from bot.actions.handoff_api import ApiError

    tracker = Tracker("web-chat-9", {"slot_id": "ath-alexiou@20300205T0800Z"}, {}, [], False, None, {}, "action_listen")
    dispatcher = CollectingDispatcher()
    said = "Από αυτή τη σύνδεση ζητήθηκαν πολλά ραντεβού μέσα σε μία ώρα. Δοκιμάστε ξανά αργότερα ή καλέστε το 1500."
    ActionBook._refused(dispatcher, tracker, ApiError(429, "too_many_bookings_from_address", said, {}))
    [message] = dispatcher.messages
    assert message["text"].startswith("Λυπάμαι") and said in message["text"]
    assert "Διόρθωση" not in message["text"] and "μόλις κλείστηκε" not in message["text"]


def test_a_long_conversation_keeps_its_latest_turns_within_the_budget():
    from bot.actions.transcript import MAX_CHARS

    said = "Ρωτάω ξανά για το επίδομα θέρμανσης της γιαγιάς μου που μένει στο χωριό. " * 8
    events = [{"event": "user" if i % 2 else "bot", "text": f"{i}: {said}", "timestamp": i} for i in range(1, 121)]
    kept = transcript(events)
    assert sum(len(t["text"]) for t in kept) <= MAX_CHARS
    assert kept[-1]["text"].startswith("120: ") and len(kept) < 120


def test_the_document_shown_on_camera_is_not_listed_twice_to_bring():
    from bot.actions.booking_card import documents_to_bring
    from bot.actions.identity_documents import PASSPORT, POLICE_ID, RESIDENCE_PERMIT

    tax = {"documents": ["Αστυνομική ταυτότητα", "Τελευταίο εκκαθαριστικό σημείωμα φόρου εισοδήματος"]}
    bring = documents_to_bring(tax, POLICE_ID)
    assert len(bring) == 2 and "κάμερα" in bring[0] and bring[1] == "Τελευταίο εκκαθαριστικό σημείωμα φόρου εισοδήματος"
    assert documents_to_bring(tax, PASSPORT)[1] == "Αστυνομική ταυτότητα"  # still needed by one who shows a passport
    migration = {"documents": ["Διαβατήριο", "Άδεια διαμονής (αν έχετε)", "Παράβολο (για το διαβατήριο)"]}
    assert documents_to_bring(migration, RESIDENCE_PERMIT)[1:] == ["Διαβατήριο", "Παράβολο (για το διαβατήριο)"]
    ids = {"documents": ["Παλιά ταυτότητα ή δήλωση απώλειας"]}
    assert documents_to_bring(ids, PASSPORT)[1:] == documents_to_bring(ids, POLICE_ID)[1:] == ["Παλιά ταυτότητα ή δήλωση απώλειας"]


def test_starting_again_after_the_wrong_topic_keeps_the_citizens_words_for_the_clerk():
    """«Όχι, δεν είναι αυτό το θέμα μου»: the booking is left and the topic forgotten, but the
    question the citizen typed first is what the clerk reads once they pick the right topic."""
    import asyncio

    from rasa_sdk import Tracker
    from rasa_sdk.events import SlotSet
    from rasa_sdk.executor import CollectingDispatcher

    from bot.actions.booking import ActionShowSummary

    def summary_events(slots: dict) -> list:
        tracker = Tracker("chat-11", slots, {}, [], False, None, {}, "action_listen")
        return asyncio.run(ActionShowSummary().run(CollectingDispatcher(), tracker, {}))

    words = "θέλω άδεια για το σκάφος που αγόρασα"
    started_again = summary_events({"gave_up": True, "topic": None, "question": words, "branch": "kep-athina"})
    assert SlotSet("question", None) not in started_again and SlotSet("branch", None) in started_again
    stopped = summary_events({"gave_up": True, "topic": "vehicles", "question": words})  # gave up otherwise: all forgotten
    assert SlotSet("question", None) in stopped and SlotSet("topic", None) in stopped


def test_a_booking_found_during_its_call_says_to_join_it_not_to_change_it():
    assert found_notices({"status": "booked", "new_manage_token": True}) == (NEW_CODE, WHAT_NEXT)
    assert found_notices({"status": "in_call", "new_manage_token": True}) == (NEW_CODE, IN_CALL)
    assert found_notices({"status": "in_call"}) == (IN_CALL,)
