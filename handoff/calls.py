"""The handed-off call: who may join, and its states, enforced here and recorded in Redis
and in the audit trail.

    waiting ─▶ connected (both sides with video) ─▶ id_verified (the clerk saw the card)
                   │                                   │
                   └─ rejected ─▶ ended                └─▶ audio_only (clerk only) ─▶ ended

A supervisor handing the call over to another clerk (`take_over`) puts it back to waiting
from any state but ended: the new clerk joins, and verifies the ID again.
Asking for audio-only before the ID is verified is refused. A call ends only by the clerk
(an outcome, or a rejected ID). A call nobody is in for `idle_seconds` has its media closed
(the room, its peer connections, the process's claim), not the call: the appointment stays
picked up until the clerk records its outcome, the citizen may join again while the link is
valid, and the clerk's «Έναρξη βιντεοκλήσης» opens the same call again, in the state it was.
Everything about a call is in Redis: its state, audio-only, what each side's page reported
(camera, microphone, "I left"), why it ended, who is connected and whose video is live
(written every second by the process holding the media), and when anybody was last
connected (`calls:active`, for closing idle media, which any process may do). The media itself
lives in one process (`media.CallRoom`); any process accepts signalling for any call and
has the holding process act (`media_nodes`), and when that process is gone, the next offer
makes the call's room again where it arrives.
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import secrets
import time
from datetime import timedelta
from enum import StrEnum
from typing import Any, cast

from . import audit, events, presence, ratelimit
from .accounts import Account, AccountStore
from .appointments import Appointments, Clock
from .bookings import ACTIVE_STATUSES, Booking, BookingStatus, Outcome
from .config import Settings
from .console import Console
from .errors import BadRequest, Conflict, DomainError, Forbidden, InvalidFields
from .media import CallRoom, UnusableOffer, check_offer, rtc_configuration
from .media_nodes import MediaNodes
from .metrics import CALL_JOINS
from .store import Redis, key

log = logging.getLogger(__name__)


class Side(StrEnum):
    CITIZEN = "citizen"
    CLERK = "clerk"


class CallState(StrEnum):
    """Where a call is (the diagram above). The values are what Redis stores; `_TRANSITION`
    compares them as strings."""

    WAITING = "waiting"
    CONNECTED = "connected"  # both sides with video
    ID_VERIFIED = "id_verified"  # the clerk saw the ID card
    AUDIO_ONLY = "audio_only"  # the clerk's choice, after the ID
    ENDED = "ended"


class EndReason(StrEnum):
    ID_REJECTED = "id_rejected"
    FINISHED = "finished"


ALLOWED_FROM = {
    CallState.WAITING: (CallState.WAITING, CallState.CONNECTED, CallState.ID_VERIFIED, CallState.AUDIO_ONLY),  # a takeover
    CallState.CONNECTED: (CallState.WAITING,),
    CallState.ID_VERIFIED: (CallState.CONNECTED,),
    CallState.AUDIO_ONLY: (CallState.ID_VERIFIED,),
    CallState.ENDED: (CallState.WAITING, CallState.CONNECTED, CallState.ID_VERIFIED, CallState.AUDIO_ONLY),
}
MAX_MESSAGE = 500
MAX_OFFER = 20000  # characters of SDP: a browser's offer is 3–6 thousand
OFFER_SETTLE_SECONDS = 2  # after an answer, the same side's next offer is refused this long
MAX_REJECTION = 300
CONNECTION_ID = re.compile(r"[A-Za-z0-9_-]{8,64}")  # a page's random id, made at each page load
TAKEN_ELSEWHERE = "Η κλήση συνεχίζεται σε άλλη συσκευή ή καρτέλα."

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


OFFER_UNUSABLE = BadRequest("sdp", "offer_unusable",
                            "Η σύνδεση δεν μπόρεσε να ξεκινήσει με αυτόν τον φυλλομετρητή. Ανανεώστε τη σελίδα· "
                            "αν επαναληφθεί, δοκιμάστε άλλον φυλλομετρητή (Chrome, Firefox, Safari).")


class MediaUnavailable(DomainError):
    status = 503


ACTIVE = key("calls", "active")  # sorted set: call → when anybody was last connected (domain clock)
MEDIA_FLAGS = ("citizen_connected", "clerk_connected", "citizen_video", "clerk_video")
REPORT_SECONDS = 1.0  # how often the holding process writes who is connected
FRESH_SECONDS = 3.0  # a report older than this: the holding process is gone, nobody is connected
JOIN_TIMEOUT, CONTROL_TIMEOUT = 10.0, 3.0  # waiting for the holding process to answer


def call_key(reference: str) -> str:
    return key("call", reference)


def _flag(value: Any) -> str:
    return "0" if value is False else "1"


class Calls:
    def __init__(self, redis: Redis, appointments: Appointments, console: Console, settings: Settings, clock: Clock):
        self._redis = redis
        self._appointments = appointments
        self._console = console  # where the clerk finishes the appointment when the call ends
        self._config = rtc_configuration(list(settings.ice_servers))
        self._stun = list(settings.ice_servers)
        self._turn = settings.turn
        self._clock = clock
        self._idle = timedelta(seconds=settings.call_idle_seconds)
        self._transition = redis.register_script(_TRANSITION)
        self._offers = ratelimit.Limit("call-offers", settings.call_offers_per_minute, 60, "too_many_offers",
                                       "Πολλές προσπάθειες σύνδεσης σε λίγο χρόνο. Η σελίδα θα ξαναδοκιμάσει σε ένα λεπτό.")
        self.rooms: dict[str, CallRoom] = {}  # the calls whose media this process holds
        self._nodes = MediaNodes(redis, self._here)
        self._reporter: asyncio.Task | None = None
        self._tasks: set[asyncio.Task] = set()

    async def start(self) -> None:
        await self._nodes.start()
        self._reporter = asyncio.create_task(self._report_rooms())

    # -- state -----------------------------------------------------------------------------
    async def relayed_by_state(self) -> dict[CallState, int]:
        """How many calls this process relays the media of, in each state (zeros too)."""
        states = [await self.state(reference) for reference in list(self.rooms)]
        return {state: states.count(state) for state in CallState}

    async def state(self, reference: str) -> CallState:
        return CallState(cast(str | None, await self._redis.hget(call_key(reference), "state")) or CallState.WAITING)

    async def _move(self, reference: str, to: CallState, actor: str, **fields: str) -> str:
        """'ok', or the state the call is in, from which it cannot go `to`."""
        line = audit.entry(f"call.{to}", actor, reference, self._clock(), **fields)
        flat = [x for pair in {"updated_at": self._clock().isoformat(), **fields}.items() for x in pair]
        return await self._transition(keys=[call_key(reference), audit.STREAM, audit.subject_key(reference)],
                                      args=[to, ",".join(ALLOWED_FROM[to]), line, *flat])

    async def _require(self, reference: str, to: CallState, actor: str, refusal: str, **fields: str) -> None:
        result = await self._move(reference, to, actor, **fields)
        if result != "ok":
            raise Conflict("state", f"not_from_{result}", refusal)

    # -- joining ---------------------------------------------------------------------------
    async def citizen_booking(self, token: str) -> Booking:
        booking = await self._appointments.booking_for_join(token)
        if booking.status not in ACTIVE_STATUSES:
            raise Forbidden("token", "call_over", "Αυτό το ραντεβού έχει ολοκληρωθεί ή ακυρωθεί.")
        if await self.state(booking.reference) is CallState.ENDED:  # the clerk ended it; the appointment is being finished
            raise Forbidden("token", "call_over", "Για αυτό το ραντεβού η βιντεοκλήση έχει τελειώσει. Αν δεν "
                            f"εξυπηρετηθήκατε, καλέστε το ΚΕΠ στο {await self._branch_phone(booking)}.")
        return booking

    async def _branch_phone(self, booking: Booking) -> str:
        branch = await self._appointments.branch(booking.branch)
        return branch.phone or "1500"

    async def clerk_booking(self, reference: str, username: str, finished_too: bool = False) -> Booking:
        """The clerk's own call, while it is on; with `finished_too`, also once it has ended
        (for the page to show how it ended)."""
        booking = await self._appointments.bookings.get(reference.strip().upper())
        allowed = {BookingStatus.IN_CALL, BookingStatus.COMPLETED} if finished_too else {BookingStatus.IN_CALL}
        # One answer for a reference that does not exist and one that is not this clerk's call:
        # another branch's clerk learns nothing about which references exist.
        if booking is None or booking.picked_by != username or booking.status not in allowed:
            if booking is not None and booking.status is BookingStatus.IN_CALL and await self._had_it(booking, username):
                raise Forbidden("reference", "not_your_call", "Ο προϊστάμενος έδωσε αυτή την κλήση σε άλλον υπάλληλο.")
            raise Forbidden("reference", "not_your_call", "Αναλάβετε πρώτα το ραντεβού από τη λίστα σας.")
        if not finished_too and await self.state(booking.reference) is CallState.ENDED:
            raise Conflict("state", "call_over", "Η κλήση έχει τελειώσει.")
        return booking

    async def _had_it(self, booking: Booking, username: str) -> bool:
        """Did this clerk pick the appointment up before a supervisor handed it over?"""
        handled = await self._appointments.bookings.handled_by(username, booking.start, booking.end)
        return any(b.reference == booking.reference for b in handled)

    async def citizen_waiting(self, booking: Booking) -> None:
        """A heartbeat from the waiting room; the consoles hear when the citizen arrives."""
        if await presence.arrive(self._redis, booking.reference):
            await events.announce(self._redis, events.ChangeKind.WAITING, booking)

    async def join(self, booking: Booking, role: Side, offer: Any) -> dict[str, str]:
        """Answer a page's offer. The offer may say whether its camera and microphone are on
        (`camera`, `microphone`: booleans, default on), as a rejoining page reports them.

        One page per side holds the call: the newest that joined. Each page load sends its
        own random `connection` id, recorded as the side's current page when its offer is
        answered. A page's automatic re-offer (`resume`: after a drop) is refused when
        another page (a second device or tab) has joined since: that page keeps the call,
        instead of the two taking it from each other again and again. A page joining anew
        (opened, reloaded, or the person pressed to continue there) takes the call."""
        reference = booking.reference
        # Per side: whoever holds the citizen's link cannot use up the clerk's offers.
        await self._offers.enforce(self._redis, f"{reference}:{role}")
        if not (isinstance(offer, dict) and offer.get("type") == "offer" and isinstance(offer.get("sdp"), str)
                and len(offer["sdp"]) < MAX_OFFER):
            raise BadRequest("sdp", "offer_invalid", "Η σύνδεση δεν ξεκίνησε σωστά. Ανανεώστε τη σελίδα.")
        try:
            check_offer(offer["sdp"])
        except UnusableOffer as e:
            log.info("call %s: unusable %s offer: %s", reference, role, e)
            raise OFFER_UNUSABLE from None
        connection = offer.get("connection", secrets.token_hex(8))
        if not (isinstance(connection, str) and CONNECTION_ID.fullmatch(connection)):
            raise BadRequest("connection", "connection_invalid", "Η σύνδεση δεν ξεκίνησε σωστά. Ανανεώστε τη σελίδα.")
        resume = offer.get("resume") is True
        await self._refuse_if_replaced(reference, role, connection, resume)
        # One offer per side at a time, and none for OFFER_SETTLE_SECONDS after one was answered:
        # of offers sent together (two tabs, a script with the link) one is answered and the
        # others refused, instead of each in turn replacing the last. (A page sends its offer
        # again after a refusal like this, rtc.js.)
        offering = key("call", reference, "offering", role)
        if not await self._redis.set(offering, "1", nx=True, ex=int(JOIN_TIMEOUT) + 5):
            raise Conflict("sdp", "offer_in_progress",
                           "Αυτή η κλήση μόλις συνδέθηκε από άλλη σελίδα ή συσκευή. Η σελίδα θα ξαναδοκιμάσει σε λίγο.")
        answer: dict[str, Any] = {}
        try:
            await self._refuse_if_replaced(reference, role, connection, resume)  # again: it may have changed meanwhile
            answer = await self._where_media_is(reference, "join", {"role": role, "sdp": offer["sdp"]}, claim=True)
        finally:
            if "sdp" in answer:
                await self._redis.expire(offering, OFFER_SETTLE_SECONDS)
            else:  # refused or failed: a corrected offer may come at once
                await self._redis.delete(offering)
        if answer.get("error") == "offer_unusable":  # what the check let through and aiortc refused
            raise OFFER_UNUSABLE
        if "sdp" not in answer:
            raise MediaUnavailable("sdp", "media_unavailable", "Η σύνδεση δεν ήταν δυνατή αυτή τη στιγμή. Η σελίδα θα ξαναδοκιμάσει.")
        first = await self._redis.hsetnx(call_key(reference), f"{role}_joined", "1")
        CALL_JOINS.labels(str(role), "first" if first else "rejoin").inc()
        await self._redis.hset(call_key(reference), mapping={
            f"{role}_camera": _flag(offer.get("camera", True)), f"{role}_microphone": _flag(offer.get("microphone", True)),
            f"{role}_left": "0", f"{role}_page": connection,
        })
        await audit.AuditTrail(self._redis).append(f"call.{role}_joined", role, reference, self._clock())
        return {"sdp": answer["sdp"], "type": answer["type"]}

    async def _refuse_if_replaced(self, reference: str, role: Side, connection: str, resume: bool) -> None:
        """A page's automatic re-offer, after another page of its side has joined: refused."""
        if resume and await self._redis.hget(call_key(reference), f"{role}_page") not in (None, connection):
            raise Conflict("connection", "taken_elsewhere", TAKEN_ELSEWHERE)

    async def devices(self, booking: Booking, role: Side, camera: Any, microphone: Any) -> None:
        """A page turned its camera or microphone on or off. The citizen's camera stays on
        until the clerk has confirmed the ID card on it."""
        if not (isinstance(camera, bool) and isinstance(microphone, bool)):
            raise InvalidFields({"camera": ("devices_invalid", "Πείτε αν η κάμερα και το μικρόφωνο είναι ανοιχτά (true/false).")})
        state = await self.state(booking.reference)
        if role == Side.CITIZEN and not camera and state in (CallState.WAITING, CallState.CONNECTED):
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
        await self._where_media_is(booking.reference, "leave", {"role": role})

    # -- where the media is ----------------------------------------------------------------
    async def _where_media_is(self, reference: str, op: str, payload: dict[str, Any],
                              claim: bool = False) -> dict[str, Any]:
        """Have the process holding the call's media do `op` (this one, or another through
        `media_nodes`). With `claim` (an offer), a call held nowhere, or by a process that is
        gone, is taken here; otherwise there is simply nothing to act on."""
        payload = payload | {"reference": reference}
        for _ in range(3):
            holder = await self._nodes.holder(reference)
            if holder == self._nodes.node_id or (holder is None and claim and await self._nodes.claim(reference, None)):
                return await self._here(op, payload)
            if holder is None:
                if claim:
                    continue  # another process claimed it just now: ask it
                return {}
            answer = await self._nodes.ask(holder, op, payload, JOIN_TIMEOUT if claim else CONTROL_TIMEOUT)
            if answer is not None and answer.get("error") != "moved":
                return answer
            if answer is None:
                log.warning("call %s: media process %s is gone", reference, holder)
                if not claim:
                    return {}  # nothing is left to act on; the next offer takes the call over
                if await self._nodes.claim(reference, holder):
                    return await self._here(op, payload)
        return {}

    async def _here(self, op: str, payload: dict[str, Any]) -> dict[str, Any]:
        """`op` on this process's room of the call (the media node's side of `_where_media_is`)."""
        reference = payload["reference"]
        if op == "join":
            if not await self._nodes.claim(reference, None):
                return {"error": "moved"}  # released meanwhile and taken by another process
            video_relayed = await self.state(reference) is not CallState.AUDIO_ONLY
            room = self.rooms.get(reference)  # after the last await: two offers at once share one room
            if room is None:
                room = self.rooms[reference] = CallRoom(reference, self._config, lambda: self._changed(reference),
                                                        video_relayed=video_relayed)
            try:
                answer = await room.join(payload["role"], payload["sdp"])
            except UnusableOffer:
                self._changed(reference)
                return {"error": "offer_unusable"}
            return {"sdp": answer.sdp, "type": answer.type}
        room = self.rooms.get(reference)
        if room is None:
            return {}
        if op == "leave":
            await room.leave(payload["role"])
        elif op == "sync":
            room.relay_video(await self.state(reference) is not CallState.AUDIO_ONLY)
        elif op == "close":
            self.rooms.pop(reference, None)
            await room.close()
            await self._nodes.release(reference)
            await self._report(reference, None)
        return {}

    def _changed(self, reference: str) -> None:
        """A peer connected or left: both sides up with video make the call `connected`; a
        room nobody is in (and nobody is joining) is dropped and the call released; who is
        connected is written at once."""
        room = self.rooms.get(reference)
        if room is None:
            return
        if room.empty:
            self.rooms.pop(reference, None)
            self._spawn(self._nodes.release(reference))
            self._spawn(self._report(reference, None))
            return
        if room.has_video(Side.CITIZEN) and room.has_video(Side.CLERK):
            self._spawn(self._move(reference, CallState.CONNECTED, "system"))
        self._spawn(self._report(reference, room))

    def _spawn(self, work) -> None:
        """Redis work a peer's event starts; a failure is logged (the next report repairs it)."""
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.warning("call bookkeeping failed: %r", task.exception())

    async def _report(self, reference: str, room: CallRoom | None) -> None:
        """Who is connected and whose video is live, for every process's status; and, while
        anybody is, that the call is in use (idle media is closed counting from the last report)."""
        flags = {
            "citizen_connected": room is not None and room.connected(Side.CITIZEN),
            "clerk_connected": room is not None and room.connected(Side.CLERK),
            "citizen_video": room is not None and room.receiving_video(Side.CLERK),  # what the clerk sees, live
            "clerk_video": room is not None and room.receiving_video(Side.CITIZEN),
        }
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.hset(call_key(reference), mapping={**{k: _flag(v) for k, v in flags.items()}, "media_at": str(time.time())})
            if flags["citizen_connected"] or flags["clerk_connected"]:
                pipe.zadd(ACTIVE, {reference: self._clock().timestamp()})
            await pipe.execute()

    async def _report_rooms(self) -> None:
        """Every second, for each room here: still ours (else it is closed, and its pages
        rejoin where the call now is), the clerk's account still enabled (else the clerk's
        connection is closed: a disabled account leaves its live calls too), and who is connected."""
        while True:
            await asyncio.sleep(REPORT_SECONDS)
            for reference, room in list(self.rooms.items()):
                try:
                    if await self._nodes.claim(reference, None):
                        if Side.CLERK in room.participants and not await self._clerk_enabled(reference):
                            log.warning("call %s: the clerk's account is disabled; their connection is closed", reference)
                            await room.leave(Side.CLERK)
                        await self._report(reference, room)
                    else:
                        log.warning("call %s: held by another process now; closing the room here", reference)
                        self.rooms.pop(reference, None)
                        await room.close()
                except Exception:
                    log.exception("call %s: reporting who is connected failed", reference)

    async def _clerk_enabled(self, reference: str) -> bool:
        booking = await self._appointments.bookings.get(reference)
        account = await AccountStore(self._redis).get(booking.picked_by) if booking and booking.picked_by else None
        return account is not None and not account.disabled

    async def _media(self, reference: str) -> dict[str, bool]:
        """Who is connected and whose video is live, as the holding process last reported it
        (nobody, if that report is stale: the process is gone)."""
        values = await self._redis.hmget(call_key(reference), *MEDIA_FLAGS, "media_at")
        fresh = values[-1] is not None and time.time() - float(values[-1]) < FRESH_SECONDS
        return {name: fresh and value == "1" for name, value in zip(MEDIA_FLAGS, values, strict=False)}

    # -- the clerk's decisions -------------------------------------------------------------
    async def verify_id(self, booking: Booking, account: Account, matches: Any, reason: Any) -> None:
        """The clerk's verdict on the ID card. A rejection ends the call and finishes the
        appointment with that outcome, the reason being what the citizen reads."""
        clerk = account.username
        if matches is True:
            if not (await self._media(booking.reference))["citizen_video"]:
                raise Conflict("video", "no_live_video",
                               "Η εικόνα του πολίτη δεν έρχεται αυτή τη στιγμή. Η ταυτότητα επιβεβαιώνεται μόνο με ζωντανή εικόνα.")
            await self._require(booking.reference, CallState.ID_VERIFIED, clerk,
                                "Η ταυτότητα επιβεβαιώνεται όταν η κλήση είναι συνδεδεμένη με εικόνα.")
            return None
        if not isinstance(reason, str) or not reason.strip() or len(reason.strip()) > MAX_REJECTION:
            raise InvalidFields({"reason": ("required", f"Γράψτε στον πολίτη γιατί η ταυτότητα δεν ταιριάζει (έως {MAX_REJECTION} χαρακτήρες).")})
        await self._require(booking.reference, CallState.ENDED, clerk, "Η κλήση έχει ήδη τελειώσει.",
                            reason=EndReason.ID_REJECTED, rejection_reason=reason.strip()[:MAX_REJECTION])
        await self._close_room(booking.reference)
        await self._console.finish(await self._console.viewer(account), booking.reference, Outcome.ID_REJECTED, reason.strip())

    async def audio_only(self, booking: Booking, clerk: str) -> None:
        """Recorded in the call's state in Redis: a room made again later relays no video either."""
        await self._require(booking.reference, CallState.AUDIO_ONLY, clerk,
                            "Μόνο ήχος επιτρέπεται αφού επιβεβαιωθεί η ταυτότητα στην κάμερα.")
        await self._where_media_is(booking.reference, "sync", {})

    async def message(self, booking: Booking, text: Any) -> None:
        if not isinstance(text, str) or not text.strip() or len(text) > MAX_MESSAGE:
            raise InvalidFields({"text": ("text_invalid", f"Γράψτε ένα σύντομο μήνυμα (έως {MAX_MESSAGE} χαρακτήρες).")})
        entry = json.dumps({"text": text.strip(), "at": self._clock().isoformat()}, ensure_ascii=False)
        await self._redis.rpush(key("call", booking.reference, "messages"), entry)

    async def hang_up(self, booking: Booking, account: Account, outcome: Any, notes: Any) -> dict[str, Any]:
        """The clerk hangs up with the outcome: the appointment is finished (the outcome
        checked there) and the call ended, in that order; the finished appointment is returned."""
        finished = await self._console.finish(await self._console.viewer(account), booking.reference, outcome, notes)
        await self.end(booking.reference, account.username, EndReason.FINISHED, finished["outcome"])
        return finished

    async def take_over(self, supervisor: Account, reference: str, clerk_id: Any) -> dict[str, Any]:
        """A supervisor gives a live call to another clerk (the first one's computer died, or
        they left): the appointment is theirs at once (`Console.hand_over`), the first clerk's
        connection is closed and their page refused from then on, and the call waits for the new
        clerk, who sees the ID card again before going audio-only. The appointment as the
        supervisor now sees it is returned."""
        viewer = await self._console.viewer(supervisor)
        booking = await self._console.hand_over(viewer, reference, clerk_id)
        # (A call already ended stays so: the new clerk records the outcome from the console.)
        await self._move(booking.reference, CallState.WAITING, supervisor.username)
        await self._where_media_is(booking.reference, "leave", {"role": Side.CLERK})
        await self._where_media_is(booking.reference, "sync", {})  # video again, if it was audio-only
        await events.announce(self._redis, events.ChangeKind.TAKEN_OVER, booking)
        return await self._console.item(viewer, booking.reference)

    async def end(self, reference: str, actor: str, reason: EndReason, outcome: str = "") -> bool:
        ended = await self._move(reference, CallState.ENDED, actor, reason=reason, outcome=outcome) == "ok"
        await self._close_room(reference)
        return ended

    async def _close_room(self, reference: str) -> None:
        await self._redis.zrem(ACTIVE, reference)
        await self._where_media_is(reference, "close", {})

    # -- what the pages show ---------------------------------------------------------------
    def page_ice_servers(self, reference: str) -> list[dict]:
        """A page's ICE servers: the STUN servers, and the TURN server with credentials for
        this call that expire (the page reads them again at every rejoin)."""
        return [*self._stun, *([self._turn.ice_server(reference, self._clock())] if self._turn else [])]

    async def status(self, booking: Booking, side: Side | None = None, connection: str | None = None) -> dict[str, Any]:
        """The call as a page shows it; given the asking page's side and `connection` id,
        `elsewhere` says whether another page of that side has joined since (and holds the call)."""
        messages = [json.loads(m) for m in await self._redis.lrange(key("call", booking.reference, "messages"), 0, -1)]
        call = cast(dict[str, str], await self._redis.hgetall(call_key(booking.reference)))  # decode_responses: str
        state = CallState(call.get("state") or CallState.WAITING)
        sides = {
            f"{side}_{what}": call.get(f"{side}_{what}", default) == "1"
            for side in Side for what, default in (("camera", "1"), ("microphone", "1"), ("left", "0"))
        }
        return {
            "reference": booking.reference,
            "state": state,
            "picked_up": booking.status is BookingStatus.IN_CALL,
            **await self._media(booking.reference),
            **sides,
            "video": state is not CallState.AUDIO_ONLY,
            "ended_because": call.get("reason") or None,
            "rejection_reason": call.get("rejection_reason") or None,
            "messages": messages,
            "clerk_busy_minutes": await self._clerk_busy_minutes(booking),
            "elsewhere": bool(side and connection and call.get(f"{side}_page") not in (None, connection)),
        }

    async def _clerk_busy_minutes(self, booking: Booking) -> int | None:
        """If the clerk is still in an earlier call: about how long it has left."""
        if booking.status is BookingStatus.IN_CALL:
            return None
        now = self._clock()
        earlier = await self._appointments.bookings.starting_between(now - timedelta(hours=4), booking.start, booking.clerk)
        busy = [b for b in earlier if b.status is BookingStatus.IN_CALL and b.reference != booking.reference]
        return max(1, int((max(b.end for b in busy) - now).total_seconds() // 60)) if busy else None

    # -- housekeeping ----------------------------------------------------------------------
    async def close_idle_media(self) -> list[str]:
        """Close the media of the calls nobody has been connected to for `idle_seconds`
        (everybody left, or the process holding the media died and nobody came back): their
        rooms and peer connections, wherever they are. The calls themselves go on: nobody is
        locked out of an appointment because both sides stepped away (a clerk who picked up
        early, a citizen who lost the network); the clerk ends the call with the outcome.
        Any process may do it; the calls it closed are returned once."""
        closed: list[str] = []
        idle_since = (self._clock() - self._idle).timestamp()
        for reference in cast(list[str], await self._redis.zrangebyscore(ACTIVE, "-inf", idle_since)):
            if await self._redis.zrem(ACTIVE, reference):  # this process does it, not another
                await self._where_media_is(reference, "close", {})
                closed.append(reference)
        return closed

    async def close_all(self) -> None:
        """At shutdown: this process's rooms closed and released (their pages rejoin elsewhere)."""
        if self._reporter is not None:
            self._reporter.cancel()
        for reference in list(self.rooms):
            with contextlib.suppress(Exception):
                await self._here("close", {"reference": reference})
        await self._nodes.stop()
