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
        ("id_card", "ab 123456", "id_card", "ΑΒ123456"),
        ("mobile", "0030 691 234 5678", "mobile", "+306912345678"),
        ("full_name", "  Μαρία   Παπαδοπούλου ", "full_name", "Μαρία Παπαδοπούλου"),
    ],
)
async def test_valid_values_come_back_normalised(client, field, raw, stored_as, value):
    assert await check(client, field, raw) == (200, {"field": stored_as, "value": value})


async def test_wrong_length_says_how_many_digits_were_given(client):
    status, body = await check(client, "afm_or_amka", "12345678")
    assert status == 422
    message = body["error"]["fields"]["afm_or_amka"]["message"]
    assert "9 ψηφία" in message and "11" in message and "έχει 8 ψηφία" in message


async def test_check_digit_error_is_specific(client):
    status, body = await check(client, "afm_or_amka", "090000046")
    assert status == 422 and body["error"]["fields"]["afm"]["code"] == "afm_checksum"


async def test_needs_the_service_token_and_a_known_field(client):
    assert (await check(client, "afm", "090000045", headers={}))[0] == 401
    status, body = await check(client, "password", "x")
    assert status == 422 and "field" in body["error"]["fields"]
