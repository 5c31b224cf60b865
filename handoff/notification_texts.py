"""The words of every notification, per event and channel: Jinja2 templates in
`templates/notifications/` (`<kind>.email.txt` with the subject, `<kind>.email.html`,
`<kind>.sms.txt`). Plain, short Greek; times on the Athens clock, 24-hour.

An SMS must fit two UCS-2 segments (134 characters): its template may mark a part as optional
(`{% if full %}`); when the whole does not fit, it is rendered without that part, then with
"ΚΕΠ" for the branch's name.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from bot.actions.greek_format import when as greek_when  # pure Python, shared with the bot on purpose

from .channels import Attachment, Outgoing, sms_units
from .config import ATHENS
from .notifications import NotificationKind

log = logging.getLogger(__name__)

TEMPLATES = Path(__file__).resolve().parent / "templates" / "notifications"
SMS_LIMIT = 134  # two concatenated UCS-2 segments of 67
_SHORT_DAYS = ("Δευ", "Τρι", "Τετ", "Πεμ", "Παρ", "Σαβ", "Κυρ")


def long_time(moment: datetime) -> str:
    """"Τρίτη 5 Φεβρουαρίου, 10:20" — as the chat says it."""
    return greek_when(moment.isoformat())


def short_time(moment: datetime) -> str:
    """"Τρι 5/2 10:20" — for an SMS."""
    local = moment.astimezone(ATHENS)
    return f"{_SHORT_DAYS[local.weekday()]} {local.day}/{local.month} {local:%H:%M}"




_env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=False,
)
_env.filters["long_time"] = long_time
_env.filters["short_time"] = short_time
_env.filters["clock"] = lambda moment: f"{moment.astimezone(ATHENS):%H:%M}"


@dataclass(frozen=True)
class NoticeFacts:
    """Everything a template may say, gathered by the worker from the notification, the
    booking, the catalogue and the settings."""

    kind: NotificationKind
    reference: str
    start: datetime
    previous_start: datetime | None
    branch_name: str
    branch_phone: str
    topic_label: str
    join_url: str
    short_join_url: str
    chat_url: str
    appointment_url: str  # the citizen's page: see, move or cancel with the two codes
    manage_code: str
    change_deadline: datetime
    can_still_change: bool  # the deadline is after the moment of the change
    reason: str
    reminders: tuple[NotificationKind, ...]  # those still to come
    channels_named: str  # "με SMS και email" / "με SMS"

    def context(self) -> dict[str, object]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__} | {
            "reminder_day": NotificationKind.REMINDER_DAY in self.reminders,
            "reminder_hours": NotificationKind.REMINDER_HOURS in self.reminders,
        }


def render_email(facts: NoticeFacts, to: str, calendar: bytes | None) -> Outgoing:
    context = facts.context()
    text_template = _env.get_template(f"{facts.kind.value}.email.txt")
    module = text_template.make_module(context)
    html = _env.get_template(f"{facts.kind.value}.email.html").render(context)
    attachments = (Attachment(f"{facts.reference}.ics", "text/calendar", calendar),) if calendar else ()
    text = re.sub(r"\n{3,}", "\n\n", str(module)).strip() + "\n"  # macros leave blank lines behind
    return Outgoing(to=to, subject=str(vars(module)["subject"]).strip(), text=text, html=html,
                    attachments=attachments)


def render_sms(facts: NoticeFacts, to: str) -> Outgoing:
    template = _env.get_template(f"{facts.kind.value}.sms.txt")
    short_branch = facts.branch_name.replace("Δήμου ", "")  # "ΚΕΠ Αθηναίων": six characters saved
    text = ""
    for full, branch in ((True, short_branch), (False, short_branch), (False, "ΚΕΠ")):
        text = " ".join(template.render(facts.context() | {"full": full, "sms_branch": branch}).split())
        if sms_units(text)[0] <= SMS_LIMIT:
            break
    else:
        log.warning("SMS %s for %s is %d characters, over two segments", facts.kind, facts.reference, len(text))
    return Outgoing(to=to, text=text)
