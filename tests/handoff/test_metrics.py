"""`/metrics` in the Prometheus format: requests by route (the canonical path), booking
outcomes, notifications, the chat relay; and the request id, in the response, on the relay's
request to Rasa and on every JSON log line. The metrics are the process's: tests compare
before and after."""
from __future__ import annotations

import json
import re
from dataclasses import replace

from prometheus_client.parser import text_string_to_metric_families

from handoff import presence
from handoff.app import create_app
from handoff.config import PROJECT_ROOT
from handoff.redis_server import free_port

from .helpers import AUTH, book, booking_body, first_free_slot


async def scrape(client) -> dict[tuple[str, frozenset], float]:
    resp = await client.get("/metrics")
    assert resp.status == 200 and resp.content_type == "text/plain"
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(await resp.text()) for s in family.samples}


def value(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


async def test_requests_are_timed_by_route_not_by_url(client):
    before = await scrape(client)
    await client.get("/api/bookings/KEP-AAAA-1111", headers=AUTH)
    await client.get("/api/bookings/KEP-BBBB-2222", headers=AUTH)
    await client.get("/no/such/page/42")
    after = await scrape(client)
    count = "kep_http_request_duration_seconds_count"
    assert value(after, count, route="/api/bookings/{reference}", method="GET") - \
        value(before, count, route="/api/bookings/{reference}", method="GET") == 2
    assert value(after, count, route="unmatched", method="GET") - value(before, count, route="unmatched", method="GET") == 1
    assert not any("KEP-AAAA" in str(labels) for _, labels in after)
    assert value(after, "kep_http_requests_total", route="unmatched", method="GET", status="4xx") >= 1


async def test_bookings_are_counted_by_outcome_and_the_outbox_is_shown(client):
    before = await scrape(client)
    slot = await first_free_slot(client, "tax", after="2030-02-05T08:00:00+02:00")
    assert (await client.post("/api/bookings", json=booking_body(slot["slot_id"]), headers=AUTH)).status == 201
    assert (await client.post("/api/bookings", json=booking_body(slot["slot_id"]), headers=AUTH)).status == 409
    other = await book(client, "tax")
    cancel = f"/api/bookings/{other['reference']}/cancel"
    assert (await client.post(cancel, headers={"X-Manage-Token": "WRONGWRONG"})).status == 404
    assert (await client.post(cancel, headers={"X-Manage-Token": other["manage_token"]})).status == 200
    after = await scrape(client)

    def moved(action: str, outcome: str) -> float:
        return value(after, "kep_bookings_total", action=action, outcome=outcome) - \
            value(before, "kep_bookings_total", action=action, outcome=outcome)

    assert (moved("book", "done"), moved("book", "conflict"), moved("cancel", "refused"), moved("cancel", "done")) == \
        (2, 1, 1, 1)
    assert value(after, "kep_notifications", status="queued") >= 3  # two confirmations, one cancellation
    assert value(after, "kep_notifications", status="failed") == 0
    assert value(after, "kep_calls", state="connected") == 0


async def test_the_request_id_is_answered_and_a_bad_one_replaced(client):
    given = await client.get("/api/topics", headers={"X-Request-Id": "proxy-4f2a.17"})
    assert given.headers["X-Request-Id"] == "proxy-4f2a.17"
    forged = await client.get("/api/topics", headers={"X-Request-Id": "x\" level=ERROR"})
    made = await client.get("/api/topics")
    assert forged.headers["X-Request-Id"] != made.headers["X-Request-Id"]
    assert all(len(r.headers["X-Request-Id"]) == 32 for r in (forged, made))
    assert (await client.get("/nowhere")).headers["X-Request-Id"]  # errors carry it too


async def test_the_chat_relay_is_timed_passes_the_request_id_on_and_counts_failures(
        aiohttp_client, redis, settings, clock, rasa_recorder):
    url, seen = rasa_recorder
    up = await aiohttp_client(create_app(replace(settings, rasa_url=url), redis=redis, clock=clock))
    before = await scrape(up)
    resp = await up.post("/api/chat", json={"message": "καλησπέρα"}, headers={"X-Request-Id": "chat-trace-1"})
    assert resp.status == 200
    assert seen[-1]["X-Request-Id"] == "chat-trace-1"
    down = await aiohttp_client(create_app(replace(settings, rasa_url=f"http://127.0.0.1:{free_port()}"),
                                           redis=redis, clock=clock))
    assert (await down.post("/api/chat", json={"message": "καλησπέρα"})).status == 503
    after = await scrape(up)
    assert value(after, "kep_chat_relay_duration_seconds_count") - value(before, "kep_chat_relay_duration_seconds_count") == 1
    assert value(after, "kep_chat_relay_errors_total", reason="unreachable") - \
        value(before, "kep_chat_relay_errors_total", reason="unreachable") == 1


async def test_todays_queue_by_branch_topic_and_state(client, redis):
    today = await book(client, "tax", after="2030-02-04T09:00:00+02:00")  # the first free slot is today
    assert today["start"].startswith("2030-02-04")
    await book(client, "tax", after="2030-02-06T09:00:00+02:00")  # another day: not in today's queue
    expected = {"branch": today["branch"], "topic": "tax"}
    samples = await scrape(client)
    assert value(samples, "kep_queue", **expected, state="expected") == 1
    await presence.arrive(redis, today["reference"])  # the citizen opens the waiting room
    samples = await scrape(client)
    assert value(samples, "kep_queue", **expected, state="waiting") == 1
    assert value(samples, "kep_queue", **expected, state="expected") == 0


async def test_the_grafana_dashboard_asks_only_for_metrics_the_service_serves(client):
    dashboard = json.loads((PROJECT_ROOT / "deploy" / "grafana-dashboard.json").read_text())
    asked = {re.sub(r"_bucket$", "", name) for panel in dashboard["panels"] for target in panel["targets"]
             for name in re.findall(r"\b(kep_\w+)", target["expr"])}
    served = await (await client.get("/metrics")).text()
    assert len(asked) >= 7 and [name for name in sorted(asked) if f"# HELP {name} " not in served] == []
