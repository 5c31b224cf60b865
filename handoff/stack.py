"""The whole of KEP Connect as local processes: Redis, the handoff service, the notification
worker, the bot's action server and the Rasa server, each bound to 127.0.0.1 and started in
dependency order.

One launcher for `make run` (python -m handoff.stack), the end-to-end tests and the chat
benchmark, so that what is tested is what is run. The bot lives in its own Python 3.10
virtualenv (.venv-bot); this module only starts it.
"""
from __future__ import annotations

import argparse
import functools
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from .config import PROJECT_ROOT
from .redis_server import RedisServer, free_port

BOT_VENV = PROJECT_ROOT / ".venv-bot"
MODEL = PROJECT_ROOT / "models" / "kep.tar.gz"
LOCAL = "127.0.0.1"


SECRETS = {
    "HANDOFF_SECRET_KEY": lambda: secrets.token_urlsafe(32),
    "HANDOFF_SERVICE_TOKEN": lambda: secrets.token_urlsafe(32),
    "RASA_TOKEN": lambda: secrets.token_urlsafe(32),
    "HANDOFF_DEMO_PASSWORD": lambda: "kep-" + secrets.token_hex(4),  # the demo console accounts'
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


@dataclass
class Stack:
    var_dir: Path
    handoff_port: int = field(default_factory=free_port)
    actions_port: int = field(default_factory=free_port)
    rasa_port: int = field(default_factory=free_port)
    redis_url: str | None = None  # an existing Redis; else one is started (or the embedded store)
    redis_port: int | None = None
    extra_env: dict[str, str] = field(default_factory=dict)
    _processes: list[subprocess.Popen] = field(default_factory=list, init=False)
    _redis: RedisServer | None = field(default=None, init=False)

    @property
    def handoff_url(self) -> str:
        return f"http://{LOCAL}:{self.handoff_port}"

    @property
    def rasa_url(self) -> str:
        return f"http://{LOCAL}:{self.rasa_port}"

    @functools.cached_property
    def secrets(self) -> dict[str, str]:
        return load_secrets(self.var_dir / "secrets.env")

    def _env(self) -> dict[str, str]:
        env = {**os.environ, **self.secrets, **self.extra_env, "RASA_TELEMETRY_ENABLED": "false"}
        env.update(
            HANDOFF_HOST=LOCAL,
            HANDOFF_PORT=str(self.handoff_port),
            HANDOFF_URL=self.handoff_url,
            HANDOFF_RASA_URL=self.rasa_url,
            ACTION_ENDPOINT_URL=f"http://{LOCAL}:{self.actions_port}/webhook",
            SANIC_HOST=LOCAL,
            PYTHONPATH=str(PROJECT_ROOT),
        )
        env.setdefault("HANDOFF_PUBLIC_URL", self.handoff_url)
        env.setdefault("HANDOFF_OUTBOX_DIR", str(self.var_dir / "outbox"))
        if self.redis_url:
            env["REDIS_URL"] = self.redis_url
        else:
            env.pop("REDIS_URL", None)
        return env

    def _spawn(self, name: str, command: list[str]) -> None:
        log = open(self.var_dir / f"{name}.log", "ab")  # noqa: SIM115 - owned by the child
        self._processes.append(
            subprocess.Popen(command, cwd=PROJECT_ROOT, env=self._env(), stdout=log, stderr=subprocess.STDOUT,
                             start_new_session=True)
        )

    def _wait(self, name: str, url: str, timeout: float, headers: dict[str, str] | None = None) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._processes[-1].poll() is not None:
                raise RuntimeError(f"{name} exited; see {self.var_dir / (name + '.log')}")
            try:
                with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=1) as resp:
                    if resp.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"{name} did not start within {timeout:.0f} s; see {self.var_dir / (name + '.log')}")

    def start(self) -> Stack:
        self.var_dir.mkdir(parents=True, exist_ok=True)
        if not MODEL.exists():
            raise RuntimeError(f"{MODEL} is missing: run `make train`")
        try:
            if self.redis_url is None and shutil.which("redis-server"):
                self._redis = RedisServer(self.var_dir / "redis", self.redis_port).start()
                self.redis_url = self._redis.url
            self._spawn("handoff", [sys.executable, "-m", "handoff", "serve"])
            self._wait("handoff", f"{self.handoff_url}/healthz", 30)
            if self.redis_url:  # with the embedded store the service delivers notifications itself
                self._spawn("notify", [sys.executable, "-m", "handoff", "notify"])
            self._spawn("actions", [str(BOT_VENV / "bin" / "python"), "-m", "rasa_sdk", "--actions", "bot.actions",
                                    "--port", str(self.actions_port)])
            self._wait("actions", f"http://{LOCAL}:{self.actions_port}/health", 60)
            self._spawn("rasa", [
                str(BOT_VENV / "bin" / "rasa"), "run", "--enable-api", "--auth-token", self.secrets["RASA_TOKEN"],
                "--model", str(MODEL), "--endpoints", "bot/endpoints.yml", "--credentials", "bot/credentials.yml",
                "--interface", LOCAL, "--port", str(self.rasa_port),
            ])
            self._wait("rasa", f"{self.rasa_url}/status?token={self.secrets['RASA_TOKEN']}", 120)
        except BaseException:
            self.stop()
            raise
        return self

    def running(self) -> bool:
        return bool(self._processes) and all(p.poll() is None for p in self._processes)

    def stop(self) -> None:
        for process in reversed(self._processes):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self._processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        self._processes.clear()
        if self._redis:
            self._redis.stop()
            self._redis = None

    def __enter__(self) -> Stack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _notification_transports(var_dir: Path) -> str:
    email = f"e-mail by SMTP ({os.environ['HANDOFF_SMTP_HOST']})" if os.environ.get("HANDOFF_SMTP_HOST") else None
    sms = "SMS by the gateway" if os.environ.get("HANDOFF_SMS_URL") else None
    files = [name for name, real in (("e-mail", email), ("SMS", sms)) if not real]
    parts = [p for p in (email, sms) if p]
    if files:
        outbox = os.environ.get("HANDOFF_OUTBOX_DIR", str(var_dir / "outbox"))
        parts.append(f"{' and '.join(files)} written to {outbox}/ (one file each; README: turning on SMTP and SMS)")
    return "; ".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m handoff.stack", description="Run all of KEP Connect locally.")
    parser.add_argument("--var", type=Path, default=PROJECT_ROOT / "var")
    args = parser.parse_args()
    stack = Stack(
        args.var,
        handoff_port=int(os.environ.get("HANDOFF_PORT", 8080)),
        actions_port=int(os.environ.get("ACTIONS_PORT", 5055)),
        rasa_port=int(os.environ.get("RASA_PORT", 5005)),
        redis_url=os.environ.get("REDIS_URL"),
        redis_port=int(os.environ.get("REDIS_PORT", 6379)),
    )
    print("Starting Redis, the handoff service, the notification worker, the action server and Rasa "
          "(about a minute)…", flush=True)
    stack.start()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"""
KEP Connect is running (Ctrl-C to stop). Logs in {args.var}/.
  Citizen chat       {stack.handoff_url}/
  Chat (Rasa REST)   POST {stack.rasa_url}/webhooks/rest/webhook  {{"sender": "…", "message": "…"}}
  Clerk console      {stack.handoff_url}/clerk
                     demo users: the clerk ids of data/clerks.yml (e.g. ath-alexiou) and "supervisor",
                     password {stack.secrets["HANDOFF_DEMO_PASSWORD"]}
  Handoff API        {stack.handoff_url}/api/topics
  OpenAPI document   {stack.handoff_url}/api/openapi.json
  Redis              {stack.redis_url or "embedded (NOTHING WILL PERSIST: apt-get install -y redis-server)"}
  Messages to citizens  {_notification_transports(args.var)}
  Secrets            {args.var}/secrets.env (service token, Rasa API token)
""", flush=True)
    try:
        while stack.running():
            time.sleep(1)
        print("A component stopped; see the logs. Stopping the rest.", file=sys.stderr)
    except KeyboardInterrupt:
        pass
    finally:
        stack.stop()


if __name__ == "__main__":
    main()
