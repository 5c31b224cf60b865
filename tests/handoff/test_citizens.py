"""Identity-check data: stdnum-checked ΑΦΜ/ΑΜΚΑ, Greek ID and mobile formats, precise errors."""
import pytest

from handoff.citizens import normalise_id_card, normalise_mobile, parse_citizen
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


@pytest.mark.parametrize("raw", ["12345678", "ΑΒΓ123456", "ΑΒ12345", "ΑΒ12345678", ""])
def test_bad_id_cards(raw):
    assert errors_of(id_card=raw)["id_card"] == "id_card_format"


@pytest.mark.parametrize("raw,expected", [
    ("6912345678", "+306912345678"), ("00306912345678", "+306912345678"), ("(691) 234-5678", "+306912345678"),
    ("2101234567", None), ("691234567", None), ("+44 7911 123456", None),
])
def test_mobile(raw, expected):
    assert normalise_mobile(raw) == expected


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
