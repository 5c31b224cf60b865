"""Identity-check data: the document shown on camera and its number's format, stdnum-checked
ΑΦΜ/ΑΜΚΑ, mobiles of any country (phonenumbers), precise errors."""
import pytest

from handoff.citizens import IdentityDocument, check_document_number, check_mobile, normalise_id_card, parse_citizen
from handoff.errors import InvalidFields

from .helpers import citizen


def errors_of(**overrides) -> dict:
    with pytest.raises(InvalidFields) as e:
        parse_citizen(citizen(**overrides))
    return {field: code for field, (code, _) in e.value.errors.items()}


def test_valid_citizen_is_normalised():
    c = parse_citizen(citizen(full_name="  Μαρία   Παπαδοπούλου ", id_card="ab-123456", mobile="+30 691 234 5678",
                              email="Maria@Example.GR"))
    assert (c.full_name, c.id_card, c.mobile, c.email) == (
        "Μαρία Παπαδοπούλου", "ΑΒ123456", "+306912345678", "maria@example.gr")


@pytest.mark.parametrize("raw,expected", [
    ("ΑΒ 123456", "ΑΒ123456"), ("Χ123456", "Χ123456"), ("AK1234567", "ΑΚ1234567"), ("ακ 123456", "ΑΚ123456"),
])
def test_id_card_formats_old_and_new(raw, expected):
    assert normalise_id_card(raw) == expected
    assert "id_card" not in errors_of(id_card=raw, afm="1")


@pytest.mark.parametrize("raw", ["12345678", "ΑΒΓ123456", "ΑΒ12345", "ΑΒ12345678"])
def test_bad_id_cards(raw):
    assert errors_of(id_card=raw)["id_card"] == "id_card_format"


@pytest.mark.parametrize("raw,expected", [
    ("6912345678", "+306912345678"), ("00306912345678", "+306912345678"), ("(691) 234-5678", "+306912345678"),
    ("+44 7911 123456", "+447911123456"), ("+49 1512 3456789", "+4915123456789"), ("0033 6 12 34 56 78", "+33612345678"),
])
def test_mobiles_of_any_country_are_stored_in_e164(raw, expected):
    assert check_mobile(raw) == expected


@pytest.mark.parametrize("raw, code, says", [
    ("691234567", "mobile_invalid", "ο αριθμός που δώσατε έχει 9"),
    ("2101234567", "mobile_landline", "σταθερό"),
    ("447911123456", "mobile_invalid", "κωδικό της χώρας"),  # a foreign number without its +
    ("+44 7911 12", "mobile_invalid", "+44"),
    ("69 12 ΑΒ 5678", "mobile_not_digits", "με ψηφία"),
])
def test_a_wrong_mobile_is_re_asked_precisely(raw, code, says):
    with pytest.raises(InvalidFields) as e:
        check_mobile(raw)
    assert e.value.errors["mobile"][0] == code and says in e.value.errors["mobile"][1]


@pytest.mark.parametrize("document, raw, stored", [
    (IdentityDocument.PASSPORT, "ae 1234567", "AE1234567"),  # Greek passport, Latin letters
    (IdentityDocument.PASSPORT, "ΑΕ1234567", "AE1234567"),  # typed with Greek look-alikes
    (IdentityDocument.PASSPORT, "C01X00T47", "C01X00T47"),  # foreign, 9 alphanumerics
    (IdentityDocument.PASSPORT, "533401", "533401"),
    (IdentityDocument.DRIVING_LICENCE, "123 456 789", "123456789"),
    (IdentityDocument.RESIDENCE_PERMIT, "za-1234567", "ZA1234567"),
    (IdentityDocument.FOREIGN_DOCUMENT, "T22000129", "T22000129"),
])
def test_each_document_is_checked_for_its_own_format(document, raw, stored):
    assert check_document_number(document, raw) == stored
    assert parse_citizen(citizen(id_document=document.value, id_card=raw)).id_card == stored


@pytest.mark.parametrize("document, raw, code, says", [
    (IdentityDocument.POLICE_ID, "1234567", "id_card_format", "μόνο ψηφία"),
    (IdentityDocument.POLICE_ID, "ΑΒΓ123456", "id_card_format", "3 γράμματα"),
    (IdentityDocument.POLICE_ID, "ΑΒ12345", "id_card_format", "5 ψηφία"),
    (IdentityDocument.POLICE_ID, "QW123456", "id_card_format", "ελληνικά"),
    (IdentityDocument.PASSPORT, "ΔΦ1234567", "passport_latin", "λατινικά"),
    (IdentityDocument.PASSPORT, "AE12", "passport_format", "4 χαρακτήρες"),
    (IdentityDocument.DRIVING_LICENCE, "ABCDEFG", "driving_licence_format", "πεδίο 5"),
    (IdentityDocument.RESIDENCE_PERMIT, "12", "residence_permit_format", "άδειας διαμονής"),
])
def test_a_wrong_number_says_what_is_off(document, raw, code, says):
    with pytest.raises(InvalidFields) as e:
        check_document_number(document, raw)
    assert e.value.errors["id_card"][0] == code and says in e.value.errors["id_card"][1]


def test_a_booking_keeps_which_document_will_be_shown():
    assert parse_citizen(citizen()).id_document == "police_id"
    assert parse_citizen(citizen(id_document="passport", id_card="AE1234567")).to_dict()["id_document"] == "passport"
    assert errors_of(id_document="library_card")["id_document"] == "unknown_document"
    assert errors_of(id_card="")["id_card"] == "id_card_required"


def test_afm_and_amka_are_checked_with_their_check_digits():
    assert errors_of(afm="094259217")["afm"] == "afm_checksum"
    assert errors_of(afm="12345")["afm"] == "afm_format"
    assert errors_of(afm="", amka="01013099998")["amka"] == "amka_checksum"
    assert errors_of(afm="", amka="99999999999").get("amka") in ("amka_date", "amka_checksum")
    assert errors_of(afm="", amka="")["afm"] == "afm_or_amka_required"
    assert parse_citizen(citizen(afm="", amka="01013099997")).amka == "01013099997"


def test_every_problem_is_reported_at_once():
    assert set(errors_of(full_name="Χ", mobile="123", email="nope", afm="1")) == {"full_name", "mobile", "email", "afm"}


def test_email_is_optional_but_checked_when_given():
    assert parse_citizen(citizen(email="")).email == ""
    assert errors_of(email="a@b")["email"] == "email_invalid"
