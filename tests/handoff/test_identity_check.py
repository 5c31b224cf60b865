"""The chat's field-by-field identity check: same rules as the booking, precise Greek re-asks."""
import pytest

from .helpers import AUTH


async def check(client, field, value, headers=AUTH):
    resp = await client.post("/api/identity/check", json={"field": field, "value": value}, headers=headers)
    return resp.status, await resp.json()


@pytest.mark.parametrize(
    "field, raw, stored_as, value",
    [
        ("afm_or_amka", "090000045", "afm", "090000045"),
        ("afm_or_amka", "010130 99997", "amka", "01013099997"),
        ("mobile", "0030 691 234 5678", "mobile", "+306912345678"),
        ("full_name", "  Μαρία   Παπαδοπούλου ", "full_name", "Μαρία Παπαδοπούλου"),
    ],
)
async def test_valid_values_come_back_normalised(client, field, raw, stored_as, value):
    assert await check(client, field, raw) == (200, {"field": stored_as, "value": value})


@pytest.mark.parametrize("document, raw, value", [
    (None, "ab 123456", "ΑΒ123456"), ("police_id", "Χ 654321", "Χ654321"), ("passport", "ae1234567", "AE1234567"),
    ("residence_permit", "ZA 1234567", "ZA1234567"),
])
async def test_a_document_number_is_checked_for_its_document(client, document, raw, value):
    body = {"field": "id_card", "value": raw} | ({"document": document} if document else {})
    resp = await client.post("/api/identity/check", json=body, headers=AUTH)
    assert (resp.status, await resp.json()) == (200, {"field": "id_card", "value": value, "document": document or "police_id"})


async def test_a_passport_number_is_not_a_police_id_and_an_unknown_document_is_refused(client):
    resp = await client.post("/api/identity/check", json={"field": "id_card", "value": "C01X00T47"}, headers=AUTH)
    assert resp.status == 422 and (await resp.json())["error"]["fields"]["id_card"]["code"] == "id_card_format"
    resp = await client.post("/api/identity/check", json={"field": "id_card", "value": "1", "document": "gym_card"}, headers=AUTH)
    assert resp.status == 422 and "id_document" in (await resp.json())["error"]["fields"]


async def test_wrong_length_says_how_many_digits_were_given(client):
    status, body = await check(client, "afm_or_amka", "12345678")
    assert status == 422
    message = body["error"]["fields"]["afm_or_amka"]["message"]
    assert "9 ψηφία" in message and "11" in message and "έχει 8 ψηφία" in message


async def test_words_instead_of_a_number_are_told_why_it_is_asked_not_counted_as_digits(client):
    status, body = await check(client, "afm_or_amka", "προτιμώ να μην τον πω")
    assert status == 422
    error = body["error"]["fields"]["afm_or_amka"]
    assert error["code"] == "afm_or_amka_missing" and "χρειάζεται" in error["message"] and "0 ψηφία" not in error["message"]


async def test_check_digit_error_is_specific(client):
    status, body = await check(client, "afm_or_amka", "090000046")
    assert status == 422 and body["error"]["fields"]["afm"]["code"] == "afm_checksum"


async def test_needs_the_service_token_and_a_known_field(client):
    assert (await check(client, "afm", "090000045", headers={}))[0] == 401
    status, body = await check(client, "password", "x")
    assert status == 422 and "field" in body["error"]["fields"]
