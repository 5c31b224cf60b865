"""Identity documents as citizens have them, through the whole stack: a migration-topic
citizen is offered a foreigner's documents first, shows a residence permit and gives a foreign
mobile, and the clerk receives exactly that."""
from __future__ import annotations

from .conversations import Chat, ChatClient
from .test_conversations import api_booking


async def test_a_foreigner_shows_a_residence_permit_and_gives_a_foreign_mobile(stack, client: ChatClient, sender):
    chat = Chat(sender)
    await client.send(chat, "είμαι από την Αλβανία και μου τελειώνει το χαρτί παραμονής, τι κάνω;")
    assert "Μετανάστευση" in chat.text or "μετανάστ" in chat.text.lower(), chat.text
    await client.send(chat, chat.buttons[0]["payload"])  # any KEP
    await client.send(chat, chat.buttons[0]["payload"])  # the first time
    assert "Συμφωνείτε" in chat.text, chat.text  # the privacy notice before any personal question
    await client.send(chat, "/affirm")
    await client.send(chat, "Ahmed Karimi")
    titles = [b["title"] for b in chat.buttons]
    assert titles[:3] == ["Άδεια διαμονής", "Διαβατήριο", "Άλλο έγγραφο ταυτότητας αλλοδαπού"], titles
    assert titles[-1] == "Δεν έχω κανένα από αυτά"

    await client.send(chat, chat.buttons[0]["payload"])
    assert "άδειας διαμονής" in chat.text, chat.text
    await client.send(chat, "za 1234567")
    await client.send(chat, "090000045")
    assert "κωδικό της χώρας" in chat.text, chat.text  # the mobile question says how to write a foreign one
    await client.send(chat, "+44 7911 12")
    assert "+44" in chat.text and "ελέγξτε" in chat.text, chat.text  # re-asked precisely
    await client.send(chat, "+44 7911 123456")
    await client.send(chat, chat.buttons[0]["payload"])  # no e-mail
    assert "Άδεια διαμονής ZA1234567" in chat.text and "+447911123456" in chat.text, chat.text
    await client.send(chat, "/affirm")
    booking = await api_booking(stack, chat.booking["reference"])
    assert booking["citizen"]["id_document"] == "residence_permit" and booking["citizen"]["mobile"] == "+447911123456"
    assert "Την άδεια διαμονής σας" in chat.text
