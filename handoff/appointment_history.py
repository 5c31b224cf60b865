"""An appointment's history as the console shows it: who did what and when, in Greek, from
the audit trail. Only what a console viewer may read: events, who (by name), times, clerks
and times moved between, outcomes and the reasons the citizen was given; never the notes,
the citizen's data or an ID rejection's words (those stay with the appointment itself)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from .accounts import Account
from .bookings import Outcome
from .config import ATHENS
from .slots import parse_slot_id

EVENTS = {
    "booking.created": "Κλείστηκε από τη συνομιλία",
    "booking.cancelled": "Ακυρώθηκε από τον πολίτη",
    "booking.cancelled_by_service": "Ακυρώθηκε από το ΚΕΠ",
    "booking.rescheduled": "Ο πολίτης άλλαξε την ώρα",
    "booking.moved_by_service": "Το ΚΕΠ έδωσε νέα ώρα",
    "booking.reassigned": "Ανατέθηκε σε άλλον υπάλληλο",
    "booking.picked_up": "Ανάληψη",
    "booking.taken_over": "Η κλήση δόθηκε σε άλλον υπάλληλο",
    "booking.finished": "Ολοκλήρωση",
    "booking.no_show": "Ο πολίτης δεν ήρθε",
    "booking.manage_code_replaced": "Ο πολίτης πήρε νέο κωδικό διαχείρισης",
    "call.citizen_joined": "Ο πολίτης μπήκε στην κλήση",
    "call.clerk_joined": "Ο υπάλληλος μπήκε στην κλήση",
    "call.citizen_left": "Ο πολίτης αποχώρησε από την κλήση",
    "call.clerk_left": "Ο υπάλληλος αποχώρησε από την κλήση",
    "call.waiting": "Η κλήση περιμένει τον νέο υπάλληλο",
    "call.connected": "Η κλήση συνδέθηκε",
    "call.id_verified": "Η ταυτότητα επιβεβαιώθηκε",
    "call.audio_only": "Συνέχεια μόνο με ήχο",
    "call.ended": "Η κλήση τελείωσε",
}
ACTORS = {"bot": "Βοηθός (συνομιλία)", "citizen": "Πολίτης", "system": "Σύστημα", "clerk": "Υπάλληλος"}
CALL_ENDINGS = {"id_rejected": "η ταυτότητα δεν επιβεβαιώθηκε", "finished": "με το αποτέλεσμα του υπαλλήλου",
                "nobody_connected": "δεν ήταν κανείς πια συνδεδεμένος"}  # older calls: they used to end by themselves


def readable(entry: dict[str, Any], accounts: dict[str, Account], clerks: dict[str, str],
             outcomes: dict[Outcome, str]) -> dict[str, str]:
    """One audit entry as a line of the console's history."""
    actor = entry.get("actor", "")
    account = accounts.get(actor)
    details = []
    if entry.get("from_slot") and entry.get("to_slot"):
        details.append(f"από {_slot(entry['from_slot'], clerks)} σε {_slot(entry['to_slot'], clerks)}")
    if entry.get("event") == "booking.taken_over":
        details.append(f"από {_person(entry.get('from_picked_by', ''), accounts)} σε {_person(entry.get('picked_by', ''), accounts)}")
    if entry.get("outcome") in outcomes:
        details.append(f"αποτέλεσμα: {outcomes[entry['outcome']]}")
    if entry.get("event") == "call.ended" and entry.get("reason") in CALL_ENDINGS:
        details.append(CALL_ENDINGS[entry["reason"]])
    elif entry.get("reason") and entry.get("event", "").startswith("booking."):
        details.append(f"λόγος προς τον πολίτη: «{entry['reason']}»")
    return {
        "reference": entry.get("subject", ""),
        "at": entry.get("at", ""),
        "event": entry.get("event", ""),
        "label": EVENTS.get(entry.get("event", ""), entry.get("event", "")),
        "actor": account.name if account else ACTORS.get(actor, actor),
        "details": "· ".join(details),
    }


def _person(username: str, accounts: dict[str, Account]) -> str:
    account = accounts.get(username)
    return account.name if account else "—"


def _slot(slot_id: str, clerks: dict[str, str]) -> str:
    clerk, start = parse_slot_id(slot_id)
    return f"{clerks.get(clerk, clerk)} {_when(start)}"


def _when(start: datetime) -> str:
    local = start.astimezone(ATHENS)
    return f"{local:%d/%m %H:%M}"
