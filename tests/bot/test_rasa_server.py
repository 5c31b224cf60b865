"""The Rasa server's launcher: the API token reaches `rasa run` whatever characters the
generated token starts with."""
from __future__ import annotations

import pytest


@pytest.mark.parametrize("token", ["-Hq3Zt0b7yXnW2kP9sLm4Vc8", "plainTokenOf24Characters"])
def test_the_token_is_read_by_rasas_own_parser(token):
    from rasa.__main__ import create_argument_parser

    from bot.rasa_server import rasa_argv

    parsed = create_argument_parser().parse_args(rasa_argv(token, ["--port", "5005"])[1:])
    assert parsed.auth_token == token and parsed.enable_api and parsed.port == 5005
