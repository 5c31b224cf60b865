"""Relayed calls through the handoff service: CPU per call, frames delivered versus sent,
join-to-first-frame, memory after many calls, and rejoins (a side reloads): time until video
flows both ways again, and no peer connection or memory left once the calls have ended.

Starts its own redis-server and handoff service (loopback-only ICE) and plays both sides of
each call with aiortc peers in this process, sending synthetic media: 20 ms audio frames of a
warbling tone (not silence, which Opus encodes almost for free), and
for video calls 640×480 frames at 30 fps. The service decodes and re-encodes what it relays
(MediaRelay works on decoded frames), which is the cost measured here.

    .venv-handoff/bin/python bench/call_capacity.py --audio-calls 10 --video-calls 2 --seconds 20 --cycles 100 --rejoins 100
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import os
import secrets
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import aiohttp
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import AudioStreamTrack, MediaStreamError, VideoStreamTrack

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from handoff.media import restrict_host_addresses  # noqa: E402
from handoff.redis_server import RedisServer, free_port  # noqa: E402

CLERK, PASSWORD, TOKEN = "bench-clerk", "bench-password-" + secrets.token_hex(4), secrets.token_urlsafe(16)
TICKS = os.sysconf("SC_CLK_TCK")
TRANSIT = 0.5  # seconds: far more than a frame takes through the relay on loopback
WARM_UP_REJOINS = 60  # RSS levels off after about as many (a 250-rejoin run: +3 MiB from there on)


class SpeechLikeTrack(AudioStreamTrack):
    """aiortc's 8 kHz audio track, but with a warbling tone instead of silence: Opus spends
    much less on silence than on a voice, and the service re-encodes what it relays."""

    async def recv(self):
        frame = await super().recv()
        t0 = frame.pts
        samples = [int(8000 * math.sin(2 * math.pi * (300 + 200 * math.sin((t0 + i) / 4000)) * (t0 + i) / 8000))
                   for i in range(frame.samples)]
        frame.planes[0].update(struct.pack(f"{frame.samples}h", *samples))
        return frame


class Counted:
    """Wraps a synthetic track to count the frames it hands to the encoder."""

    def __init__(self, track, sent: Counter):
        self.track, self.sent = track, sent
        original = track.recv

        async def recv():
            frame = await original()
            sent[track.kind] += 1
            return frame

        track.recv = recv


class Peer:
    def __init__(self, video: bool, sent: Counter, received: Counter):
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.received = received
        self.first_frame = asyncio.get_running_loop().create_future()
        self.video_waiters: list[asyncio.Future] = []
        self._readers: list[asyncio.Task] = []
        tracks = [SpeechLikeTrack()] + ([VideoStreamTrack()] if video else [])
        for track in tracks:
            Counted(track, sent)
            self.pc.addTrack(track)
        self.pc.on("track", lambda t: self._readers.append(asyncio.ensure_future(self._read(t))))

    async def _read(self, track) -> None:
        with contextlib.suppress(MediaStreamError):
            while True:
                await track.recv()
                self.received[track.kind] += 1
                if not self.first_frame.done():
                    self.first_frame.set_result(time.perf_counter())
                if track.kind == "video":
                    for waiter in self.video_waiters:
                        if not waiter.done():
                            waiter.set_result(time.perf_counter())
                    self.video_waiters.clear()

    def next_video_frame(self) -> asyncio.Future:
        """Resolves (with its arrival time) when the next video frame arrives."""
        waiter = asyncio.get_running_loop().create_future()
        self.video_waiters.append(waiter)
        return waiter

    async def join(self, http: aiohttp.ClientSession, url: str, headers: dict[str, str]) -> None:
        await self.pc.setLocalDescription(await self.pc.createOffer())
        async with http.post(url, json={"sdp": self.pc.localDescription.sdp, "type": "offer"}, headers=headers) as resp:
            answer = await resp.json()
            assert resp.status == 200, answer
        await self.pc.setRemoteDescription(RTCSessionDescription(answer["sdp"], answer["type"]))

    async def close(self) -> None:
        for reader in self._readers:
            reader.cancel()
        await self.pc.close()


class Service:
    def __init__(self, tmp: Path):
        self.redis = RedisServer(tmp / "redis").start()
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = os.environ | {
            "REDIS_URL": self.redis.url, "HANDOFF_PORT": str(self.port), "HANDOFF_SERVICE_TOKEN": TOKEN,
            "HANDOFF_SECRET_KEY": secrets.token_urlsafe(16), "HANDOFF_HORIZON_DAYS": "120",
            "HANDOFF_ICE_ADDRESSES": "127.0.0.1",
        }
        subprocess.run([sys.executable, "-m", "handoff", "accounts", "add", CLERK, "--role", "clerk", "--clerk-id", "ath-alexiou"],
                       cwd=ROOT, env=env, input=PASSWORD + "\n", text=True, check=True, capture_output=True)
        self.process = subprocess.Popen([sys.executable, "-m", "handoff", "serve"], cwd=ROOT, env=env,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICKS

    def rss_mib(self) -> float:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return 0.0

    async def calls(self, http: aiohttp.ClientSession) -> dict[str, int]:
        """The calls the service holds media for and its open peer connections (/healthz)."""
        async with http.get(f"{self.url}/healthz") as resp:
            return (await resp.json())["calls"]

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)
        self.redis.stop()


class Desk:
    """A clerk with appointments picked up, ready to be called."""

    def __init__(self, http: aiohttp.ClientSession, url: str):
        self.http, self.url, self.csrf = http, url, ""
        self._after = None

    async def start(self) -> None:
        for _ in range(100):
            with contextlib.suppress(aiohttp.ClientError):
                async with self.http.get(f"{self.url}/healthz") as resp:
                    if resp.status == 200:
                        break
            await asyncio.sleep(0.1)
        async with self.http.post(f"{self.url}/api/clerk/login", json={"username": CLERK, "password": PASSWORD}) as resp:
            self.csrf = (await resp.json())["csrf_token"]

    async def appointment(self) -> tuple[str, str]:
        """(join token, reference) of a new booking, picked up by the clerk."""
        params = {"topic": "identity_documents", "branch": "kep-athina", "limit": "1"} | ({"after": self._after} if self._after else {})
        async with self.http.get(f"{self.url}/api/slots", params=params, headers={"Authorization": f"Bearer {TOKEN}"}) as resp:
            [slot] = await resp.json()
        self._after = slot["end"]
        body = {"slot_id": slot["slot_id"], "topic": "identity_documents", "question": "bench",
                "citizen": {"full_name": "Δοκιμή Δοκιμή", "id_card": "ΑΒ123456", "afm": "090000045", "mobile": "6912345678"},
                "consent": {"video_call": True, "show_id": True, "data_processing": True}}
        async with self.http.post(f"{self.url}/api/bookings", json=body, headers={"Authorization": f"Bearer {TOKEN}"}) as resp:
            booking = await resp.json()
        async with self.http.post(f"{self.url}/api/clerk/bookings/{booking['reference']}/pickup",
                                  headers={"X-CSRF-Token": self.csrf}):
            pass
        return booking["join_url"].rsplit("/", 1)[1], booking["reference"]

    async def call(self, video: bool, sent: Counter, received: Counter) -> tuple[Peer, Peer, float]:
        """Both sides joined; returns the peers and the join-to-first-frame time (slowest side)."""
        token, reference = await self.appointment()
        clerk, citizen = Peer(video, sent, received), Peer(video, sent, received)
        started = time.perf_counter()
        await clerk.join(self.http, f"{self.url}/api/clerk/calls/{reference}/offer", {"X-CSRF-Token": self.csrf})
        await citizen.join(self.http, f"{self.url}/api/calls/{token}/offer", {})
        first = await asyncio.wait_for(asyncio.gather(clerk.first_frame, citizen.first_frame), 10)
        return clerk, citizen, max(first) - started


def pct(values: list[float], p: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1] if len(values) > 1 else values[0]


async def load(desk: Desk, service: Service, calls: int, video: bool, seconds: float) -> None:
    sent, received = Counter(), Counter()
    joined = [await desk.call(video, sent, received) for _ in range(calls)]
    await asyncio.sleep(1)  # past the start-up of every stream
    # Received counts are read TRANSIT seconds after the sent ones, so frames in flight at the
    # edges of the window are not counted as lost.
    sent_before, cpu_before, wall = Counter(sent), service.cpu_seconds(), time.perf_counter()
    await asyncio.sleep(TRANSIT)
    received_before = Counter(received)
    await asyncio.sleep(seconds - TRANSIT)
    cpu = (service.cpu_seconds() - cpu_before) / (time.perf_counter() - wall)
    sent_after = Counter(sent)
    await asyncio.sleep(TRANSIT)
    received_after = Counter(received)
    kinds = ["audio"] + (["video"] if video else [])
    delivery = ", ".join(f"{k} {received_after[k] - received_before[k]}/{sent_after[k] - sent_before[k]} "
                         f"({(received_after[k] - received_before[k]) / max(1, sent_after[k] - sent_before[k]):.1%})"
                         for k in kinds)
    joins = [j for _, _, j in joined]
    print(f"{calls} {'video 640x480' if video else 'audio-only'} calls for {seconds:.0f} s: server CPU {cpu:.2f} core "
          f"= {cpu / calls:.3f} core per call; frames delivered/sent {delivery}; "
          f"join-to-first-frame p50 {pct(joins, 50) * 1000:.0f} ms p95 {pct(joins, 95) * 1000:.0f} ms", flush=True)
    for clerk, citizen, _ in joined:
        await clerk.close()
        await citizen.close()


async def open_and_close(desk: Desk, count: int) -> list[float]:
    joins = []
    for _ in range(count):
        clerk, citizen, join = await desk.call(False, Counter(), Counter())
        joins.append(join)
        await clerk.close()
        await citizen.close()
    await asyncio.sleep(3)  # let the service notice both have left
    return joins


async def cycles(desk: Desk, service: Service, count: int) -> None:
    """Memory after `count` calls, from a service that has already made a few (codecs,
    imports and caches are loaded by the first calls, not leaked by them)."""
    cold = service.rss_mib()
    await open_and_close(desk, 10)
    before = service.rss_mib()
    joins = await open_and_close(desk, count)
    after = service.rss_mib()
    print(f"server RSS at start {cold:.1f} MiB, after 10 warm-up calls {before:.1f} MiB")
    print(f"{count} open/close cycles (audio): server RSS {before:.1f} MiB → {after:.1f} MiB ({after / before - 1:+.1%}); "
          f"join-to-first-frame p50 {pct(joins, 50) * 1000:.0f} ms p95 {pct(joins, 95) * 1000:.0f} ms", flush=True)


async def rejoin(desk: Desk, peers: dict[str, Peer], paths: dict[str, tuple[str, dict]], role: str) -> float:
    """`role` reloads: its peer goes, a new one offers. Returns the time from the new offer to
    the first video frame both ways (the new page's, and the other side's from the new source:
    nothing reaches the other side between the old peer's end and the new one's frames)."""
    other = "clerk" if role == "citizen" else "citizen"
    await peers[role].close()
    await asyncio.sleep(0.2)  # frames of the old source still in flight are not counted
    peers[role] = new = Peer(True, Counter(), Counter())
    started = time.perf_counter()
    other_sees = peers[other].next_video_frame()
    new_sees = new.next_video_frame()
    await new.join(desk.http, *paths[role])
    done = await asyncio.wait_for(asyncio.gather(other_sees, new_sees), 10)
    seen = peers[other].received["video"]
    await asyncio.sleep(0.5)  # and it keeps coming (not one frame, then a freeze)
    if peers[other].received["video"] - seen < 5:
        raise AssertionError(f"video froze after the {role}'s rejoin")
    return max(done) - started


async def rejoins(desk: Desk, service: Service, count: int, per_call: int = 10) -> None:
    """Video calls (640×480) whose sides reload in turn, `per_call` times each: rejoin time,
    then peer connections and memory once the calls have ended."""
    async def calls(n: int) -> list[float]:
        times = []
        for _ in range(n // per_call):
            token, reference = await desk.appointment()
            paths = {"clerk": (f"{desk.url}/api/clerk/calls/{reference}/offer", {"X-CSRF-Token": desk.csrf}),
                     "citizen": (f"{desk.url}/api/calls/{token}/offer", {})}
            peers = {role: Peer(True, Counter(), Counter()) for role in paths}
            for role, path in paths.items():
                await peers[role].join(desk.http, *path)
            await asyncio.wait_for(asyncio.gather(*(p.next_video_frame() for p in peers.values())), 10)
            for i in range(per_call):
                times.append(await rejoin(desk, peers, paths, ("citizen", "clerk")[i % 2]))
                live = await service.calls(desk.http)
                assert live["peer_connections"] == 2, f"one peer per side, not {live}"
            async with desk.http.post(f"{desk.url}/api/clerk/calls/{reference}/end", json={"outcome": "resolved"},
                                      headers={"X-CSRF-Token": desk.csrf}) as resp:
                assert resp.status == 200, await resp.text()
            for peer in peers.values():
                await peer.close()
        return times

    cold = service.rss_mib()
    await calls(WARM_UP_REJOINS)  # warm-up: codecs, their buffers and the allocator's arenas settle
    before = service.rss_mib()
    times = await calls(count)
    await asyncio.sleep(1)
    after, left = service.rss_mib(), await service.calls(desk.http)
    print(f"{len(times)} rejoins ({per_call} per video call, citizen and clerk in turn): rejoin to video both ways "
          f"p50 {pct(times, 50) * 1000:.0f} ms p95 {pct(times, 95) * 1000:.0f} ms max {max(times) * 1000:.0f} ms; "
          f"after the calls ended: {left['peer_connections']} peer connections, {left['rooms']} rooms; "
          f"server RSS {cold:.1f} MiB before any, {before:.1f} MiB after {WARM_UP_REJOINS} warm-up rejoins, "
          f"{after:.1f} MiB after {len(times)} more ({after / before - 1:+.1%})", flush=True)


async def main(args: argparse.Namespace) -> None:
    restrict_host_addresses(["127.0.0.1"])
    with tempfile.TemporaryDirectory() as tmp:
        service = Service(Path(tmp))
        try:
            async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:  # cookies for 127.0.0.1
                desk = Desk(http, service.url)
                await desk.start()
                if args.cycles:
                    await cycles(desk, service, args.cycles)
                if args.rejoins:
                    await rejoins(desk, service, args.rejoins)
                if args.audio_calls:
                    await load(desk, service, args.audio_calls, False, args.seconds)
                if args.video_calls:
                    await load(desk, service, args.video_calls, True, args.seconds)
        finally:
            service.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--audio-calls", type=int, default=10)
    parser.add_argument("--video-calls", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--cycles", type=int, default=100)
    parser.add_argument("--rejoins", type=int, default=100)
    asyncio.run(main(parser.parse_args()))
