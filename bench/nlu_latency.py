"""NLU parse latency with the trained model loaded (run with .venv-bot, after `make train`).

    PYTHONPATH=. RASA_TELEMETRY_ENABLED=false .venv-bot/bin/python bench/nlu_latency.py --messages 3000

Messages are the dev questions and their variants, cycled; each is parsed on its own, as a
citizen's message would be. Prints p50/p95/p99 in milliseconds.
"""
from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from itertools import cycle, islice
from pathlib import Path

import yaml
from rasa.core.agent import Agent

ROOT = Path(__file__).resolve().parent.parent


def messages() -> list[str]:
    texts = []
    for path in sorted((ROOT / "tests" / "data").glob("nlu_*.yml")):
        for block in yaml.safe_load(path.read_text(encoding="utf-8"))["nlu"]:
            texts += [line[2:] for line in block["examples"].splitlines() if line.startswith("- ")]
    return texts


async def measure(model: Path, count: int) -> list[float]:
    agent = Agent.load(str(model))
    texts = messages()
    for text in texts[:20]:  # warm-up
        await agent.parse_message(text)
    timings = []
    for text in islice(cycle(texts), count):
        started = time.perf_counter()
        await agent.parse_message(text)
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, default=ROOT / "models" / "kep.tar.gz")
    parser.add_argument("--messages", type=int, default=3000)
    args = parser.parse_args()
    timings = sorted(asyncio.run(measure(args.model, min(args.messages, 20000))))
    pick = lambda p: timings[min(len(timings) - 1, int(p / 100 * len(timings)))]  # noqa: E731
    print(f"messages: {len(timings)}  p50={statistics.median(timings):.2f} ms  p95={pick(95):.2f} ms  "
          f"p99={pick(99):.2f} ms  max={timings[-1]:.2f} ms")


if __name__ == "__main__":
    main()
