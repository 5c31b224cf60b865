"""Notifications through two `python -m handoff notify` workers to a local SMTP server
(aiosmtpd, in its own process); the SMS go to each worker's file transport.

It starts its own redis-server (project configuration, AOF fsync always), seeds data/, and
writes bookings through the booking store (the same Lua script as the API: the booking and
its outbox entry together). Two phases:

1. throughput: `--bookings` (10,000) confirmations written first, then the two workers start
   and drain the outbox: e-mails per second, first to last accepted;
2. delay: with the workers running, `--paced-rate` bookings per second for `--paced-seconds`:
   from the change (the booking) to the SMTP server accepting its e-mail, p50/p95/p99/max.

Each confirmation must arrive exactly once (by Message-ID) and none may fail.

    .venv-handoff/bin/python bench/notifications.py --bookings 10000 --paced-rate 40 --paced-seconds 30
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import secrets
import socket
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
from handoff.config import ATHENS, Settings  # noqa: E402
from handoff.links import ManageCodes, new_manage_token  # noqa: E402
from handoff.outbox import Outbox  # noqa: E402
from handoff.redis_server import RedisServer, free_port  # noqa: E402
from handoff.seed import seed  # noqa: E402
from handoff.slots import Slot, SlotRules  # noqa: E402

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


def start_sink(tmp: Path) -> tuple[subprocess.Popen, int, Path]:
    port, log = free_port(), tmp / "smtp.log"
    log.touch()
    sink = subprocess.Popen([sys.executable, "-m", "tests.handoff.mail_sink", str(port), str(log)], cwd=ROOT,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    for _ in range(100):
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return sink, port, log
        time.sleep(0.1)
    raise RuntimeError("the SMTP server did not start")


def arrivals(log: Path) -> list[tuple[float, str, str]]:
    rows = [line.split("\t") for line in log.read_text(encoding="utf-8").splitlines()]
    return [(float(at), to, mid) for at, to, mid in rows]


async def wait_for(log: Path, count: int, timeout: float = 900) -> list[tuple[float, str, str]]:
    deadline = time.time() + timeout
    while len(rows := arrivals(log)) < count and time.time() < deadline:
        await asyncio.sleep(0.2)
    return rows


def summary(delays: list[float]) -> str:
    return (f"p50 {percentile(delays, 50):.0f} ms, p95 {percentile(delays, 95):.0f} ms, "
            f"p99 {percentile(delays, 99):.0f} ms, max {max(delays):.0f} ms")


async def run(bookings: int, paced_rate: float, paced_seconds: float, tmp: Path) -> None:
    server = RedisServer(tmp / "redis").start()
    sink, port, log = start_sink(tmp)
    workers: list[subprocess.Popen] = []
    redis = aioredis.from_url(server.url, decode_responses=True)
    changed_at: dict[str, float] = {}

    async def write(i: int) -> None:
        now = datetime.now(UTC)
        changed_at[f"citizen{i}@example.gr"] = now.timestamp()
        await store.create(request(i, slot(i)), slot(i), new_manage_token(), now)

    try:
        await seed(redis, ROOT / "data", SlotRules.from_settings(Settings()), datetime.now(UTC))
        await Outbox(redis).ensure_group()
        store = BookingStore(redis, ManageCodes(secrets.token_urlsafe(16)))
        began = time.time()
        for i in range(bookings):
            await write(i)
        print(f"{bookings} bookings (and their outbox entries) written in {time.time() - began:.1f} s")

        workers = [start_worker(tmp, server.url, port, f"worker-{n}") for n in (1, 2)]
        rows = await wait_for(log, bookings)
        first, last = rows[0][0], rows[-1][0]
        print(f"throughput: {len(rows)} e-mails (+ as many SMS files) in {last - first:.1f} s by 2 workers: "
              f"{(len(rows) - 1) / (last - first):.0f} e-mails/s")

        paced = int(paced_rate * paced_seconds)
        began = time.time()
        for n in range(paced):
            await asyncio.sleep(max(0.0, began + n / paced_rate - time.time()))
            await write(bookings + n)
        rows = await wait_for(log, bookings + paced)
        delays = [(at - changed_at[to]) * 1000 for at, to, _ in rows[bookings:]]
        print(f"delay at {paced_rate:.0f} bookings/s for {paced_seconds:.0f} s ({paced} e-mails): "
              f"change → SMTP accepted {summary(delays)}")
        twice = sum(n - 1 for n in Counter(mid for _, _, mid in rows).values())
        print(f"delivered twice: {twice}; failed: {(await Outbox(redis).counts())['failed']}; "
              f"SMS files: {len(list((tmp / 'sms').glob('*.sms.txt')))}")
    finally:
        for process in (*workers, sink):
            process.terminate()
        for process in (*workers, sink):
            process.wait(timeout=15)
        await redis.aclose()
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bookings", type=int, default=10_000, help="confirmations drained for the throughput")
    parser.add_argument("--paced-rate", type=float, default=40, help="bookings per second for the delay")
    parser.add_argument("--paced-seconds", type=float, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(run(args.bookings, args.paced_rate, args.paced_seconds, Path(tmp)))


if __name__ == "__main__":
    main()
