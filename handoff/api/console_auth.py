"""Who is at the console: the session cookie names the account; state-changing requests
must also carry the session's CSRF token in a header (a cross-site form cannot set one)."""
from __future__ import annotations

from aiohttp import web

from ..accounts import Account, AccountStore
from ..errors import Forbidden, Unauthorized
from ..sessions import COOKIE, CSRF_HEADER, Session, SessionStore
from .keys import REDIS

_SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


async def signed_in(request: web.Request) -> tuple[Session, Account]:
    """The session and its account, or 401; and for a POST, the CSRF check (403)."""
    redis = request.app[REDIS]
    session = await SessionStore(redis).get(request.cookies.get(COOKIE))
    account = await AccountStore(redis).get(session.username) if session else None
    if session is None or account is None or account.disabled:
        raise Unauthorized("session", "login_required", "Συνδεθείτε για να συνεχίσετε.")
    if request.method not in _SAFE_METHODS and not session.csrf_matches(request.headers.get(CSRF_HEADER)):
        raise Forbidden("csrf", "csrf_failed", "Η σελίδα έληξε. Ανανεώστε τη σελίδα και δοκιμάστε ξανά.")
    return session, account
