"""The whole of KEP Connect as local processes: Redis, the handoff service, the notification
worker, the bot's action server and the Rasa server, each bound to 127.0.0.1, started in
dependency order and supervised (handoff/supervisor.py): a component that stops is restarted,
and none outlives the launcher.

One launcher for `make run` (python -m handoff.stack), the end-to-end tests and the chat
benchmark, so that what is tested is what is run. The bot lives in its own Python 3.10
virtualenv (.venv-bot); this module only starts it.
"""
from __future__ import annotations

import argparse
import contextlib
import functools
import logging
import os
import secrets
import shutil
import signal
import sys
import threading
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

import yaml

from . import balancer
from .config import PROJECT_ROOT
from .redis_server import RedisServer, free_port
from .supervisor import STOP_SIGNALS, Component, Interrupted, PortInUse, StartFailed, Supervisor, log

BOT_VENV = PROJECT_ROOT / ".venv-bot"
MODEL = PROJECT_ROOT / "models" / "kep.tar.gz"
LOCAL = "127.0.0.1"


SECRETS = {
    "HANDOFF_SECRET_KEY": lambda: secrets.token_urlsafe(32),
    "HANDOFF_SERVICE_TOKEN": lambda: secrets.token_urlsafe(32),
    "RASA_TOKEN": lambda: secrets.token_urlsafe(32),
    "ACTIONS_TOKEN": lambda: secrets.token_urlsafe(32),  # Rasa → action server (bot/actions/server.py)
}


def load_secrets(path: Path) -> dict[str, str]:
    """Local secrets, generated once (any missing one is added) and kept out of the repository."""
    values = dict(line.split("=", 1) for line in path.read_text().split() if "=" in line) if path.exists() else {}
    missing = {name: make() for name, make in SECRETS.items() if name not in values}
    if missing:
        path.parent.mkdir(parents=True, exist_ok=True)
        values |= missing
        path.write_text("".join(f"{k}={v}\n" for k, v in values.items()))
        path.chmod(0o600)
    return values


# Rasa holds a conversation's lock (in Redis) while it handles a message, ~1 s at most; a lock
# left by a killed server frees after this long, so the next server continues the conversation
# while the chat relay waits for it (Rasa's default is 60 s).
TICKET_LOCK_SECONDS = "5"
RASA_ENDPOINTS = PROJECT_ROOT / "bot" / "endpoints.yml"  # the deployment's; this launcher fills it in per run


def rasa_endpoints(action_url: str, redis_url: str | None, db: int) -> dict:
    """Rasa's endpoints for this run: the deployment's file with the stack's addresses. The
    conversations (tracker store) and their locks go to the stack's Redis, database `db`; the
    password stays out of the file (`${RASA_REDIS_PASSWORD}`, set in Rasa's environment)."""
    endpoints = yaml.safe_load(RASA_ENDPOINTS.read_text())
    endpoints["action_endpoint"]["url"] = action_url
    stores = ("tracker_store", "lock_store")
    if redis_url is None:  # the embedded store: conversations stay in Rasa's memory
        for name in stores:
            endpoints.pop(name)
        return endpoints
    url = urlsplit(redis_url)
    for name in stores:
        endpoints[name].update(url=url.hostname or LOCAL, port=url.port or 6379, db=db)
        if not url.password:
            endpoints[name].pop("password")
    return endpoints


@dataclass
class Stack:
    var_dir: Path
    handoff_port: int = field(default_factory=free_port)
    actions_port: int = field(default_factory=free_port)
    rasa_port: int = field(default_factory=free_port)
    redis_url: str | None = None  # an existing Redis; else one is started (or the embedded store)
    redis_port: int | None = None
    rasa_redis_db: int = 1  # the conversations' database in that Redis
    rasa_servers: int = 1  # Rasa servers, each with its own action server
    extra_ports: list[tuple[int, int]] = field(default_factory=list)  # (rasa, actions) of servers 2…N; free ones if short
    replicas: int = 1  # handoff processes; more than one: behind HAProxy on handoff_port
    replica_ports: list[int] = field(default_factory=list)  # theirs; free ones if short
    extra_env: dict[str, str] = field(default_factory=dict)
    demo_accounts: bool = False  # make run: console accounts for the demo, new passwords each start
    stop_requested: threading.Event | None = None  # set (by a signal handler): the start gives up
    _supervisor: Supervisor | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self.extra_ports += [(free_port(), free_port()) for _ in range(self.rasa_servers - 1 - len(self.extra_ports))]
        if self.replicas > 1:
            self.replica_ports += [free_port() for _ in range(self.replicas - len(self.replica_ports))]

    @property
    def handoff_url(self) -> str:
        return f"http://{LOCAL}:{self.handoff_port}"

    @property
    def rasa_url(self) -> str:
        return f"http://{LOCAL}:{self.rasa_port}"

    @property
    def demo_accounts_file(self) -> Path:
        return self.var_dir / "demo-accounts.txt"

    def demo_logins(self) -> list[list[str]]:
        """(username, password, role, branch) of each demo account, as the service wrote them."""
        if not self.demo_accounts or not self.demo_accounts_file.exists():
            return []
        return [line.split("\t") for line in self.demo_accounts_file.read_text(encoding="utf-8").splitlines() if line]

    @property
    def bots(self) -> list[tuple[int, int]]:
        """(Rasa port, action server port) of each Rasa server."""
        return [(self.rasa_port, self.actions_port), *self.extra_ports[:self.rasa_servers - 1]]

    @property
    def rasa_urls(self) -> list[str]:
        return [f"http://{LOCAL}:{rasa}" for rasa, _ in self.bots]

    @functools.cached_property
    def secrets(self) -> dict[str, str]:
        return load_secrets(self.var_dir / "secrets.env")

    def _env(self) -> dict[str, str]:
        env = {**os.environ, **self.secrets, **self.extra_env, "RASA_TELEMETRY_ENABLED": "false"}
        env.update(
            HANDOFF_HOST=LOCAL,
            HANDOFF_PORT=str(self.handoff_port),
            HANDOFF_URL=self.handoff_url,
            HANDOFF_RASA_URL=",".join(self.rasa_urls),
            SANIC_HOST=LOCAL,
            TICKET_LOCK_LIFETIME=TICKET_LOCK_SECONDS,
            PYTHONPATH=str(PROJECT_ROOT),
        )
        env.setdefault("HANDOFF_PUBLIC_URL", self.handoff_url)
        env.setdefault("HANDOFF_OUTBOX_DIR", str(self.var_dir / "outbox"))
        env.pop("HANDOFF_DEMO_ACCOUNTS_FILE", None)
        if self.demo_accounts:
            env["HANDOFF_DEMO_ACCOUNTS_FILE"] = str(self.demo_accounts_file)
        if self.redis_url:
            env["REDIS_URL"] = self.redis_url
            env["RASA_REDIS_PASSWORD"] = unquote(urlsplit(self.redis_url).password or "")
        else:
            env.pop("REDIS_URL", None)
        return env

    def _components(self) -> list[list[Component]]:
        """What runs, in groups that start in this order (each needs the ones before it)."""
        groups = []
        if self.redis_url is None and shutil.which("redis-server"):
            redis = RedisServer(self.var_dir / "redis", self.redis_port)
            self.redis_url = redis.url
            groups.append([Component("redis", redis.command, redis.answers, redis.port, 10)])
        groups += self._handoff_components()
        if self.redis_url:  # with the embedded store the service delivers notifications itself
            groups.append([Component("notify", [sys.executable, "-m", "handoff", "notify"], lambda: True)])
        token = self.secrets["RASA_TOKEN"]
        actions, rasas = [], []
        for number, (rasa_port, actions_port) in enumerate(self.bots, 1):
            suffix = "" if number == 1 else f"-{number}"
            endpoints = self.var_dir / f"endpoints{suffix}.yml"
            endpoints.write_text(yaml.safe_dump(
                rasa_endpoints(f"http://{LOCAL}:{actions_port}/webhook", self.redis_url, self.rasa_redis_db),
                sort_keys=False))
            actions.append(Component(f"actions{suffix}", [str(BOT_VENV / "bin" / "python"), "-m", "bot.actions.server",
                                                          "--port", str(actions_port)],
                                     _answers(f"http://{LOCAL}:{actions_port}/health"), actions_port, 60))
            rasas.append(Component(f"rasa{suffix}", [
                str(BOT_VENV / "bin" / "python"), "-m", "bot.rasa_server",  # the API token from RASA_TOKEN
                "--model", str(MODEL), "--endpoints", str(endpoints), "--credentials", "bot/credentials.yml",
                "--interface", LOCAL, "--port", str(rasa_port),
            ], _answers(f"http://{LOCAL}:{rasa_port}/status?token={token}"), rasa_port, 120))
        return [*groups, actions, rasas]

    def _handoff_components(self) -> list[list[Component]]:
        """One handoff process on handoff_port; or N on their own ports, the first one alone
        (it seeds the store and makes the demo accounts), then HAProxy on handoff_port."""
        serve = [sys.executable, "-m", "handoff", "serve"]
        if self.replicas == 1:
            return [[Component("handoff", serve, _answers(f"{self.handoff_url}/healthz"), self.handoff_port, 30)]]
        ports = self.replica_ports[:self.replicas]
        replicas = [
            Component(f"handoff-{n}", serve, _answers(f"http://{LOCAL}:{port}/healthz"), port, 30,
                      env={"HANDOFF_PORT": str(port), "HANDOFF_TRUSTED_PROXIES": LOCAL,
                           **({} if n == 1 else {"HANDOFF_DEMO_ACCOUNTS_FILE": ""})})
            for n, port in enumerate(ports, 1)
        ]
        config = self.var_dir / "haproxy.cfg"
        config.write_text(balancer.local_config(self.handoff_port, ports))
        haproxy = Component("haproxy", [shutil.which("haproxy") or "haproxy", "-f", str(config), "-db"],
                            _answers(f"{self.handoff_url}/healthz"), self.handoff_port, 10)
        return [replicas[:1], replicas[1:], [haproxy]]

    def start(self) -> Stack:
        """Start everything in order; any failure (or a stop asked for meanwhile) stops what
        had started. Raises PortInUse before starting anything when a port is taken."""
        self.var_dir.mkdir(parents=True, exist_ok=True)
        self.var_dir.chmod(0o700)  # logs, secrets, Redis's files, messages to citizens: this user's only
        if not MODEL.exists():
            raise RuntimeError(f"{MODEL} is missing: run `make train`")
        if self.demo_accounts:  # new passwords at every launch; a restarted handoff process keeps them
            self.demo_accounts_file.unlink(missing_ok=True)
        self._supervisor = Supervisor(self.var_dir, PROJECT_ROOT, self._env, self.stop_requested)
        try:
            groups = self._components()
            self._supervisor.check_ports([c for group in groups for c in group])
            for group in groups:
                self._supervisor.start(*group)
            self._supervisor.watch()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        if self._supervisor is not None:
            self._supervisor.stop()

    def __enter__(self) -> Stack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _answers(url: str) -> Callable[[], bool]:
    def probe() -> bool:
        try:
            with urllib.request.urlopen(url, timeout=1) as resp:
                return resp.status == 200
        except OSError:
            return False
    return probe


def _notification_transports(var_dir: Path) -> str:
    email = f"e-mail by SMTP ({os.environ['HANDOFF_SMTP_HOST']})" if os.environ.get("HANDOFF_SMTP_HOST") else None
    sms = "SMS by the gateway" if os.environ.get("HANDOFF_SMS_URL") else None
    files = [name for name, real in (("e-mail", email), ("SMS", sms)) if not real]
    parts = [p for p in (email, sms) if p]
    if files:
        outbox = os.environ.get("HANDOFF_OUTBOX_DIR", str(var_dir / "outbox"))
        parts.append(f"{' and '.join(files)} written to {outbox}/ (one file each; README: turning on SMTP and SMS)")
    return "; ".join(parts)


def _demo_logins_table(stack: Stack) -> str:
    logins = stack.demo_logins()
    if not logins:
        return "                     no demo accounts: python -m handoff accounts add USERNAME --role …"
    rows = [f"                     {user:<24} {password:<18} {role:<10} {branch}" for user, password, role, branch in logins]
    return ("                     demo accounts (new passwords at every start; also in "
            f"{stack.demo_accounts_file}):\n" + "\n".join(rows))


def _handoff_processes(stack: Stack) -> str:
    if stack.replicas == 1:
        return f"one, on {stack.handoff_url}"
    ports = ", ".join(str(p) for p in stack.replica_ports)
    return f"{stack.replicas} (ports {ports}) behind HAProxy on {stack.handoff_url} (var/haproxy.cfg)"


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m handoff.stack", description="Run all of KEP Connect locally.")
    parser.add_argument("--var", type=Path, default=PROJECT_ROOT / "var")
    parser.add_argument("--no-demo", action="store_true",
                        help="no demo console accounts (create real ones with `python -m handoff accounts add`)")
    parser.add_argument("--replicas", type=int, default=1,
                        help="handoff processes on HANDOFF_PORT+1…N behind HAProxy on HANDOFF_PORT; "
                             "as many Rasa servers unless --rasa-servers says otherwise")
    parser.add_argument("--rasa-servers", type=int, default=int(os.environ.get("RASA_SERVERS", 0)),
                        help="Rasa servers, each with its own action server, on RASA_PORT+i and ACTIONS_PORT+i")
    args = parser.parse_args()
    args.rasa_servers = args.rasa_servers or args.replicas
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    stop = threading.Event()

    def request_stop(signum: int, _frame: object) -> None:  # never raises: nothing is cut short
        if not stop.is_set():
            log.info("%s: stopping", signal.Signals(signum).name)
        stop.set()

    for sig in STOP_SIGNALS:
        signal.signal(sig, request_stop)
    rasa_port, actions_port = int(os.environ.get("RASA_PORT", 5005)), int(os.environ.get("ACTIONS_PORT", 5055))
    handoff_port = int(os.environ.get("HANDOFF_PORT", 8080))
    stack = Stack(
        args.var,
        handoff_port=handoff_port,
        replicas=args.replicas,
        replica_ports=[handoff_port + i for i in range(1, args.replicas + 1)] if args.replicas > 1 else [],
        actions_port=actions_port,
        rasa_port=rasa_port,
        rasa_servers=args.rasa_servers,
        extra_ports=[(rasa_port + i, actions_port + i) for i in range(1, args.rasa_servers)],
        redis_url=os.environ.get("REDIS_URL"),
        redis_port=int(os.environ.get("REDIS_PORT", 6379)),
        rasa_redis_db=int(os.environ.get("RASA_REDIS_DB", 1)),
        stop_requested=stop,
        demo_accounts=not args.no_demo,
    )
    print("Starting Redis, the handoff service, the notification worker, the action server and Rasa "
          "(about a minute)…", flush=True)
    try:
        stack.start()
    except Interrupted:
        sys.exit(0)
    except PortInUse as e:
        print(f"Not started: {e} (HANDOFF_PORT, ACTIONS_PORT, RASA_PORT, REDIS_PORT)", file=sys.stderr)
        sys.exit(2)
    except StartFailed as e:
        print(f"Not started: {e}", file=sys.stderr)
        sys.exit(2)
    with contextlib.suppress(OSError):  # stdout may be a closed pipe by now
        print(f"""
KEP Connect is running (Ctrl-C to stop). Logs in {args.var}/.
  Citizen chat       {stack.handoff_url}/
  Chat (Rasa REST)   POST {stack.rasa_url}/webhooks/rest/webhook  {{"sender": "…", "message": "…"}}
  Rasa servers       {", ".join(stack.rasa_urls)} (the chat page's relay spreads the conversations)
  Handoff processes  {_handoff_processes(stack)}
  Clerk console      {stack.handoff_url}/clerk
{_demo_logins_table(stack)}
  Handoff API        {stack.handoff_url}/api/topics
  OpenAPI document   {stack.handoff_url}/api/openapi.json
  Metrics            {stack.handoff_url}/metrics (Prometheus)
  Redis              {stack.redis_url or "embedded (NOTHING WILL PERSIST: apt-get install -y redis-server)"}
  Messages to citizens  {_notification_transports(args.var)}
  Secrets            {args.var}/secrets.env (service token, Rasa API token)
A component that stops is restarted (logged here); the others keep serving.
""", flush=True)
    try:
        while not stop.wait(1):
            pass
    finally:
        stack.stop()
        log.info("stopped")

if __name__ == "__main__":
    main()
