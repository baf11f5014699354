"""Seeded fuzzing against Meteor: hundreds of hostile frames, the same answers from ours.

Each frame goes to the real Meteor 1.9.3 server and to ours on a fresh socket
after the handshake, followed by the sentinel; the normalized answers must be
equal. The frames (``tests/fuzz.py``, ``meteor_safe``) avoid only what ours does
differently on purpose. ``DDP_FUZZ_FRAMES`` and ``DDP_FUZZ_SEED`` run more or
other frames (CI: 200, seed 11).
"""

from __future__ import annotations

import os
import random

import pytest

from tests.differential.frames import compare, connected_then
from tests.fuzz import structured

pytestmark = [pytest.mark.meteor, pytest.mark.asyncio]

FRAMES = int(os.environ.get("DDP_FUZZ_FRAMES", "200"))
SEED = int(os.environ.get("DDP_FUZZ_SEED", "11"))


async def test_hostile_frames_get_meteors_answers(servers: dict[str, str]) -> None:
    """Random well- and ill-formed messages with edge values: every answer is Meteor's, and every session lives."""
    rng = random.Random(SEED)
    for n in range(FRAMES):
        frame = structured(rng, meteor_safe=True)
        try:
            reference = await compare(servers, connected_then(frame))
        except (AssertionError, TimeoutError) as exc:
            raise AssertionError(f"frame {n} (seed {SEED}): {frame[:300]}") from exc
        assert reference[-1].get("id") == "sentinel", frame[:300]
