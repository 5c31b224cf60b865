"""Reloads and lost networks: either side offers again, any number of times, and fresh video
(pictures that change, timestamps that rise) and audio flow both ways again within 10 s,
even when the new camera sends another picture size."""
from __future__ import annotations

import time

import pytest
from prometheus_client import REGISTRY

from .helpers import appointment_and_clerk
from .peers import Peer, eventually

pytestmark = pytest.mark.slow


async def test_either_side_rejoins_again_and_again(aiohttp_client, call_service):
    http = call_service
    token, ref, clerk_http, headers = await appointment_and_clerk(aiohttp_client, http)
    await clerk_http.post(f"/api/clerk/bookings/{ref}/pickup", headers=headers)
    sides = {
        "citizen": (http, f"/api/calls/{token}/offer", {}),
        "clerk": (clerk_http, f"/api/clerk/calls/{ref}/offer", headers),
    }
    peers = {"citizen": Peer(), "clerk": Peer()}

    def joins() -> dict[tuple[str, str], float]:
        return {(side, kind): REGISTRY.get_sample_value("kep_call_joins_total", {"side": side, "kind": kind}) or 0.0
                for side in sides for kind in ("first", "rejoin")}
    before = joins()

    async def rejoin(role: str, video_size: tuple[int, int]) -> None:
        other = "clerk" if role == "citizen" else "citizen"
        await peers[role].close()
        peers[role] = new = Peer(video_size)
        client, path, hdrs = sides[role]
        started = time.monotonic()
        await new.join(client, path, hdrs)
        await eventually(lambda: peers[other].fresh_video_since(started + 1) and new.fresh_video_since(started))
        audio = peers[other].received["audio"]
        await eventually(lambda: peers[other].received["audio"] > audio + 10 and new.received["audio"] > 10)

    try:
        for role, (client, path, hdrs) in sides.items():
            await peers[role].join(client, path, hdrs)
        start = time.monotonic()
        await eventually(lambda: all(p.fresh_video_since(start) for p in peers.values()))
        for n, role in enumerate(["citizen", "clerk"] * 3):
            await rejoin(role, (352, 288) if n % 3 else (320, 240))  # a new camera may send another size
        after = joins()
        assert {k: after[k] - before[k] for k in after} == {  # what the operator's rejoin graph counts
            ("citizen", "first"): 1, ("citizen", "rejoin"): 3, ("clerk", "first"): 1, ("clerk", "rejoin"): 3}
    finally:
        for peer in peers.values():
            await peer.close()
