"""The appointment use cases the API offers: find free slots, book, look up, cancel,
reschedule. This is where topics, clerks, branches, slots and bookings meet; each of those
modules stays ignorant of the others' storage.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from . import events
from .accounts import AccountStore
from .bookings import SLOT_TAKEN, Booking, BookingStore, NewBooking, typed_reference
from .branches import Branch, branch_directory
from .catalogue_search import MAX_RESULTS, CatalogueAnswer, answer
from .chat import ChatOrigins
from .clerks import Clerk, clerk_roster
from .config import ATHENS, Settings
from .errors import Conflict, DomainError, NotFound, Unprocessable
from .links import JoinLinks, ManageCodes, new_manage_token
from .notifications import NotificationKind
from .public_config import Notifications, notifications_for
from .ratelimit import Limit
from .slot_index import SlotIndex
from .slots import Slot, SlotFinder, SlotRules, hold_key, slots_on
from .store import Redis
from .topics import Topic, topic_catalogue

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Confirmation:
    booking: Booking
    manage_token: str


class Appointments:
    def __init__(self, redis: Redis, settings: Settings, clock: Clock = utc_now):
        self.topics = topic_catalogue(redis)
        self.branches = branch_directory(redis)
        self.clerks = clerk_roster(redis)
        self.codes = ManageCodes(settings.secret_key)
        self.bookings = BookingStore(redis, self.codes)
        self._redis = redis
        self.links = JoinLinks(settings.secret_key)
        self._settings = settings
        self._clock = clock
        self._chat_origins = ChatOrigins(redis, settings.secret_key)
        self._bookings_per_address = Limit(
            "bookings-per-address", settings.bookings_per_address_per_hour, 3600, "too_many_bookings_from_address",
            "Από αυτή τη σύνδεση ζητήθηκαν πολλά ραντεβού μέσα σε μία ώρα. Δοκιμάστε ξανά αργότερα ή καλέστε το 1500.",
        )
        rules = SlotRules.from_settings(settings)
        self.slot_index = SlotIndex(redis, rules)
        self._finder = SlotFinder(self.slot_index, self.clerks, rules)

    async def topic(self, topic_id: str) -> Topic:
        topic = await self.topics.get(topic_id)
        if topic is None:
            raise Unprocessable("topic", "unknown_topic", "Δεν υπάρχει αυτή η θεματική ενότητα.")
        return topic

    async def branch(self, branch_id: str) -> Branch:
        branch = await self.branches.get(branch_id)
        if branch is None:
            raise Unprocessable("branch", "unknown_branch", "Δεν υπάρχει αυτό το ΚΕΠ.")
        return branch

    async def search_catalogue(self, query: str, limit: int = MAX_RESULTS) -> CatalogueAnswer:
        """The topics and procedures `query` points to (the bot's fallback, the clerk's search),
        and the matter outside a KEP's it names, if any."""
        return answer(await self.topics.all(), query, limit)

    async def branches_serving(self, topic: str | None = None) -> list[Branch]:
        """Every branch; with `topic`, those with a clerk trained in it (none for an unknown topic)."""
        branches = await self.branches.all()
        if topic is None:
            return branches
        serving = {c.branch for c in await self.clerks.all() if c.serves(topic)}
        return [b for b in branches if b.id in serving]

    async def free_slots(
        self, topic_id: str, branch_id: str | None, after: datetime | None, limit: int,
        before: datetime | None = None,
    ) -> list[Slot]:
        now = self._clock()
        found = await self._finder.free_slots(topic_id, branch_id, after or now, now, limit, before)
        if not found:  # a topic or branch that does not exist has no free slots (slot_index.free_list_key): say which
            await self.topic(topic_id)
            if branch_id:
                await self.branch(branch_id)
        return found

    async def put_clerks(self, clerks: list[Clerk]) -> None:
        """New or changed clerks (hours, topics, absences, branch): their records and their
        free slots change together."""
        await self.slot_index.put_clerks(clerks, self._clock())

    async def top_up_slots(self) -> None:
        """The free slots of the days that came into the booking horizon (on start, and as
        the date moves)."""
        await self.slot_index.top_up(self._clock())

    async def _bookable_slot(self, slot_id: str, topic_id: str) -> Slot:
        clerk_id = slot_id.partition("@")[0]
        clerk: Clerk | None = await self.clerks.get(clerk_id) if clerk_id else None
        branch = await self.branches.get(clerk.branch) if clerk else None
        slot = self._finder.resolve(slot_id, clerk, branch, self._clock())
        if clerk is not None and not clerk.serves(topic_id):
            raise Unprocessable("slot_id", "slot_wrong_topic", "Αυτή η ώρα είναι για άλλη θεματική ενότητα.")
        return slot

    async def book(self, request: NewBooking) -> Confirmation:
        origin = await self._chat_origins.of(request.sender_id)
        # a chat of the page's relay: so many bookings an hour from its address; a slot lost to
        # someone else in between is given back (the citizen could not know, and tries another)
        counted = await self._bookings_per_address.enforce(self._redis, origin) if origin else ""
        await self.topic(request.topic)
        slot = await self._bookable_slot(request.slot_id, request.topic)
        token = new_manage_token()
        try:
            booking = await self.bookings.create(request, slot, token, self._clock(), self._settings.max_bookings_per_citizen)
        except Conflict as e:
            if e.code == SLOT_TAKEN:
                await self._bookings_per_address.give_back(self._redis, counted)
            raise
        await events.announce(self._redis, events.ChangeKind.BOOKED, booking)
        return Confirmation(booking, token)

    async def find(self, reference: str, manage_token: str | None, trusted: bool) -> Booking:
        """The booking, for the citizen holding its manage code or a trusted service. A citizen
        gets one 404 for a reference that does not exist and for a wrong code alike, so that
        references cannot be probed."""
        booking = await self.bookings.get(typed_reference(reference))
        if booking is None and trusted:
            raise NotFound("reference", "booking_not_found", "Δεν βρέθηκε ραντεβού με αυτόν τον κωδικό.")
        if booking is None or not (trusted or self.codes.matches(booking.manage_token_hash, manage_token)):
            raise NotFound("reference", "booking_not_found",
                           "Δεν βρέθηκε ραντεβού με αυτόν τον κωδικό ραντεβού και αυτόν τον κωδικό διαχείρισης.")
        return booking

    def change_deadline(self, booking: Booking) -> datetime:
        """Last moment the citizen may cancel or move the booking themselves."""
        return self.change_deadline_for(booking.start)

    def change_deadline_for(self, start: datetime) -> datetime:
        return start - timedelta(hours=self._settings.change_notice_hours)

    def _check_change_notice(self, booking: Booking) -> None:
        if self._clock() > self.change_deadline(booking):
            raise Conflict(
                "reference",
                "too_late_to_change",
                f"Αλλαγές και ακυρώσεις γίνονται έως {self._settings.change_notice_hours} ώρες πριν "
                "από το ραντεβού. Επικοινωνήστε με το ΚΕΠ σας.",
            )

    async def cancel(self, reference: str, manage_token: str | None, actor: str, trusted: bool) -> Booking:
        booking = await self.find(reference, manage_token, trusted)
        self._check_change_notice(booking)
        await self.bookings.cancel(booking, actor, self._clock())
        await events.announce(self._redis, events.ChangeKind.CANCELLED, booking)
        return await self.find(booking.reference, None, trusted=True)

    async def reschedule(
        self, reference: str, slot_id: str, manage_token: str | None, actor: str, trusted: bool
    ) -> Booking:
        booking = await self.find(reference, manage_token, trusted)
        self._check_change_notice(booking)
        slot = await self._bookable_slot(slot_id, booking.topic)
        await self.bookings.reschedule(booking, slot, actor, self._clock())
        await events.announce(self._redis, events.ChangeKind.RESCHEDULED, booking)
        return await self.find(booking.reference, None, trusted=True)

    async def reassignable_clerks(self, booking: Booking) -> list[Clerk]:
        """The clerks the appointment may go to: same branch, trained in the topic, working
        and free at that very time."""
        return [c for c in await self.clerks.all() if await self._reassignment_refusal(booking, c) is None]

    @staticmethod
    def serving_refusal(booking: Booking, clerk: Clerk | None) -> DomainError | None:
        """Why `clerk` may not serve the appointment at all (None: they may): no such clerk,
        another branch, or not trained in its topic. The time is another matter (see
        `_reassignment_refusal`; a supervisor's takeover of a live call is for now)."""
        if clerk is None:
            return Unprocessable("clerk", "unknown_clerk", "Δεν υπάρχει υπάλληλος με αυτόν τον κωδικό.")
        if clerk.branch != booking.branch:
            return Unprocessable("clerk", "other_branch", f"Ο/Η {clerk.name} εργάζεται σε άλλο ΚΕΠ· το ραντεβού μένει "
                                 "στο ΚΕΠ που διάλεξε ο πολίτης.")
        if not clerk.serves(booking.topic):
            return Unprocessable("clerk", "not_trained", f"Ο/Η {clerk.name} δεν εξυπηρετεί αυτή τη θεματική ενότητα.")
        return None

    async def _reassignment_refusal(self, booking: Booking, clerk: Clerk | None) -> DomainError | None:
        """Why the appointment may not go to `clerk` (None: it may)."""
        if clerk is not None and clerk.id == booking.clerk:
            return Conflict("clerk", "same_clerk", "Το ραντεβού είναι ήδη σε αυτόν τον υπάλληλο.")
        if (refusal := self.serving_refusal(booking, clerk)) is not None:
            return refusal
        assert clerk is not None
        slot = await self._same_time_slot(booking, clerk)
        if slot is None:
            return Unprocessable("clerk", "not_working", f"Ο/Η {clerk.name} δεν εργάζεται εκείνη την ώρα.")
        if await self._redis.exists(hold_key(slot.id)):
            return Conflict("clerk", "clerk_busy", f"Ο/Η {clerk.name} έχει άλλο ραντεβού εκείνη την ώρα.")
        return None

    async def fits(self, booking: Booking, clerk: Clerk) -> bool:
        """Is the appointment's time still one of `clerk`'s slots (hours and absences)?"""
        branch = await self.branches.get(clerk.branch)
        day = booking.start.astimezone(ATHENS).date()
        return branch is not None and any(s.start == booking.start for s in self.working_slots(clerk, branch, day))

    def working_slots(self, clerk: Clerk, branch: Branch, day: date) -> list[Slot]:
        """Every slot `clerk` works on `day`, booked or not (a clerk's capacity that day)."""
        return slots_on(clerk, branch, day, self._settings.slot_minutes)

    async def _same_time_slot(self, booking: Booking, clerk: Clerk) -> Slot | None:
        branch = await self.branches.get(clerk.branch)
        if branch is None:
            return None
        day = booking.start.astimezone(ATHENS).date()
        return next((s for s in self.working_slots(clerk, branch, day) if s.start == booking.start and s.end == booking.end),
                    None)

    async def reassign(self, booking: Booking, clerk_id: str, actor: str) -> Booking:
        """The same time with another clerk (a supervisor's decision; the citizen's appointment
        does not change, so they are not told). Only to a clerk of `reassignable_clerks`;
        from then on only that clerk may take it."""
        clerk = await self.clerks.get(clerk_id)
        refusal = await self._reassignment_refusal(booking, clerk)
        if refusal is not None:
            raise refusal
        assert clerk is not None
        slot = await self._same_time_slot(booking, clerk)
        assert slot is not None
        await self.bookings.reschedule(booking, slot, actor, self._clock(), event="booking.reassigned", kind=None,
                                       assigned_by=actor)
        moved = await self.find(booking.reference, None, trusted=True)
        await events.announce(self._redis, events.ChangeKind.REASSIGNED, moved)
        return moved

    async def move_by_service(self, booking: Booking, slot_id: str, actor: str, reason: str) -> Booking:
        """Another time for the citizen, decided by the service (e.g. the clerk is away); the
        citizen is told the new time and why."""
        slot = await self._bookable_slot(slot_id, booking.topic)
        if slot.branch != booking.branch:
            raise Unprocessable("slot_id", "other_branch", "Η νέα ώρα είναι σε άλλο ΚΕΠ· το ραντεβού μένει στο ΚΕΠ "
                                "που διάλεξε ο πολίτης.")
        if slot.start == booking.start:
            raise Conflict("slot_id", "same_time", "Η νέα ώρα είναι ίδια με την τωρινή· για άλλον υπάλληλο, ανάθεση.")
        await self.bookings.reschedule(
            booking, slot, actor, self._clock(), event="booking.moved_by_service",
            kind=NotificationKind.MOVED_BY_SERVICE, reason=reason,
        )
        await events.announce(self._redis, events.ChangeKind.RESCHEDULED, booking)
        return await self.find(booking.reference, None, trusted=True)

    async def cancel_by_service(self, booking: Booking, actor: str, reason: str) -> Booking:
        """The service cancels (any time before the call); the citizen is told why."""
        await self.bookings.cancel(booking, actor, self._clock(), NotificationKind.CANCELLED_BY_SERVICE, reason)
        await events.announce(self._redis, events.ChangeKind.CANCELLED, booking)
        return await self.find(booking.reference, None, trusted=True)

    async def waiting_room(self, booking: Booking) -> dict[str, str]:
        """What the citizen's waiting room says about the appointment: when, where, with whom
        (the clerk who picked it up, else the clerk whose time it holds)."""
        picked_by = await AccountStore(self._redis).get(booking.picked_by) if booking.picked_by else None
        clerk = await self.clerks.get(picked_by.clerk_id if picked_by and picked_by.clerk_id else booking.clerk)
        branch = await self.branches.get(booking.branch)
        return {
            "start": booking.start.isoformat(), "end": booking.end.isoformat(),
            "clerk_name": clerk.name if clerk else "", "branch_name": branch.name if branch else "",
            "now": self._clock().isoformat(),
        }

    async def booking_for_join(self, token: str) -> Booking:
        """The booking a join link was signed for, while the link is valid (else Forbidden)."""
        claim = self.links.verify(token, self._clock())
        return await self.find(claim.reference, None, trusted=True)

    def join_url(self, booking: Booking) -> str:
        expires = booking.end + timedelta(minutes=self._settings.join_grace_minutes)
        return f"{self._settings.base_url}/call/{self.links.sign(booking.reference, expires)}"

    def short_join_url(self, booking: Booking) -> str:
        """The join link short enough for an SMS; it redirects to `join_url`."""
        return f"{self._settings.base_url}/k/{self.links.short_code(booking.reference)}"

    async def join_url_for_short_code(self, code: str) -> str:
        reference = self.links.reference_for_short_code(code)
        return self.join_url(await self.find(reference, None, trusted=True))

    def notifications_for(self, booking: Booking) -> Notifications:
        """The messages this citizen will still receive about this booking (what the chat and
        the appointment page say, from GET /api/config's channels)."""
        return notifications_for(self._settings, booking, self._clock())

    def appointment_page_url(self) -> str:
        """Where the citizen sees, changes or cancels the booking (after typing its codes)."""
        return f"{self._settings.base_url}/appointment"

    def calendar_url(self, booking: Booking) -> str:
        """The .ics by a signed link that expires with the join link (no manage code in a URL)."""
        expires = booking.end + timedelta(minutes=self._settings.join_grace_minutes)
        return f"{self._settings.base_url}/api/bookings/{booking.reference}/calendar.ics?link={self.links.sign_calendar(booking.reference, expires)}"

    async def find_by_calendar_link(self, reference: str, link: str) -> Booking:
        self.links.verify_calendar(link, reference.strip().upper(), self._clock())  # before any look-up
        return await self.find(reference, None, trusted=True)
