"""The chat relay over several Rasa servers: each conversation has one home (rendezvous
hashing), conversations spread over the servers, a server that leaves moves only its own
conversations, and while a home is down its conversations go to the next server.
(Killing a real Rasa server mid-booking is in tests/e2e/test_launcher.py.)"""
from collections import Counter
from dataclasses import replace

from handoff.app import create_app
from handoff.chat import ChatIds, rendezvous
from handoff.redis_server import free_port

SERVERS = [f"http://10.0.0.{n}:5005" for n in range(1, 4)]
SENDERS = [f"web-citizen-{n}" for n in range(600)]


def test_each_conversation_has_one_home_and_the_homes_spread():
    homes = {s: rendezvous(s, SERVERS)[0] for s in SENDERS}
    assert all(rendezvous(s, list(reversed(SERVERS)))[0] == homes[s] for s in SENDERS)  # not by list order
    shares = Counter(homes.values())
    assert set(shares) == set(SERVERS) and all(150 <= n <= 250 for n in shares.values()), shares


def test_a_server_that_leaves_moves_only_its_own_conversations_and_spreads_them():
    gone = SERVERS[0]
    before = {s: rendezvous(s, SERVERS)[0] for s in SENDERS}
    after = {s: rendezvous(s, SERVERS[1:])[0] for s in SENDERS}
    assert all(after[s] == before[s] for s in SENDERS if before[s] != gone)
    assert set(after[s] for s in SENDERS if before[s] == gone) == set(SERVERS[1:])
    assert all(after[s] == rendezvous(s, SERVERS)[1] for s in SENDERS if before[s] == gone)  # the next in its order


async def test_while_the_home_is_down_the_next_server_answers(aiohttp_client, redis, settings, clock, rasa_recorder):
    up, seen = rasa_recorder
    down = f"http://127.0.0.1:{free_port()}"
    client = await aiohttp_client(create_app(replace(settings, rasa_url=f"{down}, {up}"), redis=redis, clock=clock))
    homeless = sent = 0
    while homeless < 3 and sent < 64:  # new chats until three of them have the closed port as their home
        sent += 1
        client.session.cookie_jar.clear()
        resp = await client.post("/api/chat", json={"message": "καλησπέρα"})
        assert resp.status == 200
        sender = "web-" + ChatIds(settings.secret_key).verify(resp.cookies["kep_chat"].value)
        homeless += rendezvous(sender, [down, up])[0] == down
    assert homeless == 3
    metrics = await (await client.get("/metrics")).text()
    assert 'kep_chat_relay_errors_total{reason="unreachable"}' in metrics
    assert len(seen) == sent  # every message reached the server that is up
