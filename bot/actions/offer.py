"""The slots the bot offers, and how a citizen picks one.

A typed message picks an offered slot only when it is unmistakably a pick and nothing else
(«2», «το δεύτερο», «τη 2η», «την πρώτη ώρα»); «Τρίτη» is Tuesday, never the third button.
Anything else is a time wish: the bot offers the free slots inside it, or says there are none
and offers the nearest, saying how they differ. The citizen always picks a time they saw.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from bot.nlu.greek_text import normalise, strip_accents

from .greek_format import ATHENS, on_day
from .handoff_api import api
from .time_wish import SOONEST_SAID, TimeWish, describe

OFFERED = 4
_QUERY_LIMIT = 100
_DAYS_SEARCHED = 14  # days of a long wish searched one by one (weekdays or hours of the day)
_DAYS_BACK = 4  # how far before a wish the nearest earlier slots are looked for

_ORDINALS = {
    normalise(word): index
    for index, words in enumerate([
        ("πρώτη", "πρώτο", "πρώτος", "πρώτης"), ("δεύτερη", "δεύτερο", "δεύτερος", "δεύτερης"),
        ("τρίτη", "τρίτο", "τρίτος", "τρίτης"), ("τέταρτη", "τέταρτο", "τέταρτος", "τέταρτης"),
        ("πέμπτη", "πέμπτο", "πέμπτος"), ("έκτη", "έκτο"),
    ])
    for word in words
} | {normalise(w): -1 for w in ("τελευταία", "τελευταίο", "τελευταίος", "τελευταίας")}
# Ordinals spelt like a weekday (Τρίτη, Τετάρτη/τέταρτη, Πέμπτη): a pick only with a noun
# («την τρίτη ώρα») or, for «τέταρτη», its own accent.
_LIKE_A_WEEKDAY = {normalise(w) for w in ("τρίτη", "τρίτης", "τέταρτη", "τέταρτης", "πέμπτη")}
_NOUNS = {normalise(w) for w in ("ώρα", "ώρες", "επιλογή", "κουμπί", "ραντεβού", "νούμερο", "αριθμός", "αριθμό", "slot")}
_FILLERS = _NOUNS | {
    normalise(w) for w in (
        "το", "τη", "την", "τον", "η", "ο", "οι", "αυτό", "αυτή", "αυτήν", "θέλω", "θα", "ήθελα", "προτιμώ",
        "διαλέγω", "επιλέγω", "παρακαλώ", "ok", "οκ", "οκει", "ναι", "ας", "πούμε", "κλείσε", "κλείστε",
        "κλείσ'", "βάλε", "βάλτε", "μου", "είναι", "καλή", "καλό", "καλά", "βολεύει", "κάνει", "από", "πάνω",
        "λίστα", "νο", "no", "αρ", "#", "ος", "ή", "ο", "ι", "οσ", "στο", "στη", "στην", "εντάξει", "μ", "σας",
    )
}


def picked(text: str) -> int | None:
    """The index of the offered slot the whole message picks (-1 for "the last"), or None."""
    raw = text.casefold()
    plain = normalise(strip_accents(raw).replace("#", " ").replace("'", " "))
    plain = "".join(" " if c in ".,;:!?()«»\"-" else c for c in plain)
    tokens = " ".join(
        part for word in plain.split() for part in _split_digits(word)
    ).split()
    meaningful = [t for t in tokens if t not in _FILLERS]
    if len(meaningful) != 1:
        return None
    word = meaningful[0]
    if word.isdigit():
        return int(word) - 1 if 1 <= int(word) <= 9 else None
    if word not in _ORDINALS:
        return None
    if word in _LIKE_A_WEEKDAY and not (_NOUNS & set(tokens)) and "τέταρτ" not in raw:
        return None
    return _ORDINALS[word]


def _split_digits(word: str) -> list[str]:
    """"2η" → ["2", "η"]; "2ο" → ["2", "ο"]."""
    head = "".join(c for c in word if c.isdigit())
    return [head, word[len(head):]] if head and word.startswith(head) and word[len(head):] else [word]


def start_of(slot: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(slot["start"]).astimezone(ATHENS)


def distinct_times(slots: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One slot per start time, in time order: the citizen chooses a time, not a clerk."""
    seen: set[str] = set()
    ordered = sorted(slots, key=lambda s: (s["start"], s.get("clerk", "")))
    return [s for s in ordered if not (s["start"] in seen or seen.add(s["start"]))]


def nearest(slots: list[dict[str, Any]], wish: TimeWish, count: int = OFFERED) -> list[dict[str, Any]]:
    """The `count` free slots nearest to the wish (inside it first, then nearest its target),
    in time order."""
    ranked = sorted(distinct_times(slots), key=lambda s: (wish.distance(start_of(s)), abs(start_of(s) - wish.target)))
    return sorted(ranked[:count], key=lambda s: s["start"])


async def slots_for_wish(
    wish: TimeWish, topic: str, branch: str | None, now: datetime, horizon_days: int
) -> tuple[list[dict[str, Any]], bool]:
    """(the slots to offer, whether they are inside the wish)."""
    inside = await _inside(wish, topic, branch, now)
    if inside:
        return nearest(inside, wish), True
    return nearest(await _around(wish, topic, branch, now, horizon_days), wish), False


async def _free(topic: str, branch: str | None, after: datetime, before: datetime | None = None,
                limit: int = _QUERY_LIMIT) -> list[dict[str, Any]]:
    return await api.free_slots(topic, branch, after.isoformat(), limit, before.isoformat() if before else None)


async def _inside(wish: TimeWish, topic: str, branch: str | None, now: datetime) -> list[dict[str, Any]]:
    if wish.hours is None and wish.weekdays is None:
        if wish.end is not None and wish.end <= now:
            return []
        return [s for s in await _free(topic, branch, max(wish.start, now), wish.end) if wish.admits(start_of(s))]
    found: list[dict[str, Any]] = []
    hours = wish.hours or (time(0), time(23, 59))
    for day in wish.days()[:_DAYS_SEARCHED]:
        after = max(now, wish.start, datetime.combine(day, hours[0], ATHENS))
        before = datetime.combine(day, hours[1], ATHENS)
        if wish.end is not None:
            before = min(before, wish.end)
        if before <= after:
            continue
        found += [s for s in await _free(topic, branch, after, before) if wish.admits(start_of(s))]
        if len(distinct_times(found)) >= OFFERED:
            break
    return found


async def _around(wish: TimeWish, topic: str, branch: str | None, now: datetime, horizon_days: int) -> list[dict[str, Any]]:
    """Free slots on both sides of a wish that has none: the latest before it, the rest of
    its days, and the earliest after it."""
    anchor = min(max(wish.start, now), now + timedelta(days=horizon_days))
    found: list[dict[str, Any]] = []
    for back in range(_DAYS_BACK):
        earlier = await _free(topic, branch, max(now, anchor - timedelta(days=back + 1)), anchor - timedelta(days=back))
        if earlier:
            found += distinct_times(earlier)[-OFFERED:]
            break
        if anchor - timedelta(days=back + 1) <= now:
            break
    found += await _free(topic, branch, max(now, wish.start))
    if wish.end is not None and wish.end > now:
        found += await _free(topic, branch, wish.end, limit=20)
    return found


def offer_message(wish: TimeWish, offer: list[dict[str, Any]], inside: bool, now: datetime, horizon_days: int) -> str:
    """What the bot says above the offered buttons."""
    wished = describe(wish, now)
    if inside:
        return "Οι πιο κοντινές ελεύθερες ώρες:" if wished == SOONEST_SAID else f"Ελεύθερες ώρες {wished}:"
    differ = how_they_differ(wish, offer, now)
    if wish.end is not None and wish.end <= now:
        return f"{_capital(wished)} έχει ήδη περάσει· οι πιο κοντινές ελεύθερες ώρες είναι {differ}."
    if wish.start > now + timedelta(days=horizon_days):
        return (f"Ραντεβού κλείνονται έως {horizon_days} ημέρες μπροστά, οπότε όχι ακόμη {wished}· "
                f"οι πιο κοντινές ελεύθερες ώρες είναι {differ}.")
    return f"{_capital(wished)} δεν υπάρχει ελεύθερη ώρα· οι πλησιέστερες είναι {differ}."


def how_they_differ(wish: TimeWish, offer: list[dict[str, Any]], now: datetime) -> str:
    """"την ίδια μέρα νωρίτερα και τη Δευτέρα 11 Φεβρουαρίου"."""
    today = now.astimezone(ATHENS).date()
    wished_day = _single_day(wish)
    phrases: list[str] = []
    days: dict[date, list[datetime]] = {}
    for slot in offer:
        days.setdefault(start_of(slot).date(), []).append(start_of(slot))
    for day, starts in days.items():
        if day == wished_day:
            sides = []
            if any(s < wish.start for s in starts):
                sides.append("νωρίτερα")
            if any(s >= wish.start for s in starts):
                sides.append("αργότερα")
            phrases.append("την ίδια μέρα " + " και ".join(sides))
        else:
            phrases.append(on_day(day, today))
    return " και ".join([", ".join(phrases[:-1]), phrases[-1]]) if len(phrases) > 1 else phrases[0]


def _single_day(wish: TimeWish) -> date | None:
    if wish.end is None or wish.hours is not None:
        return None
    last = (wish.end - timedelta(microseconds=1)).astimezone(ATHENS).date()
    return last if last == wish.start.astimezone(ATHENS).date() else None


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]
