"""How fast the consoles' reads are with a busy fortnight in the store.

Starts its own redis-server and a handoff service (in-process, clock fixed on a Monday
morning), books N appointments through the API across the topics of every branch, has one
clerk pick up and finish M of theirs, then times the reads a console makes on every live
update — the clerk's queue and handled list, the supervisor's queue, day and audit — and a
history search. Sequential requests, so the figures are per request, without queueing.

    .venv-handoff/bin/python bench/console_load.py --bookings 600 --finished 60 --rounds 30
"""
from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import aiohttp
from aiohttp import web

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from handoff.accounts import Account, AccountStore, Role, hash_password  # noqa: E402
from handoff.app import create_app  # noqa: E402
from handoff.config import ATHENS, Settings  # noqa: E402
from handoff.redis_server import RedisServer, free_port  # noqa: E402

TOKEN = "bench-token"
PASSWORD = "bench-console-password-1"
TOPICS = ["identity_documents", "tax", "welfare", "civil_registry", "authorizations", "employment", "migration"]
BRANCHES = ["kep-athina", "kep-thessaloniki", "kep-patra"]
FIRST = ["Μαρία", "Γιώργος", "Ελένη", "Νίκος", "Άννα", "Κώστας", "Σοφία", "Δημήτρης"]
LAST = ["Παπαδάκη", "Νικολάου", "Ιωάννου", "Γεωργίου", "Οικονόμου", "Μαυρίδη", "Λαμπράκη", "Σταύρου"]
CONSENT = {"video_call": True, "show_id": True, "data_processing": True}


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


async def book_many(http: aiohttp.ClientSession, url: str, n: int) -> int:
    booked = 0
    for i in range(n):
        topic, branch = TOPICS[i % len(TOPICS)], BRANCHES[(i // len(TOPICS)) % len(BRANCHES)]
        async with http.get(f"{url}/api/slots", params={"topic": topic, "branch": branch, "limit": "1"},
                            headers={"Authorization": f"Bearer {TOKEN}"}) as r:
            slots = await r.json()
        if not slots:  # the topic is not served at that branch
            continue
        citizen = {"full_name": f"{FIRST[i % len(FIRST)]} {LAST[(i // len(FIRST)) % len(LAST)]}", "id_card": f"ΑΚ {100000 + i}", "afm": "094259216", "amka": "",
                   "mobile": f"69{10000000 + i}", "email": ""}
        body = {"slot_id": slots[0]["slot_id"], "topic": topic, "question": f"Ερώτηση δοκιμής αριθμός {i}",
                "citizen": citizen, "consent": CONSENT}
        async with http.post(f"{url}/api/bookings", json=body, headers={"Authorization": f"Bearer {TOKEN}"}) as r:
            booked += r.status == 201
    return booked


async def signed_in(url: str, username: str) -> tuple[aiohttp.ClientSession, dict[str, str]]:
    http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
    async with http.post(f"{url}/api/clerk/login", json={"username": username, "password": PASSWORD}) as r:
        assert r.status == 200, await r.text()
        return http, {"X-CSRF-Token": (await r.json())["csrf_token"]}


async def main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp, RedisServer(Path(tmp)) as server:
        port = free_port()
        settings = Settings(host="127.0.0.1", port=port, redis_url=server.url, service_token=TOKEN,
                            secret_key="bench-secret", max_bookings_per_citizen=0)
        clock = lambda: datetime(2030, 2, 4, 6, 0, tzinfo=ATHENS)  # noqa: E731 — a Monday, before opening
        runner = web.AppRunner(create_app(settings, clock=clock))
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        url = f"http://127.0.0.1:{port}"
        try:
            import redis.asyncio as aioredis
            redis = aioredis.from_url(server.url, decode_responses=True)
            store, hashed = AccountStore(redis), hash_password(PASSWORD)
            await store.add_if_missing(Account("ath-alexiou", "Δημήτρης Αλεξίου", Role.CLERK, hashed, "kep-athina",
                                               clerk_id="ath-alexiou"))
            await store.add_if_missing(Account("sup-athina", "Προϊστάμενος", Role.SUPERVISOR, hashed, "kep-athina"))
            await redis.aclose()
            async with aiohttp.ClientSession() as http:
                started = time.perf_counter()
                booked = await book_many(http, url, args.bookings)
                print(f"{booked} appointments booked in {time.perf_counter() - started:.1f} s")
            clerk, csrf = await signed_in(url, "ath-alexiou")
            supervisor, _ = await signed_in(url, "sup-athina")
            async with clerk.get(f"{url}/api/clerk/queue") as r:
                queue = await r.json()
            for item in queue[:args.finished]:
                ref = item["reference"]
                async with clerk.post(f"{url}/api/clerk/bookings/{ref}/pickup", headers=csrf) as r:
                    assert r.status == 200
                async with clerk.post(f"{url}/api/clerk/bookings/{ref}/finish", headers=csrf,
                                      json={"outcome": "resolved", "notes": f"Σημείωση δοκιμής {ref}"}) as r:
                    assert r.status == 200
            reads = [
                ("clerk: queue", clerk, "/api/clerk/queue"),
                ("clerk: handled today", clerk, "/api/clerk/handled"),
                ("clerk: history search", clerk, "/api/clerk/history?q=σημειωση δοκιμης"),
                ("supervisor: queue", supervisor, "/api/clerk/queue"),
                ("supervisor: day", supervisor, "/api/clerk/day"),
                ("supervisor: day's audit", supervisor, "/api/clerk/audit"),
            ]
            print(f"clerk's queue {len(queue)} items, {min(args.finished, len(queue))} finished; {args.rounds} rounds\n")
            print("| read | items | p50 | p95 | max |\n|---|---|---|---|---|")
            for name, http, path in reads:
                times, count = [], 0
                for _ in range(args.rounds):
                    started = time.perf_counter()
                    async with http.get(url + path) as r:
                        body = await r.json()
                        assert r.status == 200, body
                    times.append((time.perf_counter() - started) * 1000)
                    count = len(body) if isinstance(body, list) else sum(len(b["clerks"]) for b in body["branches"])
                print(f"| {name} | {count} | {percentile(times, 50):.1f} ms | {percentile(times, 95):.1f} ms | {max(times):.1f} ms |")
            await clerk.close()
            await supervisor.close()
        finally:
            await runner.cleanup()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bookings", type=int, default=600)
    parser.add_argument("--finished", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=30)
    asyncio.run(main(parser.parse_args()))
