"""`rasa run` with its HTTP API token read from the environment (RASA_TOKEN), so that the token
is not on a command line (where `ps` shows it to every user of the machine), and logging JSON
lines (`bot/request_logs.py`). The remaining arguments are `rasa run`'s own.

    RASA_TOKEN=… python -m bot.rasa_server --model models --endpoints bot/endpoints.yml …
"""
from __future__ import annotations

import argparse
import os
import sys

import pluggy

from bot import request_logs


def rasa_argv(token: str, args: list[str]) -> list[str]:
    """`rasa run`'s arguments. The token joined to its option: a generated token may start with
    «-», which the parser would otherwise take for an option of its own."""
    return ["rasa", "run", "--enable-api", f"--auth-token={token}", *args]


class JsonLogs:
    """A Rasa plugin: Rasa calls `configure_commandline` just after installing its own coloured
    text handler on the root logger (which replaces any handler of --logging-config-file)."""

    @pluggy.HookimplMarker("rasa")
    def configure_commandline(self, cmdline_arguments: argparse.Namespace) -> None:
        level = getattr(cmdline_arguments, "loglevel", None) or os.environ.get("LOG_LEVEL", "INFO")  # --debug, -v; Rasa's variable
        request_logs.configure(level)


def main() -> None:
    token = os.environ.get("RASA_TOKEN", "")
    if len(token) < 16:
        sys.exit("RASA_TOKEN is not set (16+ characters): Rasa's HTTP API would be open to anyone")
    # Changing sys.argv inside the process leaves /proc/<pid>/cmdline as it was started.
    sys.argv = rasa_argv(token, sys.argv[1:])
    request_logs.configure()  # before Rasa's imports, which warn
    from rasa.__main__ import main as rasa_main
    from rasa.plugin import plugin_manager

    plugin_manager().register(JsonLogs())
    rasa_main()


if __name__ == "__main__":
    main()
