"""The clerk's console: the pre-triaged queue, pick-up, the outcome after the call, the day's
handled appointments and the clerk's history, the branch's day for a supervisor, a
supervisor's reassignment (and handing a live call over, with `Calls.take_over`), and no-shows.

A clerk sees the appointments of their branch for the topics they are trained in (any of
them may take one, first come first served), except those a supervisor gave to another
clerk (only that clerk sees and takes those); a supervisor sees the whole branch (or every
branch). Identity data is shown only to the clerk who picked the appointment up: masked for
everyone else, supervisors included; an appointment a viewer may not see is not found.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.nlu.greek_text import normalise

from . import appointment_history, events, notifications, presence
from .accounts import Account, AccountStore
from .appointments import Appointments, Clock
from .audit import AuditTrail
from .bookings import ACTIVE_STATUSES, HANDLED_STATUSES, Booking, BookingStatus, Outcome
from .citizens import IdentityDocument
from .clerk_schedule import ClerkSchedule, parse_absence, parse_period, parse_schedule
from .clerks import Clerk
from .config import ATHENS
from .errors import Conflict, DomainError, Forbidden, InvalidFields, NotFound, Unprocessable
from .notifications import Notification, NotificationKind
from .outbox import Outbox
from .store import Redis
from .topics import Topic

OUTCOMES = {Outcome.RESOLVED: "Επιλύθηκε", Outcome.IN_PERSON: "Χρειάζεται επίσκεψη στο ΚΕΠ",
            Outcome.FOLLOW_UP: "Χρειάζεται συνέχεια", Outcome.ID_REJECTED: "Η ταυτότητα δεν επιβεβαιώθηκε"}
MAX_NOTES = 2000
MAX_REASON = 200  # told to the citizen by e-mail
QUEUE_DAYS = 14
HISTORY_RESULTS = 50
BRANCH_HISTORY_ENTRIES = 300


def mask(value: str, keep: int = 2) -> str:
    """Enough for the clerk to recognise the citizen, not enough to use their data."""
    if len(value) <= keep * 2:
        return "•" * len(value)
    return value[:keep] + "•" * (len(value) - keep * 2) + value[-keep:]


def masked_citizen(citizen: dict[str, str]) -> dict[str, str]:
    name_parts = citizen.get("full_name", "").split()
    return {
        "full_name": " ".join(p[0] + "." for p in name_parts),
        **{k: mask(citizen.get(k, "")) if citizen.get(k) else "" for k in ("id_card", "afm", "amka", "mobile", "email")},
        "id_document": citizen.get("id_document", IdentityDocument.POLICE_ID),
    }


def _outcome_label(booking: Booking) -> str:
    return OUTCOMES[booking.outcome] if booking.outcome else ""


def _count(values: Iterable[str]) -> dict[str, int]:
    return dict(Counter(values))


def shown_citizen(citizen: dict[str, str], mine: bool) -> dict[str, str]:
    """The citizen as a clerk sees them (masked until they pick the appointment up), with the
    name of the document to expect on camera."""
    shown = dict(citizen) if mine else masked_citizen(citizen)
    return shown | {"id_document_label": IdentityDocument(citizen.get("id_document") or IdentityDocument.POLICE_ID).label}


def _reason(raw: Any) -> str:
    """Why the service changed a citizen's appointment: they are told, so it must be said."""
    reason = raw.strip() if isinstance(raw, str) else ""
    if not reason or len(reason) > MAX_REASON:
        raise InvalidFields({"reason": (
            "reason_required", f"Γράψτε στον πολίτη τον λόγο (έως {MAX_REASON} χαρακτήρες): θα τον λάβει σε μήνυμα.",
        )})
    return reason


@dataclass(frozen=True)
class _Names:
    """What the console shows instead of ids."""

    topics: dict[str, Topic]
    clerks: dict[str, str]  # roster id → name
    branches: dict[str, str]
    accounts: dict[str, Account]  # username → account (who picked an appointment up)

    def picker_name(self, username: str) -> str:
        account = self.accounts.get(username)
        return account.name if account else username

    def picker_clerk(self, username: str) -> str | None:
        account = self.accounts.get(username)
        return account.clerk_id if account else None


@dataclass(frozen=True)
class Viewer:
    """Who is looking: their account, and for a clerk, their roster entry."""

    account: Account
    clerk: Clerk | None

    def sees(self, branch: str, topic: str) -> bool:
        if self.account.is_supervisor:
            return self.account.supervised_branch in (None, branch)
        return self.clerk is not None and self.clerk.branch == branch and self.clerk.serves(topic)

    def can_see(self, booking: Booking) -> bool:
        """A supervisor's reassignment gives the appointment to that clerk alone; the clerk who
        has it picked up sees it (also one a supervisor handed over to them mid-call)."""
        if booking.picked_by and booking.picked_by == self.account.username:
            return True
        if booking.assigned_by and not self.account.is_supervisor:
            return self.clerk is not None and self.clerk.id == booking.clerk
        return self.sees(booking.branch, booking.topic)


class Console:
    def __init__(self, redis: Redis, appointments: Appointments, clock: Clock, no_show_minutes: int):
        self._redis = redis
        self._appointments = appointments
        self._bookings = appointments.bookings
        self._clock = clock
        self._no_show_after = timedelta(minutes=no_show_minutes)
        self._outbox = Outbox(redis)
        self._accounts = AccountStore(redis)
        self._audit = AuditTrail(redis)

    async def viewer(self, account: Account) -> Viewer:
        clerk_id = None if account.is_supervisor else account.clerk_id
        return Viewer(account, await self._appointments.clerks.get(clerk_id) if clerk_id else None)

    async def queue(self, viewer: Viewer) -> list[dict[str, Any]]:
        """Today first, then the next days: every active appointment this viewer may take."""
        today = self._today()
        bookings = [
            b for b in await self._bookings.starting_between(today, today + timedelta(days=QUEUE_DAYS))
            if b.status in ACTIVE_STATUSES and viewer.can_see(b)
        ]
        return await self._items(viewer, bookings)

    async def handled_today(self, viewer: Viewer) -> list[dict[str, Any]]:
        """The appointments finished today, with their outcome and notes, in time order: a
        clerk's own (those they picked up, and their citizens who never came); a supervisor's
        whole branch."""
        today = self._today()
        window = (today - timedelta(days=1), today + timedelta(days=QUEUE_DAYS))
        if viewer.account.is_supervisor:
            candidates = [b for b in await self._bookings.starting_between(*window) if viewer.can_see(b)]
        else:
            candidates = await self._bookings.handled_by(viewer.account.username, *window)
            if viewer.clerk is not None:  # their citizens who never came (in their roster entry's queue)
                candidates += [b for b in await self._bookings.starting_between(*window, clerk=viewer.clerk.id)
                               if not b.picked_by]
        bookings = sorted(
            (b for b in candidates if b.status in HANDLED_STATUSES and b.updated_at.astimezone(ATHENS) >= today),
            key=lambda b: b.start,
        )
        return await self._items(viewer, bookings)

    async def branch_day(self, viewer: Viewer) -> dict[str, Any]:
        """Today at the supervisor's branch (or at each branch): per clerk, the appointments by
        status against the slots they work (their load); the citizens waiting now; no-shows
        and outcomes. A picked-up appointment counts for the clerk who took it."""
        if not viewer.account.is_supervisor:
            raise Forbidden("role", "supervisors_only", "Μόνο ο προϊστάμενος βλέπει την ημέρα του ΚΕΠ.")
        today = self._today()
        bookings = [b for b in await self._bookings.starting_between(today, today + timedelta(days=1)) if viewer.can_see(b)]
        waiting = await presence.waiting(self._redis, [b.reference for b in bookings if b.status is BookingStatus.BOOKED])
        names = await self._names()
        clerks = await self._appointments.clerks.all()
        branches = []
        for branch in await self._appointments.branches.all():
            if not viewer.sees(branch.id, ""):
                continue
            here = [b for b in bookings if b.branch == branch.id]
            rows = []
            for clerk in (c for c in clerks if c.branch == branch.id):
                theirs = [b for b in here if (names.picker_clerk(b.picked_by) if b.picked_by else b.clerk) == clerk.id]
                rows.append({
                    "id": clerk.id, "name": clerk.name,
                    "slots": len(self._appointments.working_slots(clerk, branch, today.date())),
                    "appointments": sum(b.status is not BookingStatus.CANCELLED for b in theirs),
                    "statuses": _count(b.status for b in theirs),
                    "waiting": sum(b.reference in waiting for b in theirs),
                })
            branches.append({
                "id": branch.id, "name": branch.name, "clerks": rows,
                "statuses": _count(b.status for b in here),
                "outcomes": _count(b.outcome for b in here if b.outcome),
                "waiting_now": [
                    {"reference": b.reference, "start": b.start.isoformat(), "clerk_name": names.clerks.get(b.clerk, b.clerk),
                     "topic_label": names.topics[b.topic].label if b.topic in names.topics else b.topic}
                    for b in here if b.reference in waiting
                ],
            })
        return {"day": today.date().isoformat(), "outcome_labels": OUTCOMES, "branches": branches}

    async def appointment_history(self, viewer: Viewer, reference: str) -> list[dict[str, str]]:
        """Who did what and when to one appointment the viewer may see, oldest first."""
        booking = await self._visible(viewer, reference)
        return await self._readable(await self._audit.history(booking.reference))

    async def branch_history(self, viewer: Viewer) -> list[dict[str, str]]:
        """Every step of today's appointments at the supervisor's branch (or every branch),
        newest first."""
        if not viewer.account.is_supervisor:
            raise Forbidden("role", "supervisors_only", "Μόνο ο προϊστάμενος βλέπει το ιστορικό όλου του ΚΕΠ.")
        today = self._today()
        steps = []  # (when, its place in the appointment's history, entry): newest first, ties latest first
        for booking in await self._bookings.starting_between(today, today + timedelta(days=1)):
            if viewer.can_see(booking):
                steps += [(datetime.fromisoformat(e["at"]), i, e) for i, e in enumerate(await self._audit.history(booking.reference))]
        steps.sort(key=lambda step: step[:2], reverse=True)
        return await self._readable([e for _, _, e in steps[:BRANCH_HISTORY_ENTRIES]])

    async def _readable(self, entries: list[dict[str, Any]]) -> list[dict[str, str]]:
        names = await self._names()
        return [appointment_history.readable(e, names.accounts, names.clerks, OUTCOMES) for e in entries]

    async def history(self, viewer: Viewer, query: str) -> list[dict[str, Any]]:
        """The appointments this clerk picked up, latest first, whose reference, question, notes,
        topic, outcome or citizen's name contain every word of `query` (accents, capitals and
        Greeklish do not matter); the latest ones when the query is empty."""
        if viewer.account.is_supervisor:
            raise Forbidden("role", "clerks_only", "Το ιστορικό είναι του κάθε υπαλλήλου· δείτε την ημέρα του ΚΕΠ.")
        words = normalise(query).split()
        topics = {t.id: t.label for t in await self._appointments.topics.all()}
        found = []
        for booking in await self._bookings.handled_by(viewer.account.username):
            text = normalise(" ".join((
                booking.reference, booking.question, booking.notes, topics.get(booking.topic, ""),
                _outcome_label(booking), booking.citizen.get("full_name", ""),
            )))
            if all(w in text for w in words):
                found.append(booking)
                if len(found) == HISTORY_RESULTS:
                    break
        return await self._items(viewer, found)

    def _today(self) -> datetime:
        return datetime.combine(self._clock().astimezone(ATHENS).date(), datetime.min.time(), ATHENS)

    async def _items(self, viewer: Viewer, bookings: list[Booking]) -> list[dict[str, Any]]:
        # «Ο πολίτης περιμένει» only for an appointment still to be served (a finished one's page may still be open)
        waiting = await presence.waiting(self._redis, [b.reference for b in bookings if b.status in ACTIVE_STATUSES])
        names = await self._names()
        return [self._item(b, viewer, names, b.reference in waiting) for b in bookings]

    async def _names(self) -> _Names:
        return _Names(
            topics={t.id: t for t in await self._appointments.topics.all()},
            clerks={c.id: c.name for c in await self._appointments.clerks.all()},
            branches={b.id: b.name for b in await self._appointments.branches.all()},
            accounts={a.username: a for a in await self._accounts.all()},
        )

    def _item(self, booking: Booking, viewer: Viewer, names: _Names, waiting: bool) -> dict[str, Any]:
        mine = booking.picked_by == viewer.account.username
        topic = names.topics.get(booking.topic)
        return {
            "reference": booking.reference,
            "status": booking.status,
            "start": booking.start.isoformat(),
            "end": booking.end.isoformat(),
            "branch": booking.branch,
            "branch_name": names.branches.get(booking.branch, booking.branch),
            "clerk": booking.clerk,
            "clerk_name": names.clerks.get(booking.clerk, booking.clerk),
            "assigned": bool(booking.assigned_by),
            "picked_by_name": names.picker_name(booking.picked_by) if booking.picked_by else "",
            "picked_by_clerk": (names.picker_clerk(booking.picked_by) or "") if booking.picked_by else "",
            "topic": booking.topic,
            "topic_label": topic.label if topic else booking.topic,
            "question": booking.question,
            "confidence": booking.confidence,
            "waiting": waiting,
            "picked_by": booking.picked_by,
            "picked_by_me": mine,
            "outcome": booking.outcome or "",
            "outcome_label": _outcome_label(booking),
            "notes": booking.notes if mine or viewer.account.is_supervisor else "",
            "citizen": shown_citizen(booking.citizen, mine),
            "transcript": booking.transcript,
            "documents": topic.documents if topic else [],
            "links": [asdict(link) for link in topic.links] if topic else [],
        }

    async def _visible(self, viewer: Viewer, reference: str) -> Booking:
        """The booking if this viewer may see it; one 404 for a missing one and one of another
        branch or topic alike, so that a reference cannot be probed from the console."""
        booking = await self._bookings.get(reference.strip().upper())
        if booking is not None and not viewer.can_see(booking) and viewer.sees(booking.branch, booking.topic):
            raise Conflict("reference", "assigned_elsewhere", "Ο προϊστάμενος ανέθεσε αυτό το ραντεβού σε άλλον υπάλληλο.")
        if booking is None or not viewer.can_see(booking):
            raise NotFound("reference", "booking_not_found", "Δεν βρέθηκε αυτό το ραντεβού στη λίστα σας.")
        return booking

    async def pick_up(self, viewer: Viewer, reference: str) -> dict[str, Any]:
        if viewer.account.is_supervisor:
            raise Forbidden("role", "clerks_only", "Μόνο υπάλληλοι αναλαμβάνουν ραντεβού.")
        booking = await self._visible(viewer, reference)
        now = self._clock()
        result = await self._bookings.transition(
            booking.reference, "booking.picked_up", viewer.account.username, now,
            from_status=BookingStatus.BOOKED, to_status=BookingStatus.IN_CALL, only_slot=booking.slot_id, handled_by=viewer.account.username,
            picked_by=viewer.account.username, picked_at=now.isoformat(),
        )
        if result == BookingStatus.IN_CALL:
            raise Conflict("reference", "already_picked_up", "Το ραντεβού το ανέλαβε ήδη άλλος υπάλληλος.")
        if result == "changed":
            raise Conflict("reference", "booking_changed", "Το ραντεβού μόλις άλλαξε ώρα ή υπάλληλο. Δείτε τη λίστα ξανά.")
        if result != "ok":
            raise Conflict("reference", "not_active", "Το ραντεβού δεν είναι πλέον ενεργό.")
        await events.announce(self._redis, events.ChangeKind.PICKED_UP, booking)
        return await self.item(viewer, booking.reference)

    async def finish(self, viewer: Viewer, reference: str, outcome: Any, notes: Any) -> dict[str, Any]:
        if not isinstance(outcome, str) or outcome not in set(Outcome) or not isinstance(notes, str) or len(notes) > MAX_NOTES:
            raise InvalidFields({"outcome": ("outcome_invalid", "Διαλέξτε αποτέλεσμα· οι σημειώσεις έως 2.000 χαρακτήρες.")})
        booking = await self._visible(viewer, reference)
        result = await self._bookings.transition(
            booking.reference, "booking.finished", viewer.account.username, self._clock(),
            from_status=BookingStatus.IN_CALL, to_status=BookingStatus.COMPLETED, only_picked_by=viewer.account.username,
            outcome=Outcome(outcome), notes=notes.strip(),
        )
        if result == "not_yours":
            raise Forbidden("reference", "not_yours", "Το ραντεβού το έχει αναλάβει άλλος υπάλληλος.")
        if result != "ok":
            raise Conflict("reference", "not_in_call", "Πρώτα αναλάβετε το ραντεβού.")
        await events.announce(self._redis, events.ChangeKind.FINISHED, booking)
        return await self.item(viewer, booking.reference)

    async def reassignable_clerks(self, viewer: Viewer, reference: str) -> list[dict[str, str]]:
        """Whom the supervisor may give the appointment to: clerks of its branch, trained in
        its topic, working and free at that time; for one in its call, those who may take the
        call over now (`hand_over`)."""
        booking = await self._supervised(viewer, reference, "Μόνο ο προϊστάμενος αναθέτει ραντεβού.")
        if booking.status is not BookingStatus.IN_CALL:
            return [{"id": c.id, "name": c.name} for c in await self._appointments.reassignable_clerks(booking)]
        takers = []
        for clerk in await self._appointments.clerks.all():
            try:
                await self._taker(booking, clerk)
            except DomainError:
                continue
            takers.append({"id": clerk.id, "name": clerk.name})
        return takers

    async def reassign(self, viewer: Viewer, reference: str, clerk_id: Any) -> dict[str, Any]:
        booking = await self._given_to_another(viewer, reference, clerk_id, "Μόνο ο προϊστάμενος αναθέτει ραντεβού.")
        if booking.status is not BookingStatus.BOOKED:
            raise Conflict("reference", "not_reassignable", "Ανατίθεται μόνο ραντεβού που δεν έχει αναληφθεί ακόμη.")
        await self._appointments.reassign(booking, clerk_id, viewer.account.username)
        return await self.item(viewer, booking.reference)

    async def hand_over(self, viewer: Viewer, reference: str, clerk_id: Any) -> Booking:
        """The booking's part of a supervisor's takeover of a live call (`Calls.take_over`):
        an appointment in its call passes, at once, from the clerk who has it to another clerk
        of its branch trained in its topic who has a console account and is in no other call
        (their timetable does not matter: they take it now). Returns the booking as it was."""
        booking = await self._given_to_another(viewer, reference, clerk_id,
                                               "Μόνο ο προϊστάμενος δίνει μια κλήση σε άλλον υπάλληλο.")
        if booking.status is not BookingStatus.IN_CALL:
            raise Conflict("reference", "not_in_call", "Δίνεται σε άλλον υπάλληλο μόνο ραντεβού που εξυπηρετείται αυτή τη "
                           "στιγμή· ένα ραντεβού που δεν έχει αναληφθεί ακόμη ανατίθεται.")
        account = await self._taker(booking, await self._appointments.clerks.get(clerk_id))
        now = self._clock()
        result = await self._bookings.transition(
            booking.reference, "booking.taken_over", viewer.account.username, now,
            from_status=BookingStatus.IN_CALL, to_status=BookingStatus.IN_CALL, only_picked_by=booking.picked_by,
            handled_by=account.username, picked_by=account.username, picked_at=now.isoformat(),
            audit_detail={"from_picked_by": booking.picked_by},
        )
        if result != "ok":
            raise Conflict("reference", "booking_changed", "Το ραντεβού μόλις άλλαξε (ολοκληρώθηκε ή δόθηκε σε άλλον). "
                           "Δείτε τη λίστα ξανά.")
        return booking

    async def _taker(self, booking: Booking, clerk: Clerk | None) -> Account:
        """The console account of the clerk who may take over this live call now (else why not)."""
        if (refusal := self._appointments.serving_refusal(booking, clerk)) is not None:
            raise refusal
        assert clerk is not None
        account = await self._accounts.of_clerk(clerk.id)
        if account is None:
            raise Unprocessable("clerk", "no_account", f"Ο/Η {clerk.name} δεν έχει ενεργό λογαριασμό στην κονσόλα· "
                                "δεν μπορεί να αναλάβει την κλήση.")
        if account.username == booking.picked_by:
            raise Conflict("clerk", "same_clerk", f"Ο/Η {clerk.name} έχει ήδη αυτό το ραντεβού.")
        now = self._clock()
        their_calls = await self._bookings.handled_by(account.username, now - timedelta(days=1), now + timedelta(days=1))
        if any(b.status is BookingStatus.IN_CALL and b.reference != booking.reference for b in their_calls):  # (once theirs: not another)
            raise Conflict("clerk", "clerk_busy", f"Ο/Η {clerk.name} εξυπηρετεί αυτή τη στιγμή άλλο ραντεβού.")
        return account

    async def cancel(self, viewer: Viewer, reference: str, reason: Any) -> dict[str, Any]:
        """The service cancels an appointment (a supervisor's decision); the citizen is told why."""
        booking = await self._supervised(viewer, reference)
        cancelled = await self._appointments.cancel_by_service(booking, viewer.account.username, _reason(reason))
        return await self.item(viewer, cancelled.reference)

    async def move(self, viewer: Viewer, reference: str, slot_id: Any, reason: Any) -> dict[str, Any]:
        """The service gives the appointment another time (a supervisor's decision); the citizen
        is told the new time and why."""
        if not isinstance(slot_id, str) or not slot_id:
            raise InvalidFields({"slot_id": ("required", "Διαλέξτε τη νέα ώρα.")})
        why = _reason(reason)
        booking = await self._supervised(viewer, reference)
        moved = await self._appointments.move_by_service(booking, slot_id, viewer.account.username, why)
        return await self.item(viewer, moved.reference)

    async def staff(self, viewer: Viewer) -> list[dict[str, Any]]:
        """The clerks a supervisor manages: topics, weekly hours, absences not yet over."""
        if not viewer.account.is_supervisor:
            raise Forbidden("role", "supervisors_only", "Μόνο ο προϊστάμενος διαχειρίζεται τους υπαλλήλους.")
        now = self._clock()
        return [
            {**c.to_dict(), "absences": [a.to_dict() for a in c.absences if a.ends > now]}
            for c in await self._appointments.clerks.all() if viewer.sees(c.branch, "")
        ]

    async def add_absence(self, viewer: Viewer, clerk_id: str, start: Any, end: Any, reason: Any) -> dict[str, Any]:
        """Mark a clerk of the supervisor's branch absent; their appointments in the period go
        elsewhere (see `clerk_schedule`)."""
        clerk = await self._managed_clerk(viewer, clerk_id)
        absence = parse_period(start, end, reason, self._clock())
        done = await ClerkSchedule(self._redis, self._appointments, self._clock).add_absence(clerk, absence, viewer.account.username)
        return {"absence": absence.to_dict(), **done.to_dict()}

    async def remove_absence(self, viewer: Viewer, clerk_id: str, listed: dict[str, str]) -> dict[str, Any]:
        clerk = await self._managed_clerk(viewer, clerk_id)
        await ClerkSchedule(self._redis, self._appointments, self._clock).remove_absence(
            clerk, parse_absence(listed), viewer.account.username)
        return {"removed": True}

    async def change_schedule(self, viewer: Viewer, clerk_id: str, topics: Any, working_hours: Any) -> dict[str, Any]:
        """New topics and weekly hours for a clerk of the supervisor's branch; the appointments
        that no longer fit go elsewhere (see `clerk_schedule`)."""
        clerk = await self._managed_clerk(viewer, clerk_id)
        known = {t.id for t in await self._appointments.topics.all()}
        new_topics, hours = parse_schedule(topics, working_hours, known)
        done = await ClerkSchedule(self._redis, self._appointments, self._clock).change(
            clerk, new_topics, hours, viewer.account.username)
        return {"topics": new_topics, "working_hours": hours, **done.to_dict()}

    async def _managed_clerk(self, viewer: Viewer, clerk_id: str) -> Clerk:
        if not viewer.account.is_supervisor:
            raise Forbidden("role", "supervisors_only", "Μόνο ο προϊστάμενος αλλάζει ωράρια και απουσίες.")
        clerk = await self._appointments.clerks.get(clerk_id)
        if clerk is None or not viewer.sees(clerk.branch, ""):
            raise NotFound("clerk", "clerk_not_found", "Δεν βρέθηκε αυτός ο υπάλληλος στο ΚΕΠ σας.")
        return clerk

    async def _given_to_another(self, viewer: Viewer, reference: str, clerk_id: Any, refusal: str) -> Booking:
        """The appointment a supervisor gives to another clerk (reassignment, or a live call
        handed over), once the asker is a supervisor and a clerk is named."""
        if not viewer.account.is_supervisor:
            raise Forbidden("role", "supervisors_only", refusal)
        if not isinstance(clerk_id, str) or not clerk_id:
            raise InvalidFields({"clerk": ("required", "Διαλέξτε υπάλληλο από τη λίστα.")})
        return await self._visible(viewer, reference)

    async def _supervised(
        self, viewer: Viewer, reference: str, refusal: str = "Μόνο ο προϊστάμενος ακυρώνει ή μετακινεί ραντεβού.",
    ) -> Booking:
        if not viewer.account.is_supervisor:
            raise Forbidden("role", "supervisors_only", refusal)
        return await self._visible(viewer, reference)

    async def failed_notifications(self, viewer: Viewer) -> list[dict[str, Any]]:
        """Messages that could not reach a citizen after every retry, for a supervisor to act on
        (send again once the cause is fixed, or call the citizen)."""
        if not viewer.account.is_supervisor:
            raise Forbidden("role", "supervisors_only", "Μόνο ο προϊστάμενος βλέπει τα μηνύματα που δεν στάλθηκαν.")
        items = []
        for record in await self._outbox.failed():
            try:
                notification = Notification.from_json(record["notification"])
            except (ValueError, KeyError, TypeError):
                notification = None
            if notification and not viewer.sees(notification.branch, notification.topic):
                continue
            items.append({
                "id": record["id"], "kind": record["kind"], "reference": record["reference"],
                "start": notification.start.isoformat() if notification else None,
                "attempts": record["attempts"], "errors": record["errors"], "failed_at": record["failed_at"],
            })
        return items

    async def send_notification_again(self, viewer: Viewer, notification_id: str) -> dict[str, Any]:
        visible = {item["id"] for item in await self.failed_notifications(viewer)}
        if notification_id not in visible or not await self._outbox.send_again(notification_id):
            raise NotFound("id", "notification_not_found", "Δεν βρέθηκε αυτό το μήνυμα στα αποτυχημένα.")
        return {"id": notification_id, "queued": True}

    async def search(self, query: str) -> list[dict[str, Any]]:
        return [r.to_dict() for r in (await self._appointments.search_catalogue(query)).results]

    async def mark_no_shows(self) -> list[str]:
        """Appointments whose citizen never came, N minutes after the start, become no_show."""
        now = self._clock()
        marked = []
        for booking in await self._bookings.starting_between(now - timedelta(days=1), now - self._no_show_after):
            if booking.status is not BookingStatus.BOOKED or await presence.ever_joined(self._redis, booking.reference):
                continue
            result = await self._bookings.transition(
                booking.reference, "booking.no_show", "system", now, from_status=BookingStatus.BOOKED, to_status=BookingStatus.NO_SHOW,
                outbox=notifications.ended(booking, NotificationKind.NO_SHOW, now),
            )
            if result == "ok":
                marked.append(booking.reference)
                await events.announce(self._redis, events.ChangeKind.NO_SHOW, booking)
        return marked

    async def item(self, viewer: Viewer, reference: str) -> dict[str, Any]:
        """One appointment as this viewer's console shows it."""
        booking = await self._bookings.get(reference)
        assert booking is not None
        return (await self._items(viewer, [booking]))[0]
