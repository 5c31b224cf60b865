"""The chat through its real entry point (`POST /api/chat` of the handoff service, whose relay
spreads conversations over the Rasa servers), with one Rasa server and then with two, in one
run; then, with two, one Rasa server killed in the middle of the load.

Each simulated citizen has its own chat cookie and plays scripted conversations of
tests/e2e/conversations.py one after another, every reply checked against the script (a
reply that is not the expected one, or an error, counts the conversation as lost). The
scripts played walk the booking form without booking, so that citizens racing for the same
slot do not make expected replies differ. No pause between turns (the closed loop: the
servers' capacity).

    .venv-handoff/bin/python bench/chat_servers.py --citizens 20 50 --duration 30
"""
from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from handoff import ports  # noqa: E402
from handoff.stack import Stack  # noqa: E402
from tests.e2e.conversations import RelayChatClient, ScriptFailed  # noqa: E402

PLAYED = ["invalid_afm_then_valid", "digression_in_the_form", "out_of_scope", "stop_in_the_middle",
          "change_of_mind_at_the_summary", "three_failures_lead_to_the_kep", "consent_refused",
          "not_a_kep_matter_says_who_handles_it"]


@dataclass
class Tally:
    turns: list[float] = field(default_factory=list)
    conversations: int = 0
    lost: list[str] = field(default_factory=list)


async def citizen(number: int, handoff_url: str, deadline: float, tally: Tally) -> None:
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True),
                                     timeout=aiohttp.ClientTimeout(total=60)) as session:
        client = RelayChatClient(session, "", handoff_url, "")
        played = 0
        while time.monotonic() < deadline:
            session.cookie_jar.clear()  # a new conversation: a new chat id from the service
            name = PLAYED[(number + played) % len(PLAYED)]
            played += 1
            try:
                chat = await client.play(name, "", {"bookings": []})
                tally.turns.extend(chat.latencies)
                tally.conversations += 1
            except (TimeoutError, ScriptFailed, aiohttp.ClientError) as e:
                tally.lost.append(f"{name}: {str(e).splitlines()[0][:160]}")


def percentile(values: list[float], p: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1] if len(values) > 1 else values[0]


async def load(stack: Stack, citizens: int, duration: float, kill_at: float | None = None) -> Tally:
    tally = Tally()
    started = time.monotonic()
    tasks = [asyncio.create_task(citizen(n, stack.handoff_url, started + duration, tally)) for n in range(citizens)]
    if kill_at is not None:
        await asyncio.sleep(kill_at)
        holder = ports.holder(stack.bots[1][0])
        os.kill(holder.pid, signal.SIGKILL)
        print(f"  killed the Rasa server on port {stack.bots[1][0]} (pid {holder.pid}) after {kill_at:.0f} s", flush=True)
    await asyncio.gather(*tasks)
    elapsed = time.monotonic() - started
    ms = sorted(t * 1000 for t in tally.turns)
    print(f"  citizens={citizens}: {len(ms) / elapsed:.1f} messages/s, p50 {percentile(ms, 50):.0f} ms, "
          f"p95 {percentile(ms, 95):.0f} ms, p99 {percentile(ms, 99):.0f} ms; "
          f"{tally.conversations} conversations completed, {len(tally.lost)} lost", flush=True)
    for line in tally.lost[:10]:
        print(f"    lost: {line}")
    return tally


async def warm_up(stack: Stack) -> None:
    print("  warm-up:", end="", flush=True)
    await load(stack, len(stack.bots) * 2, 5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--citizens", type=int, nargs="+", default=[20, 50])
    parser.add_argument("--duration", type=float, default=30)
    args = parser.parse_args()
    # one address sends everything here: the per-address limit is lifted
    env = {"HANDOFF_CHAT_MESSAGES_PER_MINUTE": "100000", "HANDOFF_MAX_BOOKINGS_PER_CITIZEN": "0"}
    for servers in (1, 2):
        with tempfile.TemporaryDirectory() as var, Stack(Path(var), rasa_servers=servers, extra_env=env) as stack:
            print(f"{servers} Rasa server(s), each with its own action server:", flush=True)
            asyncio.run(warm_up(stack))
            for citizens in args.citizens:
                asyncio.run(load(stack, citizens, args.duration))
            if servers == 2:
                print("a Rasa server killed during the load (the launcher restarts it):", flush=True)
                asyncio.run(load(stack, args.citizens[0], args.duration, kill_at=args.duration / 3))


if __name__ == "__main__":
    main()
