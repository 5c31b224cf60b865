"""A log-in flood against the console, and what the rest of the service feels meanwhile.

Starts its own redis-server and handoff service (behind a pretend proxy, so each flooding
client can come from its own address), adds one clerk account, then: /healthz latency alone;
/healthz latency and a clerk's own log-in while `--clients` clients send wrong passwords as
fast as they are answered, each from its own address (the per-address limit stops each after
10 a minute, so a wider flood than one address is what reaches argon2). Prints the answers
the flood got and the latency percentiles.

    .venv-handoff/bin/python bench/login_flood.py --clients 200 --duration 15
"""
from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from handoff.redis_server import RedisServer, free_port  # noqa: E402

CLERK, PASSWORD = "bench.clerk", "bench-" + secrets.token_urlsafe(12)


def start(tmp: Path) -> tuple[RedisServer, subprocess.Popen, str]:
    redis = RedisServer(tmp / "redis").start()
    port = free_port()
    env = os.environ | {"REDIS_URL": redis.url, "HANDOFF_PORT": str(port), "HANDOFF_SECRET_KEY": secrets.token_urlsafe(16),
                        "HANDOFF_TRUSTED_PROXIES": "127.0.0.1"}
    subprocess.run([sys.executable, "-m", "handoff", "accounts", "add", CLERK, "--role", "clerk", "--clerk-id", "ath-alexiou"],
                   cwd=ROOT, env=env, input=PASSWORD + "\n", text=True, check=True, capture_output=True)
    service = subprocess.Popen([sys.executable, "-m", "handoff", "serve"], cwd=ROOT, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        if subprocess.run(["curl", "-fs", f"{url}/healthz"], capture_output=True).returncode == 0:
            break
        time.sleep(0.1)
    return redis, service, url


def percentiles(samples: list[float]) -> str:
    ms = sorted(s * 1000 for s in samples)
    q = statistics.quantiles(ms, n=100) if len(ms) > 1 else ms * 99
    return f"n={len(ms)} p50 {q[49]:.1f} ms, p95 {q[94]:.1f} ms, max {ms[-1]:.1f} ms"


async def timed(session: aiohttp.ClientSession, method: str, url: str, **kwargs) -> tuple[int, float]:
    began = time.perf_counter()
    async with session.request(method, url, **kwargs) as resp:
        await resp.read()
        return resp.status, time.perf_counter() - began


async def health_samples(session: aiohttp.ClientSession, url: str, until: float) -> list[float]:
    samples = []
    while time.monotonic() < until:
        began = time.perf_counter()
        async with session.get(f"{url}/healthz") as resp:
            body = await resp.text()
        if resp.status != 200:
            raise SystemExit(f"/healthz answered {resp.status}: {body}")
        samples.append(time.perf_counter() - began)
        await asyncio.sleep(0.05)
    return samples


async def run(url: str, clients: int, duration: float, target: str) -> None:
    connector = aiohttp.TCPConnector(limit=clients + 10)
    async with aiohttp.ClientSession(connector=connector) as session:
        quiet = await health_samples(session, url, time.monotonic() + 3)
        answers: Counter[int] = Counter()
        until = time.monotonic() + duration

        async def flooder(i: int) -> None:
            address = {"X-Forwarded-For": f"198.18.{i // 250}.{i % 250 + 1}"}
            while time.monotonic() < until:
                if target == "login":
                    status, _ = await timed(session, "POST", f"{url}/api/clerk/login",
                                            json={"username": CLERK, "password": f"guess-{secrets.token_hex(4)}"}, headers=address)
                else:  # the same flood of a cheap request, to tell argon2's share from the requests'
                    status, _ = await timed(session, "GET", f"{url}/api/config", headers=address)
                answers[status] += 1

        async def clerk() -> list[float]:
            took = []
            await asyncio.sleep(1)
            while time.monotonic() < until - 1:
                status, t = await timed(session, "POST", f"{url}/api/clerk/login", json={"username": CLERK, "password": PASSWORD},
                                        headers={"X-Forwarded-For": "203.0.113.50"})
                assert status in (200, 503), status  # 503: the check queue was full at that instant
                if status == 200:
                    took.append(t)
                await asyncio.sleep(2)
            return took

        flood = [asyncio.create_task(flooder(i)) for i in range(clients)]
        loaded, own = await asyncio.gather(health_samples(session, url, until), clerk())
        await asyncio.gather(*flood)
    print(f"/healthz, quiet:            {percentiles(quiet)}")
    print(f"/healthz, during the flood: {percentiles(loaded)}")
    print(f"the clerk's own log-in:     {percentiles(own) if own else 'never answered 200'}")
    total = sum(answers.values())
    print(f"flood ({target}): {total} requests in {duration:.0f} s from {clients} addresses: "
          + ", ".join(f"{status}: {n}" for status, n in sorted(answers.items())))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=200, help="flooding clients, each from its own address")
    parser.add_argument("--duration", type=float, default=15)
    parser.add_argument("--target", choices=["login", "config"], default="login",
                        help="flood the log-in, or (for comparison) the cheap GET /api/config")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        redis, service, url = start(Path(tmp))
        try:
            print(f"service {url}; {args.clients} clients for {args.duration:.0f} s; "
                  f"HANDOFF_LOGIN_CHECK_THREADS={os.environ.get('HANDOFF_LOGIN_CHECK_THREADS', '1 (default)')}")
            asyncio.run(run(url, args.clients, min(args.duration, 120), args.target))
        finally:
            service.terminate()
            service.wait(timeout=10)
            redis.stop()


if __name__ == "__main__":
    main()
