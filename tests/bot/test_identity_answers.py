"""Identity answers written as sentences, as people write them: the value the service checks."""
import asyncio

import pytest

from bot.actions.identity_form import name_said, number_said


@pytest.mark.parametrize("answer, name", [
    ("Λέγομαι Ευανθία Κορομηλά", "Ευανθία Κορομηλά"),
    ("ονομαζομαι Σταύρος Πετρίδης", "Σταύρος Πετρίδης"),
    ("Το ονοματεπώνυμό μου είναι: Ηλίας Φραγκίσκος", "Ηλίας Φραγκίσκος"),
    ("είμαι η Δέσποινα Αλεξανδρή", "Δέσποινα Αλεξανδρή"),
    ("Λεωνίδας Ονομαζόμενος", "Λεωνίδας Ονομαζόμενος"),  # a name that only looks like a lead-in stays whole
])
def test_the_name_without_the_words_before_it(answer, name):
    assert name_said(answer) == name


@pytest.mark.parametrize("slot, answer, number", [
    ("afm_or_amka", "νομίζω πως ο αφμ είναι 094259216 αν θυμάμαι καλά", "094259216"),
    ("afm_or_amka", "ΑΜΚΑ: 01016512343", "01016512343"),
    ("afm_or_amka", "094 259 216", None),  # the answer is the number already
    ("afm_or_amka", "αφμ 094259216 και αμκα 01016512343", None),  # two numbers: which one is not ours to guess
    ("id_card", "η ταυτότητά μου γράφει Χ 481236", "Χ 481236"),
    ("id_card", "ΑΚ 482915", None),
    ("mobile", "το κινητό μου: 6944 123 456", "6944 123 456"),
    ("mobile", "στο αγγλικό κινητό +44 7911 123456", "+44 7911 123456"),
    ("full_name", "Ελένη 2", None),
])
def test_the_one_number_in_a_sentence(slot, answer, number):
    assert number_said(slot, answer) == number


def test_a_correction_does_not_ask_again_for_the_document_already_chosen():
    from rasa_sdk import Tracker
    from rasa_sdk.executor import CollectingDispatcher

    from bot.actions.identity_form import ValidateIdentityForm

    slots = {"id_document": "passport", "id_card": "AE1234567", "full_name": None, "requested_slot": "full_name"}
    tracker = Tracker("web-chat-3", slots, {"intent": {"name": "inform"}, "entities": [], "text": "/correct"},
                      [], False, None, {"name": "identity_form"}, "action_listen")
    dispatcher = CollectingDispatcher()
    assert asyncio.run(ValidateIdentityForm().validate_id_document("passport", dispatcher, tracker, {})) == {}
    assert dispatcher.messages == []  # nothing asked: the correction was of the name
