"""Browser stand-ins for the call tests: real aiortc peers that send synthetic audio and a
video whose picture changes every frame, and record what they receive (so a test can tell
fresh video from a frozen picture). Loopback only: no STUN server."""
from __future__ import annotations

import asyncio
import contextlib
import secrets
import time
from collections import Counter
from dataclasses import dataclass

import numpy
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import AudioStreamTrack, MediaStreamError, VideoStreamTrack
from av import VideoFrame


class ChangingVideo(VideoStreamTrack):
    """320×240 frames whose brightness steps every frame (a saw-tooth), so that consecutive
    frames differ even after lossy encoding."""

    def __init__(self, size: tuple[int, int] = (320, 240)):
        super().__init__()
        self.size = size
        self.index = 0

    async def recv(self) -> VideoFrame:
        pts, time_base = await self.next_timestamp()
        width, height = self.size
        self.index += 1
        luma = numpy.full((height * 3 // 2, width), 128, dtype=numpy.uint8)
        luma[:height] = 30 + (self.index * 9) % 190
        frame = VideoFrame.from_ndarray(luma, format="yuv420p")
        frame.pts, frame.time_base = pts, time_base
        return frame


@dataclass
class Received:
    at: float  # time.monotonic() on arrival
    brightness: int  # mean luma, for video
    pts: int


class Peer:
    """One browser's connection with the service: sends audio and changing video, counts
    and records what it receives. Its `connection` id stands for one page load (rtc.js)."""

    def __init__(self, video_size: tuple[int, int] = (320, 240)):
        self.connection = secrets.token_hex(8)
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.received: Counter[str] = Counter()
        self.video: list[Received] = []
        self._readers: list[asyncio.Task] = []
        self.pc.addTrack(AudioStreamTrack())
        self.pc.addTrack(ChangingVideo(video_size))
        self.pc.on("track", lambda track: self._readers.append(asyncio.ensure_future(self._read(track))))

    async def _read(self, track) -> None:
        with contextlib.suppress(MediaStreamError):
            while True:
                frame = await track.recv()
                self.received[track.kind] += 1
                if track.kind == "video":
                    y = frame.to_ndarray(format="yuv420p")[: frame.height]
                    self.video.append(Received(time.monotonic(), int(y.mean()), frame.pts))
                    del self.video[:-300]

    async def offer(self, resume: bool = False) -> dict:
        """An offer as a page sends it; `resume`: an automatic re-offer after a drop."""
        await self.pc.setLocalDescription(await self.pc.createOffer())
        return {"sdp": self.pc.localDescription.sdp, "type": "offer", "connection": self.connection, "resume": resume}

    async def join(self, http, path: str, headers: dict[str, str]) -> None:
        """Offer and connect; as the page does (rtc.js), again shortly when another offer of this
        side has just been answered (409 offer_in_progress: a reload right after joining)."""
        offer = await self.offer()
        for _ in range(30):
            status, body = await self.try_join(http, path, headers, offer)
            if status != 409 or body["error"]["code"] != "offer_in_progress":
                break
            await asyncio.sleep(0.2)
        assert status == 200, body

    async def try_join(self, http, path: str, headers: dict[str, str], offer: dict | None = None
                       ) -> tuple[int, dict]:
        """Offer (`offer`, made beforehand with `offer()`, or a new one); with an answer (200),
        connect. The service's status and JSON body."""
        resp = await http.post(path, json=offer or await self.offer(), headers=headers)
        body = await resp.json()
        if resp.status == 200:
            await self.pc.setRemoteDescription(RTCSessionDescription(body["sdp"], body["type"]))
        return resp.status, body

    def fresh_video_since(self, since: float, frames: int = 10) -> bool:
        """At least `frames` video frames arrived after `since`, their timestamps rising and
        their pictures changing (not one picture over and over)."""
        recent = [r for r in self.video if r.at > since]
        if len(recent) < frames:
            return False
        rising = all(b.pts > a.pts for a, b in zip(recent, recent[1:], strict=False))
        return rising and len({r.brightness for r in recent}) >= frames // 2

    async def close(self) -> None:
        for reader in self._readers:
            reader.cancel()
        await self.pc.close()


async def eventually(check, timeout: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not check():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.05)


async def eventually_async(check, get, timeout: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not check(await get()):
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.1)
