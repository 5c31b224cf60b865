"""Which document a citizen will show, in their words; a lost one is never asked for."""
import pytest

from bot.actions.identity_documents import (
    DRIVING_LICENCE,
    FOREIGN_DOCUMENT,
    NONE,
    PASSPORT,
    POLICE_ID,
    RESIDENCE_PERMIT,
    document_answer,
    document_question,
    document_said,
    lost_in_question,
    offered,
    said_lost,
)


@pytest.mark.parametrize("text, kind", [
    ("θα το κάνω με το διαβατήριό μου", PASSPORT), ("diavatirio", PASSPORT), ("έχω μόνο δίπλωμα", DRIVING_LICENCE),
    ("την άδεια παραμονής μου", RESIDENCE_PERMIT), ("την ταυτότητα της χώρας μου, είμαι Ιταλός", FOREIGN_DOCUMENT),
    ("την αστυνομική", POLICE_ID), ("ΑΔΤ", POLICE_ID), ("δεν ξέρω", None),
])
def test_the_document_named(text, kind):
    assert document_said(text) == kind


@pytest.mark.parametrize("question, lost", [
    ("Μου άρπαξαν το πορτοφόλι και μου έκλεψαν και την ταυτότητα", POLICE_ID),
    ("στο ταξίδι χάθηκε το διαβατήριο του άντρα μου", PASSPORT),
    ("ξέχασα το pin του taxisnet", None),
    ("θέλω πιστοποιητικό γέννησης", None),
    ("αντίγραφο ληξιαρχικής πράξης", None),
    ("το διαβατήριό μου έχει λήξει", PASSPORT),
    ("χθες στο λεωφορειο μου κλεψαν τη τσαντα και μαζι την ταυτοτητα", POLICE_ID),  # spoken, without the augment
    ("μου έχουν κλέψει την τσάντα, και το δίπλωμα ήταν μέσα", DRIVING_LICENCE),
    ("η ταυτότητα είναι κλεμμένη από χθες", POLICE_ID),
    ("μου έκλεψαν το πορτοφόλι στο μετρό", POLICE_ID),  # the card is in the wallet
    ("έχασα τη δουλειά μου τον Μάρτιο, θέλω κάρτα ανεργίας", None),  # nothing to show on camera was lost
    ("χάθηκε η σύνταξη του Οκτωβρίου από τον λογαριασμό", None),
])
def test_a_document_lost_in_the_first_question(question, lost):
    assert lost_in_question(question) == lost


def test_what_is_offered_first_and_never_the_lost_one():
    assert offered("migration", None)[0] == RESIDENCE_PERMIT
    assert offered("tax", None)[0] == POLICE_ID
    assert offered("identity_documents", POLICE_ID)[:2] == [PASSPORT, DRIVING_LICENCE]
    assert POLICE_ID not in offered("identity_documents", POLICE_ID)
    assert "το διαβατήριο ή το δίπλωμα οδήγησης" in document_question("identity_documents", POLICE_ID)
    assert said_lost("μου την κλέψανε χθες") and not said_lost("ΑΒ 123456")


@pytest.mark.parametrize("answer, kind", [
    ("κανένα από τα δύο", NONE), ("ούτε διαβατήριο ούτε δίπλωμα", NONE), ("δεν έχω", NONE),
    ("δεν έχω διαβατήριο, μόνο δίπλωμα", DRIVING_LICENCE), ("Διαβατήριο", PASSPORT), ("μάλλον", None),
])
def test_the_answer_to_which_document(answer, kind):
    assert document_answer(answer) == kind
