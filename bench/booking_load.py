"""Load on the booking API, open loop: listing free slots and booking, at a fixed offered rate,
on a calendar filled to 90 % first.

Without --url it starts its own redis-server (project configuration, AOF fsync always), a
roster of --clerks clerks over the four branches of data/ (the catalogue's topics, four each,
morning or afternoon hours), and --replicas handoff processes (more than one: behind HAProxy
with the configuration `python -m handoff.stack --replicas N` writes, `handoff/balancer.py`);
then it books the earliest --fill of every slot from now to the horizon straight through the
booking script (as citizens take the earliest times first), and only then offers the load.

Open loop: request i is due at start + i / rate whatever happened to the ones before it, and
its latency runs from that due time (a client that falls behind counts against the figures,
never hides a slow server). A request is a listing (GET /api/slots, a random topic, half of
them at one branch, 10 slots) or, with probability --book-share, a booking of a slot some
earlier listing returned (many collide on the same early slots: 409); both as the bot's action
server sends them (with the service token, so no per-address limit applies). It prints p50/p95/p99
per kind, the rate reached, and checks no slot was booked twice, from the responses and
in the store.

--baseline REV runs the same, on a fresh store, with the service of git revision REV (e.g. the
commit before the free-slot index), and prints the ratios.

    .venv-handoff/bin/python bench/booking_load.py --rate 1000 --duration 20 --replicas 2 --baseline 6441a7b
"""
from __future__ import annotations

import argparse
import asyncio
import gc
import os
import random
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import redis.asyncio as aioredis
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from handoff import balancer  # noqa: E402
from handoff.bookings import BookingStore, NewBooking  # noqa: E402
from handoff.branches import load_branches  # noqa: E402
from handoff.citizens import parse_citizen  # noqa: E402
from handoff.clerks import load_clerks  # noqa: E402
from handoff.config import ATHENS, Settings  # noqa: E402
from handoff.links import ManageCodes, new_manage_token  # noqa: E402
from handoff.redis_server import RedisServer, free_port  # noqa: E402
from handoff.slots import SlotRules, slots_on  # noqa: E402
from handoff.topics import load_topics  # noqa: E402

CITIZEN = {
    "full_name": "Γιάννης Παπαδάκης", "id_card": "ΑΚ 654321", "afm": "094259216", "amka": "",
    "mobile": "6987654321", "email": "",
}
CONSENT = {"video_call": True, "show_id": True, "data_processing": True}
TIMEOUT_SECONDS = 10  # a request not answered by then counts as status 0 (the open loop stays bounded)
HOURS = ({d: [["08:30", "14:30"]] for d in ("mon", "tue", "wed", "thu", "fri")},
         {d: [["13:00", "19:40"]] for d in ("mon", "tue", "wed", "thu", "fri")})


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


class Stats:
    def __init__(self) -> None:
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.status: Counter[tuple[str, int]] = Counter()
        self.booked_slots: Counter[str] = Counter()
        self.empty_listings = 0  # the calendar ran out of free slots for that topic (a long run books it up)
        self.late_sends: list[float] = []  # how far behind its due time the client sent each request
        self.elapsed = 0.0  # the measured part
        self.sent = 0  # requests, the warm-up's too
        self.wall = 0.0  # seconds of the whole load, the warm-up too

    def record(self, kind: str, status: int, seconds: float) -> None:
        self.latency[kind].append(seconds * 1000)
        self.status[(kind, status)] += 1

    def figures(self) -> dict[str, tuple[float, float, float]]:
        return {k: (statistics.median(v), percentile(v, 95), percentile(v, 99)) for k, v in self.latency.items()}


def roster(data: Path, clerks: int, seed: int) -> None:
    """data/ with `clerks` generated clerks instead of the demo ones."""
    rnd = random.Random(seed)
    shutil.copytree(ROOT / "data", data)
    topics = [t.id for t in load_topics(data / "topics.yml")]
    branches = [b.id for b in load_branches(data / "branches.yml")]
    people = [{"id": f"bench-{n:04d}", "name": f"Υπάλληλος {n}", "branch": branches[n % len(branches)],
               "topics": rnd.sample(topics, 4), "working_hours": HOURS[n % 2]} for n in range(clerks)]
    (data / "clerks.yml").write_text(yaml.safe_dump({"clerks": people}, allow_unicode=True), encoding="utf-8")


async def fill(redis_url: str, data: Path, share: float) -> tuple[int, int]:
    """Book the earliest `share` of the slots from now to the horizon's last day (those inside
    the hour's lead too, so that no free slot is left in front); (booked, all)."""
    rules = SlotRules.from_settings(Settings())
    now = datetime.now(UTC)
    branches = {b.id: b for b in load_branches(data / "branches.yml")}
    first, last = now, (now + rules.horizon).astimezone(ATHENS).date()
    slots, day = [], first.astimezone(ATHENS).date()
    clerks = load_clerks(data / "clerks.yml")
    while day <= last:
        slots += [s for c in clerks for s in slots_on(c, branches[c.branch], day, rules.minutes) if s.start >= first]
        day += timedelta(days=1)
    slots.sort(key=lambda s: (s.start, s.clerk))
    topic_of = {c.id: c.topics[0] for c in clerks}
    citizen = parse_citizen(CITIZEN)
    redis = aioredis.from_url(redis_url, decode_responses=True)
    store = BookingStore(redis, ManageCodes(secrets.token_urlsafe(16)))
    wanted = slots[:int(len(slots) * share)]

    async def book(chunk: list) -> None:
        for slot in chunk:
            request = NewBooking(slot.id, topic_of[slot.clerk], "", "δοκιμή φόρτου", None, [], citizen, CONSENT)
            await store.create(request, slot, new_manage_token(), now)

    await asyncio.gather(*(book(wanted[i::32]) for i in range(32)))
    await redis.aclose()
    return len(wanted), len(slots)


async def offer(url: str, token: str, rate: float, duration: float, warmup: float, book_share: float,
                topics: list[str], branches: list[str]) -> Stats:
    """The load: `warmup` seconds at the rate first (connections opened, caches warm; not in
    the figures, but in the double-booking check), then `duration` seconds measured."""
    stats = Stats()
    measured_from = 0.0  # due times before it are the warm-up's
    gc.collect()
    gc.freeze()  # the client's own full collections (~50 ms) would show as the service's latency
    listed: list[tuple[str, str]] = []  # (slot id, topic) from earlier listings
    headers = {"Authorization": f"Bearer {token}"}
    rnd = random.Random(7)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=400),
                                     timeout=aiohttp.ClientTimeout(total=TIMEOUT_SECONDS)) as session:

        def timed(kind: str, status: int, due: float) -> None:
            if due >= measured_from:
                stats.record(kind, status, time.perf_counter() - due)

        async def list_slots(due: float) -> None:
            topic = rnd.choice(topics)
            params = {"topic": topic, "limit": "10"} | ({"branch": rnd.choice(branches)} if rnd.random() < 0.5 else {})
            try:
                async with session.get(f"{url}/api/slots", params=params, headers=headers) as r:
                    body = await r.json()
            except (TimeoutError, aiohttp.ClientError):
                timed("list", 0, due)
                return
            timed("list", r.status, due)
            if r.status == 200:
                listed.extend((s["slot_id"], topic) for s in body)
                stats.empty_listings += not body
                del listed[:-2000]

        async def book(due: float, slot_id: str, topic: str) -> None:
            body = {"slot_id": slot_id, "topic": topic, "question": "δοκιμή φόρτου", "citizen": CITIZEN, "consent": CONSENT}
            try:
                async with session.post(f"{url}/api/bookings", json=body, headers=headers) as r:
                    await r.read()
            except (TimeoutError, aiohttp.ClientError):
                timed("book", 0, due)
                return
            timed("book", r.status, due)
            if r.status == 201:
                stats.booked_slots[slot_id] += 1

        tasks = []
        began = time.perf_counter()
        measured_from = began + warmup
        for i in range(int(rate * (warmup + duration))):
            due = began + i / rate
            wait = due - time.perf_counter()
            if wait > 0:
                await asyncio.sleep(wait)
            if due >= measured_from:
                stats.late_sends.append(max(0.0, -wait) * 1000)
            if listed and rnd.random() < book_share:
                tasks.append(asyncio.create_task(book(due, *listed.pop(rnd.randrange(len(listed))))))
            else:
                tasks.append(asyncio.create_task(list_slots(due)))
        await asyncio.gather(*tasks)
        stats.elapsed = time.perf_counter() - measured_from
        stats.wall, stats.sent = time.perf_counter() - began, len(tasks)
    return stats


def report(stats: Stats, rate: float) -> None:
    total = sum(stats.status.values())
    print(f"  offered {rate:.0f} req/s; {total} requests done in {stats.elapsed:.1f} s = {total / stats.elapsed:.0f} req/s; "
          f"client sent p99 {percentile(stats.late_sends, 99):.1f} ms after the due time")
    for kind, values in sorted(stats.latency.items()):
        p50, p95, p99 = stats.figures()[kind]
        print(f"  {kind:5s} n={len(values):6d}  p50={p50:6.1f} ms  p95={p95:6.1f} ms  p99={p99:6.1f} ms  max={max(values):7.1f} ms")
    print("  status:", dict(sorted(stats.status.items())))
    doubles = sum(1 for n in stats.booked_slots.values() if n > 1)
    print(f"  bookings confirmed: {sum(stats.booked_slots.values())}; slots confirmed twice: {doubles}; "
          f"listings that found no free slot: {stats.empty_listings}")


async def store_double_bookings(redis_url: str) -> int:
    redis = aioredis.from_url(redis_url, decode_responses=True)
    holders = await BookingStore(redis).holders_by_slot()
    await redis.aclose()
    return sum(1 for n in holders.values() if n > 1)


def cpu_seconds(pid: int) -> float:
    """User + system CPU a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def redis_cpu_seconds(redis_url: str) -> float:
    redis = aioredis.from_url(redis_url, decode_responses=True)
    info = await redis.info("cpu")
    await redis.aclose()
    return float(info["used_cpu_sys"]) + float(info["used_cpu_user"])


def wait_until_up(url: str, process: subprocess.Popen) -> None:
    for _ in range(600):
        if process.poll() is not None:
            raise RuntimeError(f"{url} stopped at start")
        if subprocess.run(["curl", "-fs", f"{url}/healthz"], capture_output=True).returncode == 0:
            return
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer")


def measure(args: argparse.Namespace, code: Path, label: str, tmp: Path) -> Stats:
    """One run: a fresh store and service(s) from `code`, the fill, the load."""
    data = tmp / "data"
    if not data.exists():
        roster(data, args.clerks, seed=1)
    redis = RedisServer(tmp / f"redis-{label}").start()
    token = secrets.token_urlsafe(16)
    env = os.environ | {
        "REDIS_URL": redis.url, "HANDOFF_SERVICE_TOKEN": token, "HANDOFF_SECRET_KEY": secrets.token_urlsafe(16),
        "HANDOFF_DATA_DIR": str(data), "HANDOFF_MAX_BOOKINGS_PER_CITIZEN": "0",  # one citizen books everything here
        "HANDOFF_OUTBOX_DIR": str(tmp / "outbox"), "PYTHONPATH": str(code),
    }
    ports = [free_port() for _ in range(args.replicas)]
    processes = []
    try:
        for port in ports:  # the first alone: it seeds the store
            processes.append(subprocess.Popen(
                [sys.executable, "-m", "handoff", "serve"], cwd=code, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                env=env | {"HANDOFF_PORT": str(port), "HANDOFF_TRUSTED_PROXIES": "127.0.0.1" if args.replicas > 1 else ""}))
            wait_until_up(f"http://127.0.0.1:{port}", processes[-1])
        url = f"http://127.0.0.1:{ports[0]}"
        if args.replicas > 1:
            port = free_port()
            (tmp / "haproxy.cfg").write_text(balancer.local_config(port, ports))
            processes.append(subprocess.Popen([shutil.which("haproxy") or "haproxy", "-f", str(tmp / "haproxy.cfg"), "-db"],
                                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            url = f"http://127.0.0.1:{port}"
            wait_until_up(url, processes[-1])
        began = time.time()
        booked, slots = asyncio.run(fill(redis.url, data, args.fill))
        print(f"{label}: {args.replicas} handoff process(es) at {url}; calendar {booked}/{slots} slots booked "
              f"({booked / slots:.0%}) in {time.time() - began:.0f} s; load average {os.getloadavg()[0]:.2f}")
        topics = [t.id for t in load_topics(data / "topics.yml")]
        branches = [b.id for b in load_branches(data / "branches.yml")]
        cpu_before = [cpu_seconds(p.pid) for p in processes], asyncio.run(redis_cpu_seconds(redis.url)), time.process_time()
        stats = asyncio.run(offer(url, token, args.rate, args.duration, args.warmup, args.book_share, topics, branches))
        report(stats, args.rate)
        served = [cpu_seconds(p.pid) - before for p, before in zip(processes, cpu_before[0], strict=True)]
        total = stats.sent
        print(f"  CPU during the load (warm-up too): handoff {sum(served[:args.replicas]):.1f} s "
              f"({1000 * sum(served[:args.replicas]) / total:.2f} ms a request), "
              + (f"haproxy {served[-1]:.1f} s, " if args.replicas > 1 else "")
              + f"redis {asyncio.run(redis_cpu_seconds(redis.url)) - cpu_before[1]:.1f} s, "
              f"load generator {time.process_time() - cpu_before[2]:.1f} s, in {stats.wall:.0f} s on "
              f"{os.cpu_count()} cores")
        print(f"  store check: slots held by more than one booking: {asyncio.run(store_double_bookings(redis.url))}; "
              f"load average {os.getloadavg()[0]:.2f}")
        return stats
    finally:
        for process in reversed(processes):
            process.terminate()
            process.wait()
        redis.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=float, default=1000, help="requests per second offered, listing and booking")
    parser.add_argument("--duration", type=float, default=20, help="seconds (at most 120; at 1,000 req/s the free 10 %% of the "
                        "default roster is booked up after ~30 s: more --clerks for longer runs)")
    parser.add_argument("--warmup", type=float, default=2, help="seconds of load before the measured ones (not in the figures)")
    parser.add_argument("--book-share", type=float, default=0.25, help="share of the requests that are bookings")
    parser.add_argument("--fill", type=float, default=0.9, help="share of the horizon's slots booked before the load")
    parser.add_argument("--clerks", type=int, default=240, help="clerks of the generated roster")
    parser.add_argument("--replicas", type=int, default=1, help="handoff processes (more than one: behind HAProxy)")
    parser.add_argument("--baseline", help="also run the service of this git revision, and print the ratios")
    args = parser.parse_args()
    args.duration = min(args.duration, 120)
    with tempfile.TemporaryDirectory() as tmp:
        runs = {"this tree": measure(args, ROOT, "this tree", Path(tmp))}
        if args.baseline:
            code = Path(tmp) / "baseline"
            code.mkdir()
            subprocess.run(f"git -C {ROOT} archive {args.baseline} handoff bot | tar -x -C {code}", shell=True, check=True)
            runs[args.baseline] = measure(args, code, args.baseline, Path(tmp))
    if args.baseline:
        new, old = (runs[k].figures() for k in runs)
        for kind in sorted(new):
            print(f"{kind}: {args.baseline} / this tree = " + ", ".join(
                f"{name} {o / n:.1f}×" for name, o, n in zip(("p50", "p95", "p99"), old[kind], new[kind], strict=True)))


if __name__ == "__main__":
    main()
