"""Notification throughput: N bookings' confirmations through two `python -m handoff notify`
workers to a local SMTP server (aiosmtpd); the SMS go to the file transport of each worker.

It starts its own redis-server (project configuration, AOF fsync always), seeds data/, starts
the workers and the SMTP server on free ports, then writes the bookings through the booking
store (the same Lua script as the API: booking and outbox entry together), at `--rate` per
second or as fast as it can (`--rate 0`). It prints e-mails per second and the delay from the
change (the booking) to the SMTP server accepting its e-mail: p50, p95, p99, max. Each
confirmation must arrive exactly once (by Message-ID).

    .venv-handoff/bin/python bench/notifications.py --bookings 10000 --rate 0
"""
from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import redis.asyncio as aioredis

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from handoff.bookings import BookingStore, NewBooking  # noqa: E402
from handoff.citizens import Citizen  # noqa: E402
from handoff.config import ATHENS  # noqa: E402
from handoff.links import new_manage_token  # noqa: E402
from handoff.outbox import Outbox  # noqa: E402
from handoff.redis_server import RedisServer  # noqa: E402
from handoff.seed import seed  # noqa: E402
from handoff.slots import Slot  # noqa: E402
from tests.handoff.mail_sink import MailSink  # noqa: E402

CONSENT = {"video_call": True, "show_id": True, "data_processing": True}


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def request(i: int, slot: Slot) -> NewBooking:
    citizen = Citizen("Γιάννης Παπαδάκης", "ΑΚ654321", "094259216", "", "+306987654321", f"citizen{i}@example.gr")
    return NewBooking(slot.id, "tax", f"bench-{i}", "Φορολογική δήλωση", 0.9, [], citizen, CONSENT)


def slot(i: int) -> Slot:
    """A distinct slot per booking: 100 clerks × 20-minute slots from three days on."""
    start = datetime(2031, 3, 3, 8, 0, tzinfo=ATHENS) + timedelta(minutes=20 * (i // 100))
    return Slot(f"bench-clerk-{i % 100}", "kep-athina", start, start + timedelta(minutes=20))


def start_worker(tmp: Path, redis_url: str, smtp_port: int, name: str) -> subprocess.Popen:
    env = {
        **os.environ, "REDIS_URL": redis_url, "HANDOFF_SECRET_KEY": "bench", "HANDOFF_PUBLIC_URL": "https://kep.example.gr",
        "HANDOFF_SMTP_HOST": "127.0.0.1", "HANDOFF_SMTP_PORT": str(smtp_port), "HANDOFF_SMTP_FROM": "ΚΕΠ <no-reply@kep.example.gr>",
        "HANDOFF_OUTBOX_DIR": str(tmp / "sms"), "PYTHONPATH": str(ROOT),
    }
    log = open(tmp / f"{name}.log", "wb")  # noqa: SIM115 - owned by the child
    return subprocess.Popen([sys.executable, "-m", "handoff", "notify"], cwd=ROOT, env=env, stdout=log,
                            stderr=subprocess.STDOUT)


async def run(bookings: int, rate: float, tmp: Path) -> None:
    server = RedisServer(tmp / "redis").start()
    sink = MailSink().start()
    workers: list[subprocess.Popen] = []
    redis = aioredis.from_url(server.url, decode_responses=True)
    try:
        await seed(redis, ROOT / "data")
        await Outbox(redis).ensure_group()
        workers = [start_worker(tmp, server.url, sink.port, f"worker-{n}") for n in (1, 2)]
        await asyncio.sleep(2)  # both workers connected and waiting
        store = BookingStore(redis)
        changed_at: dict[str, float] = {}
        began = time.time()
        for i in range(bookings):
            if rate:
                await asyncio.sleep(max(0.0, began + i / rate - time.time()))
            now = datetime.now(UTC)
            changed_at[f"citizen{i}@example.gr"] = now.timestamp()
            await store.create(request(i, slot(i)), slot(i), new_manage_token(), now)
        written = time.time()
        deadline = written + 600
        while len(sink.raw) < bookings and time.time() < deadline:
            await asyncio.sleep(0.2)
        done = time.time()
        delays = [(at - changed_at[to]) * 1000 for to, at in zip(sink.headers("To"), sink.arrived_at, strict=True)]
        twice = sum(n - 1 for n in Counter(sink.message_ids()).values())
        sms = len(list((tmp / "sms").glob("*.sms.txt")))
        print(f"{bookings} bookings written in {written - began:.1f} s ({bookings / (written - began):.0f}/s)")
        print(f"{len(sink.raw)} e-mails (+{sms} SMS files) delivered by 2 workers in {done - began:.1f} s: "
              f"{len(sink.raw) / (sink.arrived_at[-1] - began):.0f} e-mails/s")
        print(f"change → SMTP accepted: p50 {percentile(delays, 50):.0f} ms, p95 {percentile(delays, 95):.0f} ms, "
              f"p99 {percentile(delays, 99):.0f} ms, max {max(delays):.0f} ms")
        print(f"delivered twice: {twice}; failed: {(await Outbox(redis).counts())['failed']}")
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(timeout=15)
        await redis.aclose()
        sink.stop()
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bookings", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=0, help="bookings per second; 0: as fast as possible")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(run(args.bookings, args.rate, Path(tmp)))


if __name__ == "__main__":
    main()
