"""`python -m handoff serve` runs the service; `python -m handoff notify` a notification worker
(any number of them); `python -m handoff seed` (re)loads data/."""
from __future__ import annotations

import argparse
import asyncio
import logging
import signal

from aiohttp import web

from . import logs
from .app import create_app
from .config import Settings
from .notify_worker import run_worker
from .seed import seed
from .store import connect


async def _seed(settings: Settings) -> None:
    redis = await connect(settings.redis_url)
    try:
        print(await seed(redis, settings.data_dir))
    finally:
        await redis.aclose()


async def _notify(settings: Settings) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await run_worker(settings, stop)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m handoff", description=__doc__)
    parser.add_argument("command", choices=["serve", "notify", "seed"])
    args = parser.parse_args()
    if args.command == "seed":
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    else:
        logs.configure()  # JSON lines, with the request id
    settings = Settings.from_env()
    if args.command in ("seed", "notify") and not settings.redis_url:
        parser.error(f"{args.command} needs REDIS_URL: the embedded store lives only inside `serve` "
                     "(which then delivers notifications itself)")
    if args.command == "seed":
        asyncio.run(_seed(settings))
    elif args.command == "notify":
        asyncio.run(_notify(settings))
    else:
        web.run_app(create_app(settings), host=settings.host, port=settings.port, access_log=None, shutdown_timeout=3)


if __name__ == "__main__":
    main()
