"""The citizen's identity-check data: what the clerk compares with the ID card on camera.

ΑΦΜ and ΑΜΚΑ are checked with python-stdnum (check digits included); phone and ID-card
formats are Greek-specific and small enough to state here. The mobile is required (the KEP
can reach the citizen there); e-mail is optional, since many citizens who need a KEP have none. Every error names its field and
says in plain Greek what is wrong, so the bot can re-ask precisely.
"""
from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import asdict, dataclass
from typing import Any

from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength, ValidationError
from stdnum.gr import amka as stdnum_amka
from stdnum.gr import vat as stdnum_afm

from .errors import InvalidFields

# Greek ID cards (ΑΔΤ): the old card has one or two Greek capital letters and six digits
# (e.g. ΑΒ 123456, Χ 123456); the 2023 card has two letters and seven digits. Letters that
# look Latin are typed either way, so both alphabets are accepted and stored in Greek.
_LATIN_TO_GREEK = str.maketrans("ABEZHIKMNOPTYX", "ΑΒΕΖΗΙΚΜΝΟΡΤΥΧ")
_ID_CARD = re.compile(r"^[Α-Ω]{1,2}\d{6,7}$")
_MOBILE = re.compile(r"^(?:\+30|0030)?(69\d{8})$")
_EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]{2,}$")
_NAME = re.compile(r"^[^\W\d_]+(?:[ '\-.][^\W\d_]+)*\.?$")

ErrorMap = dict[str, tuple[str, str]]


@dataclass(frozen=True)
class Citizen:
    full_name: str
    id_card: str
    afm: str
    amka: str
    mobile: str
    email: str

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


def normalise_id_card(raw: str) -> str:
    text = unicodedata.normalize("NFC", raw).upper().replace(" ", "").replace("-", "")
    return text.translate(_LATIN_TO_GREEK)


_GREEK_TO_LATIN = str.maketrans("ΑΒΕΖΗΙΚΜΝΟΡΤΥΧ", "ABEZHIKMNOPTYX")


def document_number_key(raw: str) -> str:
    """A document number however it was typed: capitals, no spaces or dashes, and letters
    that look alike in Greek and Latin (Α/A, Κ/K…) read as one, whichever document it is."""
    text = unicodedata.normalize("NFC", raw).upper().translate(_GREEK_TO_LATIN)
    return re.sub(r"[\W_]", "", text)


def citizen_lookup_key(document_number: str, mobile: str) -> str:
    """One opaque key for a document number and an E.164 mobile: what a citizen who lost
    every code still knows. Hashed, so that the index names no personal data."""
    return hashlib.sha256(f"{document_number_key(document_number)}|{mobile}".encode()).hexdigest()


def normalise_mobile(raw: str) -> str | None:
    """Greek mobile in E.164 (+3069…), or None when it is not one."""
    match = _MOBILE.match(re.sub(r"[\s\-().]", "", raw))
    return f"+30{match.group(1)}" if match else None


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
            "full_name", "name_invalid", "Γράψτε το ονοματεπώνυμό σας όπως στην ταυτότητα (όνομα και επώνυμο)."
        )
    return name


def check_id_card(raw: str) -> str:
    id_card = normalise_id_card(raw)
    if not _ID_CARD.match(id_card):
        raise _invalid(
            "id_card", "id_card_format", "Ο αριθμός ταυτότητας έχει 1–2 γράμματα και 6 ή 7 ψηφία (π.χ. ΑΒ 123456)."
        )
    return id_card


def check_mobile(raw: str) -> str:
    mobile = normalise_mobile(raw)
    if mobile is None:
        raise _invalid("mobile", "mobile_invalid", "Γράψτε ένα ελληνικό κινητό με 10 ψηφία που αρχίζει από 69.") from None
    return mobile


def check_email(raw: str) -> str:
    email = raw.strip()
    if email and not (len(email) <= 254 and _EMAIL.match(email)):
        raise _invalid("email", "email_invalid", "Το email δεν φαίνεται σωστό (π.χ. onoma@example.gr).") from None
    return email.lower()


def check_field(field: str, raw: str) -> tuple[str, str]:
    """One identity field checked on its own, as the chat collects them: (stored field, value)."""
    if field == "afm_or_amka":
        return check_afm_or_amka(raw)
    checks = {
        "full_name": check_full_name,
        "id_card": check_id_card,
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
    values = {name: _text(data, name, errors) for name in ("full_name", "id_card", "afm", "amka", "mobile", "email")}
    if not values["afm"] and not values["amka"] and "afm" not in errors and "amka" not in errors:
        errors["afm"] = ("afm_or_amka_required", "Χρειαζόμαστε τον ΑΦΜ ή τον ΑΜΚΑ σας.")
    checked: dict[str, str] = {}
    for name, raw in values.items():
        checked[name] = ""
        if name in errors or (name in ("afm", "amka", "email") and not raw):
            continue
        try:
            checked[name] = check_field(name, raw)[1]
        except InvalidFields as e:
            errors.update(e.errors)
    if errors:
        raise InvalidFields(errors)
    return Citizen(**checked)
