"""The normal form makes every way of writing a question look the same to the classifier."""
import pytest

from bot.nlu.greek_text import greeklish_to_greek, normalise, strip_accents


@pytest.mark.parametrize("variants", [
    ["Πού ανανεώνεται το διαβατήριο", "ΠΟΥ ΑΝΑΝΕΩΝΕΤΑΙ ΤΟ ΔΙΑΒΑΤΗΡΙΟ", "pou ananewnetai to diavatirio", "pou ananeonetai to diavatirio"],
    ["Ο σκύλος μάσησε την ταυτότητά μου", "Ο ΣΚΥΛΟΣ ΜΑΣΗΣΕ ΤΗΝ ΤΑΥΤΟΤΗΤΑ ΜΟΥ", "o skylos masise tin taftotita mou", "o skilos mashse thn tavtothta mou"],
    ["Πιστοποιητικό γέννησης για το μωρό", "pistopoiitiko gennisis gia to moro"],
    ["φορολογική δήλωση", "forologikh dhlwsh", "forologiki dilosi"],
    ["Χώρισα και θέλω το πατρικό μου επώνυμο", "xorisa kai thelw to patriko mou eponimo"],
    ["αυτοκίνητο", "aftokinito", "avtokinito", "ΑΥΤΟΚΙΝΗΤΟ"],
    ["τηλέφωνο", "thlefwno", "tilefono"],
    ["βοήθεια", "voitheia", "voh8eia"],
])
def test_ways_of_writing_meet_in_one_form(variants):
    assert len({normalise(v) for v in variants}) == 1, [normalise(v) for v in variants]


def test_accents_and_diaeresis_are_removed():
    assert strip_accents("Ευρωπαϊκή Ένωση, προϊόν") == "Ευρωπαικη Ενωση, προιον"


def test_final_sigma_doubled_letters_and_numbers():
    assert normalise("Πολλλλές δηλώσεις") == "πολεσ διλοσισ"
    assert normalise("Το 2000 και το Ε9") == "το 2000 κε το ε9"


def test_greeklish_context_rules():
    assert greeklish_to_greek("sthn") == "στην"
    assert greeklish_to_greek("kathgoria") == "κατηγορια"
    assert greeklish_to_greek("ethniko") == "εθνικο"
    assert greeklish_to_greek("psari xoris ksidi") == "ψαρι χορισ ξιδι"


def test_greek_words_are_untouched_by_transliteration():
    assert greeklish_to_greek("ΑΦΜ και e9") == "ΑΦΜ και ε9"
