"""Load on the booking API: concurrent citizens listing slots and booking, at a fixed rate.

Without --url it starts its own redis-server (project configuration, AOF fsync always) and a
handoff service on free ports, and stops them at the end. It prints requests/s, latency
percentiles per request kind, and checks that no slot was booked twice — both from the
responses (no two 201s for one slot) and from the store.

    .venv-handoff/bin/python bench/booking_load.py --rate 200 --duration 20
"""
from __future__ import annotations

import argparse
import asyncio
import os
import random
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

import aiohttp
import redis.asyncio as aioredis

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from handoff.bookings import BookingStore  # noqa: E402
from handoff.redis_server import RedisServer, free_port  # noqa: E402

TOPICS = ["tax", "welfare", "identity_documents", "civil_registry", "property", "employment", "vehicles"]
CITIZEN = {
    "full_name": "Γιάννης Παπαδάκης", "id_card": "ΑΚ 654321", "afm": "094259216", "amka": "",
    "mobile": "6987654321", "email": "",
}
CONSENT = {"video_call": True, "show_id": True, "data_processing": True}


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


class Stats:
    def __init__(self) -> None:
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.status: Counter[tuple[str, int]] = Counter()
        self.booked_slots: Counter[str] = Counter()

    def record(self, kind: str, status: int, seconds: float) -> None:
        self.latency[kind].append(seconds * 1000)
        self.status[(kind, status)] += 1


async def citizen(session: aiohttp.ClientSession, url: str, token: str, stats: Stats, interval: float, until: float):
    headers = {"Authorization": f"Bearer {token}"}
    next_at = time.monotonic() + random.random() * interval
    listed: list[dict] = []
    topic = TOPICS[0]
    while True:
        await asyncio.sleep(max(0.0, next_at - time.monotonic()))
        if time.monotonic() >= until:
            return
        next_at += interval
        started = time.perf_counter()
        if not listed:
            topic = random.choice(TOPICS)
            async with session.get(f"{url}/api/slots", params={"topic": topic, "limit": "10"}, headers=headers) as r:
                body = await r.json()
                stats.record("list", r.status, time.perf_counter() - started)
                listed = body if r.status == 200 else []
                random.shuffle(listed)
            continue
        slot = listed.pop()
        body = {"slot_id": slot["slot_id"], "topic": topic, "question": "δοκιμή φόρτου", "citizen": CITIZEN, "consent": CONSENT}
        async with session.post(f"{url}/api/bookings", json=body, headers=headers) as r:
            await r.read()
            stats.record("book", r.status, time.perf_counter() - started)
            if r.status == 201:
                stats.booked_slots[slot["slot_id"]] += 1
        listed = []


async def store_double_bookings(redis_url: str) -> int:
    redis = aioredis.from_url(redis_url, decode_responses=True)
    holders = await BookingStore(redis).holders_by_slot()
    await redis.aclose()
    return sum(1 for n in holders.values() if n > 1)


async def run(url: str, token: str, rate: float, duration: float, concurrency: int) -> Stats:
    stats = Stats()
    until = time.monotonic() + duration
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        await asyncio.gather(*(
            citizen(session, url, token, stats, concurrency / rate, until) for _ in range(concurrency)
        ))
    return stats


def report(stats: Stats, duration: float) -> None:
    total = sum(stats.status.values())
    print(f"requests: {total} in {duration:.0f} s = {total / duration:.0f} req/s")
    for kind, values in sorted(stats.latency.items()):
        print(
            f"  {kind:5s} n={len(values):6d}  p50={statistics.median(values):6.1f} ms  "
            f"p95={percentile(values, 95):6.1f} ms  p99={percentile(values, 99):6.1f} ms  max={max(values):6.1f} ms"
        )
    all_latency = [v for values in stats.latency.values() for v in values]
    print(f"  all   p50={statistics.median(all_latency):.1f} ms  p95={percentile(all_latency, 95):.1f} ms  "
          f"p99={percentile(all_latency, 99):.1f} ms")
    print("status:", dict(sorted(stats.status.items())))
    doubles = sum(1 for n in stats.booked_slots.values() if n > 1)
    print(f"bookings confirmed: {sum(stats.booked_slots.values())}; slots confirmed twice: {doubles}")


def start_stack(tmp: Path) -> tuple[RedisServer, subprocess.Popen, str, str]:
    redis = RedisServer(tmp / "redis").start()
    port, token = free_port(), secrets.token_urlsafe(16)
    env = os.environ | {
        "REDIS_URL": redis.url, "HANDOFF_PORT": str(port), "HANDOFF_SERVICE_TOKEN": token,
        "HANDOFF_SECRET_KEY": secrets.token_urlsafe(16), "HANDOFF_HORIZON_DAYS": "120",
        "HANDOFF_MAX_BOOKINGS_PER_CITIZEN": "0",  # one citizen books everything here
    }
    service = subprocess.Popen([sys.executable, "-m", "handoff", "serve"], cwd=ROOT, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            subprocess.run(["curl", "-fs", f"{url}/healthz"], check=True, capture_output=True)
            break
        except subprocess.CalledProcessError:
            time.sleep(0.1)
    return redis, service, url, token


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", help="a running service (default: start one)")
    parser.add_argument("--token", default=os.environ.get("HANDOFF_SERVICE_TOKEN", ""))
    parser.add_argument("--rate", type=float, default=200, help="requests per second, all clients together")
    parser.add_argument("--duration", type=float, default=20, help="seconds (bounded)")
    parser.add_argument("--concurrency", type=int, default=50)
    args = parser.parse_args()
    duration = min(args.duration, 120)
    if args.url:
        stats = asyncio.run(run(args.url, args.token, args.rate, duration, args.concurrency))
        report(stats, duration)
        return
    with tempfile.TemporaryDirectory() as tmp:
        redis, service, url, token = start_stack(Path(tmp))
        try:
            print(f"service {url}, redis {redis.url} (AOF, appendfsync always); rate {args.rate:.0f}/s, "
                  f"{args.concurrency} clients, {duration:.0f} s")
            stats = asyncio.run(run(url, token, args.rate, duration, args.concurrency))
            report(stats, duration)
            print(f"store check: slots held by more than one booking: {asyncio.run(store_double_bookings(redis.url))}")
        finally:
            service.terminate()
            service.wait()
            redis.stop()


if __name__ == "__main__":
    main()
