"""The conversation as the clerk reads it before the call: the citizen's and the bot's turns
from this session, with button clicks shown as the words on the button."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

UTC = timezone.utc  # datetime.UTC is Python 3.11+; the bot runs on 3.10

MAX_TURNS = 200
MAX_TEXT = 2000


def _at(event: dict[str, Any]) -> str:
    stamp = event.get("timestamp")
    return datetime.fromtimestamp(stamp, UTC).isoformat(timespec="seconds") if stamp else ""


def _current_session(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    starts = [i for i, e in enumerate(events) if e.get("event") == "session_started"]
    return events[starts[-1]:] if starts else events


def transcript(events: list[dict[str, Any]]) -> list[dict[str, str]]:
    turns: list[dict[str, str]] = []
    titles: dict[str, str] = {}  # payload → button title, from the latest bot message
    for event in _current_session(events):
        if event.get("event") == "bot" and event.get("text"):
            buttons = (event.get("data") or {}).get("buttons") or []
            titles = {b["payload"]: b["title"] for b in buttons if "payload" in b and "title" in b}
            turns.append({"sender": "bot", "text": event["text"][:MAX_TEXT], "at": _at(event)})
        elif event.get("event") == "user" and event.get("text"):
            text = event["text"]
            turns.append({"sender": "user", "text": titles.get(text, text)[:MAX_TEXT], "at": _at(event)})
    return turns[-MAX_TURNS:]
