"""The citizen's chat, relayed to the bot: the page talks only to this service (same origin,
no Rasa address in the browser, limits applied here), which forwards to Rasa's REST channel
under the citizen's chat session id, and reads the conversation back after a reload."""
from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import logging
import secrets
import time
from typing import Any, cast

import aiohttp

from bot.request_logs import REQUEST_ID, traced

from .errors import DomainError, Forbidden, InvalidFields
from .metrics import CHAT_RELAY_ERRORS, CHAT_RELAY_SECONDS
from .store import Redis, key

log = logging.getLogger(__name__)

MAX_MESSAGE = 1000


class BotUnavailable(DomainError):
    status = 503

    def __init__(self) -> None:
        super().__init__(None, "bot_unavailable",
                         "Ο βοηθός δεν απαντά αυτή τη στιγμή. Δοκιμάστε ξανά σε λίγο ή καλέστε το 1500.")


UNKNOWN_CHAT = Forbidden("chat", "chat_unknown",
                         "Αυτή η συνομιλία δεν αναγνωρίζεται. Πατήστε «Νέα συζήτηση» για να ξεκινήσετε ξανά.")


class ChatIds:
    """Chat ids are issued by the service and signed with its key (`<id>.<signature>`, kept in
    the page's HttpOnly cookie): a citizen cannot pick one, so the per-chat limits hold and
    nobody can write into another citizen's conversation by guessing or setting an id."""

    def __init__(self, secret_key: str):
        self._key = hashlib.sha256(b"kep-chat-id\0" + secret_key.encode()).digest()

    def _signature(self, chat_id: str) -> str:
        digest = hmac.new(self._key, chat_id.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest[:18]).decode()

    def issue(self) -> str:
        chat_id = secrets.token_urlsafe(18)
        return f"{chat_id}.{self._signature(chat_id)}"

    def verify(self, token: str | None) -> str | None:
        """The chat id inside a token this service issued, or None."""
        chat_id, dot, signature = (token or "").partition(".")
        if not (dot and 20 <= len(chat_id) <= 40 and len(signature) <= 40):
            return None
        return chat_id if hmac.compare_digest(signature.encode(), self._signature(chat_id).encode()) else None


def relayed_sender(chat_id: str) -> str:
    """The sender id the relay gives Rasa (and the bot books under) for one of its chats."""
    return f"web-{chat_id}"


ORIGIN_SECONDS = 24 * 3600  # as long as the chat's cookie


class ChatOrigins:
    """The client address a relayed chat last wrote from, kept as a keyed digest (never the
    address itself) for a day: the bot books under the chat's sender id, and the booking rate
    per address (appointments.py) counts by it."""

    def __init__(self, redis: Redis, secret_key: str):
        self._redis = redis
        self._key = hashlib.sha256(b"kep-chat-origin\0" + secret_key.encode()).digest()

    def _digest(self, address: str) -> str:
        return hmac.new(self._key, address.encode(), hashlib.sha256).hexdigest()[:32]

    async def remember(self, sender: str, address: str) -> None:
        await self._redis.set(key("chat-origin", sender), self._digest(address), ex=ORIGIN_SECONDS)

    async def of(self, sender: str) -> str | None:
        """The digest of the address `sender` chats from; None for a chat not relayed here."""
        return cast(str | None, await self._redis.get(key("chat-origin", sender[:200]))) if sender else None


def check_message(text: Any) -> str:
    if not isinstance(text, str) or not text.strip():
        raise InvalidFields({"message": ("required", "Γράψτε το μήνυμά σας.")})
    if len(text) > MAX_MESSAGE:
        raise InvalidFields({"message": ("too_long", f"Το μήνυμα είναι πολύ μεγάλο: έως {MAX_MESSAGE} χαρακτήρες, παρακαλώ.")})
    return text.strip()


def _reply(message: dict[str, Any]) -> dict[str, Any]:
    """Only what the page draws: text, quick-reply buttons, a booking card. A message with a
    card is drawn as the card alone: its text is the same booking for text-only channels."""
    reply: dict[str, Any] = {"text": message.get("text") or ""}
    buttons = [{"title": b["title"], "payload": b["payload"]} for b in message.get("buttons") or []
               if isinstance(b, dict) and "title" in b and "payload" in b]
    if buttons:
        reply["buttons"] = buttons
    booking = (message.get("custom") or {}).get("booking")
    if isinstance(booking, dict):
        reply["booking"] = booking
        reply["text"] = ""
    return reply


def _without_card_twins(messages: list[Any]) -> list[dict[str, Any]]:
    """Rasa's REST channel sends a message's text and its card as two messages, the text
    first: the card takes that text's place."""
    kept: list[dict[str, Any]] = []
    for message in (m for m in messages if isinstance(m, dict)):
        booking = (message.get("custom") or {}).get("booking")
        if (isinstance(booking, dict) and kept and not kept[-1].get("custom") and not kept[-1].get("buttons")
                and str(booking.get("reference")) in (kept[-1].get("text") or "")):
            kept.pop()
        kept.append(message)
    return kept


MOVED_TIMEOUT_SECONDS = 20  # the lock a dead server held expires (Rasa's TICKET_LOCK_LIFETIME), then the message
LOCK_CHECK_SECONDS = 1.0  # how often Rasa looks at a conversation's lock while waiting for it


def rendezvous(sender: str, servers: list[str]) -> list[str]:
    """The servers in the order this conversation tries them: highest random weight first
    (rendezvous hashing), so each conversation has one home, and when the home is down its
    conversations spread over the others instead of all falling on one."""
    def weight(server: str) -> int:
        return int.from_bytes(hashlib.blake2b(f"{server}|{sender}".encode(), digest_size=8).digest(), "big")

    return sorted(servers, key=weight, reverse=True)


class ChatRelay:
    """To N Rasa servers (`rasa_url`: comma-separated): each conversation goes to its home
    server, or to the next one while the home does not accept connections; any server can
    continue a conversation, since the trackers are in Redis."""

    def __init__(self, http: aiohttp.ClientSession, rasa_url: str, rasa_token: str | None):
        self._http, self._token = http, rasa_token
        self.servers = [url.strip().rstrip("/") for url in rasa_url.split(",") if url.strip()]

    async def _ask(self, sender: str, method: str, path: str, **request: Any) -> Any:
        for attempt, server in enumerate(rendezvous(sender, self.servers)):
            if attempt:  # moved from a server that died: it may have held the conversation's lock
                request["timeout"] = aiohttp.ClientTimeout(total=MOVED_TIMEOUT_SECONDS)
            try:
                async with self._http.request(method, f"{server}{path}", headers=traced(), **request) as resp:
                    if resp.status != 200:
                        log.warning("Rasa %s answered %d to %s %s", server, resp.status, method, path.split("/")[1])
                        CHAT_RELAY_ERRORS.labels("status").inc()
                        raise BotUnavailable()
                    return await resp.json()
            except TimeoutError as e:  # slow, not down: it may still take the message, so no resend
                log.warning("Rasa %s did not answer in time: %r", server, e)
                CHAT_RELAY_ERRORS.labels("failed").inc()
                raise BotUnavailable() from None
            except aiohttp.ClientConnectionError as e:  # refused, reset, closed: down, the next one continues
                log.warning("Rasa %s unreachable: %r", server, e)
                CHAT_RELAY_ERRORS.labels("unreachable").inc()
                if not isinstance(e, aiohttp.ClientConnectorError):
                    # It died holding the conversation's lock (a ticket in Redis). Rasa checks
                    # once a second whether the ticket ahead has expired; a ticket issued less
                    # than a second after the dead one expires in the same check and waits forever.
                    await asyncio.sleep(LOCK_CHECK_SECONDS * 1.5)
            except (aiohttp.ClientError, ValueError) as e:
                log.warning("Rasa %s failed: %r", server, e)
                CHAT_RELAY_ERRORS.labels("failed").inc()
                raise BotUnavailable() from None
        raise BotUnavailable()

    async def send(self, sender: str, text: str) -> list[dict[str, Any]]:
        """Rasa's answer (timed, failures counted, the request id passed on)."""
        started = time.perf_counter()
        # The request id also in the message's metadata: Rasa keeps it in the tracker, and the
        # action server reads it there for its own calls back to this service.
        body: dict[str, Any] = {"sender": sender, "message": text}
        if rid := REQUEST_ID.get():
            body["metadata"] = {"request_id": rid}
        messages = await self._ask(sender, "POST", "/webhooks/rest/webhook", json=body)
        CHAT_RELAY_SECONDS.observe(time.perf_counter() - started)
        return [_reply(m) for m in _without_card_twins(messages if isinstance(messages, list) else [])]

    async def history(self, sender: str) -> list[dict[str, Any]]:
        """The conversation so far, as the page shows it (button clicks as their titles)."""
        if not self._token:
            return []
        tracker = await self._ask(sender, "GET", f"/conversations/{sender}/tracker",
                                  params={"token": self._token, "include_events": "AFTER_RESTART"})
        events = (tracker.get("events") if isinstance(tracker, dict) else None) or []
        turns: list[dict[str, Any]] = []
        titles: dict[str, str] = {}
        for event in events:
            if event.get("event") == "user" and event.get("text"):
                turns.append({"sender": "user", "text": titles.get(event["text"], event["text"])})
            elif event.get("event") == "bot":
                data = event.get("data") or {}
                reply = _reply({"text": event.get("text"), "buttons": data.get("buttons"), "custom": data.get("custom")})
                titles = {b["payload"]: b["title"] for b in reply.get("buttons", [])}
                if reply["text"] or "booking" in reply:
                    turns.append({"sender": "bot", **reply})
        return turns
