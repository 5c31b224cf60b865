"""Chat turn latency with many citizens at once, actions and booking API included.

Starts the whole stack (handoff.stack: Redis, handoff service, action server, Rasa) on free
loopback ports, then runs N concurrent citizens, each playing the scripted conversations of
tests/e2e/conversations.py one after another until the time is up. Every turn is timed
from the POST to Rasa's REST channel to the complete reply. Citizens pause --think seconds
between turns (people read and type); --think 0 is the closed-loop worst case.

    .venv-handoff/bin/python bench/chat_latency.py --citizens 20 --duration 60 --think 1
"""
from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from handoff.stack import Stack  # noqa: E402
from tests.e2e.conversations import ChatClient  # noqa: E402

# Conversations that stand alone (cancel/reschedule need a booking made just before).
PLAYED = ["happy_path", "time_in_greek_words", "invalid_afm_then_valid", "digression_in_the_form",
          "out_of_scope", "stop_in_the_middle", "change_of_mind_at_the_summary"]


class ThinkingClient(ChatClient):
    def __init__(self, *args, think: float):
        super().__init__(*args)
        self._think = think

    async def send(self, chat, text):
        if self._think and chat.latencies:
            await asyncio.sleep(random.uniform(0.5, 1.5) * self._think)
        await super().send(chat, text)


async def citizen(client: ChatClient, deadline: float, turns: list[float], outcomes: dict[str, int]) -> None:
    while time.monotonic() < deadline:
        name = random.choice(PLAYED)
        chat = await client.play(name, f"bench-{uuid.uuid4().hex[:10]}", {"bookings": []}, check=False)
        turns.extend(chat.latencies)
        outcomes["conversations"] += 1
        outcomes["bookings"] += chat.booking is not None


def percentile(values: list[float], p: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1] if len(values) > 1 else values[0]


async def run(stack: Stack, citizens: int, duration: float, think: float) -> None:
    turns: list[float] = []
    outcomes = {"conversations": 0, "bookings": 0}
    connector = aiohttp.TCPConnector(limit=citizens * 2)
    async with aiohttp.ClientSession(connector=connector) as session:
        client = ThinkingClient(session, stack.rasa_url, stack.handoff_url, stack.secrets["HANDOFF_SERVICE_TOKEN"], think=think)
        await client.play("happy_path", f"warm-up-{uuid.uuid4().hex[:6]}", {"bookings": []})  # first parse, caches, connections
        started = time.monotonic()
        await asyncio.gather(*(citizen(client, started + duration, turns, outcomes) for _ in range(citizens)))
        elapsed = time.monotonic() - started
    ms = sorted(t * 1000 for t in turns)
    print(f"citizens={citizens} think={think}s duration={elapsed:.0f}s: {len(ms)} turns, {len(ms) / elapsed:.1f} messages/s, "
          f"{outcomes['conversations']} conversations, {outcomes['bookings']} bookings")
    print(f"  per turn: p50 {percentile(ms, 50):.0f} ms  p95 {percentile(ms, 95):.0f} ms  "
          f"p99 {percentile(ms, 99):.0f} ms  max {ms[-1]:.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--citizens", type=int, default=20)
    parser.add_argument("--duration", type=float, default=60)
    parser.add_argument("--think", type=float, nargs="+", default=[1.0, 0.0], help="seconds between turns; one run each")
    args = parser.parse_args()
    # every simulated citizen books as the same person: no per-citizen limit here
    with tempfile.TemporaryDirectory() as var, Stack(Path(var), extra_env={"HANDOFF_MAX_BOOKINGS_PER_CITIZEN": "0"}) as stack:
        for think in args.think:
            asyncio.run(run(stack, args.citizens, args.duration, think))


if __name__ == "__main__":
    main()
