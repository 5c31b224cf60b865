"""The relay's own pieces: the faster audio level computes exactly what aiortc's does."""
import fractions
import math
import struct

import av
import pytest

from handoff.media import audio_level_dbov


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
