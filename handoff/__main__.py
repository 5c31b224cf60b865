"""`python -m handoff serve` runs the service; `python -m handoff notify` a notification worker
(any number of them); `python -m handoff seed` (re)loads data/; `python -m handoff accounts …`
manages the console accounts."""
from __future__ import annotations

import argparse
import asyncio
import gc
import getpass
import logging
import signal
import sys

import uvloop
from aiohttp import web

from bot import request_logs

from .account_admin import AccountAdmin
from .accounts import Role
from .app import create_app
from .appointments import utc_now
from .config import Settings
from .errors import DomainError, InvalidFields
from .notify_worker import run_worker
from .retention import PersonalData
from .seed import seed, seed_if_empty
from .slots import SlotRules
from .store import connect


async def _seed(settings: Settings) -> None:
    redis = await connect(settings.redis_url)
    try:
        print(await seed(redis, settings.data_dir, SlotRules.from_settings(settings), utc_now()))
    finally:
        await redis.aclose()


async def _notify(settings: Settings) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await run_worker(settings, stop)


async def _settle_heap(app: web.Application) -> None:
    """What is loaded at start-up (the modules, the app, the codecs) lives as long as the
    process: moved out of the collector's reach, a full collection no longer walks it and stops
    the event loop for ~50 ms under load (measured with `bench/booking_load.py`)."""
    gc.collect()
    gc.freeze()


def _new_password() -> str:
    """The new password from standard input: typed twice at a terminal, else its first line
    (so it never appears on a command line or in the shell's history)."""
    if sys.stdin.isatty():
        first = getpass.getpass("Νέος κωδικός: ")
        if getpass.getpass("Ξανά ο νέος κωδικός: ") != first:
            raise InvalidFields({"password": ("passwords_differ", "Οι δύο κωδικοί διαφέρουν.")})
        return first
    return sys.stdin.readline().rstrip("\r\n")


async def _accounts(settings: Settings, args: argparse.Namespace) -> int:
    redis = await connect(settings.redis_url)
    admin = AccountAdmin(redis)
    try:
        await seed_if_empty(redis, settings.data_dir, SlotRules.from_settings(settings), utc_now())  # the roster and branches accounts refer to
        if args.action == "add":
            account = await admin.add(args.username, Role(args.role), _new_password(), args.branch, args.clerk_id, args.name)
            print(f"added {account.username} ({account.role}, branch {account.branch or 'all'}"
                  f"{', clerk ' + account.clerk_id if account.clerk_id else ''})")
        elif args.action == "set-password":
            print(f"new password set for {(await admin.set_password(args.username, _new_password())).username}")
        elif args.action == "disable":
            print(f"disabled {(await admin.disable(args.username)).username}")
        elif args.action == "enable":
            print(f"enabled {(await admin.enable(args.username)).username}")
        else:
            for a in await admin.all():
                print(f"{a.username}\t{a.role}\t{a.branch or '*'}\t{a.clerk_id or '-'}\t{'disabled' if a.disabled else 'active'}\t{a.name}")
        return 0
    except DomainError as e:
        details = [m for _, m in e.errors.values()] if isinstance(e, InvalidFields) else [e.message]
        print("\n".join(details), file=sys.stderr)
        return 1
    finally:
        await redis.aclose()


async def _erase(settings: Settings, args: argparse.Namespace) -> int:
    redis = await connect(settings.redis_url)
    personal_data = PersonalData(redis, utc_now, settings.retention_days)
    try:
        bookings = await personal_data.bookings_of(afm=args.afm or "", amka=args.amka or "", reference=args.reference or "")
        report = await personal_data.erase_on_request(bookings, args.basis)
    finally:
        await redis.aclose()
    print(f"erased the personal data of {len(report.erased)} booking(s): {', '.join(report.erased) or '-'}")
    if report.still_active:
        print(f"NOT erased, still to take place (cancel them first; the citizen is told): {', '.join(report.still_active)}",
              file=sys.stderr)
        return 2
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m handoff", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("serve", help="run the service")
    commands.add_parser("notify", help="run a notification worker")
    commands.add_parser("seed", help="(re)load data/ into Redis")
    accounts = commands.add_parser("accounts", help="console accounts").add_subparsers(dest="action", required=True)
    add = accounts.add_parser("add", help="a new account; its password is read from standard input")
    add.add_argument("username")
    add.add_argument("--role", required=True, choices=[r.value for r in Role])
    add.add_argument("--branch", help="a supervisor's branch (a clerk's comes from the roster)")
    add.add_argument("--clerk-id", help="a clerk's entry in data/clerks.yml")
    add.add_argument("--name", help="the name the console shows (default: the clerk's, else the username)")
    for action, text in (("set-password", "a new password, read from standard input"),
                         ("disable", "the account can no longer log in"), ("enable", "undo disable")):
        accounts.add_parser(action, help=text).add_argument("username")
    accounts.add_parser("list", help="every account, one a line")
    erase = commands.add_parser("erase", help="erase a citizen's personal data from their bookings now (recorded)")
    which = erase.add_mutually_exclusive_group(required=True)
    which.add_argument("--afm")
    which.add_argument("--amka")
    which.add_argument("--reference")
    erase.add_argument("--basis", default="request of the data subject", help="why (kept in the erasure record)")
    return parser


def main() -> None:
    parser = _parser()
    args = parser.parse_args()
    if args.command in ("seed", "accounts", "erase"):
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    else:
        request_logs.configure()  # JSON lines, with the request id
    settings = Settings.from_env()
    if args.command in ("seed", "notify", "accounts", "erase") and not settings.redis_url:
        parser.error(f"{args.command} needs REDIS_URL: the embedded store lives only inside `serve` "
                     "(which then delivers notifications itself)")
    if args.command == "seed":
        asyncio.run(_seed(settings))
    elif args.command == "notify":
        asyncio.run(_notify(settings))
    elif args.command == "accounts":
        sys.exit(asyncio.run(_accounts(settings, args)))
    elif args.command == "erase":
        sys.exit(asyncio.run(_erase(settings, args)))
    else:
        app = create_app(settings)
        app.on_startup.append(_settle_heap)
        logging.getLogger("handoff").info("Serving on http://%s:%d", settings.host, settings.port)
        web.run_app(app, host=settings.host, port=settings.port, access_log=None, shutdown_timeout=3,
                    loop=uvloop.new_event_loop(), print=None)  # JSON lines only, not aiohttp's banner


if __name__ == "__main__":
    main()
