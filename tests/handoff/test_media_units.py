"""The relay's own pieces: the faster audio level computes exactly what aiortc's does; the
switchable output re-times frames and changes source at once."""
import asyncio
import fractions
import math
import struct

import av
import pytest
from aiortc.mediastreams import MediaStreamTrack

from handoff.media import Retimer, SwitchableTrack, audio_level_dbov


def reference_level(frame) -> int:
    """aiortc 1.16's compute_audio_level_dbov, copied as the oracle."""
    rms = 0.0
    for (sample,) in struct.Struct("h").iter_unpack(bytes(frame.planes[0])):
        rms += sample * sample
    rms = math.sqrt(rms / (frame.samples * 32767 * 32767))
    return round(min(max(20 * math.log10(rms), -127), 0)) if rms > 0 else -127


@pytest.mark.parametrize("amplitude", [0, 1, 100, 3000, 32767])
def test_audio_level_matches_aiortc(amplitude):
    frame = av.AudioFrame(format="s16", layout="stereo", samples=960)
    samples = [int(amplitude * math.sin(i / 7)) for i in range(960 * 2)]
    frame.planes[0].update(struct.pack(f"{len(samples)}h", *samples))
    frame.sample_rate, frame.time_base = 48000, fractions.Fraction(1, 48000)
    assert audio_level_dbov(frame) == reference_level(frame)


def video_frame(pts: int) -> av.VideoFrame:
    frame = av.VideoFrame(width=32, height=32, format="yuv420p")
    frame.pts, frame.time_base = pts, fractions.Fraction(1, 90000)
    return frame


def test_retimer_keeps_the_source_spacing_and_never_goes_back_at_a_new_source():
    retime = Retimer("video")
    out = []
    for pts in (4_000_000_000, 4_000_003_000, 4_000_006_000):  # a browser's random RTP clock
        frame = video_frame(pts)
        retime(frame)
        out.append(frame.pts)
    assert out == [0, 3000, 6000]
    retime.restart()  # the participant rejoined: a new clock, far behind the old one
    for pts in (17, 3017):
        frame = video_frame(pts)
        retime(frame)
        out.append(frame.pts)
    assert out[3] > out[2] and out[4] - out[3] == 3000
    frame = video_frame(5)  # a source that goes back by itself is re-anchored, not passed on
    retime(frame)
    assert frame.pts > out[4]


async def test_a_switched_track_hands_on_the_new_source_at_once_with_a_key_frame():
    class Source(MediaStreamTrack):
        kind = "video"

        def __init__(self, start: int):
            super().__init__()
            self.pts = start

        async def recv(self):
            await asyncio.sleep(0.01)
            self.pts += 3000
            return video_frame(self.pts)

    class Silent(MediaStreamTrack):  # a source that has gone quiet (a lost network)
        kind = "video"

        async def recv(self):
            await asyncio.Event().wait()

    track = SwitchableTrack("video")
    track.use(Source(10_000_000))
    first = await track.recv()
    quiet = Silent()
    track.use(quiet)
    waiting = asyncio.ensure_future(track.recv())
    await asyncio.sleep(0.05)
    assert not waiting.done() and not track.flowing(within=0.04)
    track.use(Source(500))  # the rejoin replaces the quiet source without waiting for it
    frame = await asyncio.wait_for(waiting, 1)
    assert frame.pts > first.pts and frame.pict_type == av.video.frame.PictureType.I
    assert quiet.readyState == "ended" and track.flowing()
    track.stop()
