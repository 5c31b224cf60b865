"""A real SMTP server on a free loopback port (aiosmtpd, in its own thread) that keeps every
message it accepts: the notification tests and the notification bench send to it."""
from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.parser import BytesHeaderParser

from aiosmtpd.controller import Controller

from handoff.redis_server import free_port


class MailSink:
    """`messages` in arrival order (`arrived_at`: time.time() of each). Stop it and start it
    again on the same port to play a server that is down for a while. `on_message` runs as a
    message is accepted, before the server answers (a test can kill the sender there)."""

    def __init__(self, port: int | None = None, on_message: Callable[[bytes], None] | None = None):
        self.port = port or free_port()
        self.on_message = on_message
        self.raw: list[bytes] = []
        self.arrived_at: list[float] = []
        self._parsed: list[EmailMessage] = []
        self._lock = threading.Lock()
        self._controller: Controller | None = None

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - aiosmtpd's hook name
        with self._lock:
            self.raw.append(envelope.original_content or envelope.content)
            self.arrived_at.append(time.time())
        if self.on_message:
            self.on_message(self.raw[-1])
        return "250 Message accepted for delivery"

    @property
    def messages(self) -> list[EmailMessage]:
        """Parsed as a mail program would (parsed when asked: the server itself stays fast)."""
        with self._lock:
            raw = self.raw[len(self._parsed):]
        self._parsed.extend(message_from_bytes(r, policy=policy.default) for r in raw)
        return list(self._parsed)

    def headers(self, name: str) -> list[str]:
        """One header of every message, in arrival order (cheap: headers only)."""
        with self._lock:
            raw = list(self.raw)
        parser = BytesHeaderParser()
        return [parser.parsebytes(r)[name] for r in raw]

    def start(self) -> MailSink:
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller:
            self._controller.stop()
            self._controller = None

    def message_ids(self) -> list[str]:
        return self.headers("Message-ID")

    def mailbox(self) -> dict[str, EmailMessage]:
        """What a mailbox that keeps one message per Message-ID shows."""
        return {m["Message-ID"]: m for m in self.messages}

    async def wait_for(self, count: int, timeout: float = 10) -> None:
        deadline = time.monotonic() + timeout
        while len(self.raw) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"{len(self.raw)} of {count} e-mails arrived in {timeout} s")
            await asyncio.sleep(0.05)


def main() -> None:
    """`python -m tests.handoff.mail_sink PORT LOG`: a sink in its own process (the bench), one
    line per accepted message in LOG: arrival time, To, Message-ID (tab-separated)."""
    import sys

    port, log_path = int(sys.argv[1]), sys.argv[2]
    parser = BytesHeaderParser()
    with open(log_path, "a", buffering=1, encoding="utf-8") as log:
        def record(raw: bytes) -> None:
            headers = parser.parsebytes(raw)
            log.write(f"{time.time()}\t{headers['To']}\t{headers['Message-ID']}\n")

        sink = MailSink(port, on_message=record)
        sink.start()
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass
        finally:
            sink.stop()


if __name__ == "__main__":
    main()
