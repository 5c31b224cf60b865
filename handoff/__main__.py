"""`python -m handoff serve` runs the service; `python -m handoff seed` (re)loads data/."""
from __future__ import annotations

import argparse
import asyncio
import logging

from aiohttp import web

from .app import create_app
from .config import Settings
from .seed import seed
from .store import connect


async def _seed(settings: Settings) -> None:
    redis = await connect(settings.redis_url)
    try:
        print(await seed(redis, settings.data_dir))
    finally:
        await redis.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m handoff", description=__doc__)
    parser.add_argument("command", choices=["serve", "seed"])
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = Settings.from_env()
    if args.command == "seed":
        if not settings.redis_url:
            parser.error("seed needs REDIS_URL: the embedded store lives only inside `serve`")
        asyncio.run(_seed(settings))
    else:
        web.run_app(create_app(settings), host=settings.host, port=settings.port, access_log=None, shutdown_timeout=3)


if __name__ == "__main__":
    main()
