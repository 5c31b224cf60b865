"""Domain errors. Each carries a machine code and a Greek message a citizen can read;
the HTTP layer turns them into 4xx JSON responses (see `api.errors`)."""
from __future__ import annotations


class DomainError(Exception):
    status = 400

    def __init__(self, field: str | None, code: str, message: str):
        super().__init__(message)
        self.field = field
        self.code = code
        self.message = message


class BadRequest(DomainError):
    status = 400


class NotFound(DomainError):
    status = 404


class Conflict(DomainError):
    status = 409


class Forbidden(DomainError):
    status = 403


class Unauthorized(DomainError):
    status = 401


class TooManyRequests(DomainError):
    """Slow down: `retry_after` seconds (sent as the Retry-After header)."""

    status = 429

    def __init__(self, field: str | None, code: str, message: str, retry_after: int):
        super().__init__(field, code, message)
        self.retry_after = retry_after


class Unprocessable(DomainError):
    status = 422


class InvalidFields(Unprocessable):
    """Several fields wrong at once: the citizen should hear about all of them together."""

    def __init__(self, errors: dict[str, tuple[str, str]]):
        super().__init__(None, "invalid_fields", "Κάποια στοιχεία δεν είναι σωστά.")
        self.errors = errors
