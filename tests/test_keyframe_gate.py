"""The keyframe gate: each policy alone and combined, cut detection on real footage, the budget."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from jejunet.ops.base import SKIPPED, FrameInfo, RunContext
from jejunet.ops.decode import video_frames
from jejunet.ops.keyframe_gate import (
    Budget,
    GateState,
    KeyframeGate,
    KeyframeGateParams,
    colour_histograms,
    decide,
    grey_thumbnail,
    histogram_distance,
)
from jejunet.ops.resize import resize_image

BIKES_CUTS = [30, 76, 137, 187, 242]  # ../shared/media/README.md


def run_gate(frames: list[np.ndarray], **params) -> KeyframeGate:
    gate = KeyframeGate(KeyframeGateParams(**params), "gate")
    gate.open(RunContext())
    for i, frame in enumerate(frames):
        out = gate.process(FrameInfo(i, i / 25), frame)
        assert (out["image"] is SKIPPED) == (i not in gate.reasons)
    return gate


@pytest.fixture(scope="module")
def bikes_small(bikes: Path) -> list[np.ndarray]:
    return [resize_image(f, 256, 256, "stretch", "area") for _, f, _ in video_frames(str(bikes))]


def still(n: int, value: int = 90) -> list[np.ndarray]:
    return [np.full((64, 64, 3), value, np.uint8) for _ in range(n)]


def test_interval_only() -> None:
    gate = run_gate(still(12), interval=4, motion_threshold=None, scene_cut=False, max_gap=100)
    assert gate.reasons == {0: "first", 4: "interval", 8: "interval"}


def test_max_gap_forces_keyframes_on_still_footage() -> None:
    gate = run_gate(still(25), motion_threshold=None, max_gap=10)
    assert gate.reasons == {0: "first", 10: "max_gap", 20: "max_gap"}


def test_motion_accumulates_against_the_last_keyframe() -> None:
    """A slow brightening: each step is small, the change since the keyframe is what counts."""
    frames = [np.full((64, 64, 3), 50 + 2 * i, np.uint8) for i in range(12)]
    gate = run_gate(frames, motion_threshold=5.0, scene_cut=False, max_gap=100)
    assert gate.reasons == {0: "first", 3: "motion", 6: "motion", 9: "motion"}


def test_scene_cut_on_synthetic_cut() -> None:
    rng = np.random.default_rng(0)
    a = rng.integers(0, 128, (64, 64, 3), dtype=np.uint8)
    b = rng.integers(128, 256, (64, 64, 3), dtype=np.uint8)
    gate = run_gate([a] * 5 + [b] * 5, motion_threshold=None, max_gap=100)
    assert gate.reasons == {0: "first", 5: "cut"} and gate.cuts == [5]
    gate = run_gate([a] * 5 + [b] * 5, motion_threshold=None, scene_cut=False, max_gap=100)
    assert gate.reasons == {0: "first"}


def test_every_cut_of_bikes_detected_and_nothing_else(bikes_small) -> None:
    gate = run_gate(bikes_small, motion_threshold=None, max_gap=1000)
    assert gate.cuts == BIKES_CUTS
    assert set(gate.reasons) == {0, *BIKES_CUTS}


def test_no_keyframe_storm_on_smooth_footage(bikes_small) -> None:
    """Within the first shot (a road from above), the default gate keeps most frames carried."""
    gate = run_gate(bikes_small[:30], max_gap=30)
    assert len(gate.reasons) <= 10, gate.reasons


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize(("key_ms", "low", "high"), [(60, 0.45, 0.7), (20, 0.95, 1.0), (400, 0.05, 0.15)])
def test_budget_adapts_keyframe_rate_to_the_cost(key_ms: float, low: float, high: float) -> None:
    """A 25 fps target: carried frames cost 5 ms, keyframes `key_ms`; the rate follows the budget."""
    gate = KeyframeGate(KeyframeGateParams(target_fps=25, motion_threshold=None, max_gap=1000), "gate")
    gate.open(RunContext())
    clock = FakeClock()
    gate.budget = Budget(25, clock)
    frame = np.full((32, 32, 3), 7, np.uint8)
    n = 500
    for i in range(n):
        key = gate.process(FrameInfo(i, i / 25), frame)["image"] is not SKIPPED
        clock.now += (key_ms if key else 5) / 1000
    rate = len(gate.reasons) / n
    assert low <= rate <= high, rate
    assert set(gate.reasons.values()) <= {"first", "budget"}
    if key_ms < 400:  # whenever a keyframe fits at all, the target frame rate holds
        assert n / clock.now >= 25 * 0.97


def test_budget_defers_interval_but_never_a_cut() -> None:
    params = KeyframeGateParams(interval=1, motion_threshold=None)
    state = GateState(index=5, last_key=4, key_thumb=np.zeros((4, 4), np.int64))
    thumb = np.zeros((4, 4), np.int64)
    hist = colour_histograms(np.zeros((8, 8, 3), np.uint8))
    state.prev_hist = hist
    assert decide(params, state, thumb, hist, budget_ok=False) is None
    assert decide(params, state, thumb, hist, budget_ok=True) == "interval"
    state.prev_hist = colour_histograms(np.full((8, 8, 3), 255, np.uint8))
    assert decide(params, state, thumb, hist, budget_ok=False) == "cut"


def test_features_are_integer_and_deterministic() -> None:
    img = np.random.default_rng(3).integers(0, 256, (100, 130, 3), dtype=np.uint8)
    thumb = grey_thumbnail(img, 8)
    assert thumb.dtype.kind == "i" and thumb.shape == (8, 8)
    hist = colour_histograms(img)
    assert hist.shape == (4, 512) and hist.sum() == 50 * 65
    assert histogram_distance(hist, hist) == 0.0
