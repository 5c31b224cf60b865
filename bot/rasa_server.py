"""`rasa run` with its HTTP API token read from the environment (RASA_TOKEN), so that the token
is not on a command line (where `ps` shows it to every user of the machine). The remaining
arguments are `rasa run`'s own.

    RASA_TOKEN=… python -m bot.rasa_server --model models --endpoints bot/endpoints.yml …
"""
from __future__ import annotations

import os
import sys


def rasa_argv(token: str, args: list[str]) -> list[str]:
    """`rasa run`'s arguments. The token joined to its option: a generated token may start with
    «-», which the parser would otherwise take for an option of its own."""
    return ["rasa", "run", "--enable-api", f"--auth-token={token}", *args]


def main() -> None:
    token = os.environ.get("RASA_TOKEN", "")
    if len(token) < 16:
        sys.exit("RASA_TOKEN is not set (16+ characters): Rasa's HTTP API would be open to anyone")
    # Changing sys.argv inside the process leaves /proc/<pid>/cmdline as it was started.
    sys.argv = rasa_argv(token, sys.argv[1:])
    from rasa.__main__ import main as rasa_main

    rasa_main()


if __name__ == "__main__":
    main()
