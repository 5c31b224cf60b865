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
import fractions
import logging
import math
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field

import aioice.ice
import aiortc.rtp
import aiortc.sdp
import av
import numpy
from aiortc import RTCConfiguration, RTCIceServer, RTCPeerConnection, RTCSessionDescription
from aiortc.contrib.media import MediaRelay
from aiortc.mediastreams import VIDEO_CLOCK_RATE, MediaStreamError, MediaStreamTrack

log = logging.getLogger(__name__)
_peer_connections: weakref.WeakSet[RTCPeerConnection] = weakref.WeakSet()  # the service's own


def open_peer_connections() -> int:
    """How many of this process's peer connections with browsers are not closed."""
    return sum(1 for pc in _peer_connections if pc.connectionState != "closed")


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


class Retimer:
    """Gives the frames of one output a single, strictly rising timeline, whatever their
    source. Each browser connection stamps its media with its own random RTP clock, so when a
    participant rejoins, the frames relayed to the other side jump in time (backwards half
    the time); the encoder of the outgoing sender then fails (libvpx refuses a non-rising
    pts: `avcodec_send_frame()` InvalidDataError), aiortc's sender stops for good and the
    other side's picture freezes. Within one source the source's own spacing is kept; at a
    change of source the timeline continues from the last frame by the time that passed."""

    def __init__(self, kind: str):
        self._kind = kind
        self._offset: int | None = None  # output pts − source pts, in the output time base
        self._last: int | None = None
        self._last_at = 0.0

    def restart(self) -> None:
        """The next frame comes from a new source."""
        self._offset = None

    def __call__(self, frame) -> None:
        rate = VIDEO_CLOCK_RATE if self._kind == "video" else frame.sample_rate
        now = time.monotonic()
        pts = int(frame.pts * frame.time_base * rate) if frame.pts is not None and frame.time_base else None
        if self._offset is None or pts is None:
            if self._last is None:
                start = 0
            else:
                start = self._last + max(1, round((now - self._last_at) * rate))
            self._offset = start - (pts or 0)
        out = (pts or 0) + self._offset
        if self._last is not None and out <= self._last:  # the source itself went back: re-anchor
            out = self._last + 1
            self._offset = out - (pts or 0)
        frame.pts, frame.time_base = out, fractions.Fraction(1, rate)
        self._last, self._last_at = out, now


class SwitchableTrack(MediaStreamTrack):
    """What one participant receives: the other participant's frames when there are some
    (`use` switches to a new source at once: a rejoin), nothing while there are none or while
    paused. The frames are re-timed onto one timeline and, after a change of source, the
    first video frame is a key frame, so the encoder behind this track never sees the switch."""

    def __init__(self, kind: str):
        super().__init__()
        self.kind = kind
        self._source: MediaStreamTrack | None = None
        self._paused = False
        self._changed = asyncio.Event()
        self._retime = Retimer(kind)
        self._fresh_source = False
        self.last_frame_at: float | None = None  # time.monotonic() of the last frame handed on

    def use(self, source: MediaStreamTrack | None) -> None:
        previous, self._source = self._source, source
        if previous is not None and previous is not source:
            previous.stop()
        self._fresh_source = True
        self._changed.set()

    def pause(self, paused: bool) -> None:
        self._paused = paused
        self._changed.set()

    def flowing(self, within: float = 2.0) -> bool:
        return self.last_frame_at is not None and time.monotonic() - self.last_frame_at < within

    def stop(self) -> None:
        self.use(None)
        super().stop()

    async def recv(self):
        while True:
            if self.readyState != "live":
                raise MediaStreamError
            source = self._source
            self._changed.clear()
            if source is None or self._paused:
                await self._changed.wait()
                continue
            frame = await self._next_from(source)
            if frame is None or self._paused or self._source is not source:
                continue
            if self._fresh_source:
                self._fresh_source = False
                self._retime.restart()
                if self.kind == "video":
                    frame.pict_type = av.video.frame.PictureType.I
            self._retime(frame)
            self.last_frame_at = time.monotonic()
            return frame

    async def _next_from(self, source: MediaStreamTrack):
        """The source's next frame, or None when the source changes or ends first."""
        receiving = asyncio.ensure_future(source.recv())
        changing = asyncio.ensure_future(self._changed.wait())
        try:
            await asyncio.wait([receiving, changing], return_when=asyncio.FIRST_COMPLETED)
        finally:
            changing.cancel()
            if not receiving.done():
                receiving.cancel()
        if not receiving.done() or receiving.cancelled():
            return None
        try:
            return receiving.result()
        except MediaStreamError:
            if self._source is source:  # the other side left; wait for them to come back
                self._source = None
            return None


class UnusableOffer(Exception):
    """The browser's offer could not be answered (malformed or incomplete SDP)."""


def check_offer(sdp: str) -> None:
    """aiortc answers nearly anything (even "hello", with an empty answer): an offer must
    carry audio or video, each with ICE credentials, a DTLS fingerprint and a codec."""
    try:
        media = [m for m in aiortc.sdp.SessionDescription.parse(sdp).media if m.kind in ("audio", "video")]
    except Exception as e:  # the parser raises whatever its input provokes
        raise UnusableOffer(f"unparsable: {e!r}") from e
    if not media:
        raise UnusableOffer("no audio or video")
    kinds = [m.kind for m in media]
    if len(kinds) != len(set(kinds)):  # a page sends one of each; hundreds would each get a transport
        raise UnusableOffer(f"media sections: {kinds}")
    for m in media:
        if not (m.ice and m.ice.usernameFragment and m.ice.password):
            raise UnusableOffer(f"{m.kind}: no ICE credentials")
        if not (m.dtls and m.dtls.fingerprints):
            raise UnusableOffer(f"{m.kind}: no DTLS fingerprint")
        if not m.rtp.codecs:
            raise UnusableOffer(f"{m.kind}: no codec")


@dataclass
class Participant:
    pc: RTCPeerConnection
    outgoing: dict[str, SwitchableTrack]
    incoming: dict[str, MediaStreamTrack] = field(default_factory=dict)
    connected: bool = False


class CallRoom:
    """One call's peer connections, at most one per side, and the relay between them (lives
    in one process). Offers are answered one at a time; a new offer from a side replaces that
    side's connection (closed) only once it has been answered, so a bad offer leaves the live
    call as it was."""

    def __init__(self, reference: str, config: RTCConfiguration, on_change: Callable[[], None], video_relayed: bool):
        self.reference = reference
        self._config = config
        self._relay = MediaRelay()
        self._on_change = on_change
        self._answering = asyncio.Lock()
        self._offers_pending = 0
        self.participants: dict[str, Participant] = {}
        self.video_relayed = video_relayed

    @staticmethod
    def other(role: str) -> str:
        return "clerk" if role == "citizen" else "citizen"

    @property
    def empty(self) -> bool:
        """Nobody in it and no offer being answered: it can be dropped."""
        return not self.participants and not self._offers_pending

    def connected(self, role: str) -> bool:
        p = self.participants.get(role)
        return bool(p and p.connected)

    def has_video(self, role: str) -> bool:
        p = self.participants.get(role)
        return bool(p and p.connected and "video" in p.incoming)

    def receiving_video(self, role: str) -> bool:
        """Live video of the other participant is being sent to `role` right now."""
        p = self.participants.get(role)
        return bool(p and p.connected and p.outgoing["video"].flowing())

    async def join(self, role: str, sdp: str) -> RTCSessionDescription:
        """Answer a participant's offer; it replaces that side's previous connection (a
        reload or a reconnection), without disturbing the other participant."""
        self._offers_pending += 1
        try:
            async with self._answering:
                me = await self._answer(role, sdp)
                previous = self.participants.get(role)
                self.participants[role] = me
                other = self.participants.get(self.other(role))
                if other is not None:
                    for kind, track in me.incoming.items():
                        other.outgoing[kind].use(self._relay.subscribe(track, buffered=False))
                    for kind, track in other.incoming.items():
                        me.outgoing[kind].use(self._relay.subscribe(track, buffered=False))
                if previous is not None:
                    await self._close(previous)
                return me.pc.localDescription
        finally:
            self._offers_pending -= 1

    async def _answer(self, role: str, sdp: str) -> Participant:
        """An answer to an offer `check_offer` passed (Calls.join); UnusableOffer when aiortc
        cannot use it after all."""
        pc = RTCPeerConnection(self._config)
        _peer_connections.add(pc)
        me = Participant(pc, {"audio": SwitchableTrack("audio"), "video": SwitchableTrack("video")})
        me.outgoing["video"].pause(not self.video_relayed)
        pc.on("track", lambda track: me.incoming.__setitem__(track.kind, track))

        @pc.on("connectionstatechange")
        async def on_state() -> None:
            if self.participants.get(role) is not me:
                return
            me.connected = pc.connectionState == "connected"
            if pc.connectionState in ("failed", "closed"):
                await self.leave(role)
            self._on_change()

        try:
            await pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="offer"))
            for kind, track in me.outgoing.items():
                if any(t.kind == kind for t in pc.getTransceivers()):
                    pc.addTrack(track)
            await pc.setLocalDescription(await pc.createAnswer())
        except Exception as e:  # aiortc raises several kinds for SDP it cannot use
            log.info("call %s: unusable %s offer: %r", self.reference, role, e)
            await self._close(me)
            raise UnusableOffer(str(e)) from e
        return me

    async def leave(self, role: str) -> None:
        me = self.participants.pop(role, None)
        if me is None:
            return
        other = self.participants.get(self.other(role))
        if other is not None:
            for track in other.outgoing.values():
                track.use(None)
        await self._close(me)
        self._on_change()

    @staticmethod
    async def _close(participant: Participant) -> None:
        for track in participant.outgoing.values():
            track.stop()
        await participant.pc.close()

    def relay_video(self, on: bool) -> None:
        self.video_relayed = on
        for p in self.participants.values():
            p.outgoing["video"].pause(not on)

    async def close(self) -> None:
        for role in list(self.participants):
            await self.leave(role)
