"""A real SMTP server on a free loopback port (aiosmtpd, in its own thread) that keeps every
message it accepts: the notification tests and the notification bench send to it."""
from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller

from handoff.redis_server import free_port


class MailSink:
    """`messages` in arrival order (`arrived_at`: time.time() of each). Stop it and start it
    again on the same port to play a server that is down for a while. `on_message` runs as a
    message is accepted, before the server answers (a test can kill the sender there)."""

    def __init__(self, port: int | None = None, on_message: Callable[[EmailMessage], None] | None = None):
        self.port = port or free_port()
        self.on_message = on_message
        self.messages: list[EmailMessage] = []
        self.arrived_at: list[float] = []
        self._lock = threading.Lock()
        self._controller: Controller | None = None

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - aiosmtpd's hook name
        message = message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
        with self._lock:
            self.messages.append(message)
            self.arrived_at.append(time.time())
        if self.on_message:
            self.on_message(message)
        return "250 Message accepted for delivery"

    def start(self) -> MailSink:
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller:
            self._controller.stop()
            self._controller = None

    def message_ids(self) -> list[str]:
        with self._lock:
            return [m["Message-ID"] for m in self.messages]

    def mailbox(self) -> dict[str, EmailMessage]:
        """What a mailbox that keeps one message per Message-ID shows."""
        with self._lock:
            return {m["Message-ID"]: m for m in self.messages}

    async def wait_for(self, count: int, timeout: float = 10) -> None:
        deadline = time.monotonic() + timeout
        while len(self.messages) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"{len(self.messages)} of {count} e-mails arrived in {timeout} s")
            await asyncio.sleep(0.05)
