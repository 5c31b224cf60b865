"""The ways a notification reaches a citizen, behind one small interface: `Channel.send`.

E-mail goes over SMTP (aiosmtplib), SMS through an HTTP gateway (JSON POST); without their
settings, both write one readable file per message into the outbox folder, so a newcomer sees
exactly what a citizen would receive. A provider is configuration, not code.

Every send carries the notification's idempotency key: the e-mail's Message-ID, the SMS
gateway's reference, the file's name. `dedupes` says whether sending twice with the same key
still reaches the citizen once (the worker will then resend after a crash rather than guess).
"""
from __future__ import annotations

import asyncio
import logging
import os
from dataclasses import dataclass, field
from email import encoders, message_from_bytes, policy
from email.charset import Charset
from email.header import Header
from email.message import Message
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import formataddr, formatdate, parseaddr
from enum import StrEnum
from pathlib import Path
from typing import Protocol

import aiohttp
import aiosmtplib

from .config import Settings

log = logging.getLogger(__name__)


class ChannelName(StrEnum):
    EMAIL = "email"
    SMS = "sms"


class DeliveryFailed(Exception):
    """The channel did not take the message. `permanent`: trying again will not help."""

    def __init__(self, message: str, permanent: bool = False):
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str  # e.g. "text/calendar"
    data: bytes


@dataclass(frozen=True)
class Outgoing:
    """A rendered message for one channel: SMS uses `to` and `text` only."""

    to: str
    text: str
    subject: str = ""
    html: str = ""
    attachments: tuple[Attachment, ...] = field(default_factory=tuple)


class Channel(Protocol):
    name: ChannelName
    transport: str  # smtp | sms-gateway | file
    dedupes: bool

    async def send(self, message: Outgoing, key: str) -> None:
        """Hand the message over, or raise DeliveryFailed."""

    async def close(self) -> None: ...


# --- SMS length -----------------------------------------------------------------------------

_GSM7 = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM7_EXTENDED = set("^{}\\[~]|€\f")


def sms_units(text: str) -> tuple[int, int]:
    """(characters as the network counts them, characters per segment of a long message):
    GSM-7 when every character has a GSM code, else UCS-2 (Greek lower case always is)."""
    if all(c in _GSM7 or c in _GSM7_EXTENDED for c in text):
        return sum(2 if c in _GSM7_EXTENDED else 1 for c in text), 153
    return len(text.encode("utf-16-le")) // 2, 67


def sms_segments(text: str) -> int:
    units, per_segment = sms_units(text)
    single = 160 if per_segment == 153 else 70
    return 1 if units <= single else -(-units // per_segment)


# --- e-mail ---------------------------------------------------------------------------------

def message_id(key: str, sender: str) -> str:
    """The same notification always has the same Message-ID, so mail systems that see it
    twice (a resend after a crash) can keep one."""
    domain = parseaddr(sender)[1].rpartition("@")[2] or "kep-connect.local"
    return f"<{key}@{domain}>"


def compose_email(message: Outgoing, key: str, sender: str, eight_bit: bool = False) -> Message:
    """multipart/mixed: (plain text | HTML) and the attachments. `eight_bit`: Greek kept as it
    is (readable in a file) instead of base64 (safe for any SMTP server).

    Built with the older email API: five times faster than EmailMessage, and its encoder keeps
    the spaces of a long Greek subject (3.11's drops one where it splits encoded words)."""
    body_charset = Charset("utf-8")
    if eight_bit:
        body_charset.body_encoding = None  # type: ignore[assignment]  # 8bit; typeshed: int only
    email = MIMEMultipart("mixed")
    name, address = parseaddr(sender)
    email["From"] = formataddr((str(Header(name, "utf-8")), address)) if name else address
    email["To"] = message.to
    email["Subject"] = Header(message.subject, "utf-8")  # type: ignore[assignment]  # compat32 takes a Header
    email["Date"] = formatdate(localtime=True)
    email["Message-ID"] = message_id(key, sender)
    email["Auto-Submitted"] = "auto-generated"
    alternative = MIMEMultipart("alternative")
    alternative.attach(MIMEText(message.text, "plain", body_charset))  # type: ignore[arg-type]  # a Charset works
    if message.html:
        alternative.attach(MIMEText(message.html, "html", body_charset))  # type: ignore[arg-type]
    email.attach(alternative)
    for attachment in message.attachments:
        maintype, _, subtype = attachment.content_type.partition("/")
        part = MIMEBase(maintype, subtype)
        part.set_payload(attachment.data)
        encoders.encode_base64(part)
        part.add_header("Content-Disposition", "attachment", filename=attachment.filename)
        email.attach(part)
    return email


class SmtpEmail:
    """E-mail over SMTP; one connection kept open and reopened when the server drops it."""

    name = ChannelName.EMAIL
    transport = "smtp"
    dedupes = True  # by Message-ID

    def __init__(self, settings: Settings, timeout: float = 30):
        self._settings = settings
        self._sender = settings.smtp_from or "KEP Connect <no-reply@kep-connect.local>"
        self._timeout = timeout
        self._smtp: aiosmtplib.SMTP | None = None
        self._lock = asyncio.Lock()

    def _port(self) -> int:
        s = self._settings
        return s.smtp_port or (465 if s.smtp_tls else 587 if s.smtp_starttls else 25)

    async def _connection(self) -> aiosmtplib.SMTP:
        if self._smtp is None or not self._smtp.is_connected:
            s = self._settings
            smtp = aiosmtplib.SMTP(
                hostname=s.smtp_host, port=self._port(), use_tls=s.smtp_tls, start_tls=s.smtp_starttls,
                timeout=self._timeout, username=s.smtp_user or None, password=s.smtp_password or None,
            )
            await smtp.connect()
            self._smtp = smtp
        return self._smtp

    async def send(self, message: Outgoing, key: str) -> None:
        email = compose_email(message, key, self._sender)
        async with self._lock:
            for attempt in (1, 2):  # a kept connection may have been closed by the server meanwhile
                try:
                    smtp = await self._connection()
                    await smtp.send_message(email)
                    return
                except aiosmtplib.SMTPRecipientsRefused as e:
                    raise DeliveryFailed(f"recipient refused: {e}", permanent=True) from None
                except aiosmtplib.SMTPServerDisconnected as e:
                    self._smtp = None
                    if attempt == 2:
                        raise DeliveryFailed(f"SMTP server disconnected: {e}") from None
                except aiosmtplib.SMTPResponseException as e:
                    await self._drop()
                    raise DeliveryFailed(f"SMTP {e.code}: {e.message}") from None
                except (aiosmtplib.SMTPException, OSError) as e:
                    await self._drop()
                    raise DeliveryFailed(f"SMTP: {e}") from None

    async def _drop(self) -> None:
        if self._smtp is not None:
            self._smtp.close()
            self._smtp = None

    async def close(self) -> None:
        if self._smtp is not None and self._smtp.is_connected:
            try:
                await self._smtp.quit()
            except aiosmtplib.SMTPException:
                self._smtp.close()
        self._smtp = None


# --- SMS ------------------------------------------------------------------------------------

class GatewaySms:
    """An HTTP SMS gateway: POST {to, from, text, reference} as JSON with a bearer key and an
    Idempotency-Key header. 2xx: accepted; 400/404/422: this number or text will never go
    (permanent); anything else: try again later."""

    name = ChannelName.SMS
    transport = "sms-gateway"
    dedupes = False  # unless the gateway honours Idempotency-Key; we do not assume it

    def __init__(self, settings: Settings, timeout: float = 15):
        self._url = settings.sms_url
        self._key = settings.sms_key
        self._sender = settings.sms_sender
        self._timeout = timeout
        self._http: aiohttp.ClientSession | None = None

    async def send(self, message: Outgoing, key: str) -> None:
        if self._http is None:
            self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self._timeout))
        headers = {"Idempotency-Key": key}
        if self._key:
            headers["Authorization"] = f"Bearer {self._key}"
        body = {"to": message.to, "from": self._sender, "text": message.text, "reference": key}
        try:
            async with self._http.post(self._url, json=body, headers=headers) as resp:
                if 200 <= resp.status < 300:
                    return
                detail = (await resp.text())[:200]
                raise DeliveryFailed(f"SMS gateway {resp.status}: {detail}", permanent=resp.status in (400, 404, 422))
        except (TimeoutError, aiohttp.ClientError) as e:
            raise DeliveryFailed(f"SMS gateway unreachable: {e!r}") from None

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()
            self._http = None


# --- files ----------------------------------------------------------------------------------

class OutboxFolder:
    """Without SMTP or SMS settings: each message as one file (`<key>.<channel>.eml|txt`), the
    e-mail as the .eml a mail program opens, the SMS as plain text. Same key, same file."""

    transport = "file"
    dedupes = True

    def __init__(self, name: ChannelName, folder: Path, sender: str = ""):
        self.name = name
        self._folder = folder
        self._sender = sender or "KEP Connect <no-reply@kep-connect.local>"

    async def send(self, message: Outgoing, key: str) -> None:
        if self.name is ChannelName.EMAIL:
            path = self._folder / f"{key}.email.eml"
            raw = compose_email(message, key, self._sender, eight_bit=True).as_bytes()
            # headers too as plain UTF-8, so that the subject reads as it is
            utf8 = policy.default.clone(utf8=True, refold_source="all")  # type: ignore[call-arg]  # EmailPolicy's own fields
            content = message_from_bytes(raw, policy=policy.default).as_bytes(policy=utf8)
        else:
            path = self._folder / f"{key}.sms.txt"
            units, _ = sms_units(message.text)
            content = (f"To: {message.to}\nSMS: {units} characters, {sms_segments(message.text)} segment(s)\n\n"
                       f"{message.text}\n").encode()
        try:
            await asyncio.to_thread(_write_whole, path, content)
        except OSError as e:
            raise DeliveryFailed(f"outbox folder: {e}") from None

    async def close(self) -> None:
        pass


def _write_whole(path: Path, content: bytes) -> None:
    """Written to a temporary name and renamed: a reader never sees half a message."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    partial = path.with_suffix(path.suffix + ".part")
    partial.touch(mode=0o600)  # messages to citizens: readable by the service's user only
    partial.write_bytes(content)
    os.replace(partial, path)


def configured_channels(settings: Settings) -> dict[ChannelName, Channel]:
    """SMTP when HANDOFF_SMTP_HOST is set, the SMS gateway when HANDOFF_SMS_URL is; files else."""
    email: Channel = (
        SmtpEmail(settings) if settings.smtp_host
        else OutboxFolder(ChannelName.EMAIL, settings.outbox_dir, settings.smtp_from)
    )
    sms: Channel = GatewaySms(settings) if settings.sms_url else OutboxFolder(ChannelName.SMS, settings.outbox_dir)
    return {ChannelName.EMAIL: email, ChannelName.SMS: sms}
