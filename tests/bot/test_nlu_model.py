"""The trained model (make train) understands phrasings of each topic that it never saw (see
test_not_memorised.py), however they are typed. Needs models/kep.tar.gz."""
import asyncio

import pytest

PHRASES = {
    "topic_civil_registry": ["Χρειάζομαι ληξιαρχική πράξη γέννησης για την εγγραφή του γιου μου", "pou vgazw pistopoiitiko gamou"],
    "topic_identity_documents": ["ΧΘΕΣ ΒΡΑΔΥ ΧΑΘΗΚΕ Η ΑΣΤΥΝΟΜΙΚΗ ΜΟΥ ΤΑΥΤΟΤΗΤΑ ΣΤΟ ΜΕΤΡΟ", "lhgei to diavatirio mou ton iounio"],
    "topic_authorizations": ["Πρέπει να θεωρήσω την υπογραφή μου σε μια υπεύθυνη δήλωση", "exousiodotisi ston adelfo mou gia na paralavei ena xarti"],
    "topic_tax": ["δεν μπορώ να μπω στο taxisnet, κλειδώθηκε ο λογαριασμός", "POTE PLIRONETAI O ENFIA"],
    "topic_insurance_pension": ["Πόσα χρόνια ασφάλισης μου λείπουν για να πάρω σύνταξη;", "thelw ektyposi enshmwn apo ton efka"],
    "topic_employment": ["Έληξε η σύμβασή μου και θέλω να γραφτώ άνεργος", "apolythika, pote tha parw ta lefta tis anergias"],
    "topic_welfare": ["Φέτος δεν πήρα το επίδομα θέρμανσης, γιατί;", "aitisi gia elaxisto egguimeno eisodima"],
    "topic_health_disability": ["Πρέπει να περάσω από επιτροπή για το ποσοστό αναπηρίας μου", "den exw giatro oikogeneias"],
    "topic_vehicles": ["Αγόρασα μεταχειρισμένο αμάξι, πώς το γράφω στο όνομά μου;", "xasame tis pinakides tou aftokinitou"],
    "topic_justice": ["Μου ζητάνε λευκό ποινικό μητρώο για τη δουλειά", "vevaiwsi oti den exw ptoxeusei"],
    "topic_military": ["Ο γιος μου σπουδάζει έξω, μπορεί να πάρει αναβολή από τον στρατό;", "PISTOPOIITIKO EKPLIROSIS STRATIOTIKON YPOXREOSEON"],
    "topic_migration": ["Πότε πρέπει να κάνω ανανέωση της άδειας παραμονής μου;", "pws ginomai ellinas politis"],
    "topic_business": ["Πού δηλώνω έναρξη δραστηριότητας για να ανοίξω καφετέρια;", "klinw tin etaireia mou, ti prepei na kanw"],
    "topic_property": ["Ο συμβολαιογράφος ζητάει τον ΚΑΕΚ του διαμερίσματος, πού τον βρίσκω;", "taktopoiisi afthaireton sto spiti"],
    "topic_education": ["Θέλω να αναγνωρίσω το πτυχίο μου από το εξωτερικό", "eggrafi paidiou stin a dimotikou"],
    "topic_agriculture": ["Η καταιγίδα κατέστρεψε το θερμοκήπιο, πού κάνω δήλωση ζημιάς;", "enisxysi gia agrotes apo opekepe"],
    "out_of_scope": ["ποια ομάδα πήρε το πρωτάθλημα πέρσι;", "pou vrisko kalo giatro gia ta dontia mou"],
    "find_booking": ["δεν ξέρω πια πού είναι το λινκ της βιντεοκλήσης", "Σβήστηκε το μήνυμα, πότε είχα ραντεβού;"],
}


@pytest.mark.parametrize("intent,text", [(i, t) for i, texts in PHRASES.items() for t in texts])
def test_phrasing_is_classified(agent, intent, text):
    result = asyncio.run(agent.parse_message(text))
    assert result["intent"]["name"] == intent, result["intent_ranking"][:3]
    assert result["text"] == text  # the citizen's words are kept as typed
