"""The citizen's identity-check data: what the clerk compares with the document shown on camera.

The citizen shows the document they have (`IdentityDocument`: police ID, passport, driving
licence, residence permit, another foreigner's document) and its number is checked for that
document's format. ΑΦΜ and ΑΜΚΑ are checked with python-stdnum (check digits included), the
mobile with python-phonenumbers (any country; a Greek mobile may be written without +30) and
stored in E.164. The mobile is required (the KEP can reach the citizen there); e-mail is
optional, since many citizens who need a KEP have none. Every error names its field and says
in plain Greek what exactly is wrong, so the bot can re-ask precisely.
"""
from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Callable
from dataclasses import asdict, dataclass
from enum import StrEnum
from itertools import takewhile
from typing import Any

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberType
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength, ValidationError
from stdnum.gr import amka as stdnum_amka
from stdnum.gr import vat as stdnum_afm

from bot.nlu.greek_text import LATIN_LOOKALIKES

from .errors import InvalidFields


class IdentityDocument(StrEnum):
    """The documents a clerk can check on camera."""

    POLICE_ID = "police_id"
    PASSPORT = "passport"
    DRIVING_LICENCE = "driving_licence"
    RESIDENCE_PERMIT = "residence_permit"
    FOREIGN_DOCUMENT = "foreign_document"

    @property
    def label(self) -> str:
        return _DOCUMENT_LABELS[self]


def show_on_camera(kind: str | None) -> str:
    """What the citizen is reminded to have at hand, for the document they said they will show."""
    document = IdentityDocument(kind or IdentityDocument.POLICE_ID)
    phrase, it = _TO_SHOW[document]
    return f"Έχετε μαζί {phrase}: θα {it} δείξετε στην κάμερα."


_TO_SHOW = {
    IdentityDocument.POLICE_ID: ("την αστυνομική σας ταυτότητα", "τη"),
    IdentityDocument.PASSPORT: ("το διαβατήριό σας", "το"),
    IdentityDocument.DRIVING_LICENCE: ("το δίπλωμα οδήγησής σας", "το"),
    IdentityDocument.RESIDENCE_PERMIT: ("την άδεια διαμονής σας", "τη"),
    IdentityDocument.FOREIGN_DOCUMENT: ("το έγγραφο ταυτότητας που δηλώσατε", "το"),
}
_DOCUMENT_LABELS = {
    IdentityDocument.POLICE_ID: "Αστυνομική ταυτότητα",
    IdentityDocument.PASSPORT: "Διαβατήριο",
    IdentityDocument.DRIVING_LICENCE: "Δίπλωμα οδήγησης",
    IdentityDocument.RESIDENCE_PERMIT: "Άδεια διαμονής",
    IdentityDocument.FOREIGN_DOCUMENT: "Άλλο έγγραφο ταυτότητας αλλοδαπού",
}

# Greek ID cards (ΑΔΤ): the old card has one or two Greek capital letters and six digits
# (e.g. ΑΒ 123456, Χ 123456); the 2023 card has two letters and seven digits. Letters that
# look Latin are typed either way, so both alphabets are accepted and stored in Greek.
# Passports are printed in Latin letters (the Greek one: 2 letters and 7 digits), so Greek
# look-alikes typed in them are stored in Latin.
_LATIN_TO_GREEK = str.maketrans("ABEZHIKMNOPTYX", "ΑΒΕΖΗΙΚΜΝΟΡΤΥΧ")
_EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]{2,}$")
_NAME = re.compile(r"^[^\W\d_]+(?:[ '\-.][^\W\d_]+)*\.?$")

ErrorMap = dict[str, tuple[str, str]]


@dataclass(frozen=True)
class Citizen:
    full_name: str
    id_card: str  # the number of the identity document shown on camera
    afm: str
    amka: str
    mobile: str
    email: str
    id_document: str = IdentityDocument.POLICE_ID

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


def _compact(raw: str) -> str:
    return re.sub(r"[\s\-./]", "", unicodedata.normalize("NFC", raw).upper())


def normalise_id_card(raw: str) -> str:
    return _compact(raw).translate(_LATIN_TO_GREEK)


def document_number_key(raw: str) -> str:
    """A document number however it was typed: capitals, no spaces or dashes, and letters
    that look alike in Greek and Latin (Α/A, Κ/K…) read as one, whichever document it is."""
    text = unicodedata.normalize("NFC", raw).upper().translate(LATIN_LOOKALIKES)
    return re.sub(r"[\W_]", "", text)


def citizen_lookup_key(document_number: str, mobile: str) -> str:
    """One opaque key for a document number and an E.164 mobile: what a citizen who lost
    every code still knows. Hashed, so that the index names no personal data."""
    return hashlib.sha256(f"{document_number_key(document_number)}|{mobile}".encode()).hexdigest()


def _count(text: str, what: str) -> str:
    return f"{len(text)} {what}" if what != "ψηφία" or len(text) != 1 else "1 ψηφίο"


def check_police_id(raw: str) -> str:
    number = normalise_id_card(raw)
    letters = "".join(takewhile(lambda c: not c.isdecimal(), number))  # what precedes the first digit
    digits = number[len(letters):]
    if not letters:
        problem = "γράψατε μόνο ψηφία"
    elif not re.fullmatch(r"[Α-Ω]+", letters):
        problem = "τα γράμματα είναι ελληνικά κεφαλαία (π.χ. ΑΒ, Χ)"
    elif len(letters) > 2:
        problem = f"γράψατε {len(letters)} γράμματα"
    elif not digits.isdigit() or len(digits) not in (6, 7):
        problem = f"μετά τα γράμματα γράψατε {_count(''.join(c for c in digits if c.isdigit()), 'ψηφία')}"
    else:
        return number
    raise _invalid(
        "id_card", "id_card_format",
        f"Ο αριθμός της αστυνομικής ταυτότητας έχει 1 ή 2 γράμματα και 6 ψηφία, 7 στη νέα (π.χ. ΑΒ 123456)· {problem}.",
    )


def check_passport(raw: str) -> str:
    number = _compact(raw).translate(LATIN_LOOKALIKES)
    if re.search(r"[Α-Ω]", number):
        raise _invalid("id_card", "passport_latin", "Ο αριθμός διαβατηρίου γράφεται με λατινικά γράμματα, όπως στη σελίδα "
                       "με τη φωτογραφία (π.χ. AE1234567).")
    if not (re.fullmatch(r"[A-Z0-9]{6,9}", number) and re.search(r"\d", number)):
        raise _invalid("id_card", "passport_format", "Ο αριθμός διαβατηρίου έχει 6 έως 9 γράμματα και ψηφία (το ελληνικό: 2 "
                       f"γράμματα και 7 ψηφία, π.χ. AE1234567)· γράψατε {_count(number, 'χαρακτήρες')}.")
    return number


def _printed_number(shortest: int, longest: int, min_digits: int, code: str, message: str) -> Callable[[str], str]:
    """A check for a document whose number has no public format: only its printed shape, letters
    and digits of a length with at least some digits."""
    shape = re.compile(rf"[A-ZΑ-Ω0-9]{{{shortest},{longest}}}")

    def check(raw: str) -> str:
        number = _compact(raw)
        if not (shape.fullmatch(number) and sum(c.isdigit() for c in number) >= min_digits):
            raise _invalid("id_card", code, message)
        return number

    return check


check_driving_licence = _printed_number(6, 12, 5, "driving_licence_format", "Γράψτε τον αριθμό του διπλώματος όπως είναι "
                                        "στο πεδίο 5 της κάρτας: 6 έως 12 ψηφία ή γράμματα.")
check_residence_permit = _printed_number(6, 12, 4, "residence_permit_format", "Γράψτε τον αριθμό της άδειας διαμονής όπως "
                                         "είναι τυπωμένος στην κάρτα (6 έως 12 γράμματα και ψηφία, π.χ. ZA1234567).")
check_foreign_document = _printed_number(5, 15, 1, "foreign_document_format", "Γράψτε τον αριθμό του εγγράφου όπως είναι "
                                         "τυπωμένος (5 έως 15 γράμματα και ψηφία, χωρίς κενά).")


_DOCUMENT_CHECKS = {
    IdentityDocument.POLICE_ID: check_police_id,
    IdentityDocument.PASSPORT: check_passport,
    IdentityDocument.DRIVING_LICENCE: check_driving_licence,
    IdentityDocument.RESIDENCE_PERMIT: check_residence_permit,
    IdentityDocument.FOREIGN_DOCUMENT: check_foreign_document,
}


def identity_document(raw: Any) -> IdentityDocument:
    try:
        return IdentityDocument(raw or IdentityDocument.POLICE_ID)
    except ValueError:
        kinds = ", ".join(kind.value for kind in IdentityDocument)
        raise _invalid("id_document", "unknown_document", f"Άγνωστο έγγραφο ταυτότητας· ένα από: {kinds}.") from None


def check_document_number(document: IdentityDocument, raw: str) -> str:
    if not _compact(raw):
        raise _invalid("id_card", "id_card_required", f"Γράψτε τον αριθμό του εγγράφου ({document.label}).")
    return _DOCUMENT_CHECKS[document](raw)


def check_afm(raw: str) -> str:
    try:
        return stdnum_afm.validate(raw)
    except (InvalidLength, InvalidFormat):
        raise _invalid("afm", "afm_format", f"Ο ΑΦΜ έχει 9 ψηφία· ο αριθμός που δώσατε {_digits_said(raw)}.") from None
    except InvalidChecksum:
        raise _invalid("afm", "afm_checksum", "Αυτός ο ΑΦΜ δεν είναι έγκυρος (λάθος ψηφίο ελέγχου). Ελέγξτε τον ξανά.") from None
    except ValidationError:
        raise _invalid("afm", "afm_invalid", "Αυτός ο ΑΦΜ δεν είναι έγκυρος.") from None


def check_amka(raw: str) -> str:
    try:
        return stdnum_amka.validate(raw)
    except (InvalidLength, InvalidFormat):
        raise _invalid("amka", "amka_format", f"Ο ΑΜΚΑ έχει 11 ψηφία· ο αριθμός που δώσατε {_digits_said(raw)}.") from None
    except InvalidComponent:
        raise _invalid("amka", "amka_date", "Τα πρώτα 6 ψηφία του ΑΜΚΑ είναι η ημερομηνία γέννησης. Ελέγξτε τα.") from None
    except InvalidChecksum:
        raise _invalid("amka", "amka_checksum", "Αυτός ο ΑΜΚΑ δεν είναι έγκυρος (λάθος ψηφίο ελέγχου). Ελέγξτε τον ξανά.") from None
    except ValidationError:
        raise _invalid("amka", "amka_invalid", "Αυτός ο ΑΜΚΑ δεν είναι έγκυρος.") from None


def check_afm_or_amka(raw: str) -> tuple[str, str]:
    """(field, value): the chat asks for "ΑΦΜ ή ΑΜΚΑ" once and the length tells which it is."""
    digits = re.sub(r"[\s.\-]", "", raw)
    if not any(c.isdigit() for c in digits):  # «δεν τον ξέρω», «γιατί;»: not a mistyped number
        raise _invalid("afm_or_amka", "afm_or_amka_missing",
                       "Για το ραντεβού χρειάζεται ο ΑΦΜ ή ο ΑΜΚΑ σας (ένας από τους δύο): με αυτόν ο υπάλληλος "
                       "βρίσκει τα στοιχεία της υπόθεσής σας. Ο ΑΦΜ έχει 9 ψηφία (θα τον βρείτε π.χ. στο "
                       "εκκαθαριστικό της εφορίας) και ο ΑΜΚΑ 11.")
    if len(digits) == 9:
        return "afm", check_afm(digits)
    if len(digits) == 11:
        return "amka", check_amka(digits)
    raise _invalid(
        "afm_or_amka",
        "afm_or_amka_length",
        f"Ο ΑΦΜ έχει 9 ψηφία και ο ΑΜΚΑ 11· ο αριθμός που δώσατε {_digits_said(digits)}.",
    )


def check_full_name(raw: str) -> str:
    name = " ".join(raw.split())
    if not (3 <= len(name) <= 100 and " " in name and _NAME.match(name)):
        raise _invalid(
            "full_name", "name_invalid", "Γράψτε το ονοματεπώνυμό σας όπως στο έγγραφο ταυτότητας (όνομα και επώνυμο)."
        )
    return name


_MOBILE_TYPES = {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE, PhoneNumberType.PERSONAL_NUMBER}


def check_mobile(raw: str) -> str:
    """Any valid mobile in E.164; a Greek one may be written without +30 (6912345678)."""
    text = raw.strip()
    if re.search(r"[^\d\s\-+().]", text):
        raise _invalid("mobile", "mobile_not_digits", "Γράψτε μόνο τον αριθμό του κινητού, με ψηφία (και + με τον κωδικό "
                       "χώρας για ξένο κινητό).")
    digits = re.sub(r"\D", "", text)
    try:
        number = phonenumbers.parse(text, "GR")
    except NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        greek = number is not None and number.country_code == 30
        if greek and digits.startswith("69"):
            message = f"Τα ελληνικά κινητά έχουν 10 ψηφία και αρχίζουν από 69· ο αριθμός που δώσατε έχει {len(digits)}."
        elif greek:
            message = ("Αυτός δεν είναι ελληνικό κινητό (αρχίζει από 69 και έχει 10 ψηφία). Για ξένο κινητό γράψτε "
                       "τον αριθμό με τον κωδικό της χώρας, π.χ. +44 7911 123456.")
        else:
            code = f" +{number.country_code}" if number is not None else ""
            message = f"Ο αριθμός δεν φαίνεται σωστός για τη χώρα με κωδικό{code}· ελέγξτε τον, με τον κωδικό χώρας μπροστά."
        raise _invalid("mobile", "mobile_invalid", message)
    if phonenumbers.number_type(number) not in _MOBILE_TYPES:
        raise _invalid("mobile", "mobile_landline", "Αυτός φαίνεται σταθερό τηλέφωνο· γράψτε ένα κινητό (π.χ. 6912345678).")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def check_email(raw: str) -> str:
    email = raw.strip()
    if email and not (len(email) <= 254 and _EMAIL.match(email)):
        raise _invalid("email", "email_invalid", "Το email δεν φαίνεται σωστό (π.χ. onoma@example.gr).") from None
    return email.lower()


def check_field(field: str, raw: str, document: IdentityDocument = IdentityDocument.POLICE_ID) -> tuple[str, str]:
    """One identity field checked on its own, as the chat collects them: (stored field, value).
    `id_card` is the number of `document`."""
    if field == "afm_or_amka":
        return check_afm_or_amka(raw)
    checks = {
        "full_name": check_full_name,
        "id_card": lambda raw: check_document_number(document, raw),
        "afm": check_afm,
        "amka": check_amka,
        "mobile": check_mobile,
        "email": check_email,
    }
    if field not in checks:
        raise InvalidFields({"field": ("unknown_field", "Άγνωστο πεδίο.")})
    return field, checks[field](raw)


def _invalid(field: str, code: str, message: str) -> InvalidFields:
    return InvalidFields({field: (code, message)})


def _digits_said(raw: str) -> str:
    """How many digits the citizen gave, so the re-ask can say exactly what is off."""
    digits = sum(c.isdigit() for c in raw)
    said = f"έχει {digits} ψηφί{'ο' if digits == 1 else 'α'}"
    return said + (" και άλλους χαρακτήρες" if any(not (c.isdigit() or c in " .-") for c in raw) else "")


def _text(data: dict[str, Any], name: str, errors: ErrorMap) -> str:
    value = data.get(name, "")
    if value is None:
        return ""
    if not isinstance(value, str):
        errors[name] = ("not_text", "Αυτό το πεδίο πρέπει να είναι κείμενο.")
        return ""
    return value.strip()


def parse_citizen(data: Any) -> Citizen:
    """Validated, normalised identity data, or `InvalidFields` listing every problem."""
    if not isinstance(data, dict):
        raise InvalidFields({"citizen": ("not_object", "Λείπουν τα στοιχεία του πολίτη.")})
    errors: ErrorMap = {}
    try:
        document = identity_document(data.get("id_document"))
    except InvalidFields as e:
        errors.update(e.errors)
        document = IdentityDocument.POLICE_ID
    values = {name: _text(data, name, errors) for name in ("full_name", "id_card", "afm", "amka", "mobile", "email")}
    if not values["afm"] and not values["amka"] and "afm" not in errors and "amka" not in errors:
        errors["afm"] = ("afm_or_amka_required", "Χρειαζόμαστε τον ΑΦΜ ή τον ΑΜΚΑ σας.")
    checked: dict[str, str] = {}
    for name, raw in values.items():
        checked[name] = ""
        if name in errors or (name in ("afm", "amka", "email") and not raw):
            continue
        try:
            checked[name] = check_field(name, raw, document)[1]
        except InvalidFields as e:
            errors.update(e.errors)
    if errors:
        raise InvalidFields(errors)
    return Citizen(**checked, id_document=document.value)
