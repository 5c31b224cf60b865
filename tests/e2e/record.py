"""`make stories`, step one: play every script against a fresh stack and save each Rasa
tracker as JSON (step two, bot/stories.py, turns them into Rasa test stories)."""
from __future__ import annotations

import asyncio
import json
import sys
import tempfile
from pathlib import Path

import aiohttp

from handoff.stack import Stack

from .conversations import SCRIPTS, ChatClient


async def record(stack: Stack, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    context: dict = {"bookings": []}
    async with aiohttp.ClientSession() as session:
        client = ChatClient(session, stack.rasa_url, stack.handoff_url, stack.secrets["HANDOFF_SERVICE_TOKEN"])
        for name in SCRIPTS:
            await client.play(name, name, context)  # a script that fails is not recorded
            url = f"{stack.rasa_url}/conversations/{name}/tracker?token={stack.secrets['RASA_TOKEN']}"
            async with session.get(url) as resp:
                (out / f"{name}.json").write_text(json.dumps(await resp.json(), ensure_ascii=False, indent=1))
            print(f"recorded {name}")


def main() -> None:
    with tempfile.TemporaryDirectory() as var, Stack(Path(var), extra_env={"HANDOFF_MAX_BOOKINGS_PER_CITIZEN": "0"}) as stack:
        asyncio.run(record(stack, Path(sys.argv[1])))


if __name__ == "__main__":
    main()
