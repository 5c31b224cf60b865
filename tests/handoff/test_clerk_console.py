"""The clerk console's API: log-in and roles, CSRF, the queue and its masking, the pick-up
race, outcome, reassignment, no-shows, the waiting room and the live feed."""
from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import pytest

from handoff import events
from handoff.api.keys import APPOINTMENTS, CONSOLE
from handoff.bookings import BookingStatus, BookingStore, Outcome
from handoff.login import FREE_FAILURES

from .helpers import AUTH, PASSWORD, add_accounts, booking_body, citizen, first_free_slot, outbox_messages, sign_in

XSS = "<img src=x onerror=alert(1)> Έχασα την ταυτότητα"


@pytest.fixture(autouse=True)
async def accounts(redis):
    await add_accounts(redis)



async def book_identity_appointment(client, question: str = XSS) -> dict:
    slot = await first_free_slot(client, "identity_documents", branch="kep-athina")
    body = booking_body(slot["slot_id"], "identity_documents", question=question)
    resp = await client.post("/api/bookings", json=body, headers=AUTH)
    assert resp.status == 201
    return await resp.json()


async def test_everything_but_login_needs_a_session(client):
    for method, path in [("GET", "/api/clerk/me"), ("GET", "/api/clerk/queue"), ("GET", "/api/clerk/events"),
                         ("GET", "/api/clerk/search?q=x"), ("POST", "/api/clerk/bookings/KEP-222222/pickup"),
                         ("POST", "/api/clerk/bookings/KEP-222222/finish"), ("POST", "/api/clerk/logout")]:
        resp = await client.request(method, path)
        assert resp.status == 401, path
        assert (await resp.json())["error"]["code"] == "login_required"


async def test_login_sets_a_strict_httponly_cookie(client):
    resp = await client.post("/api/clerk/login", json={"username": "ath-alexiou", "password": PASSWORD})
    assert resp.status == 200
    cookie = resp.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/" in cookie
    body = await resp.json()
    assert body["account"] == {"username": "ath-alexiou", "name": "Δημήτρης Αλεξίου", "role": "clerk", "branch": "kep-athina"}
    assert "password_hash" not in json.dumps(body)


async def test_wrong_password_and_unknown_user_look_the_same_then_slow_down(client):
    bad = await client.post("/api/clerk/login", json={"username": "ath-alexiou", "password": "λάθος"})
    unknown = await client.post("/api/clerk/login", json={"username": "nobody", "password": "λάθος"})
    assert bad.status == unknown.status == 401
    assert (await bad.json())["error"]["message"] == (await unknown.json())["error"]["message"]
    for _ in range(FREE_FAILURES - 1):
        await client.post("/api/clerk/login", json={"username": "ath-alexiou", "password": "λάθος"})
    slowed = await client.post("/api/clerk/login", json={"username": "ath-alexiou", "password": PASSWORD})
    assert slowed.status == 429 and "δευτερόλεπτα" in (await slowed.json())["error"]["message"]


async def test_state_changes_need_the_csrf_token(aiohttp_client, client):
    booking = await book_identity_appointment(client)
    clerk, csrf = await sign_in(aiohttp_client, client, "ath-alexiou")
    path = f"/api/clerk/bookings/{booking['reference']}/pickup"
    assert (await clerk.post(path)).status == 403
    assert (await clerk.post(path, headers={"X-CSRF-Token": "forged"})).status == 403
    assert (await clerk.post(path, headers={"X-CSRF-Token": csrf})).status == 200


async def test_queue_shows_my_branch_and_topics_with_identity_masked(aiohttp_client, client):
    booking = await book_identity_appointment(client)
    alexiou, _ = await sign_in(aiohttp_client, client, "ath-alexiou")
    [item] = await (await alexiou.get("/api/clerk/queue")).json()
    assert item["reference"] == booking["reference"] and item["question"] == XSS
    assert item["topic_label"] == "Ταυτότητες και διαβατήρια" and item["confidence"] == 0.93
    assert item["citizen"]["full_name"] == "Μ. Π." and item["citizen"]["afm"] == "09•••••16"
    assert item["transcript"][0]["sender"] == "user" and item["links"] and item["waiting"] is False

    georgiou, _ = await sign_in(aiohttp_client, client, "ath-georgiou")  # Athens, other topics
    thessaloniki, _ = await sign_in(aiohttp_client, client, "thes-dimitriou")  # the topic, other branch
    supervisor, _ = await sign_in(aiohttp_client, client, "supervisor")
    assert await (await georgiou.get("/api/clerk/queue")).json() == []
    assert await (await thessaloniki.get("/api/clerk/queue")).json() == []
    assert [i["reference"] for i in await (await supervisor.get("/api/clerk/queue")).json()] == [booking["reference"]]


async def test_two_clerks_picking_up_at_once_one_wins(aiohttp_client, client):
    booking = await book_identity_appointment(client)
    clerks = [await sign_in(aiohttp_client, client, name) for name in ("ath-alexiou", "ath-papadopoulou")]
    path = f"/api/clerk/bookings/{booking['reference']}/pickup"
    attempts = [c.post(path, headers={"X-CSRF-Token": csrf}) for c, csrf in clerks for _ in range(10)]
    responses = await asyncio.gather(*attempts)
    statuses = sorted(r.status for r in responses)
    assert statuses == [200] + [409] * 19
    loser = next(r for r in responses if r.status == 409)
    assert (await loser.json())["error"]["code"] == "already_picked_up"
    winner = await next(r for r in responses if r.status == 200).json()
    assert winner["picked_by_me"] and winner["citizen"]["afm"] == "094259216"  # unmasked for the clerk who took it


async def test_outcome_only_by_the_clerk_who_picked_up(aiohttp_client, client, redis):
    booking = await book_identity_appointment(client)
    alexiou, csrf_a = await sign_in(aiohttp_client, client, "ath-alexiou")
    papadopoulou, csrf_p = await sign_in(aiohttp_client, client, "ath-papadopoulou")
    ref = booking["reference"]
    await alexiou.post(f"/api/clerk/bookings/{ref}/pickup", headers={"X-CSRF-Token": csrf_a})
    outcome = {"outcome": "in_person", "notes": "Να φέρει παλιό διαβατήριο."}
    other = await papadopoulou.post(f"/api/clerk/bookings/{ref}/finish", json=outcome, headers={"X-CSRF-Token": csrf_p})
    assert other.status == 403
    bad = await alexiou.post(f"/api/clerk/bookings/{ref}/finish", json={"outcome": "maybe"}, headers={"X-CSRF-Token": csrf_a})
    assert bad.status == 422
    done = await alexiou.post(f"/api/clerk/bookings/{ref}/finish", json=outcome, headers={"X-CSRF-Token": csrf_a})
    assert done.status == 200 and (await done.json())["status"] == "completed"
    stored = await BookingStore(redis).get(ref)
    assert (stored.status, stored.outcome) == (BookingStatus.COMPLETED, Outcome.IN_PERSON)
    history = [json.loads(x)["event"] for x in await redis.lrange(f"kep:audit:{ref}", 0, -1)]
    assert history == ["booking.created", "booking.picked_up", "booking.finished"]


async def test_reassignment_only_to_a_free_clerk_of_the_branch_with_the_topic(aiohttp_client, client, redis):
    booking = await book_identity_appointment(client)
    ref = booking["reference"]
    other = "ath-papadopoulou" if booking["clerk"] == "ath-alexiou" else "ath-alexiou"
    supervisor, csrf_s = await sign_in(aiohttp_client, client, "sup-athina")
    clerk, csrf_c = await sign_in(aiohttp_client, client, "ath-alexiou")
    path = f"/api/clerk/bookings/{ref}/reassign"

    async def reassign(clerk_id, who=supervisor, csrf=csrf_s):
        resp = await who.post(path, json={"clerk": clerk_id}, headers={"X-CSRF-Token": csrf})
        return resp.status, (await resp.json()).get("error", {}).get("code")

    eligible = await supervisor.get(f"/api/clerk/bookings/{ref}/reassignable-clerks")
    names = {"ath-alexiou": "Δημήτρης Αλεξίου", "ath-papadopoulou": "Μαρία Παπαδοπούλου"}
    assert await eligible.json() == [{"id": other, "name": names[other]}]  # Athens, the topic, free then
    assert (await clerk.get(f"/api/clerk/bookings/{ref}/reassignable-clerks")).status == 403
    assert await reassign(other, clerk, csrf_c) == (403, "supervisors_only")
    assert await reassign("thes-dimitriou") == (422, "other_branch")  # has the topic, in Thessaloniki
    assert await reassign("ath-georgiou") == (422, "not_trained")
    assert await reassign("ath-konstantinou") == (422, "not_trained")
    assert await reassign(names[other]) == (422, "unknown_clerk")  # a name is not a clerk code
    assert await reassign(booking["clerk"]) == (409, "same_clerk")
    assert await reassign(None) == (422, "invalid_fields")

    # The other clerk gets a citizen of their own at that time: no longer free.
    stamp = booking["slot_id"].partition("@")[2]
    body = booking_body(f"{other}@{stamp}", "identity_documents", citizen=citizen(id_card="ΑΚ 654321", mobile="6970000000"))
    competitor = await (await client.post("/api/bookings", json=body, headers=AUTH)).json()
    assert await (await supervisor.get(f"/api/clerk/bookings/{ref}/reassignable-clerks")).json() == []
    assert await reassign(other) == (409, "clerk_busy")
    cancelled = await supervisor.post(f"/api/clerk/bookings/{competitor['reference']}/cancel",
                                      json={"reason": "Διπλή κράτηση."}, headers={"X-CSRF-Token": csrf_s})
    assert cancelled.status == 200

    told_before = len(await outbox_messages(redis))
    moved = await supervisor.post(path, json={"clerk": other}, headers={"X-CSRF-Token": csrf_s})
    item = await moved.json()
    assert moved.status == 200 and (item["clerk"], item["clerk_name"], item["assigned"]) == (other, names[other], True)
    assert item["start"] == booking["start"] and item["branch_name"] == "ΚΕΠ Δήμου Αθηναίων"
    assert len(await outbox_messages(redis)) == told_before  # same time: the citizen is not told
    history = [json.loads(x)["event"] for x in await redis.lrange(f"kep:audit:{ref}", 0, -1)]
    assert history[-1] == "booking.reassigned"


async def test_a_reassigned_appointment_leaves_the_first_clerks_queue_at_once(aiohttp_client, client):
    booking = await book_identity_appointment(client)
    ref = booking["reference"]
    first = booking["clerk"]
    other = "ath-papadopoulou" if first == "ath-alexiou" else "ath-alexiou"
    first_http, csrf_first = await sign_in(aiohttp_client, client, first)
    other_http, csrf_other = await sign_in(aiohttp_client, client, other)
    supervisor, csrf_s = await sign_in(aiohttp_client, client, "sup-athina")
    for http in (first_http, other_http):  # both trained in the topic: both see it
        assert [i["reference"] for i in await (await http.get("/api/clerk/queue")).json()] == [ref]
    feed = await first_http.get("/api/clerk/events")
    await feed.content.readuntil(b"\n\n")  # connected

    moved = await supervisor.post(f"/api/clerk/bookings/{ref}/reassign", json={"clerk": other}, headers={"X-CSRF-Token": csrf_s})
    assert moved.status == 200
    chunk = await asyncio.wait_for(feed.content.readuntil(b"\n\n"), timeout=1.0)
    assert json.loads(chunk.split(b"data: ", 1)[1]) == {"kind": "reassigned", "reference": ref}
    feed.close()
    assert await (await first_http.get("/api/clerk/queue")).json() == []
    refused = await first_http.post(f"/api/clerk/bookings/{ref}/pickup", headers={"X-CSRF-Token": csrf_first})
    assert refused.status == 409
    assert (await refused.json())["error"] == {
        "code": "assigned_elsewhere", "field": "reference", "message": "Ο προϊστάμενος ανέθεσε αυτό το ραντεβού σε άλλον υπάλληλο."}
    taken = await other_http.post(f"/api/clerk/bookings/{ref}/pickup", headers={"X-CSRF-Token": csrf_other})
    assert taken.status == 200 and (await taken.json())["picked_by_me"]
    again = await supervisor.post(f"/api/clerk/bookings/{ref}/reassign", json={"clerk": first}, headers={"X-CSRF-Token": csrf_s})
    assert again.status == 409 and (await again.json())["error"]["code"] == "not_reassignable"


async def test_a_pick_up_read_before_a_reassignment_loses_to_it(client):
    """The clerk's console read the booking, then the supervisor reassigned it: the pick-up's
    script sees the slot changed and refuses."""
    booking = await book_identity_appointment(client)
    store = client.server.app[CONSOLE]._bookings
    seen = await store.get(booking["reference"])
    other = "ath-papadopoulou" if booking["clerk"] == "ath-alexiou" else "ath-alexiou"
    await client.server.app[APPOINTMENTS].reassign(seen, other, "sup-athina")
    result = await store.transition(seen.reference, "booking.picked_up", booking["clerk"], seen.created_at,
                                    from_status="booked", to_status="in_call", only_slot=seen.slot_id,
                                    picked_by=booking["clerk"])
    assert result == "changed"
    assert (await store.get(seen.reference)).status == "booked"


async def test_the_branch_day_for_its_supervisor(aiohttp_client, client, redis):
    waiting = await book_identity_appointment(client, question="Πρώτο")
    done = await book_identity_appointment(client, question="Δεύτερο")
    absent = await book_identity_appointment(client, question="Τρίτο")
    assert (await client.post(f"/api/join/{waiting['join_url'].rsplit('/', 1)[1]}/presence")).status == 200
    alexiou, csrf = await sign_in(aiohttp_client, client, "ath-alexiou")
    headers = {"X-CSRF-Token": csrf}
    await alexiou.post(f"/api/clerk/bookings/{done['reference']}/pickup", headers=headers)
    await alexiou.post(f"/api/clerk/bookings/{done['reference']}/finish", json={"outcome": "resolved"}, headers=headers)
    await redis.hset(f"kep:booking:{absent['reference']}", "status", "no_show")  # as mark_no_shows leaves it

    supervisor, _ = await sign_in(aiohttp_client, client, "sup-athina")
    day = await (await supervisor.get("/api/clerk/day")).json()
    assert day["day"] == "2030-02-04" and [b["id"] for b in day["branches"]] == ["kep-athina"]  # their branch only
    [athens] = day["branches"]
    assert athens["statuses"] == {"booked": 1, "completed": 1, "no_show": 1}
    assert athens["outcomes"] == {"resolved": 1} and day["outcome_labels"]["resolved"] == "Επιλύθηκε"
    assert [w["reference"] for w in athens["waiting_now"]] == [waiting["reference"]]
    rows = {r["id"]: r for r in athens["clerks"]}
    assert set(rows) == {"ath-papadopoulou", "ath-georgiou", "ath-alexiou", "ath-konstantinou"}
    assert rows["ath-alexiou"]["statuses"].get("completed") == 1  # the clerk who took it
    assert sum(r["appointments"] for r in rows.values()) == 3 and sum(r["waiting"] for r in rows.values()) == 1
    assert rows["ath-alexiou"]["slots"] == 18 and rows["ath-konstantinou"]["slots"] == 12  # 08:30–14:30, 09:00–13:00 by 20 min
    everyone = await (await (await sign_in(aiohttp_client, client, "supervisor"))[0].get("/api/clerk/day")).json()
    assert len(everyone["branches"]) > 1
    assert (await alexiou.get("/api/clerk/day")).status == 403


async def test_citizen_who_never_joins_becomes_no_show(client, clock):
    waiting = await book_identity_appointment(client)
    absent = await book_identity_appointment(client, question="Δεύτερο ραντεβού")
    token = waiting["join_url"].rsplit("/", 1)[1]
    console = client.server.app[CONSOLE]
    clock.now = clock.now + timedelta(days=1)  # both appointments are long past
    assert (await client.post(f"/api/join/{token}/presence")).status == 403  # link expired by then
    clock.now = clock.now - timedelta(days=1)
    assert (await client.post(f"/api/join/{token}/presence")).status == 200
    clock.now = clock.now + timedelta(days=1)
    assert await console.mark_no_shows() == [absent["reference"]]
    statuses = {b: (await (await client.get(f"/api/bookings/{b}", headers=AUTH)).json())["status"]
                for b in (waiting["reference"], absent["reference"])}
    assert statuses == {waiting["reference"]: "booked", absent["reference"]: "no_show"}


async def test_waiting_room_heartbeat_shows_in_the_queue(aiohttp_client, client):
    booking = await book_identity_appointment(client)
    token = booking["join_url"].rsplit("/", 1)[1]
    assert (await client.post(f"/api/join/{token[:-2]}xx/presence")).status == 403
    seen = await client.post(f"/api/join/{token}/presence")
    assert seen.status == 200
    names = {"ath-alexiou": "Δημήτρης Αλεξίου", "ath-papadopoulou": "Μαρία Παπαδοπούλου"}
    assert (await seen.json())["appointment"] == {  # what the waiting room says: when, where, with whom
        "start": booking["start"], "end": booking["end"], "clerk_name": names[booking["clerk"]],
        "branch_name": "ΚΕΠ Δήμου Αθηναίων", "now": "2030-02-04T07:00:00+02:00"}
    clerk, _ = await sign_in(aiohttp_client, client, "ath-alexiou")
    [item] = await (await clerk.get("/api/clerk/queue")).json()
    assert item["waiting"] is True


async def test_live_feed_announces_a_new_booking_within_a_second(aiohttp_client, client):
    clerk, _ = await sign_in(aiohttp_client, client, "ath-alexiou")
    feed = await clerk.get("/api/clerk/events")
    assert feed.headers["Content-Type"].startswith("text/event-stream")
    assert (await feed.content.readuntil(b"\n\n")).startswith(b": connected")
    booking = await book_identity_appointment(client)
    started = asyncio.get_running_loop().time()
    chunk = await asyncio.wait_for(feed.content.readuntil(b"\n\n"), timeout=1.0)
    assert asyncio.get_running_loop().time() - started < 1.0
    assert chunk.startswith(b"event: change\n")
    assert json.loads(chunk.split(b"data: ", 1)[1]) == {"kind": "booked", "reference": booking["reference"]}
    feed.close()


async def test_a_subscription_hears_the_kind_of_change_as_the_enum(client, redis):
    booking = await BookingStore(redis).get((await book_identity_appointment(client))["reference"])
    subscription = await events.Subscription(redis).open()
    try:
        await events.announce(redis, events.ChangeKind.CANCELLED, booking)
        heard = await subscription.next(timeout=2)
    finally:
        await subscription.close()
    assert heard is not None and heard.kind is events.ChangeKind.CANCELLED
    assert (heard.reference, heard.branch, heard.topic) == (booking.reference, booking.branch, booking.topic)


@pytest.mark.parametrize("query", ["διαβατήριο", "ΔΙΑΒΑΤΗΡΙΟ", "diavatirio", "διαβατ"])
async def test_search_finds_the_same_however_it_is_typed(aiohttp_client, client, query):
    clerk, _ = await sign_in(aiohttp_client, client, "ath-alexiou")
    results = await (await clerk.get("/api/clerk/search", params={"q": query})).json()
    assert results[0]["topic"] == "identity_documents"
    assert any("διαβατ" in p.lower() for p in results[0]["procedures"])


async def test_console_page_forbids_inline_scripts(client):
    resp = await client.get("/clerk")
    assert resp.status == 200 and resp.content_type == "text/html"
    csp = resp.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert "<script>" not in await resp.text()  # only <script src=…>


async def test_handled_today_and_the_clerks_own_history(aiohttp_client, client, clock):
    first = await book_identity_appointment(client, question="Έχασα το διαβατήριό μου στο αεροδρόμιο")
    second = await book_identity_appointment(client, question="Ανανέωση ταυτότητας για το παιδί")
    alexiou, csrf_a = await sign_in(aiohttp_client, client, "ath-alexiou")
    papadopoulou, csrf_p = await sign_in(aiohttp_client, client, "ath-papadopoulou")
    for http, csrf, booking, notes in ((alexiou, csrf_a, first, "Να φέρει τη δήλωση απώλειας."),
                                       (papadopoulou, csrf_p, second, "Ραντεβού στο ΚΕΠ την Τρίτη.")):
        ref = booking["reference"]
        assert (await http.post(f"/api/clerk/bookings/{ref}/pickup", headers={"X-CSRF-Token": csrf})).status == 200
        done = await http.post(f"/api/clerk/bookings/{ref}/finish", json={"outcome": "follow_up", "notes": notes},
                               headers={"X-CSRF-Token": csrf})
        assert done.status == 200

    [mine] = await (await alexiou.get("/api/clerk/handled")).json()
    assert (mine["reference"], mine["outcome"], mine["outcome_label"]) == (first["reference"], "follow_up", "Χρειάζεται συνέχεια")
    assert mine["notes"] == "Να φέρει τη δήλωση απώλειας." and mine["citizen"]["afm"] == "094259216"
    assert await (await alexiou.get("/api/clerk/queue")).json() == []  # finished: out of the queue, into the day's list
    supervisor, _ = await sign_in(aiohttp_client, client, "supervisor")
    branch_day = await (await supervisor.get("/api/clerk/handled")).json()
    assert {i["reference"] for i in branch_day} == {first["reference"], second["reference"]}

    async def history(query: str) -> list[str]:
        return [i["reference"] for i in await (await alexiou.get("/api/clerk/history", params={"q": query})).json()]

    # Accents, capitals and Greeklish do not matter; every word must match; only their own.
    assert await history("ΔΙΑΒΑΤΗΡΙΟ αεροδρομιο") == [first["reference"]]
    assert await history("dilosi apoleias") == [first["reference"]]  # in the notes
    assert await history("συνέχεια") == [first["reference"]]  # the outcome
    assert await history("παιδί") == []  # papadopoulou's appointment
    assert await history("διαβατήριο παιδί") == []
    assert await history("") == [first["reference"]]
    clock.now = clock.now + timedelta(days=3)  # another day: out of «today», still in the history
    assert await (await alexiou.get("/api/clerk/handled")).json() == []
    assert await history(first["reference"].lower()) == [first["reference"]]
    refused = await supervisor.get("/api/clerk/history", params={"q": "x"})
    assert refused.status == 403 and (await refused.json())["error"]["code"] == "clerks_only"


async def test_an_appointments_history_readable_in_the_console(aiohttp_client, client):
    booking = await book_identity_appointment(client)
    ref, first = booking["reference"], booking["clerk"]
    other = "ath-papadopoulou" if first == "ath-alexiou" else "ath-alexiou"
    supervisor, csrf_s = await sign_in(aiohttp_client, client, "sup-athina")
    await supervisor.post(f"/api/clerk/bookings/{ref}/reassign", json={"clerk": other}, headers={"X-CSRF-Token": csrf_s})
    taker, csrf = await sign_in(aiohttp_client, client, other)
    await taker.post(f"/api/clerk/bookings/{ref}/pickup", headers={"X-CSRF-Token": csrf})
    await taker.post(f"/api/clerk/bookings/{ref}/finish", json={"outcome": "in_person", "notes": "ΑΦΜ 094259216, να έρθει"},
                     headers={"X-CSRF-Token": csrf})
    names = {"ath-alexiou": "Δημήτρης Αλεξίου", "ath-papadopoulou": "Μαρία Παπαδοπούλου"}
    steps = await (await taker.get(f"/api/clerk/bookings/{ref}/audit")).json()
    assert [(s["label"], s["actor"]) for s in steps] == [
        ("Κλείστηκε από τη συνομιλία", "Βοηθός (συνομιλία)"), ("Ανατέθηκε σε άλλον υπάλληλο", "Προϊστάμενος Αθήνας"),
        ("Ανάληψη", names[other]), ("Ολοκλήρωση", names[other])]
    assert steps[1]["details"].startswith(f"από {names[first]} 04/02 ") and f"σε {names[other]} 04/02 " in steps[1]["details"]
    assert steps[3]["details"] == "αποτέλεσμα: Χρειάζεται επίσκεψη στο ΚΕΠ"
    assert "094259216" not in json.dumps(steps, ensure_ascii=False)  # the notes are not in the history
    thessaloniki, _ = await sign_in(aiohttp_client, client, "thes-dimitriou")
    assert (await thessaloniki.get(f"/api/clerk/bookings/{ref}/audit")).status == 404

    branch = await (await supervisor.get("/api/clerk/audit")).json()
    assert [s["label"] for s in branch][:2] == ["Ολοκλήρωση", "Ανάληψη"] and {s["reference"] for s in branch} == {ref}
    assert (await taker.get("/api/clerk/audit")).status == 403


async def test_a_clerk_off_sick_for_the_afternoon(aiohttp_client, client, redis):
    slots = await (await client.get("/api/slots", params={"topic": "identity_documents", "branch": "kep-athina",
                                                          "after": "2030-02-04T13:00:00+02:00", "limit": "50"})).json()
    slot = {(s["clerk"], s["start"][11:16]): s["slot_id"] for s in slots if s["start"].startswith("2030-02-04")}

    async def book_at(clerk: str, at: str, card: str) -> dict:
        body = booking_body(slot[(clerk, at)], "identity_documents", citizen=citizen(id_card=card, mobile=f"69{card[-6:]}00"))
        resp = await client.post("/api/bookings", json=body, headers=AUTH)
        assert resp.status == 201, await resp.text()
        return await resp.json()

    nobody_free = await book_at("ath-alexiou", "13:10", "ΑΚ 100001")
    await book_at("ath-papadopoulou", "13:10", "ΑΚ 100002")  # the other clerk with the topic is busy then
    colleague_free = await book_at("ath-alexiou", "13:30", "ΑΚ 100003")
    supervisor, csrf = await sign_in(aiohttp_client, client, "sup-athina")
    path, headers = "/api/clerk/clerks/ath-alexiou/absences", {"X-CSRF-Token": csrf}
    told_before = len(await outbox_messages(redis))

    resp = await supervisor.post(path, json={"start": "2030-02-04T13:00", "end": "2030-02-04T14:30", "reason": "Ασθένεια"},
                                 headers=headers)
    report = await resp.json()
    assert resp.status == 200, report
    assert report["absence"] == {"start": "2030-02-04", "end": "2030-02-04", "reason": "Ασθένεια", "from_time": "13:00",
                                 "until": "14:30"}
    assert report["reassigned"] == [{"reference": colleague_free["reference"], "clerk": "ath-papadopoulou",
                                     "clerk_name": "Μαρία Παπαδοπούλου"}]
    assert [m["reference"] for m in report["moved"]] == [nobody_free["reference"]] and report["cancelled"] == []
    moved = await (await client.get(f"/api/bookings/{nobody_free['reference']}", headers=AUTH)).json()
    assert moved["start"] == report["moved"][0]["start"] != nobody_free["start"]
    told = (await outbox_messages(redis))[told_before:]
    assert [(n.reference, n.kind) for n in told] == [(nobody_free["reference"], "moved_by_service")]  # only the time change
    assert told[0].reason == "Ο υπάλληλος που θα σας εξυπηρετούσε απουσιάζει."

    after = await (await client.get("/api/slots", params={"topic": "identity_documents", "branch": "kep-athina",
                                                          "after": "2030-02-04T12:00:00+02:00", "limit": "50"})).json()
    alexiou = [s["start"][11:16] for s in after if s["clerk"] == "ath-alexiou" and s["start"].startswith("2030-02-04")]
    assert alexiou[-1] == "12:30"  # 12:50–13:10 and the afternoon's slots went at once
    audit = [json.loads(x) for x in await redis.lrange("kep:audit:ath-alexiou", 0, -1)]
    assert [(e["event"], e["actor"]) for e in audit] == [("clerk.absence_added", "sup-athina")]
    staff = {c["id"]: c for c in await (await supervisor.get("/api/clerk/clerks")).json()}
    assert set(staff) == {"ath-papadopoulou", "ath-georgiou", "ath-alexiou", "ath-konstantinou"}
    assert staff["ath-alexiou"]["absences"] == [report["absence"]]

    removed = await supervisor.delete(path, params=report["absence"], headers=headers)  # entered by mistake
    assert removed.status == 200
    back = await (await client.get("/api/slots", params={"topic": "identity_documents", "branch": "kep-athina",
                                                         "after": "2030-02-04T13:00:00+02:00", "limit": "3"})).json()
    assert ("ath-alexiou", "2030-02-04T13:30:00+02:00") in {(s["clerk"], s["start"]) for s in back}  # free again
    assert (await supervisor.delete(path, params=report["absence"], headers=headers)).status == 404
    assert (await supervisor.delete(path, params={"start": "yesterday"}, headers=headers)).status == 422
    audit = [json.loads(x)["event"] for x in await redis.lrange("kep:audit:ath-alexiou", 0, -1)]
    assert audit == ["clerk.absence_added", "clerk.absence_removed"]

    for start, end in (("2030-02-04T15:00", "2030-02-04T14:00"), ("0001-01-01T00:00", "2030-02-05T00:00"),
                       ("2030-02-05T08:00", "9999-12-31T23:59"), ("2030-02-01T08:00", "2030-02-03T12:00")):
        bad = await supervisor.post(path, json={"start": start, "end": end}, headers=headers)
        assert bad.status == 422 and "end" in (await bad.json())["error"]["fields"], (start, end)
    for start in ("", "2030-02-31T08:00", 20300204):
        bad = await supervisor.post(path, json={"start": start, "end": "2030-02-05T12:00"}, headers=headers)
        assert bad.status == 422 and "start" in (await bad.json())["error"]["fields"], start
    elsewhere = await supervisor.post("/api/clerk/clerks/thes-dimitriou/absences",
                                      json={"start": "2030-02-05T08:00", "end": "2030-02-05T12:00"}, headers=headers)
    assert elsewhere.status == 404
    clerk, csrf_c = await sign_in(aiohttp_client, client, "ath-georgiou")
    refused = await clerk.post(path, json={"start": "2030-02-05T08:00", "end": "2030-02-05T12:00"}, headers={"X-CSRF-Token": csrf_c})
    assert refused.status == 403


async def test_new_hours_and_topics_for_a_clerk(aiohttp_client, client, redis):
    async def book_alexiou(topic: str, at: str, card: str) -> dict:
        slot_id = f"ath-alexiou@20300204T{int(at[:2]) - 2:02d}{at[3:]}Z"  # Athens is UTC+2 in February
        body = booking_body(slot_id, topic, citizen=citizen(id_card=card, mobile=f"69{card[-6:]}00"))
        resp = await client.post("/api/bookings", json=body, headers=AUTH)
        assert resp.status == 201, await resp.text()
        return await resp.json()

    late_morning = await book_alexiou("identity_documents", "10:10", "ΑΚ 200001")
    tax = await book_alexiou("tax", "09:10", "ΑΚ 200002")
    early = await book_alexiou("identity_documents", "09:30", "ΑΚ 200003")
    supervisor, csrf = await sign_in(aiohttp_client, client, "sup-athina")
    path, headers = "/api/clerk/clerks/ath-alexiou/schedule", {"X-CSRF-Token": csrf}
    week = {d: [["08:30", "14:30"]] for d in ("tue", "wed", "thu", "fri")}
    resp = await supervisor.put(path, json={"topics": ["identity_documents", "welfare"],
                                            "working_hours": {"mon": [["08:30", "10:00"]], **week}}, headers=headers)
    done = await resp.json()
    assert resp.status == 200, done
    assert done["reassigned"] == [{"reference": late_morning["reference"], "clerk": "ath-papadopoulou",
                                   "clerk_name": "Μαρία Παπαδοπούλου"}]  # same time, with the colleague
    assert [m["reference"] for m in done["moved"]] == [tax["reference"]]  # no other tax clerk that morning
    assert done["moved"][0]["start"] == "2030-02-04T13:00:00+02:00"  # Γεωργίου's first afternoon slot
    kept = await (await client.get(f"/api/bookings/{early['reference']}", headers=AUTH)).json()
    assert (kept["clerk"], kept["start"]) == ("ath-alexiou", early["start"])  # still fits: untouched

    tax_slots = await (await client.get("/api/slots", params={"topic": "tax", "branch": "kep-athina", "limit": "20"})).json()
    assert tax_slots and all(s["clerk"] != "ath-alexiou" for s in tax_slots)
    monday = await (await client.get("/api/slots", params={"topic": "identity_documents", "branch": "kep-athina",
                                                           "after": "2030-02-04T10:00:00+02:00", "limit": "30"})).json()
    assert not [s for s in monday if s["clerk"] == "ath-alexiou" and s["start"].startswith("2030-02-04")]
    audit = [json.loads(x)["event"] for x in await redis.lrange("kep:audit:ath-alexiou", 0, -1)]
    assert audit == ["clerk.schedule_changed"]

    for body, field in (({"topics": [], "working_hours": week}, "topics"),
                        ({"topics": ["astrology"], "working_hours": week}, "topics"),
                        ({"topics": ["tax"], "working_hours": {"mon": [["14:00", "09:00"]]}}, "working_hours"),
                        ({"topics": ["tax"], "working_hours": {"someday": [["08:00", "09:00"]]}}, "working_hours"),
                        ({"topics": ["tax"], "working_hours": "08:00-14:00"}, "working_hours")):
        bad = await supervisor.put(path, json=body, headers=headers)
        assert bad.status == 422 and field in (await bad.json())["error"]["fields"], body


async def test_an_absence_with_no_free_time_anywhere_cancels_and_tells_the_citizen(aiohttp_client, client, redis):
    slot = await first_free_slot(client, "migration", branch="kep-athina")
    assert slot["clerk"] == "ath-konstantinou"  # the only one of the branch with the topic
    body = booking_body(slot["slot_id"], "migration", citizen=citizen(id_card="ΑΚ 300001", mobile="6930000100"))
    booking = await (await client.post("/api/bookings", json=body, headers=AUTH)).json()
    supervisor, csrf = await sign_in(aiohttp_client, client, "sup-athina")
    resp = await supervisor.post("/api/clerk/clerks/ath-konstantinou/absences", headers={"X-CSRF-Token": csrf},
                                 json={"start": "2030-02-04T08:00", "end": "2030-03-15T00:00", "reason": "Μακρά άδεια"})
    report = await resp.json()
    assert resp.status == 200 and (report["reassigned"], report["moved"]) == ([], [])  # beyond the booking horizon
    assert report["cancelled"] == [booking["reference"]]
    assert report["absence"] == {"start": "2030-02-04", "end": "2030-03-14", "reason": "Μακρά άδεια", "from_time": "08:00"}
    told = (await outbox_messages(redis))[-1]
    assert (told.reference, told.kind, told.reason) == (booking["reference"], "cancelled_by_service",
                                                        "Ο υπάλληλος που θα σας εξυπηρετούσε απουσιάζει.")


async def test_an_absent_clerks_appointment_goes_to_the_least_busy_free_colleague(aiohttp_client, client, redis):
    from dataclasses import replace

    appointments = client.server.app[APPOINTMENTS]
    alexiou = await appointments.clerks.get("ath-alexiou")
    await appointments.put_clerks([replace(alexiou, id="ath-zervou", name="Ζωή Ζέρβου")])  # a third with the topic

    async def book_at(clerk: str, at: str, card: str) -> dict:
        slot_id = f"{clerk}@20300204T{int(at[:2]) - 2:02d}{at[3:]}Z"
        body = booking_body(slot_id, "identity_documents", citizen=citizen(id_card=card, mobile=f"69{card[-6:]}00"))
        resp = await client.post("/api/bookings", json=body, headers=AUTH)
        assert resp.status == 201, await resp.text()
        return await resp.json()

    away = await book_at("ath-alexiou", "11:10", "ΑΚ 400001")
    for i, at in enumerate(("09:10", "09:30")):  # Παπαδοπούλου (first by id) already has two that day
        await book_at("ath-papadopoulou", at, f"ΑΚ 40001{i}")
    supervisor, csrf = await sign_in(aiohttp_client, client, "sup-athina")
    resp = await supervisor.post("/api/clerk/clerks/ath-alexiou/absences", headers={"X-CSRF-Token": csrf},
                                 json={"start": "2030-02-04T11:00", "end": "2030-02-04T12:00"})
    assert (await resp.json())["reassigned"] == [{"reference": away["reference"], "clerk": "ath-zervou", "clerk_name": "Ζωή Ζέρβου"}]
