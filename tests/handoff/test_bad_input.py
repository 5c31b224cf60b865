"""Every bad input gets a 4xx JSON error with a Greek message — never a 500 or a traceback."""
import json

import pytest

from .helpers import AUTH, booking_body, citizen, first_free_slot

BIG = "x" * (65 * 1024)


def body_with(**overrides):
    return lambda slot_id: json.dumps(booking_body(slot_id, **overrides))


CASES = [
    # (name, method, path, raw body builder or None, headers, expected status, expected code)
    ("malformed json", "POST", "/api/bookings", lambda s: "{not json", AUTH, 400, "malformed_json"),
    ("json array", "POST", "/api/bookings", lambda s: "[]", AUTH, 422, "invalid_fields"),
    ("json string", "POST", "/api/bookings", lambda s: '"hi"', AUTH, 422, "invalid_fields"),
    ("not json content type", "POST", "/api/bookings", lambda s: "slot_id=1", AUTH | {"Content-Type": "text/plain"}, 400, "json_required"),
    ("body over 64 KB", "POST", "/api/bookings", lambda s: json.dumps(booking_body(s, question=BIG)), AUTH, 413, "body_too_large"),
    ("invalid utf-8", "POST", "/api/bookings", lambda s: b"\xff\xfe{", AUTH, 400, "malformed_json"),
    ("slot_id not text", "POST", "/api/bookings", lambda s: json.dumps(booking_body(123)), AUTH, 422, "invalid_fields"),
    ("missing slot", "POST", "/api/bookings", lambda s: json.dumps(booking_body("")), AUTH, 422, "invalid_fields"),
    ("garbage slot id", "POST", "/api/bookings", lambda s: json.dumps(booking_body("nonsense")), AUTH, 422, "invalid"),
    ("unknown clerk slot", "POST", "/api/bookings", lambda s: json.dumps(booking_body("ghost@20300205T0700Z")), AUTH, 422, "unknown_slot"),
    ("slot off the grid", "POST", "/api/bookings", lambda s: json.dumps(booking_body(s[:-3] + "07Z")), AUTH, 422, "unknown_slot"),
    ("slot in the past", "POST", "/api/bookings", lambda s: json.dumps(booking_body("her-markakis@20300201T0630Z")), AUTH, 422, "slot_in_past"),
    ("slot on a holiday", "POST", "/api/bookings", lambda s: json.dumps(booking_body("her-markakis@20300325T0630Z")), AUTH, 422, "unknown_slot"),
    ("unknown topic", "POST", "/api/bookings", lambda s: json.dumps(booking_body(s, topic="astrology")), AUTH, 422, "unknown_topic"),
    ("clerk lacks topic", "POST", "/api/bookings", lambda s: json.dumps(booking_body(s, topic="military")), AUTH, 422, "slot_wrong_topic"),
    ("invalid afm", "POST", "/api/bookings", body_with(citizen=citizen(afm="123456789")), AUTH, 422, "invalid_fields"),
    ("invalid amka", "POST", "/api/bookings", body_with(citizen=citizen(afm="", amka="12345678901")), AUTH, 422, "invalid_fields"),
    ("citizen not object", "POST", "/api/bookings", body_with(citizen="Μαρία"), AUTH, 422, "invalid_fields"),
    ("consent missing", "POST", "/api/bookings", body_with(consent={"video_call": True}), AUTH, 422, "invalid_fields"),
    ("consent as string", "POST", "/api/bookings", body_with(consent={"video_call": "yes", "show_id": True, "data_processing": True}), AUTH, 422, "invalid_fields"),
    ("confidence out of range", "POST", "/api/bookings", body_with(confidence=7), AUTH, 422, "invalid_fields"),
    ("confidence boolean", "POST", "/api/bookings", body_with(confidence=True), AUTH, 422, "invalid_fields"),
    ("transcript bad sender", "POST", "/api/bookings", body_with(transcript=[{"sender": "clerk", "text": "x"}]), AUTH, 422, "invalid_fields"),
    ("transcript not list", "POST", "/api/bookings", body_with(transcript="hello"), AUTH, 422, "invalid_fields"),
    ("question too long", "POST", "/api/bookings", body_with(question="λ" * 1001), AUTH, 422, "invalid_fields"),
    ("slots without topic", "GET", "/api/slots", None, {}, 422, "invalid_fields"),
    ("slots unknown topic", "GET", "/api/slots?topic=xyz", None, {}, 422, "unknown_topic"),
    ("slots unknown branch", "GET", "/api/slots?topic=tax&branch=kep-mars", None, {}, 422, "unknown_branch"),
    ("slots bad limit", "GET", "/api/slots?topic=tax&limit=abc", None, {}, 422, "out_of_range"),
    ("slots huge limit", "GET", "/api/slots?topic=tax&limit=100000", None, {}, 422, "out_of_range"),
    ("slots bad date", "GET", "/api/slots?topic=tax&after=tomorrow", None, {}, 422, "invalid_datetime"),
    ("unknown booking", "GET", "/api/bookings/KEP-ZZZZZZ", None, AUTH, 404, "booking_not_found"),
    ("cancel unknown", "POST", "/api/bookings/KEP-ZZZZZZ/cancel", None, AUTH, 404, "booking_not_found"),
    ("reschedule no body", "POST", "/api/bookings/KEP-ZZZZZZ/reschedule", lambda s: "{}", AUTH, 422, "invalid_fields"),
    ("unknown route", "GET", "/api/nothing-here", None, {}, 404, "not_found"),
    ("wrong method", "DELETE", "/api/topics", None, {}, 405, "method_not_allowed"),
]


@pytest.mark.parametrize("name,method,path,body,headers,status,code", CASES, ids=[c[0] for c in CASES])
async def test_bad_input_gets_a_clear_4xx(client, name, method, path, body, headers, status, code):
    slot = await first_free_slot(client, "tax", branch="kep-irakleio", after="2030-02-05T08:00:00+02:00")
    data = body(slot["slot_id"]) if body else None
    headers = {"Content-Type": "application/json"} | headers if data is not None else headers
    resp = await client.request(method, path, data=data, headers=headers)
    assert resp.status == status, await resp.text()
    assert resp.content_type == "application/json"
    error = (await resp.json())["error"]
    assert error["code"] == code
    assert error["message"] and "Traceback" not in await resp.text()


async def test_invalid_fields_are_named_with_greek_messages(client):
    slot = await first_free_slot(client)
    body = booking_body(slot["slot_id"], citizen=citizen(afm="094259217", mobile="12"))
    resp = await client.post("/api/bookings", json=body, headers=AUTH)
    fields = (await resp.json())["error"]["fields"]
    assert fields["citizen.afm"]["code"] == "afm_checksum"
    assert "ψηφίο ελέγχου" in fields["citizen.afm"]["message"]
    assert fields["citizen.mobile"]["code"] == "mobile_invalid"
