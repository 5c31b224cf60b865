"""Logs as JSON lines (one object per line: time, level, logger, message, the request id, any
structured fields, the exception), for an operator's log pipeline; the same in every process of
the stack: the handoff service, Rasa and the action server (pure Python, standard library only:
both virtualenvs import it).

The request id comes into the handoff service as X-Request-Id (from HAProxy or a client) or is
made there; the chat relay passes it to Rasa (header, and `metadata.request_id` of the message,
which Rasa keeps in the tracker), and the action server takes it from the tracker and sends it
back with its calls to the handoff API. So one citizen's message can be followed across the
processes by one id."""
from __future__ import annotations

import json
import logging
import re
import time
import uuid
from contextvars import ContextVar

REQUEST_ID: ContextVar[str | None] = ContextVar("request_id", default=None)
HEADER = "X-Request-Id"
_ACCEPTED = re.compile(r"[A-Za-z0-9._:-]{1,64}")
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


def accepted_request_id(given: object) -> str:
    """The caller's id when it is a plain token; otherwise (absent, too long, odd characters
    that could forge log lines) a new one."""
    return given if isinstance(given, str) and _ACCEPTED.fullmatch(given) else uuid.uuid4().hex


def traced() -> dict[str, str]:
    """The header that passes the current request's id on to another service."""
    rid = REQUEST_ID.get()
    return {HEADER: rid} if rid else {}


class JsonFormatter(logging.Formatter):
    converter = time.gmtime

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        rid = REQUEST_ID.get()
        if rid:
            line["request_id"] = rid
        line |= {k: v for k, v in vars(record).items() if k not in _STANDARD}
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def configure(level: int | str = logging.INFO) -> None:
    """JSON lines on standard error for everything that reaches the root logger, Python's
    warnings included."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    logging.basicConfig(level=level, handlers=[handler], force=True)
    logging.captureWarnings(True)
