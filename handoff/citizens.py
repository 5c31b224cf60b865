"""The citizen's identity-check data: what the clerk compares with the ID card on camera.

ΑΦΜ and ΑΜΚΑ are checked with python-stdnum (check digits included); phone and ID-card
formats are Greek-specific and small enough to state here. The mobile is required (reminders
go there); e-mail is optional, since many citizens who need a KEP have none. Every error names its field and
says in plain Greek what is wrong, so the bot can re-ask precisely.
"""
from __future__ import annotations

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


def normalise_mobile(raw: str) -> str | None:
    """Greek mobile in E.164 (+3069…), or None when it is not one."""
    match = _MOBILE.match(re.sub(r"[\s\-().]", "", raw))
    return f"+30{match.group(1)}" if match else None


def _check_afm(raw: str) -> tuple[str, tuple[str, str] | None]:
    try:
        return stdnum_afm.validate(raw), None
    except (InvalidLength, InvalidFormat):
        return raw, ("afm_format", "Ο ΑΦΜ έχει 9 ψηφία. Ελέγξτε τον αριθμό που δώσατε.")
    except InvalidChecksum:
        return raw, ("afm_checksum", "Αυτός ο ΑΦΜ δεν είναι έγκυρος (λάθος ψηφίο ελέγχου). Ελέγξτε τον ξανά.")
    except ValidationError:
        return raw, ("afm_invalid", "Αυτός ο ΑΦΜ δεν είναι έγκυρος.")


def _check_amka(raw: str) -> tuple[str, tuple[str, str] | None]:
    try:
        return stdnum_amka.validate(raw), None
    except (InvalidLength, InvalidFormat):
        return raw, ("amka_format", "Ο ΑΜΚΑ έχει 11 ψηφία. Ελέγξτε τον αριθμό που δώσατε.")
    except InvalidComponent:
        return raw, ("amka_date", "Τα πρώτα 6 ψηφία του ΑΜΚΑ είναι η ημερομηνία γέννησης. Ελέγξτε τα.")
    except InvalidChecksum:
        return raw, ("amka_checksum", "Αυτός ο ΑΜΚΑ δεν είναι έγκυρος (λάθος ψηφίο ελέγχου). Ελέγξτε τον ξανά.")
    except ValidationError:
        return raw, ("amka_invalid", "Αυτός ο ΑΜΚΑ δεν είναι έγκυρος.")


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
    full_name = " ".join(_text(data, "full_name", errors).split())
    id_card = normalise_id_card(_text(data, "id_card", errors))
    afm, amka = _text(data, "afm", errors), _text(data, "amka", errors)
    mobile_raw, email = _text(data, "mobile", errors), _text(data, "email", errors)

    if "full_name" not in errors and not (3 <= len(full_name) <= 100 and " " in full_name and _NAME.match(full_name)):
        errors["full_name"] = ("name_invalid", "Γράψτε το ονοματεπώνυμό σας όπως στην ταυτότητα (όνομα και επώνυμο).")
    if "id_card" not in errors and not _ID_CARD.match(id_card):
        errors["id_card"] = (
            "id_card_format",
            "Ο αριθμός ταυτότητας έχει 1–2 γράμματα και 6 ή 7 ψηφία (π.χ. ΑΒ 123456).",
        )
    if not afm and not amka and "afm" not in errors and "amka" not in errors:
        errors["afm"] = ("afm_or_amka_required", "Χρειαζόμαστε τον ΑΦΜ ή τον ΑΜΚΑ σας.")
    if afm and "afm" not in errors:
        afm, problem = _check_afm(afm)
        if problem:
            errors["afm"] = problem
    if amka and "amka" not in errors:
        amka, problem = _check_amka(amka)
        if problem:
            errors["amka"] = problem
    mobile = normalise_mobile(mobile_raw) if "mobile" not in errors else None
    if "mobile" not in errors and mobile is None:
        errors["mobile"] = ("mobile_invalid", "Γράψτε ένα ελληνικό κινητό με 10 ψηφία που αρχίζει από 69.")
    if email and "email" not in errors and not (len(email) <= 254 and _EMAIL.match(email)):
        errors["email"] = ("email_invalid", "Το email δεν φαίνεται σωστό (π.χ. onoma@example.gr).")
    if errors:
        raise InvalidFields(errors)
    return Citizen(full_name, id_card, afm, amka, mobile or "", email.lower())
