"""A citizen's wish for a time, in their own words, as an explicit window in Europe/Athens.

"την Παρασκευή το απόγευμα", "μεθαύριο μετά τις 11", "όχι πριν τις 10", "15/12 10:30",
"στις 11 και μισή", "την άλλη εβδομάδα", "όσο πιο νωρίς γίνεται", "avrio to prwi" → a
`TimeWish`: from when, until when, which moment is preferred, and, over several days, which
hours and weekdays. Everything is read relative to `now`, the time of the conversation.

The text is first brought to the project's normal form (`bot.nlu.greek_text.normalise`:
accents, capitals, Greeklish and spelling slips all converge), and the rules below are
written in that form. Each rule takes out what it read, so that "στις 15 Δεκεμβρίου" is read
once, as a date, and not a second time as 15:00. What the rules do not know but reads as a
whole date ("2026-12-15", "next friday") is left to dateparser; explicit dates are checked by it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta

import dateparser

from bot.nlu.greek_text import normalise, strip_accents

from .greek_format import ATHENS, clock, on_day, weekday_names

WHOLE_DAY = (time(0), time(23, 59))
OPEN = time(8)  # KEP branches open at 08:00 and close by 20:00 (data/branches.yml)
CLOSE = time(20)
SOONEST_SAID = "όσο το δυνατόν νωρίτερα"
POINT_TOLERANCE = timedelta(minutes=30)  # "στις 11": 10:30–11:30, nearest to 11:00 first
ROUGH_TOLERANCE = timedelta(hours=1)  # "γύρω στις 11"


@dataclass(frozen=True)
class TimeWish:
    """The window the citizen asked for. A slot fits when it starts in [start, end), at one of
    `hours` (each day, when set) on one of `weekdays` (0 = Monday, when set). Offers are the
    fitting free slots nearest to `target`."""

    start: datetime
    end: datetime | None
    target: datetime
    hours: tuple[time, time] | None = None
    weekdays: frozenset[int] | None = None
    soonest: bool = False  # "όσο πιο νωρίς γίνεται": no constraint but the earliest

    def admits(self, moment: datetime) -> bool:
        moment = moment.astimezone(ATHENS)
        if moment < self.start or (self.end is not None and moment >= self.end):
            return False
        if self.hours and not self.hours[0] <= moment.time() < self.hours[1]:
            return False
        return self.weekdays is None or moment.weekday() in self.weekdays

    def distance(self, moment: datetime) -> timedelta:
        """How far a moment is from the window (zero inside it), for offering the nearest."""
        if self.admits(moment):
            return timedelta(0)
        moment = moment.astimezone(ATHENS)
        if moment < self.start:
            return self.start - moment
        if self.end is not None and moment >= self.end:
            return moment - self.end + timedelta(minutes=1)
        day_start = datetime.combine(moment.date(), self.hours[0] if self.hours else time(0), ATHENS)
        day_end = datetime.combine(moment.date(), self.hours[1] if self.hours else WHOLE_DAY[1], ATHENS)
        gap = day_start - moment if moment < day_start else moment - day_end + timedelta(minutes=1)
        if self.weekdays is not None and moment.weekday() not in self.weekdays:
            gap += timedelta(days=min((moment.weekday() - d) % 7 or 7 for d in self.weekdays))
        return max(gap, timedelta(minutes=1))

    def days(self) -> list[date]:
        """The days the window covers (up to the last, or a week when open-ended)."""
        last = (self.end - timedelta(microseconds=1)).date() if self.end else self.start.date() + timedelta(days=6)
        span = (last - self.start.date()).days + 1
        every = (self.start.date() + timedelta(days=i) for i in range(max(span, 0)))
        return [d for d in every if self.weekdays is None or d.weekday() in self.weekdays]


# --- the words, in normal form --------------------------------------------------------------

_PUNCTUATION = re.compile(r"[,;!?«»\"()]")


def _word(word: str) -> str:
    return " ".join(_PUNCTUATION.sub(" ", normalise(word)).split())


def _words(*words: str) -> str:
    """An alternation of Greek words, normalised like the citizen's text."""
    return "(?:" + "|".join(sorted({re.escape(_word(w)) for w in words}, key=len, reverse=True)) + ")"


_NUMBER_WORDS = {
    normalise(w): n
    for n, forms in enumerate(
        [(), ("ένα", "μία", "μια"), ("δύο", "δυο"), ("τρεις", "τρία"), ("τέσσερις", "τέσσερα"), ("πέντε",),
         ("έξι",), ("εφτά", "επτά"), ("οχτώ", "οκτώ"), ("εννιά", "εννέα"), ("δέκα",), ("έντεκα",), ("δώδεκα",)]
    )
    for w in forms
}
_WEEKDAYS = [
    ("Δευτέρα", "Δευτέρας", "Δευτέρες"), ("Τρίτη", "Τρίτης", "Τρίτες"), ("Τετάρτη", "Τετάρτης", "Τετάρτες"),
    ("Πέμπτη", "Πέμπτης", "Πέμπτες"), ("Παρασκευή", "Παρασκευής", "Παρασκευές"),
    ("Σάββατο", "Σαββάτου", "Σάββατα"), ("Κυριακή", "Κυριακής", "Κυριακές"),
]
_WEEKDAY = {normalise(form): i for i, forms in enumerate(_WEEKDAYS) for form in forms}
_MONTHS = [
    ("Ιανουάριο", "Ιανουαρίου", "Ιανουάριος", "Γενάρη", "Γενάρης"), ("Φεβρουάριο", "Φεβρουαρίου", "Φεβρουάριος", "Φλεβάρη", "Φλεβάρης"),
    ("Μάρτιο", "Μαρτίου", "Μάρτιος", "Μάρτη", "Μάρτης"), ("Απρίλιο", "Απριλίου", "Απρίλιος", "Απρίλη", "Απρίλης"),
    ("Μάιο", "Μαΐου", "Μάιος"), ("Ιούνιο", "Ιουνίου", "Ιούνιος", "Ιούνη", "Ιούνης"),
    ("Ιούλιο", "Ιουλίου", "Ιούλιος", "Ιούλη", "Ιούλης"), ("Αύγουστο", "Αυγούστου", "Αύγουστος"),
    ("Σεπτέμβριο", "Σεπτεμβρίου", "Σεπτέμβριος", "Σεπτέμβρη", "Σεπτέμβρης"),
    ("Οκτώβριο", "Οκτωβρίου", "Οκτώβριος", "Οκτώβρη", "Οκτώβρης"),
    ("Νοέμβριο", "Νοεμβρίου", "Νοέμβριος", "Νοέμβρη", "Νοέμβρης"),
    ("Δεκέμβριο", "Δεκεμβρίου", "Δεκέμβριος", "Δεκέμβρη", "Δεκέμβρης"),
]
_MONTH = {normalise(form): i + 1 for i, forms in enumerate(_MONTHS) for form in forms}
_ART = _words("τη", "την", "της", "τις", "το", "του", "στη", "στην", "στις", "στο", "στον", "τον", "των", "η", "ο")
_ARTS = rf"(?:{_ART}\s+)*"
_WEEKDAY_RE = "(?P<wd>" + "|".join(sorted(map(re.escape, _WEEKDAY), key=len, reverse=True)) + ")"
_MONTH_RE = "(?P<mon>" + "|".join(sorted(map(re.escape, _MONTH), key=len, reverse=True)) + ")"

# Parts of the day in KEP hours: (from, to), to exclusive.
_PARTS = [
    (rf"{_words('νωρίς')}\s+{_ARTS}{_words('πρωί', 'πρωινό')}", (time(8), time(10))),
    (rf"{_words('αργά')}\s+{_ARTS}{_words('απόγευμα', 'απογευματάκι')}", (time(17), CLOSE)),
    (rf"{_words('νωρίς')}\s+{_ARTS}{_words('απόγευμα', 'απογευματάκι')}", (time(15), time(17))),
    (rf"{_words('μετά')}\s+(?:{_words('από')}\s+)?{_ARTS}{_words('μεσημέρι')}", (time(13), CLOSE)),
    (rf"{_words('πριν')}\s+(?:{_words('από')}\s+)?{_ARTS}{_words('μεσημέρι')}", (OPEN, time(12))),
    (_words("πρωί", "πρωινό", "πρωινή", "πρωινές", "πρωινά", "πρωινάκι", "πμ"), (OPEN, time(12))),
    (_words("μεσημέρι", "μεσημεριανό", "μεσημεριανή", "μεσημεριανές", "μεσημεράκι"), (time(12), time(15))),
    (_words("απόγευμα", "απογεύματα", "απογευματινό", "απογευματινή", "απογευματινές", "απογευματάκι", "μμ"), (time(15), CLOSE)),
    (_words("βράδυ", "βραδάκι", "βραδινό", "βραδινή"), (time(18), CLOSE)),
    (_words("νωρίς"), (OPEN, time(10))),
    (_words("αργά"), (time(17), CLOSE)),
]
_AFTERNOON_PARTS = {(time(15), CLOSE), (time(17), CLOSE), (time(15), time(17)), (time(18), CLOSE), (time(13), CLOSE)}
_MORNING_PARTS = {(OPEN, time(12)), (time(8), time(10))}

_CLOCK = (
    r"(?P<h>\d{1,2})(?:\s*[:.]\s*(?P<m>\d{2}))?"
    rf"(?:\s+{_words('και')}\s+(?P<plus>{_words('μισή', 'τέταρτο')}|\d{{1,2}}))?"
    rf"(?:\s+{_words('παρά')}\s+(?P<less>{_words('τέταρτο')}|\d{{1,2}}))?"
    rf"(?:\s+{_words('η ώρα', 'ώρα')})?"
)
_AT = _words("στις", "τις", "κατά τις", "για τις", "ώρα")
_ROUGHLY = _words("γύρω στις", "γύρω", "περίπου στις", "περίπου", "κατά τις", "κάπου στις")
_AFTER = _words("μετά τις", "μετά από τις", "μετά", "από τις", "από", "όχι πριν τις", "όχι πριν από τις", "όχι πριν",
                "όχι νωρίτερα από τις", "όχι νωρίτερα από", "το νωρίτερο στις", "το νωρίτερο", "ξεκινώντας από τις")
_BEFORE = _words("πριν τις", "πριν από τις", "πριν", "μέχρι τις", "μέχρι", "έως τις", "έως", "ως τις", "ως",
                 "όχι μετά τις", "όχι μετά από τις", "όχι μετά", "όχι αργότερα από τις", "όχι αργότερα από",
                 "το αργότερο στις", "το αργότερο μέχρι τις", "το αργότερο")
_AND_LATER = _words("και μετά", "και έπειτα", "και πέρα", "κι έπειτα", "και αργότερα")
_BETWEEN = _words("μεταξύ", "ανάμεσα σε", "ανάμεσα στις", "από τις", "από")
_UNTIL = _words("έως τις", "έως", "μέχρι τις", "μέχρι", "ως τις", "ως", "και", "με", "-")
_DASH_UNTIL = "(?:-|–|" + _words("έως τις", "έως", "μέχρι τις", "μέχρι", "ως τις", "ως", "με") + ")"
_NOT = _words("όχι", "εκτός από", "εκτός", "μη", "μην", "δεν μπορώ")
_SOONEST = _words(
    "όσο πιο νωρίς", "ό,τι πιο νωρίς", "ότι πιο νωρίς", "όσο νωρίτερα", "το νωρίτερο δυνατό", "το νωρίτερο",
    "το συντομότερο", "το ταχύτερο", "όσο πιο σύντομα", "όσο πιο γρήγορα", "το γρηγορότερο", "το πιο σύντομο", "το πιο κοντινό",
    "πρώτη διαθέσιμη", "πρώτο διαθέσιμο", "πρώτη ελεύθερη", "πρώτο ελεύθερο", "την πιο κοντινή", "όσο γίνεται πιο νωρίς",
    "αμέσως", "άμεσα", "asap", "επειγόντως", "όποτε", "όποια ώρα", "οποιαδήποτε ώρα", "οποιαδήποτε μέρα",
    "οτιδήποτε", "δεν με νοιάζει", "δεν έχει σημασία", "ό,τι υπάρχει",
)
_LATER_THAN_OFFERED = _words("αργότερα", "πιο αργά", "πιο μετά", "επόμενες ώρες", "επόμενες", "άλλες ώρες", "άλλη ώρα", "κάτι άλλο")
_EARLIER_THAN_OFFERED = _words("νωρίτερα", "πιο νωρίς", "πιο νωρίτερα")


@dataclass
class _Reading:
    """What the rules have read so far; turned into a TimeWish at the end."""

    now: datetime
    first: date | None = None
    last: date | None = None
    open_end: bool = False
    hours: tuple[time, time] | None = None
    at: time | None = None
    tolerance: timedelta = POINT_TOLERANCE
    weekdays: set[int] | None = None
    soonest: bool = False
    part: tuple[time, time] | None = None
    found: bool = False
    offered_day: date | None = None  # the one day of the times on screen

    def days(self, first: date, last: date | None = None) -> None:
        if self.first is not None:  # a later, narrower day expression refines a range ("την άλλη εβδομάδα την Τρίτη")
            if self.last and self.first <= first <= self.last:
                self.first, self.last = first, last or first
            return
        self.first, self.last, self.found = first, last or first, True

    def since(self, first: date) -> None:
        self.first, self.last, self.open_end, self.found = first, None, True, True

    def until(self, last: date) -> None:
        self.first, self.last, self.found = self.now.date(), last, True

    def daily(self, start: time, end: time) -> None:
        if self.hours:
            start, end = max(start, self.hours[0]), min(end, self.hours[1])
        self.hours, self.found = (start, end), True


@dataclass(frozen=True)
class _Clock:
    hour: int
    minute: int
    explicit_half_of_day: bool = False


def _plain(text: str) -> str:
    """The citizen's text in normal form, with what the rules need kept apart: am/pm, digits
    glued to words ("στις11", "2η"), number words as digits."""
    text = strip_accents(text.casefold())
    text = re.sub(r"\bπ\.?\s?μ\.?(?=\W|$)", " πμ ", text)
    text = re.sub(r"\bμ\.?\s?μ\.?(?=\W|$)", " μμ ", text)
    text = re.sub(r"(?<=\d)\s*a\.?m\.?\b", " πμ ", text)
    text = re.sub(r"(?<=\d)\s*p\.?m\.?\b", " μμ ", text)
    text = re.sub(r"(?<=\d)(?=[^\W\d_])|(?<=[^\W\d_])(?=\d)", " ", text)
    text = _PUNCTUATION.sub(" ", normalise(text))
    words = [str(_NUMBER_WORDS[w]) if w in _NUMBER_WORDS else w for w in text.split()]
    return " " + " ".join(words) + " "


def _take(pattern: str, text: str, reader) -> str:
    """Apply `reader` to every match of `pattern` (a whole-word match) and blank the match out."""
    compiled = re.compile(rf"(?<!\S){pattern}(?!\S)")

    def blank(match: re.Match) -> str:
        return " " if reader(match) is not False else match.group(0)

    return compiled.sub(blank, text)


def _clock(groups: dict[str, str | None], part: tuple[time, time] | None) -> _Clock | None:
    """A clock time as said at a KEP: "5" is 17:00, "5 το πρωί" 05:00, "11 παρά τέταρτο" 10:45."""
    hour = int(groups["h"] or 0)
    minute = int(groups["m"] or 0)
    plus, less = groups["plus"], groups["less"]
    if plus:
        minute += 30 if plus == normalise("μισή") else 15 if plus == normalise("τέταρτο") else int(plus)
    if less:
        hour, minute = hour - 1, 60 - (15 if less == normalise("τέταρτο") else int(less))
    if not (0 <= hour <= 23 and 0 <= minute < 60):
        return None
    if part in _AFTERNOON_PARTS and hour < 12:
        return _Clock(hour + 12, minute, True)
    if part in _MORNING_PARTS:
        return _Clock(hour, minute, True)
    if 1 <= hour <= 7:
        hour += 12  # "στις 5" at a public office is five in the afternoon
    return _Clock(hour, minute)


def _next_weekday(today: date, weekday: int, next_week: bool = False) -> date:
    """The coming `weekday` (today excluded: today is "σήμερα"); with `next_week`, the one in
    the next calendar week ("την άλλη Τρίτη")."""
    if next_week:
        monday = today - timedelta(days=today.weekday()) + timedelta(days=7)
        return monday + timedelta(days=weekday)
    return today + timedelta(days=(weekday - today.weekday()) % 7 or 7)


def _month_end(year: int, month: int) -> date:
    return (date(year + month // 12, month % 12 + 1, 1)) - timedelta(days=1)


def _coming(today: date, day: int, month: int, year: int | None) -> date | None:
    """A day of the year, read by dateparser (which refuses 31/2); without a year, the next
    such day from today on (so near New Year "3/1" is January of the next year)."""
    if year is not None and year < 100:
        year += 2000
    candidates = [year] if year else [today.year, today.year + 1]
    for y in candidates:
        parsed = dateparser.parse(f"{day}/{month}/{y}", languages=["el"], settings={"DATE_ORDER": "DMY"})
        if parsed and (year or parsed.date() >= today):
            return parsed.date()
    return None


def parse_time_wish(
    text: str, now: datetime, offered_until: datetime | None = None, offered_day: date | None = None
) -> TimeWish | None:
    """The window the citizen asked for, or None when the text names no day or time.
    `offered_until`: the last time the bot offered, for "αργότερα" / "άλλες ώρες"; `offered_day`:
    the one day of the times on screen, which a time said without a day means («στη 1» under
    Thursday's buttons is Thursday at 13:00)."""
    now = now.astimezone(ATHENS)
    today = now.date()
    s = _plain(text)
    r = _Reading(now, offered_day=offered_day)

    # "As soon as possible" and "earlier/later than those" first: they contain "νωρίς" and "αργά".
    soonest = rf"{_SOONEST}(?!\s+(?:{_words('στις', 'τις')}|\d))"
    if re.search(rf"(?<!\S){soonest}(?!\S)", s):
        r.soonest, r.found = True, True
        s = _take(soonest, s, lambda m: None)
    relative = rf"(?<!{normalise('όχι')} )(?:{{}})(?!\s+(?:{_words('από', 'στις', 'τις')}|\d))"
    later = bool(re.search(rf"(?<!\S){relative.format(_LATER_THAN_OFFERED)}(?!\S)", s))
    s = _take(relative.format(_LATER_THAN_OFFERED), s, lambda m: None)
    if re.search(rf"(?<!\S){relative.format(_EARLIER_THAN_OFFERED)}(?!\S)", s):
        r.soonest = True
        s = _take(relative.format(_EARLIER_THAN_OFFERED), s, lambda m: None)

    # Parts of the day next: they decide what "στις 5" means.
    for pattern, hours in _PARTS:
        if re.search(rf"(?<!\S){pattern}(?!\S)", s):
            negated = re.search(rf"(?<!\S){_NOT}\s+{_ARTS}{pattern}(?!\S)", s)
            # "μετά τις 10 το πρωί", "στις 5 το απόγευμα": the part only says which 10 or 5
            qualifies = re.search(rf"(?<![/.\-\d])\d{{1,2}}(?:[:.]\d\d)?\s+{_ARTS}{pattern}(?!\S)", s)
            s = _take(rf"(?:{_NOT}\s+)?{_ARTS}{pattern}", s, lambda m: None)
            if negated:  # "όχι το πρωί": the rest of the day
                r.daily(hours[1], CLOSE) if hours[0] <= OPEN else r.daily(OPEN, hours[0])
            else:
                r.part = hours
                if not qualifies:
                    r.daily(*hours)
                r.found = True
            break

    s = _read_dates(s, r, today)
    s = _read_days(s, r, today)
    s = _read_hours(s, r)

    if later and offered_until is not None and not r.found:
        after = offered_until + timedelta(minutes=1)
        return TimeWish(after, None, after)
    if r.soonest and not r.found:  # "νωρίτερα" alone: the earliest there is
        r.found = True
    if not r.found:
        return _fallback(text, r)
    return _wish(r)


def _read_dates(s: str, r: _Reading, today: date) -> str:
    """Calendar dates: "15/12", "15-12-2026", "15.12.26", "15 Δεκεμβρίου", "την 1η Μαρτίου",
    "στις 20 του μήνα", months ("τον Δεκέμβριο", "αρχές Ιανουαρίου"), with "μετά/από/πριν/μέχρι"."""
    bound = rf"(?:(?P<after>{_AFTER})\s+|(?P<before>{_BEFORE})\s+)?{_ARTS}"

    def one_day(day: date | None, match: re.Match) -> bool:
        if day is None:
            return False
        if match.group("after"):
            r.since(day + timedelta(days=1) if normalise("μετά") in match.group("after") else day)
        elif match.group("before"):
            r.until(day - timedelta(days=1) if normalise("πριν") in match.group("before") else day)
        else:
            r.days(day)
        return True

    def numeric(match: re.Match) -> bool:
        d, m, y = int(match.group("d")), int(match.group("mo")), match.groupdict().get("y")
        return one_day(_coming(today, d, m, int(y) if y else None), match)

    # 15/12, 15/12/2026, 15-12-26, 15.12.2026 (a dot with a year; without one see below)
    s = _take(rf"{bound}(?P<d>\d{{1,2}})\s*[/-]\s*(?P<mo>\d{{1,2}})(?:\s*[/-]\s*(?P<y>\d{{2,4}}))?", s,
              lambda m: numeric(m) if not _hour_range(m) else False)
    s = _take(rf"{bound}(?P<d>\d{{1,2}})\s*\.\s*(?P<mo>\d{{1,2}})\s*\.\s*(?P<y>\d{{2,4}})", s, numeric)
    # "15.12" is a date, "10.30" a time: a dot reads as a time when it can be one at a KEP.
    s = _take(rf"{bound}(?P<d>\d{{1,2}})\s*\.\s*(?P<mo>\d{{1,2}})", s,
              lambda m: False if _dot_is_time(m, s) else numeric(m))
    # 15 Δεκεμβρίου (2026), την 1η Μαρτίου
    s = _take(rf"{bound}(?P<d>\d{{1,2}})(?:\s+(?:ι|ισ|οσ|ο|ιν))?\s+{_MONTH_RE}(?:\s+(?P<y>\d{{4}}))?", s,
              lambda m: one_day(_coming(today, int(m.group("d")), _MONTH[m.group("mon")],
                                        int(m.group("y")) if m.group("y") else None), m))
    # στις 20 του μήνα / του άλλου μήνα
    this_month = rf"{_words('του μήνα', 'αυτού του μήνα', 'τρέχοντος')}"
    next_month = rf"{_words('του άλλου μήνα', 'του επόμενου μήνα', 'του επομένου')}"

    def of_month(match: re.Match) -> bool:
        d = int(match.group("d"))
        first = today.replace(day=1)
        if match.groupdict().get("next") or d < today.day:
            first = _month_end(today.year, today.month) + timedelta(days=1)
        try:
            return one_day(first.replace(day=d), match)
        except ValueError:
            return False

    s = _take(rf"{bound}(?P<d>\d{{1,2}})(?:\s+(?:ι|ισ|οσ|ο|ιν))?\s+(?:(?P<next>{next_month})|{this_month})", s, of_month)
    # "την 15η" (a day of the month; "τη 2η" alone is the second button, read before this)
    s = _take(rf"{bound}(?P<d>\d{{1,2}})\s+(?:ι|ισ)", s,
              lambda m: of_month(m) if 5 <= int(m.group("d")) <= 31 else False)

    # Months, whole or in part.
    part_of_month = rf"(?:(?P<early>{_words('αρχές', 'αρχάς', 'στις αρχές', 'νωρίς τον', 'νωρίς το')})|(?P<mid>{_words('μέσα', 'μέσα του', 'στα μέσα', 'στα μέσα του', 'μέσα στον', 'μέσα στο')})|(?P<late>{_words('τέλη', 'τέλος', 'στα τέλη', 'στο τέλος', 'προς το τέλος', 'τέλη του', 'τέλος του')}))?"

    def month(match: re.Match, number: int) -> bool:
        year = today.year if number >= today.month else today.year + 1
        first, last = date(year, number, 1), _month_end(year, number)
        if match.group("early"):
            last = date(year, number, 10)
        elif match.group("mid"):
            first, last = date(year, number, 11), date(year, number, 20)
        elif match.group("late"):
            first = date(year, number, 21)
        if match.group("after"):
            r.since(last + timedelta(days=1))
        elif match.group("before"):
            r.until(first - timedelta(days=1))
        else:
            r.days(max(first, today) if last >= today else first, last)
        return True

    s = _take(rf"{bound}{part_of_month}\s*{_ARTS}{_MONTH_RE}", s, lambda m: month(m, _MONTH[m.group("mon")]))
    this = rf"{_words('αυτόν τον μήνα', 'αυτό τον μήνα', 'αυτό το μήνα', 'τον μήνα', 'το μήνα', 'μέσα στον μήνα', 'μέσα στο μήνα', 'του μήνα', 'τρέχοντα μήνα')}"
    following = rf"{_words('άλλο μήνα', 'επόμενο μήνα', 'ερχόμενο μήνα', 'άλλου μήνα', 'επόμενου μήνα')}"
    s = _take(rf"{bound}{part_of_month}\s*{_ARTS}{following}", s,
              lambda m: month(m, today.month % 12 + 1))
    s = _take(rf"{bound}{part_of_month}\s*{_ARTS}{this}", s, lambda m: month(m, today.month))
    return s


def _hour_range(match: re.Match) -> bool:
    """"10-12" is a range of hours, "15-12" a date: a dash between two KEP hours, the first
    before the second, and no year."""
    if match.groupdict().get("y") or "/" in match.group(0):
        return False
    a, b = int(match.group("d")), int(match.group("mo"))
    return a < b and (8 <= a <= 20 and 9 <= b <= 20 or 1 <= a < b <= 7)


def _dot_is_time(match: re.Match, text: str) -> bool:
    """"10.30" or "9.15" is a time; "15.12", "3.1" or "20.10" a date (no KEP works at 20:10).
    A day already named elsewhere in the message makes it a time, a clock time a date."""
    h, m = int(match.group("d")), match.group("mo")
    if len(m) == 2 and int(m) > 12:
        return h <= 23
    if len(m) == 1 or h > 19 or h < 7:
        return False
    has_clock = re.search(rf"{_AT}\s+\d|\d[:]\d", text.replace(match.group(0), " "))
    has_day = re.search(rf"{_WEEKDAY_RE}|{_words('σήμερα', 'αύριο', 'μεθαύριο')}", text)
    if has_clock:
        return False
    return bool(has_day) or m in ("00", "10", "15", "20", "30", "40", "45", "50")


def _read_days(s: str, r: _Reading, today: date) -> str:
    """Relative days, weeks and weekdays."""
    after = rf"(?:(?P<after>{_AFTER})\s+|(?P<before>{_BEFORE})\s+|(?P<not>{_NOT})\s+)?{_ARTS}"

    def one_day(day: date, match: re.Match) -> bool:
        if match.group("after"):
            r.since(day + timedelta(days=1) if normalise("μετά") in match.group("after") else day)
        elif match.group("before"):
            r.until(day - timedelta(days=1) if normalise("πριν") in match.group("before") else day)
        elif match.group("not"):
            r.since(today)
            r.weekdays = (r.weekdays or set(range(7))) - {day.weekday()}
        else:
            r.days(day)
        return True

    s = _take(rf"{after}{_words('μεθαύριο', 'μεθαυριο')}", s, lambda m: one_day(today + timedelta(days=2), m))
    s = _take(rf"{after}{_words('αύριο')}", s, lambda m: one_day(today + timedelta(days=1), m))
    s = _take(rf"{after}{_words('σήμερα', 'σημερα')}", s, lambda m: one_day(today, m))
    # σε 3 μέρες, σε μια εβδομάδα, σε 2 βδομάδες, σε 10 ημέρες
    s = _take(rf"{_words('σε', 'μετά από', 'ύστερα από')}\s+(?P<n>\d{{1,2}})\s+{_words('μέρες', 'ημέρες', 'μέρα', 'ημέρα')}", s,
              lambda m: r.days(today + timedelta(days=int(m.group("n")))))
    s = _take(rf"{_words('σε', 'μετά από', 'ύστερα από')}\s+(?P<n>\d{{1,2}})\s+{_words('εβδομάδες', 'βδομάδες', 'εβδομάδα', 'βδομάδα')}", s,
              lambda m: r.days(today + timedelta(days=7 * int(m.group("n")))))

    # Weeks. This week ends on Sunday; "την άλλη εβδομάδα" is Monday to Sunday after it.
    monday = today - timedelta(days=today.weekday())
    week = _words("εβδομάδα", "βδομάδα", "εβδομάδας", "βδομάδας")
    part_of_week = rf"(?:(?P<early>{_words('αρχές', 'αρχή', 'στην αρχή', 'στις αρχές')})|(?P<late>{_words('τέλος', 'τέλη', 'στο τέλος', 'προς το τέλος', 'στα τέλη')}))?\s*{_ARTS}"

    def weeks(match: re.Match, start: date) -> bool:
        first, last = start, start + timedelta(days=6)
        if match.group("early"):
            last = start + timedelta(days=1)
        elif match.group("late"):
            first, last = start + timedelta(days=3), start + timedelta(days=4)
        if last < today:  # "τέλος της εβδομάδας" said on Saturday: the next one
            return weeks(match, start + timedelta(days=7))
        if match.group("after"):
            r.since(last + timedelta(days=1))
        elif match.group("before"):
            r.until(first - timedelta(days=1))
        else:
            r.days(max(first, today), last)
        return True

    s = _take(rf"{after}{part_of_week}{_words('μεθεπόμενη', 'μεθεπόμενης')}\s+{week}", s, lambda m: weeks(m, monday + timedelta(days=14)))
    s = _take(rf"{after}{part_of_week}{_words('άλλη', 'άλλης', 'επόμενη', 'επόμενης', 'ερχόμενη', 'ερχόμενης', 'καινούργια')}\s+{week}", s,
              lambda m: weeks(m, monday + timedelta(days=7)))
    s = _take(rf"{after}{part_of_week}{_words('αυτή τη', 'αυτή την', 'αυτής της', 'μέσα στην', 'μέσα στη', 'μέσα στης', 'τρέχουσα', 'μέσα στη')}?\s*{week}", s,
              lambda m: weeks(m, monday))
    s = _take(rf"{after}{_words('Σαββατοκύριακο', 'Σ/Κ', 'ΣΚ')}", s,
              lambda m: r.days(monday + timedelta(days=5 if today.weekday() < 6 else 12),
                               monday + timedelta(days=6 if today.weekday() < 6 else 13)))

    # Weekdays: "την Τρίτη", "της Παρασκευής", "την άλλη Τρίτη", "κάθε Πέμπτη", "Τρίτη ή Πέμπτη", "όχι Δευτέρα".
    named: list[tuple[int, bool, bool]] = []  # (weekday, next week, every)

    def weekday(match: re.Match) -> bool:
        next_week = bool(match.group("next"))
        every = bool(match.group("every")) or match.group("wd").endswith(normalise("ες"))
        if match.group("not"):
            r.since(today)
            r.weekdays = (r.weekdays or set(range(7))) - {_WEEKDAY[match.group("wd")]}
            return True
        if match.group("after") or match.group("before"):
            return one_day(_next_weekday(today, _WEEKDAY[match.group("wd")], next_week), match)
        named.append((_WEEKDAY[match.group("wd")], next_week, every))
        return True

    qualifier = rf"(?:(?P<next>{_words('άλλη', 'άλλο', 'μεθεπόμενη')})|{_words('επόμενη', 'επόμενο', 'ερχόμενη', 'ερχόμενο', 'αυτή', 'αυτό', 'πρώτη')}|(?P<every>{_words('κάθε', 'οποιαδήποτε', 'οποιοδήποτε', 'όλες τις')}))?\s*{_ARTS}"
    s = _take(rf"{after}{qualifier}{_WEEKDAY_RE}", s, weekday)
    if named:
        _weekdays(named, r, today)
    return s


def _weekdays(named: list[tuple[int, bool, bool]], r: _Reading, today: date) -> None:
    wanted = {d for d, _, _ in named}
    if any(every for _, _, every in named):
        r.since(today + timedelta(days=1))
        r.weekdays = wanted
        return
    if r.first is not None and r.last is not None and r.last > r.first:  # inside a named week
        inside = [r.first + timedelta(days=i) for i in range((r.last - r.first).days + 1)]
        days = [d for d in inside if d.weekday() in wanted]
        if days:
            r.first, r.last = days[0], days[-1]
            r.weekdays = wanted if len(days) > 1 else None
        return
    dates = sorted(_next_weekday(today, d, next_week) for d, next_week, _ in named)
    r.days(dates[0], dates[-1])
    if len(dates) > 1:
        r.weekdays = wanted


def _groups(match: re.Match, prefix: str = "") -> dict[str, str | None]:
    return {name: match.group(prefix + name) for name in ("h", "m", "plus", "less")}


def _read_hours(s: str, r: _Reading) -> str:
    """Hours: ranges ("από 10 έως 12", "μεταξύ 10 και 12", "10-12"), bounds ("μετά τις 11",
    "όχι πριν τις 10", "μέχρι τις 12"), then points ("στις 11", "10:30", "11 και μισή")."""
    clock_a = _CLOCK.replace("(?P<", "(?P<a_")
    clock_b = _CLOCK.replace("(?P<", "(?P<b_")

    def window(match: re.Match) -> bool:
        a, b = _clock(_groups(match, "a_"), r.part), _clock(_groups(match, "b_"), r.part)
        if a is None or b is None:
            return False
        start, end = time(a.hour, a.minute), time(b.hour, b.minute)
        if end <= start and b.hour < 12 and not b.explicit_half_of_day:
            end = time(b.hour + 12, b.minute)
        if end <= start:
            return False
        r.daily(start, end)
        return True

    s = _take(rf"{_BETWEEN}\s+{_ARTS}{clock_a}\s*{_UNTIL}\s*{_ARTS}{clock_b}", s, window)
    s = _take(rf"{_ARTS}{clock_a}\s*{_DASH_UNTIL}\s*{_ARTS}{clock_b}", s, window)

    def bound(match: re.Match, after: bool) -> bool:
        clock = _clock(_groups(match), r.part)
        if clock is None:
            return False
        moment = time(clock.hour, clock.minute)
        r.daily(moment, max(CLOSE, moment)) if after else r.daily(time(0), moment)
        return True

    s = _take(rf"(?:(?P<after>{_AFTER})|{_BEFORE})\s+{_ARTS}{_CLOCK}(?:\s+{_AND_LATER})?", s,
              lambda m: bound(m, after=bool(m.group("after"))))
    s = _take(rf"{_ARTS}{_CLOCK}\s+{_AND_LATER}", s, lambda m: bound(m, after=True))

    def point(match: re.Match, tolerance: timedelta) -> bool:
        clock = _clock(_groups(match), r.part)
        if clock is None:
            return False
        r.at, r.tolerance, r.found = time(clock.hour, clock.minute), tolerance, True
        return True

    s = _take(rf"{_ROUGHLY}\s+{_ARTS}{_CLOCK}", s, lambda m: point(m, ROUGH_TOLERANCE))
    s = _take(rf"{_AT}\s+{_CLOCK}", s, lambda m: point(m, POINT_TOLERANCE))
    # a bare clock time: "10:30", "10.30", "11 και μισή", or a number with a part of the day
    s = _take(r"(?P<h>\d{1,2})\s*[:.]\s*(?P<m>\d{2})(?P<plus>)(?P<less>)", s, lambda m: point(m, POINT_TOLERANCE))
    s = _take(_CLOCK, s, lambda m: point(m, POINT_TOLERANCE) if (m.group("plus") or m.group("less") or r.part) else False)
    return s


def _fallback(text: str, r: _Reading) -> TimeWish | None:
    """Nothing the rules know: the message may still be a whole date to dateparser, in Greek
    or English ("2026-12-15", "December 15", "next friday")."""
    text = text.strip()
    if not re.search(r"\d", text) and len(text.split()) > 3 or re.fullmatch(r"[\d\s]*", text):
        return None
    parsed = dateparser.parse(
        text, languages=["el", "en"],
        settings={"PREFER_DATES_FROM": "future", "RELATIVE_BASE": r.now.replace(tzinfo=None),
                  "REQUIRE_PARTS": ["day"]},
    )
    if parsed is None or parsed.date() < r.now.date():
        return None
    r.days(parsed.date())
    if parsed.time() != time(0) and parsed.time() != r.now.replace(tzinfo=None).time():
        r.at = parsed.time()
    return _wish(r)


def _wish(r: _Reading) -> TimeWish:
    now = r.now
    hours = r.hours
    if r.at is not None:
        at = datetime.combine(date.min, r.at)
        point = ((at - r.tolerance).time(), (at + r.tolerance).time())
        hours = (max(point[0], hours[0]), min(point[1], hours[1])) if hours else point
        if hours[0] >= hours[1]:  # "μετά τις 11 στις 10": the bound wins, the point is its start
            hours = r.hours
    if r.first is None:
        if r.soonest and hours is None:
            return TimeWish(now, None, now, soonest=True)
        # Hours without a day: the day of the times on screen, else today if they are still ahead, else tomorrow.
        first = r.offered_day if r.offered_day and r.weekdays is None else now.date()
        if hours and datetime.combine(first, hours[1], ATHENS) <= now:
            first += timedelta(days=1)
        if r.weekdays is not None:
            r.since(first)
        else:
            r.first, r.last = first, first
    first = r.first
    last = r.last
    day_hours = hours or WHOLE_DAY
    start = datetime.combine(first, day_hours[0], ATHENS)
    end = None if r.open_end or last is None else datetime.combine(
        last, day_hours[1], ATHENS) if hours else datetime.combine(last + timedelta(days=1), time(0), ATHENS)
    target = datetime.combine(first, r.at, ATHENS) if r.at else start
    several_days = end is None or (end - start) > timedelta(days=1)
    wish = TimeWish(
        start, end, target,
        hours=hours if (hours and several_days) else None,
        weekdays=frozenset(r.weekdays) if r.weekdays is not None else None,
        soonest=r.soonest,
    )
    if wish.weekdays is not None and not wish.admits(wish.start):  # begin on the first wanted day
        first_day = next((d for d in wish.days() if d.weekday() in wish.weekdays), first)
        moved = datetime.combine(first_day, day_hours[0], ATHENS)
        wish = replace(wish, start=moved, target=moved if not r.at else datetime.combine(first_day, r.at, ATHENS))
    return wish



def describe(wish: TimeWish, now: datetime) -> str:
    """The wish as the bot understood it, to be said back: "την Παρασκευή 8 Φεβρουαρίου, μετά
    τις 15:00", "αύριο γύρω στις 11:00", "από τη Δευτέρα 11 έως την Κυριακή 17 Φεβρουαρίου"."""
    today = now.astimezone(ATHENS).date()
    if wish.soonest and wish.end is None and wish.hours is None and wish.weekdays is None:
        return SOONEST_SAID
    start = wish.start.astimezone(ATHENS)
    end = wish.end.astimezone(ATHENS) if wish.end else None
    one_day = end is not None and wish.hours is None and (end - timedelta(microseconds=1)).date() == start.date()
    if one_day:
        until = end.time() if end.date() == start.date() else None
        hours = _hours_phrase(start.time(), until, wish.target.astimezone(ATHENS).time())
        return on_day(start.date(), today) + (f", {hours}" if hours else "")
    days = f"από {on_day(start.date(), today)}"
    days += f" έως {on_day((end - timedelta(microseconds=1)).date(), today)}" if end else " και μετά"
    if wish.weekdays is not None:
        days += f" (μόνο {weekday_names(wish.weekdays)})" if len(wish.weekdays) <= 3 else \
            f" (όχι {weekday_names(set(range(7)) - set(wish.weekdays))})"
    hours = _hours_phrase(*wish.hours, wish.target.astimezone(ATHENS).time()) if wish.hours else ""
    return days + (f", {hours}" if hours else "")


def _hours_phrase(start: time, end: time | None, target: time) -> str:
    if start < target and (end is None or target < end):
        return f"γύρω στις {clock(target)}"
    if start == time(0):
        return f"πριν τις {clock(end)}" if end else ""
    if end is None or end >= CLOSE:
        return f"μετά τις {clock(start)}"
    return f"{clock(start)}–{clock(end)}"
