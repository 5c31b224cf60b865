"""The handed-off call: who may join, and its states, enforced here and recorded in Redis
and in the audit trail.

    waiting ─▶ connected (both sides with video) ─▶ id_verified (the clerk saw the card)
                   │                                   │
                   └─ rejected ─▶ ended                └─▶ audio_only (clerk only) ─▶ ended

Asking for audio-only before the ID is verified is refused. A call that had begun and that
everybody then left for `idle_seconds` ends by itself; one that never began stays open.
Besides the state, the call's hash in Redis holds what each side's page reported (camera,
microphone, "I left") and why the call ended, so both pages can say what is going on. The
media lives in one process (`media.CallRoom`); a deployment with several handoff processes
routes a call's requests to one of them.
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from . import audit, events, presence, ratelimit
from .appointments import Appointments, Clock
from .bookings import Booking
from .config import Settings
from .errors import BadRequest, Conflict, DomainError, Forbidden, InvalidFields
from .media import CallRoom, UnusableOffer, rtc_configuration
from .store import Redis, key

log = logging.getLogger(__name__)


class Side(StrEnum):
    CITIZEN = "citizen"
    CLERK = "clerk"


class EndReason(StrEnum):
    ID_REJECTED = "id_rejected"
    FINISHED = "finished"
    NOBODY_CONNECTED = "nobody_connected"


ALLOWED_FROM = {
    "connected": ("waiting",),
    "id_verified": ("connected",),
    "audio_only": ("id_verified",),
    "ended": ("waiting", "connected", "id_verified", "audio_only"),
}
MAX_MESSAGE = 500
MAX_REJECTION = 300

# KEYS: call, audit stream, audit subject. ARGV: new state, allowed (comma list), audit entry, field, value…
_TRANSITION = """
local state = redis.call('HGET', KEYS[1], 'state') or 'waiting'
for allowed in string.gmatch(ARGV[2], '[^,]+') do
  if allowed == state then
    redis.call('HSET', KEYS[1], 'state', ARGV[1], unpack(ARGV, 4))
    redis.call('XADD', KEYS[2], '*', 'entry', ARGV[3])
    redis.call('RPUSH', KEYS[3], ARGV[3])
    return 'ok'
  end
end
return state
"""


class TooManyOffers(DomainError):
    status = 429


def call_key(reference: str) -> str:
    return key("call", reference)


def _flag(value: Any) -> str:
    return "0" if value is False else "1"


class Calls:
    def __init__(self, redis: Redis, appointments: Appointments, settings: Settings, clock: Clock):
        self._redis = redis
        self._appointments = appointments
        self._config = rtc_configuration(list(settings.ice_servers))
        self._stun = list(settings.ice_servers)
        self._turn = settings.turn
        self._clock = clock
        self._idle = timedelta(seconds=settings.call_idle_seconds)
        self._transition = redis.register_script(_TRANSITION)
        self._offers_per_minute = settings.call_offers_per_minute
        self.rooms: dict[str, CallRoom] = {}
        self._left_at: dict[str, datetime] = {}  # calls everybody has left, since when

    # -- state -----------------------------------------------------------------------------
    async def state(self, reference: str) -> str:
        return await self._redis.hget(call_key(reference), "state") or "waiting"

    async def _move(self, reference: str, to: str, actor: str, **fields: str) -> str:
        line = audit.entry(f"call.{to}", actor, reference, self._clock(), **fields)
        flat = [x for pair in {"updated_at": self._clock().isoformat(), **fields}.items() for x in pair]
        return await self._transition(keys=[call_key(reference), audit.STREAM, audit.subject_key(reference)],
                                      args=[to, ",".join(ALLOWED_FROM[to]), line, *flat])

    async def _require(self, reference: str, to: str, actor: str, refusal: str, **fields: str) -> None:
        result = await self._move(reference, to, actor, **fields)
        if result != "ok":
            raise Conflict("state", f"not_from_{result}", refusal)

    # -- joining ---------------------------------------------------------------------------
    async def citizen_booking(self, token: str) -> Booking:
        booking = await self._appointments.booking_for_join(token)
        if booking.status not in ("booked", "in_call") or await self.state(booking.reference) == "ended":
            raise Forbidden("token", "call_over", "Αυτό το ραντεβού έχει ολοκληρωθεί ή ακυρωθεί.")
        return booking

    async def clerk_booking(self, reference: str, username: str, finished_too: bool = False) -> Booking:
        """The clerk's own call, while it is on; with `finished_too`, also once it has ended
        (for the page to show how it ended)."""
        booking = await self._appointments.bookings.get(reference.strip().upper())
        allowed = ("in_call", "completed") if finished_too else ("in_call",)
        # One answer for a reference that does not exist and one that is not this clerk's call:
        # another branch's clerk learns nothing about which references exist.
        if booking is None or booking.picked_by != username or booking.status not in allowed:
            raise Forbidden("reference", "not_your_call", "Αναλάβετε πρώτα το ραντεβού από τη λίστα σας.")
        if not finished_too and await self.state(booking.reference) == "ended":
            raise Conflict("state", "call_over", "Η κλήση έχει τελειώσει.")
        return booking

    async def citizen_waiting(self, booking: Booking) -> None:
        """A heartbeat from the waiting room; the consoles hear when the citizen arrives."""
        if await presence.arrive(self._redis, booking.reference):
            await events.announce(self._redis, "waiting", booking)

    async def join(self, booking: Booking, role: Side, offer: Any) -> dict[str, str]:
        """Answer a page's offer. The offer may say whether its camera and microphone are on
        (`camera`, `microphone`: booleans, default on), as a rejoining page reports them."""
        reference = booking.reference
        if not await ratelimit.allow(self._redis, f"call-offers:{reference}", self._offers_per_minute):
            raise TooManyOffers("sdp", "too_many_offers",
                                "Πολλές προσπάθειες σύνδεσης σε λίγο χρόνο. Η σελίδα θα ξαναδοκιμάσει σε ένα λεπτό.")
        if not (isinstance(offer, dict) and offer.get("type") == "offer" and isinstance(offer.get("sdp"), str)
                and len(offer["sdp"]) < 20000):
            raise InvalidFields({"sdp": ("offer_invalid", "Η σύνδεση δεν ξεκίνησε σωστά. Ανανεώστε τη σελίδα.")})
        state = await self.state(reference)
        room = self.rooms.get(reference)
        if room is None:
            room = self.rooms[reference] = CallRoom(reference, self._config, lambda: self._changed(reference),
                                                    video_relayed=state != "audio_only")
        try:
            answer = await room.join(role, offer["sdp"])
        except UnusableOffer as e:
            self._changed(reference)
            raise BadRequest("sdp", "offer_unusable",
                             "Η σύνδεση δεν μπόρεσε να ξεκινήσει με αυτόν τον φυλλομετρητή. Ανανεώστε τη σελίδα· "
                             "αν επαναληφθεί, δοκιμάστε άλλον φυλλομετρητή (Chrome, Firefox, Safari).") from e
        await self._redis.hset(call_key(reference), mapping={
            f"{role}_camera": _flag(offer.get("camera", True)), f"{role}_microphone": _flag(offer.get("microphone", True)),
            f"{role}_left": "0",
        })
        await audit.AuditTrail(self._redis).append(f"call.{role}_joined", role, reference, self._clock())
        return {"sdp": answer.sdp, "type": answer.type}

    async def devices(self, booking: Booking, role: Side, camera: Any, microphone: Any) -> None:
        """A page turned its camera or microphone on or off. The citizen's camera stays on
        until the clerk has confirmed the ID card on it."""
        if not (isinstance(camera, bool) and isinstance(microphone, bool)):
            raise InvalidFields({"camera": ("devices_invalid", "Πείτε αν η κάμερα και το μικρόφωνο είναι ανοιχτά (true/false).")})
        state = await self.state(booking.reference)
        if role == Side.CITIZEN and not camera and state in ("waiting", "connected"):
            raise Conflict("camera", "camera_needed_for_id",
                           "Η κάμερα μένει ανοιχτή μέχρι ο υπάλληλος να επιβεβαιώσει την ταυτότητά σας. "
                           "Μετά μπορείτε να την κλείσετε.")
        await self._redis.hset(call_key(booking.reference),
                               mapping={f"{role}_camera": _flag(camera), f"{role}_microphone": _flag(microphone)})

    async def leave(self, booking: Booking, role: Side) -> None:
        """A side pressed «Αποχώρηση»: its connection closes, the other side is told; the call
        goes on (the citizen may come back with the same link while it is valid)."""
        await self._redis.hset(call_key(booking.reference), f"{role}_left", "1")
        await audit.AuditTrail(self._redis).append(f"call.{role}_left", role, booking.reference, self._clock())
        room = self.rooms.get(booking.reference)
        if room is not None:
            await room.leave(role)

    def _changed(self, reference: str) -> None:
        """A peer connected or left: both sides up with video make the call `connected`; a
        room nobody is in (and nobody is joining) is dropped, and from then on a call that
        had begun counts as idle."""
        room = self.rooms.get(reference)
        if room is None:
            return
        if room.empty:
            self.rooms.pop(reference, None)
            self._left_at[reference] = self._clock()
        elif room.has_video(Side.CITIZEN) and room.has_video(Side.CLERK):
            self._left_at.pop(reference, None)
            asyncio.get_running_loop().create_task(self._move(reference, "connected", "system"))

    # -- the clerk's decisions -------------------------------------------------------------
    async def verify_id(self, booking: Booking, clerk: str, matches: Any, reason: Any) -> str | None:
        """The clerk's verdict on the ID card. A rejection ends the call; its reason (shown to
        the citizen) is returned, for the appointment to be finished with it."""
        if matches is True:
            room = self.rooms.get(booking.reference)
            if not (room and room.receiving_video(Side.CLERK)):
                raise Conflict("video", "no_live_video",
                               "Η εικόνα του πολίτη δεν έρχεται αυτή τη στιγμή. Η ταυτότητα επιβεβαιώνεται μόνο με ζωντανή εικόνα.")
            await self._require(booking.reference, "id_verified", clerk,
                                "Η ταυτότητα επιβεβαιώνεται όταν η κλήση είναι συνδεδεμένη με εικόνα.")
            return None
        if not isinstance(reason, str) or not reason.strip() or len(reason.strip()) > MAX_REJECTION:
            raise InvalidFields({"reason": ("required", f"Γράψτε στον πολίτη γιατί η ταυτότητα δεν ταιριάζει (έως {MAX_REJECTION} χαρακτήρες).")})
        await self._require(booking.reference, "ended", clerk, "Η κλήση έχει ήδη τελειώσει.",
                            reason=EndReason.ID_REJECTED, rejection_reason=reason.strip()[:MAX_REJECTION])
        await self._close_room(booking.reference)
        return reason.strip()

    async def audio_only(self, booking: Booking, clerk: str) -> None:
        """Recorded in the call's state in Redis: a room made again later relays no video either."""
        await self._require(booking.reference, "audio_only", clerk,
                            "Μόνο ήχος επιτρέπεται αφού επιβεβαιωθεί η ταυτότητα στην κάμερα.")
        if booking.reference in self.rooms:
            self.rooms[booking.reference].relay_video(False)

    async def message(self, booking: Booking, text: Any) -> None:
        if not isinstance(text, str) or not text.strip() or len(text) > MAX_MESSAGE:
            raise InvalidFields({"text": ("text_invalid", f"Γράψτε ένα σύντομο μήνυμα (έως {MAX_MESSAGE} χαρακτήρες).")})
        entry = json.dumps({"text": text.strip(), "at": self._clock().isoformat()}, ensure_ascii=False)
        await self._redis.rpush(key("call", booking.reference, "messages"), entry)

    async def end(self, reference: str, actor: str, reason: EndReason, outcome: str = "") -> bool:
        ended = await self._move(reference, "ended", actor, reason=reason, outcome=outcome) == "ok"
        await self._close_room(reference)
        return ended

    async def _close_room(self, reference: str) -> None:
        room = self.rooms.pop(reference, None)
        self._left_at.pop(reference, None)
        if room is not None:
            await room.close()

    # -- what the pages show ---------------------------------------------------------------
    def page_ice_servers(self, reference: str) -> list[dict]:
        """A page's ICE servers: the STUN servers, and the TURN server with credentials for
        this call that expire (the page reads them again at every rejoin)."""
        return [*self._stun, *([self._turn.ice_server(reference, self._clock())] if self._turn else [])]

    async def status(self, booking: Booking) -> dict[str, Any]:
        room = self.rooms.get(booking.reference)
        messages = [json.loads(m) for m in await self._redis.lrange(key("call", booking.reference, "messages"), 0, -1)]
        call = await self._redis.hgetall(call_key(booking.reference))
        state = call.get("state", "waiting")
        sides = {
            f"{side}_{what}": call.get(f"{side}_{what}", default) == "1"
            for side in Side for what, default in (("camera", "1"), ("microphone", "1"), ("left", "0"))
        }
        return {
            "reference": booking.reference,
            "state": state,
            "picked_up": booking.status == "in_call",
            "citizen_connected": bool(room and room.connected(Side.CITIZEN)),
            "clerk_connected": bool(room and room.connected(Side.CLERK)),
            "citizen_video": bool(room and room.receiving_video(Side.CLERK)),  # what the clerk sees, live
            "clerk_video": bool(room and room.receiving_video(Side.CITIZEN)),
            **sides,
            "video": state != "audio_only",
            "ended_because": call.get("reason") or None,
            "rejection_reason": call.get("rejection_reason") or None,
            "messages": messages,
            "clerk_busy_minutes": await self._clerk_busy_minutes(booking),
        }

    async def _clerk_busy_minutes(self, booking: Booking) -> int | None:
        """If the clerk is still in an earlier call: about how long it has left."""
        if booking.status == "in_call":
            return None
        now = self._clock()
        earlier = await self._appointments.bookings.starting_between(now - timedelta(hours=4), booking.start, booking.clerk)
        busy = [b for b in earlier if b.status == "in_call" and b.reference != booking.reference]
        return max(1, int((max(b.end for b in busy) - now).total_seconds() // 60)) if busy else None

    # -- housekeeping ----------------------------------------------------------------------
    async def end_idle_calls(self) -> list[str]:
        """End the calls that had begun (both sides were connected) and that everybody left
        `idle_seconds` ago. A call that never began stays open: its join link is valid until
        the link's grace period, so an early, reloading or disconnected citizen can come back."""
        ended = []
        now = self._clock()
        for reference, left_at in list(self._left_at.items()):
            if reference in self.rooms or now - left_at < self._idle:
                continue
            if await self.state(reference) == "waiting":
                self._left_at.pop(reference, None)
                continue
            await self.end(reference, "system", EndReason.NOBODY_CONNECTED)
            ended.append(reference)
        return ended

    async def close_all(self) -> None:
        for reference in list(self.rooms):
            with contextlib.suppress(Exception):
                await self._close_room(reference)
