"""Typed time wishes through the whole stack (Rasa, action server, handoff, Redis, real clock):
what is offered is inside the wish, or the bot says there is nothing there and offers the
nearest; only an unmistakable pick chooses a button, and "Τρίτη" is a day, not the third."""
from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import aiohttp

from handoff.config import ATHENS
from handoff.stack import Stack

from .conversations import Chat, ChatClient

SLOT_STAMP = re.compile(r'"slot_id":"[^"@]+@(\d{8}T\d{4}Z)"')


def offered_times(chat: Chat) -> list[datetime]:
    """The start of every slot button of the bot's last offer, in Athens time."""
    stamps = [SLOT_STAMP.search(b["payload"]) for b in chat.buttons]
    return [datetime.strptime(m.group(1), "%Y%m%dT%H%MZ").replace(tzinfo=UTC).astimezone(ATHENS) for m in stamps if m]


async def click(client: ChatClient, chat: Chat, title_part: str) -> None:
    button = next(b for b in chat.buttons if title_part in b["title"])
    await client.send(chat, button["payload"])


async def start_tax_booking(client: ChatClient, chat: Chat, branch: str) -> None:
    await client.send(chat, "δεν μου δέχεται τον κωδικό το taxisnet, τι κάνω;")
    assert "Φορολογικά" in chat.text, chat.text
    await click(client, chat, branch)
    assert "Η πρώτη ελεύθερη ώρα" in chat.text and offered_times(chat), chat.text


async def tracker_slot(stack: Stack, sender: str, name: str):
    url = f"{stack.rasa_url}/conversations/{sender}/tracker?token={stack.secrets['RASA_TOKEN']}"
    async with aiohttp.ClientSession() as session, session.get(url) as resp:
        return (await resp.json())["slots"].get(name)


def next_week(weekday: int) -> date:
    today = datetime.now(ATHENS).date()
    return today - timedelta(days=today.weekday()) + timedelta(days=7 + weekday)


async def test_an_afternoon_where_the_branch_closes_at_three_offers_the_nearest_and_a_pick_chooses_it(
    stack, client: ChatClient, sender
):
    chat = Chat(sender)
    await start_tax_booking(client, chat, "Θεσσαλονίκης")  # open 08:00-15:00

    await client.send(chat, "Τετάρτη απόγευμα, μετά τις 4")
    assert "δεν υπάρχει ελεύθερη ώρα· οι πλησιέστερες είναι" in chat.text, chat.text
    offered = offered_times(chat)
    assert offered and all(t.time() < datetime.strptime("15:00", "%H:%M").time() for t in offered)
    second = chat.buttons[1]["payload"]

    await client.send(chat, "τη 2η")
    assert "Συμφωνείτε" in chat.text, chat.text  # the slot is taken; the privacy notice comes next
    assert await tracker_slot(stack, sender, "slot_id") == second.split('"slot_id":"')[1].split('"')[0]


async def test_a_day_next_week_after_ten_offers_only_times_inside_it_and_a_weekday_is_not_a_pick(
    client: ChatClient, sender
):
    chat = Chat(sender)
    await start_tax_booking(client, chat, "Αθηναίων")
    tuesday = next_week(1)

    await client.send(chat, "την άλλη εβδομάδα την Τρίτη μετά τις 10")
    offered = offered_times(chat)
    inside = [t.date() == tuesday and t.hour >= 10 for t in offered]
    if "Ελεύθερες ώρες" in chat.text:
        assert offered and all(inside), (chat.text, offered)
    else:  # a public holiday: said so, and nothing offered is claimed to be inside
        assert "δεν υπάρχει ελεύθερη ώρα" in chat.text and not any(inside), chat.text

    await client.send(chat, "Τρίτη")  # Tuesday, not the third button
    assert "Συμφωνείτε" not in chat.text, chat.text
    assert "Τρίτη" in chat.text and offered_times(chat), chat.text
    if "Ελεύθερες ώρες" in chat.text:
        assert all(t.weekday() == 1 for t in offered_times(chat)), chat.text
    else:
        assert "δεν υπάρχει ελεύθερη ώρα" in chat.text, chat.text
