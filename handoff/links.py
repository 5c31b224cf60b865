"""Secrets handed to citizens: the manage code (cancel/reschedule) and the signed join link.

The manage code is random and stored only as a keyed hash (HMAC). The join token is signed with the
service's secret key, names one booking and carries an expiry, so it can be checked without
a lookup and cannot be forged or moved to another booking.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from itsdangerous import BadSignature, URLSafeSerializer

from .errors import Forbidden

# Read from a message and typed back, often on a phone: no look-alike letters, any case,
# spaces and dashes ignored. 10 characters of 30 give 49 bits.
MANAGE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
MANAGE_TOKEN_LENGTH = 10


def new_manage_token() -> str:
    return "".join(secrets.choice(MANAGE_ALPHABET) for _ in range(MANAGE_TOKEN_LENGTH))


def _typed(token: str) -> bytes:
    return token.upper().replace(" ", "").replace("-", "").encode()


class ManageCodes:
    """Manage codes are stored as HMAC-SHA256 under a key derived from the service's secret
    key: a copy of the database alone does not let anyone try the 49-bit codes offline. (A
    booking made before this stored a plain SHA-256, still accepted; a new code replaces it.)"""

    def __init__(self, secret_key: str):
        self._key = hmac.new(secret_key.encode(), b"kep-manage-code", hashlib.sha256).digest()

    def hash(self, token: str) -> str:
        return hmac.new(self._key, _typed(token), hashlib.sha256).hexdigest()

    def matches(self, token_hash: str, token: str | None) -> bool:
        if not (token and token_hash):
            return False
        return hmac.compare_digest(token_hash, self.hash(token)) or \
            hmac.compare_digest(token_hash, hashlib.sha256(_typed(token)).hexdigest())


@dataclass(frozen=True)
class JoinClaim:
    reference: str
    expires_at: datetime


SHORT_SIGNATURE_LENGTH = 6


class JoinLinks:
    def __init__(self, secret_key: str):
        self._serializer = URLSafeSerializer(secret_key, salt="kep-join")
        self._calendar = URLSafeSerializer(secret_key, salt="kep-calendar")
        self._short_key = hmac.new(secret_key.encode(), b"kep-short-link", hashlib.sha256).digest()

    def short_code(self, reference: str) -> str:
        """A short path for an SMS (`/k/<code>`): the reference's 6 characters and 6 of a
        signature (30 bits: guessing one is millions of requests). It leads to the full join
        link, which carries the expiry."""
        digest = hmac.new(self._short_key, reference.encode(), hashlib.sha256).digest()
        signature = "".join(MANAGE_ALPHABET[b % len(MANAGE_ALPHABET)] for b in digest[:SHORT_SIGNATURE_LENGTH])
        return reference.removeprefix("KEP-") + signature

    def reference_for_short_code(self, code: str) -> str:
        """The reference a short code was made for (else Forbidden)."""
        reference = "KEP-" + code.upper()[:-SHORT_SIGNATURE_LENGTH]
        if len(code) <= SHORT_SIGNATURE_LENGTH or not hmac.compare_digest(self.short_code(reference), code.upper()):
            raise Forbidden("token", "join_link_invalid", "Ο σύνδεσμος δεν είναι έγκυρος.")
        return reference

    def sign(self, reference: str, expires_at: datetime) -> str:
        return self._serializer.dumps({"ref": reference, "exp": int(expires_at.timestamp())})

    def sign_calendar(self, reference: str, expires_at: datetime) -> str:
        """A link to one booking's .ics and nothing else, expiring with the join link: what a
        URL may carry, unlike the manage code (URLs end up in logs and browser histories)."""
        return self._calendar.dumps({"ref": reference, "exp": int(expires_at.timestamp())})

    def verify_calendar(self, token: str, reference: str, now: datetime) -> None:
        try:
            payload = self._calendar.loads(token)
            valid = payload["ref"] == reference and now.timestamp() < payload["exp"]
        except (BadSignature, KeyError, TypeError, ValueError):
            valid = False
        if not valid:
            raise Forbidden("link", "calendar_link_invalid", "Ο σύνδεσμος του ημερολογίου δεν είναι έγκυρος ή έχει λήξει.")

    def verify(self, token: str, now: datetime) -> JoinClaim:
        try:
            payload = self._serializer.loads(token)
            claim = JoinClaim(payload["ref"], datetime.fromtimestamp(payload["exp"], UTC))
        except (BadSignature, KeyError, TypeError, ValueError):
            raise Forbidden("token", "join_link_invalid", "Ο σύνδεσμος δεν είναι έγκυρος.") from None
        if now >= claim.expires_at:
            raise Forbidden("token", "join_link_expired", "Ο σύνδεσμος έχει λήξει.")
        return claim
