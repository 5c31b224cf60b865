"""The conversation as the clerk reads it before the call: the citizen's and the bot's turns
from this session, with button clicks shown as the words on the button.

Every clerk of the branch reads it before anyone has picked the appointment up, so it holds
no personal data and no code: the citizen's answers to the identity questions (and to the
codes and documents of a lost or changed booking) read «[στοιχεία ταυτότητας]»; the bot's
turns that repeat them (the summary) or carry a booking's codes and links (the confirmation
card) are left out; and a second booking in the same chat starts after the first one, so
its transcript cannot carry the first one's reference, manage code or join link.
"""
from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any

UTC = timezone.utc  # datetime.UTC is Python 3.11+; the bot runs on 3.10

MAX_TURNS = 200
MAX_TEXT = 2000
MAX_CHARS = 16000  # the latest turns up to this much text: ~32 KB of UTF-8 Greek, inside the service's 64 KiB
REDACTED = "[στοιχεία ταυτότητας]"
# Slots whose answers are personal data or secrets (identity_form, manage_form, find_booking_form).
PERSONAL_SLOTS = frozenset({
    "full_name", "id_document", "id_card", "afm_or_amka", "mobile", "email",
    "booking_reference", "manage_code", "recovery_document", "recovery_mobile",
})
# A booking reference or any link, however typed; a manage code (10 of the service's code
# characters, as the service writes them: capitals).
_CODES = re.compile(r"KEP-[2-9A-Z]{6}\b|https?://\S+|/(?:call|k|appointment)/\S+", re.IGNORECASE)
_MANAGE_CODE = re.compile(r"\b[2-9A-HJ-NP-Z]{10}\b")


def _at(event: dict[str, Any]) -> str:
    stamp = event.get("timestamp")
    return datetime.fromtimestamp(stamp, UTC).isoformat(timespec="seconds") if stamp else ""


def _squash(text: str) -> str:
    """Capitals, no spaces, dashes, dots or brackets: «ΑΒ 123-456» and «αβ123456» read alike."""
    return re.sub(r"[\s\-.()/]", "", text).upper()


def _this_booking(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """This session's events since its last booking (a booking made earlier in the same chat
    is none of this one's clerk's business)."""
    starts = [i for i, e in enumerate(events) if e.get("event") == "session_started"]
    events = events[starts[-1]:] if starts else events
    booked = [i for i, e in enumerate(events)
              if e.get("event") == "slot" and e.get("name") == "booking_outcome" and e.get("value") == "booked"]
    return events[booked[-1] + 1:] if booked else events


def _personal_values(events: list[dict[str, Any]]) -> set[str]:
    """Every personal answer the conversation holds, as the slots have it (normalised by the
    service: «+3069…», «ΑΒ123456») and as typed; long enough not to match ordinary words."""
    values = set()
    for event in events:
        if event.get("event") == "slot" and event.get("name") in PERSONAL_SLOTS and isinstance(event.get("value"), str):
            value = _squash(event["value"])
            values |= {value, value.removeprefix("+30")}
    return {v for v in values if len(v) >= 5}


def _personal(text: str, values: set[str]) -> bool:
    squashed = _squash(text)
    return bool(_CODES.search(text) or _MANAGE_CODE.search(text)) or any(v in squashed for v in values)


def transcript(events: list[dict[str, Any]]) -> list[dict[str, str]]:
    values = _personal_values(events)  # the whole chat's: identity answers outlive a booking
    events = _this_booking(events)
    turns: list[dict[str, str]] = []
    titles: dict[str, str] = {}  # payload → button title, from the latest bot message
    asked: str | None = None  # the form's question the citizen is answering
    for event in events:
        if event.get("event") == "slot" and event.get("name") == "requested_slot":
            asked = event.get("value")
        elif event.get("event") == "active_loop" and not event.get("name"):
            asked = None
        elif event.get("event") == "bot" and event.get("text"):
            data = event.get("data") or {}
            buttons = data.get("buttons") or []
            titles = {b["payload"]: b["title"] for b in buttons if "payload" in b and "title" in b}
            if "booking" in (data.get("custom") or {}) or _personal(event["text"], values):
                continue  # a booking card, the summary, or a message naming a code
            turns.append({"sender": "bot", "text": event["text"][:MAX_TEXT], "at": _at(event)})
        elif event.get("event") == "user" and event.get("text"):
            text = titles.get(event["text"], event["text"])
            if asked in PERSONAL_SLOTS or _personal(text, values):
                text = REDACTED
            turns.append({"sender": "user", "text": text[:MAX_TEXT], "at": _at(event)})
    kept, total = [], 0
    for turn in reversed(turns[-MAX_TURNS:]):
        total += len(turn["text"])
        if total > MAX_CHARS:
            break
        kept.append(turn)
    return kept[::-1]
