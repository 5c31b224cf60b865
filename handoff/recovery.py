"""Finding a lost booking again: with its reference and manage code, or — when the codes are
lost too — with the identity document number and the mobile given at booking, in which case
a new manage code replaces the old one.

Only bookings still to come (booked, not yet ended) or whose call is on (picked up by the
clerk, not yet finished) count. Every miss gets the same answer —
no such booking, wrong code, wrong document or mobile, cancelled, already past — so a guesser
learns nothing; and attempts are limited per asker and per target, so nobody can try codes
or mobiles one after another.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

from .appointments import Appointments, Clock
from .bookings import Booking, typed_reference
from .citizens import check_mobile, citizen_lookup_key, document_number_key
from .errors import InvalidFields, NotFound
from .links import new_manage_token
from .ratelimit import Limit
from .store import Redis

WINDOW_SECONDS = 15 * 60
TOO_MANY_ATTEMPTS = "Έγιναν πολλές προσπάθειες. Δοκιμάστε ξανά σε 15 λεπτά ή καλέστε τη γραμμή των ΚΕΠ 1500."
NO_MATCH = (
    "Δεν βρήκα ενεργό ραντεβού με αυτά τα στοιχεία. Ελέγξτε τα και δοκιμάστε ξανά "
    "(ένα ραντεβού που ακυρώθηκε ή έχει περάσει δεν εμφανίζεται)."
)


def per_asker(attempts: int) -> Limit:
    """At most `attempts` searches in a window by one asker (a chat, a page's address)."""
    return Limit("recover", attempts, WINDOW_SECONDS, "too_many_attempts", TOO_MANY_ATTEMPTS)


PER_TARGET = Limit("recover-target", 6, WINDOW_SECONDS, "too_many_attempts", TOO_MANY_ATTEMPTS)  # per reference or document number


def no_match() -> NotFound:
    return NotFound(None, "no_matching_booking", NO_MATCH)


@dataclass(frozen=True)
class Found:
    booking: Booking
    manage_token: str
    new_manage_token: bool  # the old code stopped working


class BookingRecovery:
    def __init__(self, redis: Redis, appointments: Appointments, clock: Clock):
        self._redis, self._appointments, self._clock = redis, appointments, clock

    async def _count(self, asker: str, asker_limit: Limit, target: str) -> None:
        """One more attempt by `asker` on `target`; refused (429) beyond either limit."""
        await asker_limit.enforce(self._redis, asker)
        await PER_TARGET.enforce(self._redis, hashlib.sha256(target.encode()).hexdigest()[:32])

    async def by_code(self, reference: str, manage_code: str, asker: str, asker_limit: Limit) -> Found:
        reference = typed_reference(reference)
        if not reference or not manage_code.strip():
            raise InvalidFields({"details": ("required", "Χρειάζονται ο κωδικός ραντεβού και ο κωδικός διαχείρισης.")})
        await self._count(asker, asker_limit, f"ref:{reference[:40]}")
        booking = await self._appointments.bookings.get(reference[:40])
        if (booking is None or not booking.active_at(self._clock())
                or not self._appointments.codes.matches(booking.manage_token_hash, manage_code)):
            raise no_match()
        return Found(booking, manage_code, new_manage_token=False)

    async def by_identity(self, document_number: str, mobile: str, asker: str, asker_limit: Limit) -> list[Found]:
        """Every booking still to come or in its call made with this document and mobile, each with a new code."""
        number = document_number_key(document_number)
        if not 5 <= len(number) <= 20:
            raise InvalidFields({"document_number": (
                "document_number_format", "Γράψτε τον αριθμό του εγγράφου ταυτότητας όπως είναι τυπωμένος (π.χ. ΑΒ 123456).")})
        e164 = check_mobile(mobile)
        await self._count(asker, asker_limit, f"doc:{number}")
        bookings = [b for b in await self._appointments.bookings.booked_with(citizen_lookup_key(number, e164))
                    if b.active_at(self._clock())]
        if not bookings:
            raise no_match()
        found = []
        for booking in sorted(bookings, key=lambda b: b.start):
            token = new_manage_token()
            await self._appointments.bookings.replace_manage_token(booking, token, "citizen", self._clock())
            found.append(Found(booking, token, new_manage_token=True))
        return found
