"""How the triage thresholds were chosen: `python -m bot.nlu.bands tests/data/nlu_dev.yml`.

For each pair (HIGH, MIDDLE) it prints how many questions the bot would confirm at once and
how often that top topic is right, and, for the middle band, how often the right topic is
among the three offered as buttons. The thresholds live in bot/actions/triage.py.
"""
from __future__ import annotations

import asyncio
import os
import sys

os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")


async def _ranked(path: str) -> list[tuple[str, str, float, list[str]]]:
    from rasa.core.agent import Agent
    from rasa.shared.nlu.training_data.loading import load_data

    agent = Agent.load("models/kep.tar.gz")
    rows = []
    for example in load_data(path).intent_examples:
        parsed = await agent.parse_message(example.get("text"))
        ranking = [r for r in parsed["intent_ranking"] if r["name"] != "nlu_fallback"]
        rows.append((example.get("intent"), ranking[0]["name"], ranking[0]["confidence"], [r["name"] for r in ranking[:3]]))
    return rows


def main() -> None:
    rows = asyncio.run(_ranked(sys.argv[1]))
    print("| HIGH | MIDDLE | confirmed at once | right when confirmed | buttons | right topic among buttons | topic list |")
    print("|---|---|---|---|---|---|---|")
    for high in (0.4, 0.5, 0.6):
        for middle in (0.12, 0.2):
            sure = [r for r in rows if r[2] >= high]
            unsure = [r for r in rows if middle <= r[2] < high]
            lost = [r for r in rows if r[2] < middle]
            print(f"| {high} | {middle} | {len(sure) / len(rows):.0%} | {sum(r[0] == r[1] for r in sure) / max(1, len(sure)):.1%} "
                  f"| {len(unsure) / len(rows):.0%} | {sum(r[0] in r[3] for r in unsure) / max(1, len(unsure)):.1%} "
                  f"| {len(lost) / len(rows):.0%} |")


if __name__ == "__main__":
    main()
