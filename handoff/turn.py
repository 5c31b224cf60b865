"""Time-limited TURN credentials for the call pages, by coturn's REST API scheme
(`use-auth-secret`): the username is `<expiry, unix seconds>:<call reference>` and the
password base64(HMAC-SHA1(shared secret, username)). coturn, given the same
`static-auth-secret`, recomputes the password and refuses the username once its expiry has
passed, so a page never holds a TURN account that outlives its call, and nothing is stored.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime


def password(secret: str, username: str) -> str:
    return base64.b64encode(hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()).decode()


@dataclass(frozen=True)
class TurnServer:
    secret: str
    urls: tuple[str, ...]  # e.g. ("turn:turn.example.gr:3478?transport=udp", "turns:turn.example.gr:5349")
    ttl_seconds: int

    def ice_server(self, reference: str, now: datetime) -> dict:
        """One RTCIceServer entry for a page of this call, valid `ttl_seconds` from now."""
        username = f"{int(now.timestamp()) + self.ttl_seconds}:{reference}"
        return {"urls": list(self.urls), "username": username, "credential": password(self.secret, username)}
