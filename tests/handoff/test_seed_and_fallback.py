"""Reference data is loaded from data/, idempotently; without Redis the service still runs."""
import asyncio
import shutil
import time
from dataclasses import replace

import pytest

from handoff.app import create_app
from handoff.config import PROJECT_ROOT
from handoff.topics import topic_catalogue

from .helpers import AUTH, booking_body, first_free_slot, seed_data

TOPIC_IDS = {
    "civil_registry", "identity_documents", "authorizations", "tax", "insurance_pension", "employment",
    "welfare", "health_disability", "vehicles", "justice", "military", "migration", "business", "property",
    "education", "agriculture",
}


async def test_seed_is_idempotent_and_complete(redis):
    first = await seed_data(redis, PROJECT_ROOT / "data")
    again = await seed_data(redis, PROJECT_ROOT / "data")
    assert first == again and first.topics == 16
    topics = await topic_catalogue(redis).all()
    assert {t.id for t in topics} == TOPIC_IDS
    for t in topics:
        assert 5 <= len(t.procedures) <= 10 and t.links and t.description
        assert all(link.url.startswith("https://") for link in t.links)


async def test_a_new_branch_is_data_not_code(redis, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(PROJECT_ROOT / "data", data)
    with open(data / "branches.yml", "a", encoding="utf-8") as f:
        f.write(
            "  - id: kep-larisa\n    name: ΚΕΠ Δήμου Λαρισαίων\n    municipality: Λάρισα\n"
            "    opening_hours: {mon: [[\"08:00\", \"15:00\"]]}\n"
        )
    report = await seed_data(redis, data)
    assert report.branches == 5


@pytest.mark.parametrize("file, written, instead", [
    ("clerks.yml", "branch: kep-patra", "branch: kep-atlantis"),  # a clerk of an unknown branch
    ("topics.yml", "id: tax", "id: tax:all"),  # an id with a colon (ids are part of the free lists' key names)
])
async def test_seed_refuses_bad_data_naming_what_is_wrong(redis, tmp_path, file, written, instead):
    data = tmp_path / "data"
    shutil.copytree(PROJECT_ROOT / "data", data)
    text = (data / file).read_text(encoding="utf-8").replace(written, instead, 1)
    (data / file).write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match=instead.split(": ")[1]):
        await seed_data(redis, data)


async def test_embedded_fallback_when_no_redis_is_configured(aiohttp_client, settings, caplog):
    client = await aiohttp_client(create_app(settings))  # settings.redis_url is None
    assert "NOTHING WILL PERSIST" in caplog.text
    resp = await client.get("/api/topics")
    assert resp.status == 200 and len(await resp.json()) == 16


async def test_embedded_store_delivers_notifications_itself(aiohttp_client, settings, tmp_path):
    client = await aiohttp_client(create_app(replace(settings, outbox_dir=tmp_path / "outbox")))
    slot = await first_free_slot(client)
    resp = await client.post("/api/bookings", json=booking_body(slot["slot_id"]), headers=AUTH)
    assert resp.status == 201
    reference = (await resp.json())["reference"]
    deadline = time.monotonic() + 10
    while len(files := sorted((tmp_path / "outbox").glob("*"))) < 2 and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    assert [f.suffix for f in files] == [".eml", ".txt"]
    assert all(reference in f.read_text(encoding="utf-8") for f in files)
