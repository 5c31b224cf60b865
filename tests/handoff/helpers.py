"""Request builders shared by the handoff tests."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

from handoff.accounts import Account, AccountStore, hash_password
from handoff.config import ATHENS, PROJECT_ROOT, Settings
from handoff.notifications import STREAM, Notification
from handoff.seed import SeedReport, seed
from handoff.slots import SlotRules

SERVICE_TOKEN = "test-service-token"
AUTH = {"Authorization": f"Bearer {SERVICE_TOKEN}"}
# A Monday in the future, so that Redis expiries computed from slot times are never in the past.
NOW = datetime(2030, 2, 4, 7, 0, tzinfo=ATHENS)


async def seed_data(redis, data_dir: Path = PROJECT_ROOT / "data") -> SeedReport:
    """The reference data in `data_dir`, the clerks' free slots filled as of NOW."""
    return await seed(redis, data_dir, SlotRules.from_settings(Settings()), NOW)


def citizen(**overrides: str) -> dict[str, str]:
    return {
        "full_name": "Μαρία Παπαδοπούλου",
        "id_card": "ΑΒ 123456",
        "afm": "094259216",
        "amka": "",
        "mobile": "6912345678",
        "email": "maria@example.gr",
    } | overrides


def booking_body(slot_id: str, topic: str = "tax", **overrides) -> dict:
    return {
        "slot_id": slot_id,
        "topic": topic,
        "sender_id": "chat-1",
        "question": "Θέλω να κάνω τη φορολογική μου δήλωση",
        "confidence": 0.93,
        "transcript": [
            {"sender": "user", "text": "Θέλω να κάνω τη φορολογική μου δήλωση", "at": "2030-02-04T07:00:00+02:00"},
            {"sender": "bot", "text": "Κατάλαβα: Φορολογικά θέματα.", "at": "2030-02-04T07:00:01+02:00"},
        ],
        "citizen": citizen(),
        "consent": {"video_call": True, "show_id": True, "data_processing": True},
    } | overrides


TOMORROW = "2030-02-05T08:00:00+02:00"  # beyond the 8-hour change notice


async def book(client, topic: str = "tax", after: str | None = TOMORROW, **overrides) -> dict:
    """A booking through the API, as the bot makes it; returns the API's answer."""
    slot = await first_free_slot(client, topic, after=after)
    resp = await client.post("/api/bookings", json=booking_body(slot["slot_id"], topic, **overrides), headers=AUTH)
    assert resp.status == 201, await resp.text()
    return await resp.json()


async def first_free_slot(client, topic: str = "tax", **params: str | None) -> dict:
    query = {"topic": topic, "limit": "1"} | {k: v for k, v in params.items() if v is not None}
    resp = await client.get("/api/slots", params=query)
    assert resp.status == 200
    slots = await resp.json()
    assert slots, f"no free slot for {topic}"
    return slots[0]


PASSWORD = "σωστός-κωδικός-1"
_HASH = hash_password(PASSWORD)  # argon2 is slow on purpose: hash once for the module
ACCOUNTS = [
    Account("ath-papadopoulou", "Μαρία Παπαδοπούλου", "clerk", _HASH, "kep-athina", clerk_id="ath-papadopoulou"),
    Account("ath-alexiou", "Δημήτρης Αλεξίου", "clerk", _HASH, "kep-athina", clerk_id="ath-alexiou"),
    Account("ath-georgiou", "Νίκος Γεωργίου", "clerk", _HASH, "kep-athina", clerk_id="ath-georgiou"),
    Account("thes-dimitriou", "Θεσσαλονίκη", "clerk", _HASH, "kep-thessaloniki", clerk_id="thes-dimitriou"),
    Account("supervisor", "Προϊσταμένη", "supervisor", _HASH, None),
    Account("sup-athina", "Προϊστάμενος Αθήνας", "supervisor", _HASH, "kep-athina"),
]


async def add_accounts(redis) -> None:
    for account in ACCOUNTS:
        await AccountStore(redis).add_if_missing(account)


async def sign_in(aiohttp_client, client, username: str):
    """A separate browser (own cookie jar) signed in as `username`; returns (client, csrf)."""
    own = await aiohttp_client(client.server)
    resp = await own.post("/api/clerk/login", json={"username": username, "password": PASSWORD})
    assert resp.status == 200, await resp.text()
    return own, (await resp.json())["csrf_token"]


async def appointment_and_clerk(aiohttp_client, http):
    """A booking (its join token and reference) and its clerk signed in (client, CSRF headers)."""
    slot = await first_free_slot(http, "identity_documents", branch="kep-athina")
    booking = await (await http.post("/api/bookings", json=booking_body(slot["slot_id"], "identity_documents"), headers=AUTH)).json()
    clerk_http, csrf = await sign_in(aiohttp_client, http, "ath-alexiou")
    return booking["join_url"].rsplit("/", 1)[1], booking["reference"], clerk_http, {"X-CSRF-Token": csrf}


async def picked_up_call(aiohttp_client, http):
    """An appointment its clerk has picked up: (citizen offer path, clerk client, clerk offer
    path, CSRF headers, reference, join token)."""
    token, ref, clerk_http, headers = await appointment_and_clerk(aiohttp_client, http)
    assert (await clerk_http.post(f"/api/clerk/bookings/{ref}/pickup", headers=headers)).status == 200
    return f"/api/calls/{token}/offer", clerk_http, f"/api/clerk/calls/{ref}/offer", headers, ref, token


async def outbox_messages(redis) -> list[Notification]:
    """The notifications waiting in the outbox stream, oldest first."""
    return [Notification.from_json(fields["n"]) for _, fields in await redis.xrange(STREAM)]
