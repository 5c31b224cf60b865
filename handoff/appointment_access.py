"""The citizen's own page for one booking (/appointment): the reference and manage code are
typed into its form once (never put in a URL), checked like a lost-booking search (same answer
for every miss, attempts limited), and exchanged for a short signed session: a cookie naming
the booking, renewed while the page is used and dead after SESSION_MINUTES idle, or at once
when the booking's manage code is replaced."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from itsdangerous import BadSignature, URLSafeSerializer

from .appointments import Appointments, Clock
from .bookings import Booking, BookingStatus
from .errors import Unauthorized
from .recovery import BookingRecovery, per_asker
from .slots import Slot

SESSION_MINUTES = 20
SIGN_INS_PER_ADDRESS = per_asker(20)
_CODE_KEY_LENGTH = 16  # of the manage code's hash, in the session: a new code ends old sessions


def session_ended() -> Unauthorized:
    return Unauthorized("session", "appointment_session_ended",
                        "Η σύνδεση έληξε. Γράψτε ξανά τον κωδικό ραντεβού και τον κωδικό διαχείρισης.")


@dataclass(frozen=True)
class Session:
    booking: Booking
    cookie: str  # renewed: set it again on every answer


class AppointmentAccess:
    def __init__(self, appointments: Appointments, recovery: BookingRecovery, secret_key: str, clock: Clock):
        self._appointments, self._recovery, self._clock = appointments, recovery, clock
        self._signer = URLSafeSerializer(secret_key, salt="kep-appointment")

    def _cookie(self, booking: Booking) -> str:
        expires = self._clock() + timedelta(minutes=SESSION_MINUTES)
        return self._signer.dumps({"ref": booking.reference, "code": booking.manage_token_hash[:_CODE_KEY_LENGTH],
                                   "exp": int(expires.timestamp())})

    async def sign_in(self, reference: str, manage_code: str, address: str) -> Session:
        found = await self._recovery.by_code(reference, manage_code, f"page:{address}", SIGN_INS_PER_ADDRESS)
        return Session(found.booking, self._cookie(found.booking))

    async def session(self, cookie: str | None) -> Session:
        """The booking this cookie was issued for, while it is valid (else 401)."""
        if not cookie:
            raise session_ended()
        try:
            claim = self._signer.loads(cookie)
            reference, code, expires = str(claim["ref"]), str(claim["code"]), int(claim["exp"])
        except (BadSignature, KeyError, TypeError, ValueError):
            raise session_ended() from None
        if self._clock().timestamp() >= expires:
            raise session_ended()
        booking = await self._appointments.bookings.get(reference)
        if booking is None or booking.manage_token_hash[:_CODE_KEY_LENGTH] != code:
            raise session_ended()
        return Session(booking, self._cookie(booking))

    def changeable_at(self, start: datetime) -> bool:
        """Whether a booking at `start` can still be changed or cancelled by the citizen now."""
        return self._clock() <= self._appointments.change_deadline_for(start)

    def can_change(self, booking: Booking) -> bool:
        return booking.status is BookingStatus.BOOKED and self.changeable_at(booking.start)

    async def free_slots(self, booking: Booking, after: datetime | None, limit: int) -> list[Slot]:
        """Other times for the same topic at the same KEP, as the chat offers them."""
        return await self._appointments.free_slots(booking.topic, booking.branch, after, limit)

    async def cancel(self, booking: Booking) -> Booking:
        return await self._appointments.cancel(booking.reference, None, "citizen", trusted=True)

    async def reschedule(self, booking: Booking, slot_id: str) -> Booking:
        return await self._appointments.reschedule(booking.reference, slot_id, None, "citizen", trusted=True)
