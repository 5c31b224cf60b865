"""Which document the citizen will show on camera, in their own words: «με το διαβατήριό
μου», «δίπλωμα οδήγησης», «άδεια διαμονής», and a lost or stolen one («την έχασα», «μου την
έκλεψαν»). A lost ID card is never asked for: the citizen shows a passport or a driving
licence, or, with neither, is told how to be served in person and what to bring.

The kinds and their Greek names are the handoff service's (`GET /api/config`,
`identity_documents`); this module knows how citizens say them.
"""
from __future__ import annotations

import re

from bot.nlu.greek_text import normalise

POLICE_ID, PASSPORT, DRIVING_LICENCE, RESIDENCE_PERMIT, FOREIGN_DOCUMENT = (
    "police_id", "passport", "driving_licence", "residence_permit", "foreign_document",
)
NONE = "none"  # the citizen has none of the documents offered
MIGRATION_TOPIC = "migration"


def _stems(*words: str, whole: bool = False) -> re.Pattern:
    end = r"(?!\w)" if whole else ""
    return re.compile("|".join(rf"(?<!\w){re.escape(normalise(w))}{end}" for w in words))


_SAID = [  # the more specific first: "ταυτότητα της χώρας μου" is a foreign document
    (RESIDENCE_PERMIT, _stems("άδεια διαμον", "άδεια παραμον", "άδειας διαμον", "άδειας παραμον", "ΑΔΕΤ",
                              "κάρτα διαμον", "residence", "permit")),
    (FOREIGN_DOCUMENT, _stems("ταυτότητα της χώρας", "ξένη ταυτότητα", "ξένο έγγραφο", "ευρωπαϊκή ταυτότητα",
                              "ταυτότητα ευρωπα", "άλλο έγγραφο", "κάτι άλλο", "δελτίο", "κάρτα ομογεν")),
    (DRIVING_LICENCE, _stems("δίπλωμα", "άδεια οδήγ", "άδειας οδήγ", "driving", "licence", "license")),
    (PASSPORT, _stems("διαβατήρ", "passport", "pasaport")),
    (POLICE_ID, _stems("ταυτότητ", "αστυνομικ", "ΑΔΤ", "id card")),
]
_LOST = re.compile(_stems("έχασα", "χάθηκε", "χάσει", "χαμένη", "χαμένο", "έκλεψαν", "κλέψαν", "κλέψει", "κλεμμένη",
                          "κλεμμένο", "κλάπηκε", "κλοπή",
                          "απώλεια", "ληγμένη", "ληγμένο", "lost", "stolen", "δεν την έχω", "δεν το έχω", "δεν έχω πια").pattern
                   + "|" + _stems("λήξει", "έληξε", whole=True).pattern)
_CARRIED_IN = _stems("πορτοφόλ", "τσάντα", "τσαντάκι", "wallet")  # lost with the wallet: the ID card too
_HAS_NOTHING = _stems("κανένα", "κανέναν", "τίποτα", "ούτε", "none")
_DO_NOT_HAVE = _stems("δεν έχω", "δε έχω")

ORDER = [POLICE_ID, PASSPORT, DRIVING_LICENCE, RESIDENCE_PERMIT, FOREIGN_DOCUMENT]
ORDER_FOR_MIGRATION = [RESIDENCE_PERMIT, PASSPORT, FOREIGN_DOCUMENT, POLICE_ID, DRIVING_LICENCE]

NUMBER_QUESTIONS = {
    POLICE_ID: "Ποιος είναι ο αριθμός της αστυνομικής σας ταυτότητας; (π.χ. ΑΒ 123456)",
    PASSPORT: "Ποιος είναι ο αριθμός του διαβατηρίου σας; (στη σελίδα με τη φωτογραφία, π.χ. AE1234567)",
    DRIVING_LICENCE: "Ποιος είναι ο αριθμός του διπλώματος οδήγησης; (στο πεδίο 5 της κάρτας)",
    RESIDENCE_PERMIT: "Ποιος είναι ο αριθμός της άδειας διαμονής σας; (όπως είναι τυπωμένος στην κάρτα)",
    FOREIGN_DOCUMENT: "Ποιος είναι ο αριθμός του εγγράφου σας, όπως είναι τυπωμένος;",
}
TO_BRING = {
    POLICE_ID: "Την αστυνομική σας ταυτότητα (θα τη δείξετε στην κάμερα στην αρχή)",
    PASSPORT: "Το διαβατήριό σας (θα το δείξετε στην κάμερα στην αρχή)",
    DRIVING_LICENCE: "Το δίπλωμα οδήγησης (θα το δείξετε στην κάμερα στην αρχή)",
    RESIDENCE_PERMIT: "Την άδεια διαμονής σας (θα τη δείξετε στην κάμερα στην αρχή)",
    FOREIGN_DOCUMENT: "Το έγγραφο ταυτότητας που δηλώσατε (θα το δείξετε στην κάμερα στην αρχή)",
}
_LOST_NAME = {  # as the subject of "χάθηκε", and its pronoun
    POLICE_ID: ("η ταυτότητά σας", "την"), PASSPORT: ("το διαβατήριό σας", "το"), DRIVING_LICENCE: ("το δίπλωμά σας", "το"),
    RESIDENCE_PERMIT: ("η άδεια διαμονής σας", "την"), FOREIGN_DOCUMENT: ("το έγγραφό σας", "το"),
}


def said_lost(text: str) -> bool:
    return bool(_LOST.search(normalise(text)))


def document_said(text: str) -> str | None:
    """The document a citizen names, or None."""
    plain = normalise(text)
    return next((kind for kind, said in _SAID if said.search(plain)), None)


def document_answer(text: str) -> str | None:
    """The answer to "which document": the one named, NONE for «κανένα από αυτά» / «δεν έχω»,
    or None when it is unclear («ούτε διαβατήριο ούτε δίπλωμα» is none)."""
    plain = normalise(text)
    if _HAS_NOTHING.search(plain):
        return NONE
    return document_said(text) or (NONE if _DO_NOT_HAVE.search(plain) else None)


def lost_in_question(question: str) -> str | None:
    """The document the citizen's first question says was lost or stolen («Έχασα την
    ταυτότητά μου»), so that the bot does not ask for it."""
    if not said_lost(question):
        return None
    return document_said(question) or (POLICE_ID if _CARRIED_IN.search(normalise(question)) else None)


def offered(topic: str | None, lost: str | None) -> list[str]:
    """The documents to offer, in order: a foreigner's first for the migration topic, never
    the one that was lost."""
    order = ORDER_FOR_MIGRATION if topic == MIGRATION_TOPIC else ORDER
    return [kind for kind in order if kind != lost]


def document_question(topic: str | None, lost: str | None) -> str:
    if lost:
        name, it = _LOST_NAME[lost]
        others = "το διαβατήριο ή το δίπλωμα οδήγησης" if lost == POLICE_ID else "την αστυνομική ταυτότητα ή άλλο έγγραφο με φωτογραφία"
        return f"Αφού {name} χάθηκε ή δεν {it} έχετε πια, στην κάμερα μπορείτε να δείξετε {others}. Ποιο έχετε;"
    if topic == MIGRATION_TOPIC:
        return ("Ποιο έγγραφο θα δείξετε στην κάμερα για την ταυτοποίηση; Μπορεί να είναι η άδεια διαμονής, το "
                "διαβατήριο ή άλλο έγγραφο ταυτότητας με φωτογραφία.")
    return "Ποιο έγγραφο ταυτότητας θα δείξετε στην κάμερα; Αρκεί ένα σε ισχύ, με φωτογραφία."


LOST_REPLY = "Κατανοητό, τότε δεν χρειάζομαι αυτόν τον αριθμό. Ας δούμε ποιο άλλο έγγραφο μπορείτε να δείξετε."


NO_DOCUMENT = (
    "Χωρίς έγγραφο με φωτογραφία δεν μπορεί να γίνει η ταυτοποίηση στη βιντεοκλήση, αλλά μπορείτε να "
    "εξυπηρετηθείτε από κοντά. Πάρτε μαζί σας τη βεβαίωση απώλειας (ή κλοπής) που δίνει το αστυνομικό τμήμα "
    "όπου δηλώσατε την απώλεια — αν δεν την έχετε δηλώσει ακόμη, κάντε το πρώτα σε οποιοδήποτε αστυνομικό "
    "τμήμα — και, αν έχετε, ένα άλλο έγγραφο με φωτογραφία (π.χ. παλιό διαβατήριο)."
)
