"""The launcher of `make run` supervises: run as `make run` runs it (`python -m handoff.stack`,
here in a process group of its own), it restarts a component that is killed while the others
keep serving, a conversation killed with Rasa half-way through a booking continues, and a
stop signal to its process group — SIGTERM, or SIGINT twice in a row — leaves no process and
no listening port behind. A port already in use stops it before it starts anything.

The tests on the running launcher share one (it takes a minute to start) and run in file
order; the SIGTERM test, which stops it, comes last."""
from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest

from handoff import ports
from handoff.chat import ChatIds, rendezvous
from handoff.config import PROJECT_ROOT
from handoff.redis_server import free_port
from handoff.stack import load_secrets

from .conversations import IDENTITY, SCRIPTS, ChatClient, RelayChatClient

pytestmark = pytest.mark.slow
START_TIMEOUT = 180  # the whole stack, on a busy machine
BACK_TIMEOUT = 180  # a restarted Rasa loads its model again


def wait_for(what: str, condition: Callable[[], object], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout} s: {what}")
        time.sleep(0.3)


def answers(url: str) -> bool:
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            return resp.status == 200
    except OSError:
        return False


def free_ports(n: int) -> int:
    """The first of n consecutive free ports."""
    while True:
        first = free_port()
        if not any(ports.in_use(first + i) for i in range(1, n)):
            return first


def children(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.add(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


@dataclass
class Launcher:
    var: Path
    handoff: int
    actions: int
    rasa: int
    redis: int
    process: subprocess.Popen | None = None

    rasa_servers: int = 1
    replicas: int = 1

    @classmethod
    def start(cls, var: Path, handoff_port: int | None = None, rasa_servers: int = 1, replicas: int = 1) -> Launcher:
        """With N Rasa servers: Rasa and action servers on RASA_PORT+i and ACTIONS_PORT+i; with
        N replicas: handoff processes on HANDOFF_PORT+1…N behind HAProxy on HANDOFF_PORT."""
        rasa_servers = max(rasa_servers, replicas)
        rasa, actions = free_ports(rasa_servers), free_ports(rasa_servers)
        handoff = handoff_port or free_ports(replicas + 1 if replicas > 1 else 1)
        launcher = cls(var, handoff, actions, rasa, free_port(), rasa_servers=rasa_servers, replicas=replicas)
        env = {**os.environ, "HANDOFF_PORT": str(launcher.handoff), "ACTIONS_PORT": str(launcher.actions),
               "RASA_PORT": str(launcher.rasa), "REDIS_PORT": str(launcher.redis)}
        env.pop("REDIS_URL", None)
        var.mkdir(parents=True, exist_ok=True)
        with open(var / "launcher.out", "wb") as out:
            launcher.process = subprocess.Popen(
                [sys.executable, "-m", "handoff.stack", "--var", str(var), "--rasa-servers", str(rasa_servers),
                 "--replicas", str(replicas)],
                cwd=PROJECT_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        return launcher

    @property
    def output(self) -> str:
        return (self.var / "launcher.out").read_text(errors="replace")

    @property
    def ports(self) -> dict[str, int]:
        bots = {}
        for i in range(self.rasa_servers):
            suffix = f"-{i + 1}" if i else ""
            bots |= {f"actions{suffix}": self.actions + i, f"rasa{suffix}": self.rasa + i}
        replicas = {f"handoff-{i}": self.handoff + i for i in range(1, self.replicas + 1)} if self.replicas > 1 else {}
        return {"handoff": self.handoff, "redis": self.redis, **replicas, **bots}

    @property
    def secrets(self) -> dict[str, str]:
        return load_secrets(self.var / "secrets.env")

    def urls(self) -> dict[str, str]:
        paths = {"handoff": "/healthz", "actions": "/health", "rasa": f"/status?token={self.secrets['RASA_TOKEN']}"}
        return {name: f"http://127.0.0.1:{port}{paths[name.split('-')[0]]}"
                for name, port in self.ports.items() if name != "redis"}

    def wait_running(self) -> None:
        wait_for("the launcher says it is running", lambda: "KEP Connect is running" in self.output
                 or self.process.poll() is not None, START_TIMEOUT)
        assert self.process.poll() is None, self.output

    def pid_on(self, name: str) -> int:
        holder = ports.holder(self.ports[name])
        assert holder is not None and holder.pid, f"nothing listens for {name}"
        return holder.pid

    def signal_group(self, sig: signal.Signals) -> None:
        os.killpg(self.process.pid, sig)

    def assert_nothing_left(self, processes: set[int]) -> None:
        assert self.process.wait(60) == 0, self.output
        assert [p for p in processes if alive(p)] == [], self.output
        assert {name: str(ports.holder(port)) for name, port in self.ports.items() if ports.holder(port)} == {}

    def kill(self) -> None:
        if self.process.poll() is None:
            self.signal_group(signal.SIGKILL)  # its children die with it (parent-death signal)
            self.process.wait()


@pytest.fixture(scope="module")
def launcher(tmp_path_factory: pytest.TempPathFactory):
    running = Launcher.start(tmp_path_factory.mktemp("launcher"))
    try:
        running.wait_running()
        yield running
    finally:
        running.kill()


def assert_comes_back_while_the_rest_serves(launcher: Launcher, name: str) -> int:
    """SIGKILL one component; the others answer all along; it answers again, as a new process."""
    urls = launcher.urls()
    killed = launcher.pid_on(name)
    os.kill(killed, signal.SIGKILL)
    wait_for(f"{name} is down", lambda: not answers(urls[name]), 10)
    deadline = time.monotonic() + BACK_TIMEOUT
    while not answers(urls[name]):
        assert time.monotonic() < deadline, f"{name} did not come back:\n{launcher.output}"
        for other, url in urls.items():
            if other != name:
                assert answers(url), f"{other} stopped answering while {name} was down"
        time.sleep(0.5)
    assert launcher.pid_on(name) != killed
    assert f"{name} (pid {killed}) stopped: killed by SIGKILL" in launcher.output
    return killed


def test_a_killed_action_server_comes_back_while_the_rest_serves(launcher: Launcher):
    assert_comes_back_while_the_rest_serves(launcher, "actions")


def test_a_killed_handoff_service_comes_back_while_the_rest_serves(launcher: Launcher):
    assert_comes_back_while_the_rest_serves(launcher, "handoff")


async def test_a_booking_continues_after_rasa_is_killed_in_the_middle(launcher: Launcher):
    """Topic, branch, slot, consent and name given; Rasa killed; the same citizen goes on with the identity
    document and books what they had chosen before the crash (the tracker is in Redis)."""
    sender = f"citizen-{uuid.uuid4().hex[:8]}"
    handoff = f"http://127.0.0.1:{launcher.handoff}"
    async with aiohttp.ClientSession() as session:
        client = ChatClient(session, f"http://127.0.0.1:{launcher.rasa}", handoff, launcher.secrets["HANDOFF_SERVICE_TOKEN"])
        context: dict = {"bookings": []}
        before = slice(0, SCRIPTS["happy_path"].index(IDENTITY[0]) + 1)  # up to the name: now the document
        chat = await client.play("happy_path", sender, context, steps=before)  # checks each reply
        chosen = [s for s in chat.said if "ελεύθερη ώρα" in s]
        assert chosen, chat.said

        await asyncio.to_thread(assert_comes_back_while_the_rest_serves, launcher, "rasa")

        chat = await client.play("happy_path", sender, context, steps=slice(before.stop, None), chat=chat)
        booking = chat.booking
        assert booking is not None, chat.text
        async with session.get(f"{handoff}/api/bookings/{booking['reference']}",
                               headers={"Authorization": f"Bearer {launcher.secrets['HANDOFF_SERVICE_TOKEN']}"}) as resp:
            stored = await resp.json()
        assert stored["sender_id"] == sender and stored["topic"] == "identity_documents"
        assert stored["citizen"]["full_name"] == IDENTITY[0].text  # given before the crash
        assert stored["question"] == "Έχασα την ταυτότητά μου, τι πρέπει να κάνω;"


async def test_with_two_rasa_servers_a_conversation_moves_on_when_its_home_is_killed(tmp_path: Path):
    """Through the chat page's relay: half-way through a booking the conversation's home Rasa
    server is killed; the next message goes to the other server, which continues it."""
    launcher = Launcher.start(tmp_path / "var", rasa_servers=2)
    try:
        await asyncio.to_thread(launcher.wait_running)
        handoff = f"http://127.0.0.1:{launcher.handoff}"
        token = launcher.secrets["HANDOFF_SERVICE_TOKEN"]
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
            client = RelayChatClient(session, "", handoff, token)
            script, context = SCRIPTS["happy_path"], {"bookings": []}
            given = slice(0, script.index(IDENTITY[0]) + 1)  # up to the name
            chat = await client.play("happy_path", "", context, steps=given)
            cookie = next(c.value for c in session.cookie_jar if c.key == "kep_chat")
            sender = "web-" + ChatIds(launcher.secrets["HANDOFF_SECRET_KEY"]).verify(cookie)
            home = rendezvous(sender, [f"http://127.0.0.1:{launcher.rasa + i}" for i in range(2)])[0]
            home_name = "rasa" if home.endswith(f":{launcher.rasa}") else "rasa-2"
            os.kill(launcher.pid_on(home_name), signal.SIGKILL)

            chat = await client.play("happy_path", "", context, steps=slice(given.stop, len(script) - 2), chat=chat)
            await client.send(chat, "ναι")
            assert chat.booking is not None, chat.replies
            async with session.get(f"{handoff}/api/bookings/{chat.booking['reference']}",
                                   headers={"Authorization": f"Bearer {token}"}) as resp:
                stored = await resp.json()
            assert stored["sender_id"] == sender and stored["citizen"]["full_name"] == IDENTITY[0].text
            async with session.get(f"{handoff}/metrics") as resp:
                assert 'kep_chat_relay_errors_total{reason="unreachable"}' in await resp.text()
        await asyncio.to_thread(wait_for, f"{home_name} is back", lambda: answers(launcher.urls()[home_name]), BACK_TIMEOUT)
    finally:
        launcher.kill()


def test_behind_haproxy_requests_reach_every_process_and_a_killed_one_goes_unnoticed(tmp_path: Path):
    """`--replicas 2`: HAProxy, two handoff processes, two Rasa and action servers. Requests
    through HAProxy are shared; while one process is killed and restarted every request is
    answered; a SIGTERM then stops all nine processes."""
    launcher = Launcher.start(tmp_path / "var", replicas=2)
    try:
        launcher.wait_running()
        entry = f"http://127.0.0.1:{launcher.handoff}"

        def topics_requests(port: int) -> float:
            import urllib.request

            with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as resp:
                text = resp.read().decode()
            line = next((x for x in text.splitlines()
                         if x.startswith("kep_http_request_duration_seconds_count") and '"/api/topics"' in x), " 0")
            return float(line.rsplit(" ", 1)[1])

        assert all(answers(f"{entry}/api/topics") for _ in range(10))
        assert topics_requests(launcher.handoff + 1) >= 3 and topics_requests(launcher.handoff + 2) >= 3

        killed = launcher.pid_on("handoff-1")
        os.kill(killed, signal.SIGKILL)
        failures, deadline = [], time.monotonic() + 8
        while time.monotonic() < deadline:  # the kill, the health check noticing it, the restart
            if not answers(f"{entry}/api/topics"):
                failures.append(time.monotonic())
            time.sleep(0.05)
        assert failures == [], launcher.output
        wait_for("handoff-1 is back", lambda: answers(launcher.urls()["handoff-1"]), BACK_TIMEOUT)
        assert launcher.pid_on("handoff-1") != killed

        processes = children(launcher.process.pid)
        assert len(processes) == 9, processes  # redis, 2 handoff, haproxy, notify, 2 actions, 2 rasa
        launcher.signal_group(signal.SIGTERM)
        launcher.assert_nothing_left(processes)
    finally:
        launcher.kill()


def test_sigterm_to_the_process_group_leaves_nothing_behind(launcher: Launcher):
    processes = children(launcher.process.pid)
    assert len(processes) == 5, processes  # redis, handoff, notify, actions, rasa (some restarted above)
    launcher.signal_group(signal.SIGTERM)
    launcher.assert_nothing_left(processes)
    assert "SIGTERM: stopping" in launcher.output


def test_sigint_twice_while_starting_leaves_nothing_behind(tmp_path: Path):
    launcher = Launcher.start(tmp_path / "var")
    try:
        wait_for("Rasa is starting", lambda: len(children(launcher.process.pid)) == 5 or launcher.process.poll() is not None,
                 START_TIMEOUT)
        processes = children(launcher.process.pid)
        assert "rasa is up" not in launcher.output, "too late: the stack had started"
        launcher.signal_group(signal.SIGINT)
        time.sleep(0.05)
        launcher.signal_group(signal.SIGINT)  # make and the shell pass Ctrl-C on too: the stop goes on
        launcher.assert_nothing_left(processes)
    finally:
        launcher.kill()


def test_a_port_in_use_is_reported_with_its_holder_before_anything_starts(tmp_path: Path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        launcher = Launcher.start(tmp_path, handoff_port=taken.getsockname()[1])
        try:
            assert launcher.process.wait(30) == 2
        finally:
            launcher.kill()
    assert f"port {launcher.handoff} (handoff) is already in use by pid {os.getpid()}" in launcher.output
    assert "is up" not in launcher.output  # nothing was started
    assert not any(ports.holder(port) for port in (launcher.actions, launcher.rasa, launcher.redis))
