"""The booking as a card — after a booking, a move, or a lost booking found again — and the
same facts as plain text. The chat page draws the card alone (the handoff relay drops the
text of a message that carries one), so everything the citizen needs is in the card;
text-only channels (Rasa's REST webhook) get the text."""
from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any

from .greek_format import bullet_list, when
from .identity_documents import POLICE_ID, TO_BRING, document_said

UTC = timezone.utc  # datetime.UTC is Python 3.11+; the bot runs on 3.10


def documents_to_bring(topic: dict[str, Any], document: str | None) -> list[str]:
    """The document the citizen said they will show on camera, then the topic's other documents
    («Αστυνομική ταυτότητα» is not listed a second time for whoever shows it)."""
    shown = document or POLICE_ID

    def is_shown(name: str) -> bool:
        bare = re.sub(r"\s*\(.*?\)", "", name)  # «Άδεια διαμονής (αν έχετε)»
        return len(bare.split()) <= 2 and document_said(bare) == shown

    return [TO_BRING.get(shown, TO_BRING[POLICE_ID]), *(d for d in topic.get("documents", []) if not is_shown(d))]


def booking_card(
    headline: str, booking: dict[str, Any], topic: dict[str, Any], branch: dict[str, Any], notices: tuple[str, ...] = ()
) -> dict[str, Any]:
    """`booking` as the handoff API returns it with its manage code (`manage_token`)."""
    deadline = booking.get("change_deadline")
    changeable = bool(deadline) and datetime.now(UTC) < datetime.fromisoformat(deadline)
    return {
        "headline": headline,
        "reference": booking["reference"],
        "start": booking["start"],
        "when": when(booking["start"]),
        "branch": branch.get("name", booking["branch"]),
        "branch_phone": branch.get("phone", "1500"),
        "topic": topic.get("label", ""),
        "join_url": booking["join_url"],
        "calendar_url": booking["calendar_url"],
        "appointment_url": booking["appointment_url"],
        "manage_code": booking["manage_token"],
        "change_until": when(deadline) if changeable else None,
        "documents": documents_to_bring(topic, (booking.get("citizen") or {}).get("id_document")),
        "notices": list(notices),
    }


def card_text(card: dict[str, Any]) -> str:
    """The card for a channel that shows only text."""
    if card["change_until"]:
        change = f"Κωδικός διαχείρισης (για αλλαγή ή ακύρωση έως {card['change_until']}): {card['manage_code']}"
    else:
        change = (f"Κωδικός διαχείρισης: {card['manage_code']} (για αλλαγή πια μόνο στο τηλέφωνο "
                  f"του ΚΕΠ {card['branch_phone']})")
    return "\n".join([
        card["headline"],
        f"Κωδικός ραντεβού: {card['reference']}",
        f"Πότε: {card['when']}",
        f"ΚΕΠ: {card['branch']}",
        *([f"Θέμα: {card['topic']}"] if card["topic"] else []),
        f"Σύνδεσμος για τη βιντεοκλήση: {card['join_url']}",
        f"Προσθήκη στο ημερολόγιο: {card['calendar_url']}",
        change,
        f"Το ραντεβού σας, με αλλαγή και ακύρωση: {card['appointment_url']}",
        f"Να έχετε έτοιμα:\n{bullet_list(card['documents'])}",
        *card["notices"],
    ])
