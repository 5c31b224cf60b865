"""Retention and erasure: a booking's personal data goes HANDOFF_RETENTION_DAYS after its slot
(the sweep) or at once on request (`python -m handoff erase`); what remains names nobody, and
the erasure is recorded."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta

from handoff.bookings import BookingStore, citizen_index_key, holder_keys
from handoff.citizens import citizen_lookup_key, parse_citizen
from handoff.config import PROJECT_ROOT
from handoff.retention import ERASURES, PersonalData

from .helpers import AUTH, TOMORROW, add_accounts, booking_body, citizen, first_free_slot, sign_in

NOTES = "Ο κ. Παπαδόπουλος θα φέρει το πιστοποιητικό του γιου του"


async def finished_booking(aiohttp_client, client) -> dict:
    """An identity-documents appointment, picked up and finished with notes about the citizen."""
    slot = await first_free_slot(client, "identity_documents", branch="kep-athina")
    booking = await (await client.post("/api/bookings", json=booking_body(slot["slot_id"], "identity_documents"), headers=AUTH)).json()
    clerk, csrf = await sign_in(aiohttp_client, client, "ath-alexiou")
    headers = {"X-CSRF-Token": csrf}
    assert (await clerk.post(f"/api/clerk/bookings/{booking['reference']}/pickup", headers=headers)).status == 200
    done = await clerk.post(f"/api/clerk/bookings/{booking['reference']}/finish", json={"outcome": "follow_up", "notes": NOTES},
                            headers=headers)
    assert done.status == 200
    return booking


async def test_the_sweep_erases_personal_data_after_the_retention_period(aiohttp_client, client, redis, clock):
    await add_accounts(redis)
    booking = await finished_booking(aiohttp_client, client)
    ref = booking["reference"]
    personal_data = PersonalData(redis, clock, retention_days=30)
    end = (await BookingStore(redis).get(ref)).end

    clock.now = end + timedelta(days=29)
    assert await personal_data.sweep() == []  # not yet
    clock.now = end + timedelta(days=30, minutes=1)
    assert await personal_data.sweep() == [ref]
    assert await personal_data.sweep() == []  # once

    kept = await BookingStore(redis).get(ref)
    assert kept.citizen == {} and kept.transcript == [] and kept.question == "" and kept.notes == ""
    assert kept.sender_id == "" and kept.manage_token_hash == ""
    assert (kept.status, kept.topic, kept.branch, kept.outcome) == ("completed", "identity_documents", "kep-athina", "follow_up")
    everything = json.dumps(await redis.hgetall(f"kep:booking:{ref}"), ensure_ascii=False)
    for value in ("Παπαδοπούλου", "123456", "094259216", "6912345678", "maria@", "φορολογική", NOTES):
        assert value not in everything, value
    history = [json.loads(x) for x in await redis.lrange(f"kep:audit:{ref}", 0, -1)]
    assert [h["event"] for h in history][-1] == "booking.personal_data_erased"
    assert "booking.finished" in [h["event"] for h in history]  # events stay, without the free text
    stream = [fields["entry"] for _, fields in await redis.xrange("kep:audit")]
    assert any(f'"subject": "{ref}"' in e for e in stream) and not any(NOTES in e for e in stream + [json.dumps(history, ensure_ascii=False)])
    who = parse_citizen(citizen())
    assert not await redis.sismember(citizen_index_key(citizen_lookup_key(who.id_card, who.mobile)), ref)
    assert not any([await redis.sismember(index, ref) for index in holder_keys(who)])


def erase_cli(redis_server, *args: str) -> subprocess.CompletedProcess:
    env = os.environ | {"REDIS_URL": redis_server.url, "HANDOFF_SECRET_KEY": "x"}
    return subprocess.run([sys.executable, "-m", "handoff", "erase", *args], cwd=PROJECT_ROOT, env=env,
                          capture_output=True, text=True, timeout=60)


async def test_erase_on_request_leaves_an_upcoming_appointment_and_records_what_it_did(client, redis, redis_server):
    bookings = []
    for topic in ("tax", "welfare"):
        slot = await first_free_slot(client, topic, after=TOMORROW)
        bookings.append(await (await client.post("/api/bookings", json=booking_body(slot["slot_id"], topic), headers=AUTH)).json())
    cancelled, upcoming = bookings
    resp = await client.post(f"/api/bookings/{cancelled['reference']}/cancel", headers={"X-Manage-Token": cancelled["manage_token"]})
    assert resp.status == 200

    result = erase_cli(redis_server, "--afm", "094259216", "--basis", "αίτημα διαγραφής 2030/17")
    assert result.returncode == 2  # one is still to take place
    assert cancelled["reference"] in result.stdout and upcoming["reference"] in result.stderr
    assert (await BookingStore(redis).get(cancelled["reference"])).citizen == {}
    assert (await BookingStore(redis).get(upcoming["reference"])).citizen["afm"] == "094259216"  # still needed

    [record] = [json.loads(x) for x in await redis.lrange(ERASURES, 0, -1)]
    assert record["erased"] == [cancelled["reference"]] and record["left_active"] == [upcoming["reference"]]
    assert record["basis"] == "αίτημα διαγραφής 2030/17" and "094259216" not in json.dumps(record)
    assert erase_cli(redis_server, "--reference", "KEP-222222").returncode == 0  # nothing to erase is not an error
