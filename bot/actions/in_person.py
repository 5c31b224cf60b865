"""The physical KEP is always the alternative: whenever the chat cannot go on, the citizen
is told where to go and whom to call, nearest branch first when they named their town."""
from __future__ import annotations

from typing import Any

from bot.nlu.greek_text import normalise

from .greek_format import bullet_list
from .handoff_api import HandoffUnavailable, api

KEP_LINE = "1500"


def nearest_branches(branches: list[dict[str, Any]], hint: str, count: int = 3) -> list[dict[str, Any]]:
    """Branches whose town the citizen mentioned come first; we know nothing else of where they are."""
    said = normalise(hint)
    return sorted(branches, key=lambda b: normalise(b["municipality"]) not in said)[:count]


async def in_person_message(hint: str = "") -> str:
    try:
        branches = list((await api.branches()).values())
    except HandoffUnavailable:
        branches = []
    lines = [f"{b['name']} (τηλ. {b['phone']})" for b in nearest_branches(branches, hint)]
    where = f"\n{bullet_list(lines)}\n" if lines else " "
    return (
        f"Μπορείτε πάντα να εξυπηρετηθείτε από κοντά σε ένα ΚΕΠ:{where}"
        f"ή να καλέσετε τη γραμμή των ΚΕΠ {KEP_LINE} για το πιο κοντινό σας."
    )
