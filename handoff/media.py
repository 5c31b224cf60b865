"""The media path of a handed-off call: each browser has one RTCPeerConnection with this
service, and the service relays audio and video between the two (aiortc's MediaRelay), so
neither side learns the other's address.

What a participant receives is a `SwitchableTrack`: it forwards the other participant's frames
when there are some, and waits otherwise — before the other has joined, while they reconnect,
and (for video) while the call is audio-only. So a page negotiates once, on joining, and the
media simply starts, stops and resumes as the other side comes and goes.
"""
from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, field

import aioice.ice
import aiortc.rtp
import numpy
from aiortc import RTCConfiguration, RTCIceServer, RTCPeerConnection, RTCSessionDescription
from aiortc.contrib.media import MediaRelay
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

log = logging.getLogger(__name__)


def audio_level_dbov(frame) -> int:
    """aiortc's `compute_audio_level_dbov` (RFC 6465 level for every audio packet sent), with
    the sum of squares done by numpy instead of a Python loop over samples: same result,
    and it was 17 % of the service's CPU when relaying audio (py-spy, bench/call_capacity.py)."""
    samples = numpy.frombuffer(bytes(frame.planes[0]), dtype=numpy.int16).astype(numpy.int64)
    energy = int((samples * samples).sum())  # integers: no BLAS threads spinning for a dot product
    rms = math.sqrt(energy / (frame.samples * 32767 * 32767))
    return round(min(max(20 * math.log10(rms), -127), 0)) if rms > 0 else -127


aiortc.rtp.compute_audio_level_dbov = audio_level_dbov


def restrict_host_addresses(addresses: list[str]) -> None:
    """Offer only these local addresses as ICE host candidates (aioice offers every interface
    but loopback by default). Process-wide, as aioice reads it per connection."""
    if addresses:
        aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: list(addresses)


def rtc_configuration(ice_servers: list[dict]) -> RTCConfiguration:
    return RTCConfiguration(iceServers=[
        RTCIceServer(urls=s["urls"], username=s.get("username"), credential=s.get("credential")) for s in ice_servers
    ])


class SwitchableTrack(MediaStreamTrack):
    def __init__(self, kind: str):
        super().__init__()
        self.kind = kind
        self._source: MediaStreamTrack | None = None
        self._paused = False
        self._changed = asyncio.Event()

    def use(self, source: MediaStreamTrack | None) -> None:
        # The previous relay proxy is not stopped here: a `recv` waiting on it would never
        # return (a stopped proxy gets no more frames, not even the end). Its source ends when
        # that participant's connection closes, which ends the proxy and that `recv`; frames it
        # still delivers meanwhile are dropped below.
        self._source = source
        self._changed.set()

    def pause(self, paused: bool) -> None:
        self._paused = paused
        self._changed.set()

    def stop(self) -> None:
        self.use(None)
        super().stop()

    async def recv(self):
        while True:
            if self.readyState != "live":
                raise MediaStreamError
            source = self._source
            if source is None or self._paused:
                self._changed.clear()
                await self._changed.wait()
                continue
            try:
                frame = await source.recv()
            except MediaStreamError:
                if self._source is source:  # the other side left; wait for them to come back
                    self._source = None
                continue
            if not self._paused and self._source is source:
                return frame


@dataclass
class Participant:
    pc: RTCPeerConnection
    outgoing: dict[str, SwitchableTrack]
    incoming: dict[str, MediaStreamTrack] = field(default_factory=dict)
    connected: bool = False


class CallRoom:
    """One call's two peer connections and the relay between them (lives in one process)."""

    def __init__(self, reference: str, config: RTCConfiguration, on_change: Callable[[], None]):
        self.reference = reference
        self._config = config
        self._relay = MediaRelay()
        self._on_change = on_change
        self.participants: dict[str, Participant] = {}
        self.video_relayed = True

    @staticmethod
    def other(role: str) -> str:
        return "clerk" if role == "citizen" else "citizen"

    def connected(self, role: str) -> bool:
        p = self.participants.get(role)
        return bool(p and p.connected)

    def has_video(self, role: str) -> bool:
        p = self.participants.get(role)
        return bool(p and p.connected and "video" in p.incoming)

    async def join(self, role: str, sdp: str, sdp_type: str) -> RTCSessionDescription:
        """Answer a participant's offer; a second offer for the same role replaces the first
        (a reload or a reconnection), without disturbing the other participant."""
        await self.leave(role)
        pc = RTCPeerConnection(self._config)
        me = Participant(pc, {"audio": SwitchableTrack("audio"), "video": SwitchableTrack("video")})
        me.outgoing["video"].pause(not self.video_relayed)
        self.participants[role] = me

        @pc.on("track")
        def on_track(track: MediaStreamTrack) -> None:
            me.incoming[track.kind] = track
            other = self.participants.get(self.other(role))
            if other is not None:
                other.outgoing[track.kind].use(self._relay.subscribe(track, buffered=False))

        @pc.on("connectionstatechange")
        async def on_state() -> None:
            if self.participants.get(role) is not me:
                return
            me.connected = pc.connectionState == "connected"
            if pc.connectionState in ("failed", "closed"):
                await self.leave(role)
            self._on_change()

        await pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type=sdp_type))
        for kind, track in me.outgoing.items():
            if any(t.kind == kind for t in pc.getTransceivers()):
                pc.addTrack(track)
        other = self.participants.get(self.other(role))
        if other is not None:
            for kind, track in other.incoming.items():
                me.outgoing[kind].use(self._relay.subscribe(track, buffered=False))
        await pc.setLocalDescription(await pc.createAnswer())
        return pc.localDescription

    async def leave(self, role: str) -> None:
        me = self.participants.pop(role, None)
        if me is None:
            return
        for track in me.outgoing.values():
            track.stop()
        other = self.participants.get(self.other(role))
        if other is not None:
            for track in other.outgoing.values():
                track.use(None)
        await me.pc.close()
        self._on_change()

    def relay_video(self, on: bool) -> None:
        self.video_relayed = on
        for p in self.participants.values():
            p.outgoing["video"].pause(not on)

    async def close(self) -> None:
        for role in list(self.participants):
            await self.leave(role)
