"""Every failure leaves the service as JSON with a code and a Greek message — never a
traceback. Unexpected exceptions are logged in full here and reported as a plain 500."""
from __future__ import annotations

import logging
from typing import Any

from aiohttp import web
from redis.exceptions import RedisError

from ..errors import DomainError, InvalidFields, TooManyRequests
from .responses import json_response

log = logging.getLogger(__name__)

_HTTP_MESSAGES = {
    400: ("bad_request", "Το αίτημα δεν είναι σωστό."),
    401: ("unauthorized", "Χρειάζεται σύνδεση."),
    403: ("forbidden", "Δεν επιτρέπεται."),
    404: ("not_found", "Δεν βρέθηκε."),
    405: ("method_not_allowed", "Αυτή η ενέργεια δεν υποστηρίζεται εδώ."),
    413: ("body_too_large", "Το αίτημα είναι πολύ μεγάλο."),
    415: ("unsupported_media_type", "Στείλτε τα δεδομένα ως JSON."),
}


def error_response(status: int, code: str, message: str, **extra: Any) -> web.Response:
    return json_response({"error": {"code": code, "message": message, **extra}}, status=status)


def domain_error_response(e: DomainError) -> web.Response:
    extra: dict[str, Any] = {}
    if e.field:
        extra["field"] = e.field
    if isinstance(e, InvalidFields):
        extra["fields"] = {f: {"code": c, "message": m} for f, (c, m) in e.errors.items()}
    if isinstance(e, TooManyRequests):
        response = error_response(e.status, e.code, e.message, retry_after=e.retry_after, **extra)
        response.headers["Retry-After"] = str(e.retry_after)
        return response
    return error_response(e.status, e.code, e.message, **extra)


@web.middleware
async def json_errors(request: web.Request, handler):
    try:
        return await handler(request)
    except DomainError as e:
        return domain_error_response(e)
    except web.HTTPException as e:
        if e.status < 400 or e.content_type == "application/json":
            raise
        code, message = _HTTP_MESSAGES.get(e.status, ("http_error", e.reason))
        return error_response(e.status, code, message)
    except (RedisError, ConnectionError):
        log.exception("store unavailable on %s %s", request.method, request.path)
        return error_response(503, "store_unavailable", "Η υπηρεσία δεν είναι διαθέσιμη προσωρινά. Δοκιμάστε σε λίγο.")
    except Exception:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(500, "internal_error", "Κάτι πήγε στραβά. Δοκιμάστε ξανά σε λίγο.")
