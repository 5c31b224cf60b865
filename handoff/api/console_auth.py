"""Who is at the console: the session cookie names the account; state-changing requests
must also carry the session's CSRF token in a header (a cross-site form cannot set one)."""
from __future__ import annotations

from aiohttp import web

from ..accounts import Account, AccountStore
from ..errors import Forbidden, Unauthorized
from ..sessions import COOKIE, CSRF_HEADER, Session, SessionEnd, SessionStore
from .keys import REDIS

_SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
_ENDED = {
    SessionEnd.PASSWORD_CHANGED: "Ο κωδικός του λογαριασμού σας άλλαξε και η σύνδεσή σας τερματίστηκε. "
                                 "Συνδεθείτε ξανά με τον νέο κωδικό.",
    SessionEnd.ACCOUNT_DISABLED: "Ο λογαριασμός σας απενεργοποιήθηκε και η σύνδεσή σας τερματίστηκε. "
                                 "Για πρόσβαση απευθυνθείτε στον διαχειριστή.",
}


async def signed_in(request: web.Request) -> tuple[Session, Account]:
    """The session and its account, or 401; and for a POST, the CSRF check (403)."""
    session, account = await _session_and_account(request, request.cookies.get(COOKIE))
    if request.method not in _SAFE_METHODS and not session.csrf_matches(request.headers.get(CSRF_HEADER)):
        raise Forbidden("csrf", "csrf_failed", "Η σελίδα έληξε. Ανανεώστε τη σελίδα και δοκιμάστε ξανά.")
    return session, account


async def still_signed_in(request: web.Request, session: Session) -> None:
    """For a long-lived request (the live feed): 401 once its session has ended."""
    await _session_and_account(request, session.id)


async def _session_and_account(request: web.Request, session_id: str | None) -> tuple[Session, Account]:
    redis = request.app[REDIS]
    session = await SessionStore(redis).get(session_id)
    if session is not None and session.ended:
        raise Unauthorized("session", "session_ended", _ENDED[session.ended])
    account = await AccountStore(redis).get(session.username) if session else None
    if session is None or account is None:
        raise Unauthorized("session", "login_required", "Συνδεθείτε για να συνεχίσετε.")
    ended = (
        SessionEnd.ACCOUNT_DISABLED if account.disabled
        # a log-in that raced the change; a session from before sessions recorded it is not checked
        else SessionEnd.PASSWORD_CHANGED if session.credential and session.credential != account.credential
        else None
    )
    if ended:
        raise Unauthorized("session", "session_ended", _ENDED[ended])
    return session, account
