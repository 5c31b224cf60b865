"""The whole stack for the end-to-end tests: a real Redis, the handoff service, the
notification worker (e-mail to a local SMTP server), the action server and the Rasa server
with the trained model, on free loopback ports, started once for
the module and stopped after it (handoff.stack, the launcher `make run` uses)."""
from __future__ import annotations

import uuid

import aiohttp
import pytest

from handoff.stack import MODEL, Stack
from tests.handoff.mail_sink import MailSink

from .conversations import ChatClient


@pytest.fixture(scope="session")
def mail_sink():
    """The citizens' e-mail server: the stack's notification worker sends to it."""
    sink = MailSink().start()
    yield sink
    sink.stop()


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory, mail_sink: MailSink):
    if not MODEL.exists():
        pytest.fail(f"{MODEL} is missing: run `make train`")
    smtp = {"HANDOFF_SMTP_HOST": "127.0.0.1", "HANDOFF_SMTP_PORT": str(mail_sink.port),
            "HANDOFF_SMTP_FROM": "ΚΕΠ <no-reply@kep.test>",  # SMS: files in the stack's var/outbox
            "HANDOFF_MAX_BOOKINGS_PER_CITIZEN": "0"}  # the scripts book again and again as one citizen
    with Stack(tmp_path_factory.mktemp("stack"), extra_env=smtp) as running:
        yield running


@pytest.fixture
async def client(stack: Stack):
    async with aiohttp.ClientSession() as session:
        yield ChatClient(session, stack.rasa_url, stack.handoff_url, stack.secrets["HANDOFF_SERVICE_TOKEN"])


@pytest.fixture
def sender() -> str:
    return f"citizen-{uuid.uuid4().hex[:8]}"


@pytest.fixture
async def browser():
    from tests.browser.chromium import launched

    async with launched() as chromium:
        yield chromium
