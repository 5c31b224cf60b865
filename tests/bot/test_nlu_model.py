"""The trained model (make train) understands real-world phrasings of each topic, however
they are typed. Needs models/kep.tar.gz."""
import asyncio

import pytest

PHRASES = {
    "topic_civil_registry": ["Θέλω να βγάλω πιστοποιητικό οικογενειακής κατάστασης", "thelw pistopoiitiko gennhshs"],
    "topic_identity_documents": ["ΕΧΑΣΑ ΤΗΝ ΤΑΥΤΟΤΗΤΑ ΜΟΥ", "pws vgazw diavatirio gia to paidi mou"],
    "topic_authorizations": ["Χρειάζομαι γνήσιο υπογραφής", "thelw na kanw eksousiodotisi"],
    "topic_tax": ["ξέχασα τους κωδικούς του taxisnet", "FOROLOGIKH DHLWSH"],
    "topic_insurance_pension": ["Πότε βγαίνω στη σύνταξη;", "posa ensima exw"],
    "topic_employment": ["Με απέλυσαν, τι κάνω για το επίδομα ανεργίας;", "karta anergias"],
    "topic_welfare": ["Δεν μπήκε το επίδομα παιδιού", "epidoma stegasis"],
    "topic_health_disability": ["Θέλω να κλείσω ραντεβού στο ΚΕΠΑ για αναπηρία", "prosopikos giatros"],
    "topic_vehicles": ["Πούλησα το αυτοκίνητο, πώς γίνεται η μεταβίβαση;", "ananeosi diplomatos odigisis"],
    "topic_justice": ["Χρειάζομαι αντίγραφο ποινικού μητρώου", "pistopoiitiko mi ptoxefsis"],
    "topic_military": ["Θέλω αναβολή κατάταξης για σπουδές", "STRATOLOGIKO PISTOPOIITIKO"],
    "topic_migration": ["Η άδεια διαμονής μου λήγει", "thelw na parw ithageneia"],
    "topic_business": ["Θέλω να ανοίξω μια επιχείρηση", "diakopi ergasion"],
    "topic_property": ["Πώς δηλώνω το σπίτι στο κτηματολόγιο;", "afthaireto taktopoiisi"],
    "topic_education": ["Πώς γράφω το παιδί στο νηπιαγωγείο;", "antigrafo ptyxiou"],
    "topic_agriculture": ["Το χαλάζι κατέστρεψε τα χωράφια μου", "dilosi osde"],
    "out_of_scope": ["τι καιρό θα κάνει αύριο;", "poios kerdise sto podosfairo"],
    "find_booking": ["δεν ξέρω πια πού είναι το λινκ της βιντεοκλήσης", "Σβήστηκε το μήνυμα, πότε είχα ραντεβού;"],
}


@pytest.mark.parametrize("intent,text", [(i, t) for i, texts in PHRASES.items() for t in texts])
def test_phrasing_is_classified(agent, intent, text):
    result = asyncio.run(agent.parse_message(text))
    assert result["intent"]["name"] == intent, result["intent_ranking"][:3]
    assert result["text"] == text  # the citizen's words are kept as typed
