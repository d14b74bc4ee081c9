"""keyframe_gate: decide on which frames the network runs; other frames flow on as SKIPPED.

Policies combine: the first frame and hard scene cuts always force a keyframe; `max_gap` bounds
the distance between keyframes; `interval` takes every K-th frame; `motion` takes a frame once it
differs enough from the last keyframe; `object_motion` takes it once the frame has changed enough
where the latest labels show objects (a pan over an empty street costs no keyframe, a moving
rider does); `prediction_threshold` takes it once the last keyframe, carried forward by the
optical flow, predicts the frame badly (gate_prediction.py: a photometric residual in units of
the frame's own texture, content entering at the borders, weighted where the labels show
objects); `target_fps` (budget) runs the network whenever the time budget allows and defers
interval/motion/prediction keyframes when it does not.

The features are integer arithmetic on the frame (grey thumbnail, colour histograms) so that the
Android runtime can reproduce every decision exactly. They are read from one strided sample of
the frame (gate_features.py), and only those a policy that is on needs: no thumbnail without a
motion policy, no histograms without scene cuts.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from pydantic import Field

from jejunet.kinds import FLOW, FRAME, LABELS, UNKNOWN, Shape
from jejunet.ops import gate_features as gf
from jejunet.ops import gate_prediction as gp
from jejunet.ops.base import SKIPPED, FrameInfo, Operator, Params, Port, RunContext, ShapeCheck
from jejunet.ops.registry import register

HIST_SHIFT = 5  # 8 levels per channel → 512 colour bins
HIST_GRID = 2  # histograms of the 2×2 quarters of the frame
HIST_STEP = 2  # on every second pixel of every second row
NEIGHBOURS = np.ones((3, 3), np.uint8)  # an object cell's neighbours count as object cells


class KeyframeGateParams(Params):
    interval: int | None = Field(None, ge=1, description="a keyframe every K frames (None: off)")
    motion_threshold: float | None = Field(
        8.0,
        ge=0,
        description="mean absolute grey difference (0–255) of a thumbnail against the last "
        "keyframe's that forces a keyframe (None: off)",
    )
    object_motion_threshold: float | None = Field(
        None,
        ge=0,
        description="grey difference against the last keyframe's thumbnail, summed over the cells "
        "where the latest labels show an object (or next to one) and divided by all cells, that "
        "forces a keyframe (None: off; needs the 'labels' input)",
    )
    scene_cut: bool = Field(True, description="a hard cut always forces a keyframe")
    cut_threshold: float = Field(
        0.3,
        gt=0,
        le=1,
        description="colour-histogram distance (0–1) between consecutive frames that is a cut",
    )
    target_fps: float | None = Field(
        None, gt=0, description="budget: run the network only when this frame rate can be held"
    )
    max_gap: int = Field(30, ge=1, description="the most frames between two keyframes")
    thumb_size: int = Field(32, ge=4, le=256, description="side of the grey thumbnail for motion")
    prediction_threshold: float | None = Field(
        None,
        ge=0,
        description="prediction error that forces a keyframe: the last keyframe carried by the 'flow' "
        "input (held without it) against this frame, mean grey residual divided by the keyframe's "
        "texture (about: cells of misalignment; None: off)",
    )
    predict_size: int = Field(64, ge=4, le=256, description="side of the grey grid for the prediction error")
    occlusion_units: int = Field(
        0,
        ge=0,
        le=64,
        description="texture units each cell on one side of an occlusion boundary counts at least in the "
        "prediction error (cells whose keyframe source is also claimed by cells displaced 2 cells "
        "differently; 0: not looked for)",
    )
    object_weight: int = Field(
        3, ge=0, le=64, description="extra weight of cells where the labels show objects (prediction error)"
    )


def sample_step(image: np.ndarray, cells: int) -> int:
    """Pixel stride that leaves at least two samples per cell along the shorter side."""
    return max(1, min(image.shape[:2]) // (2 * cells))


def grey_thumbnail(image: np.ndarray, size: int, sample: gf.Sample | None = None) -> np.ndarray:
    """size×size int32 block means of the integer grey image ((29 B + 150 G + 77 R + 128) >> 8).

    Computed on every `sample_step`-th pixel, so its cost does not grow with the frame; `sample`
    shares the sampled planes between the frame's features.
    """
    sample = sample or gf.Sample(image)
    return gf.block_means(sample.grey(sample_step(image, size)), size)


def colour_histograms(
    image: np.ndarray,
    grid: int = HIST_GRID,
    shift: int = HIST_SHIFT,
    step: int = HIST_STEP,
    sample: gf.Sample | None = None,
) -> np.ndarray:
    """grid²×bins int64 colour histograms of the frame's grid cells, on every `step`-th pixel."""
    return gf.histograms(sample or gf.Sample(image), grid, shift, step)


def histogram_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Mean over cells of the total-variation distance (0: same colours, 1: disjoint)."""
    per_cell = np.abs(a - b).sum(axis=1) / (2.0 * a.sum(axis=1))
    return float(per_cell.mean())


def motion_score(thumb: np.ndarray, key_thumb: np.ndarray) -> float:
    """Mean absolute grey difference between two thumbnails (0–255)."""
    return float(np.abs(thumb - key_thumb).mean())


def object_cells(labels: np.ndarray, size: int) -> np.ndarray:
    """size×size bool: thumbnail cells holding a non-zero label, and their eight neighbours."""
    h, w = labels.shape[:2]
    if h % size == 0 and w % size == 0:  # the usual case (the network's size): reshape, 3× faster
        cells = labels.reshape(size, h // size, w).max(axis=1).reshape(size, size, w // size).max(axis=2)
    else:
        ys = (np.arange(size) * h) // size
        xs = (np.arange(size) * w) // size
        cells = np.maximum.reduceat(np.maximum.reduceat(labels, ys, axis=0), xs, axis=1)
    grown = cv2.dilate((cells > 0).view(np.uint8), NEIGHBOURS, borderType=cv2.BORDER_CONSTANT, borderValue=0)
    return grown.view(bool)


def object_motion_score(thumb: np.ndarray, key_thumb: np.ndarray, objects: np.ndarray) -> float:
    """Absolute grey difference summed over the object cells, divided by all cells (0–255)."""
    return float(np.abs(thumb - key_thumb)[objects].sum() / thumb.size)


@dataclass
class GateState:
    index: int = -1
    last_key: int = -1
    key_thumb: np.ndarray | None = None
    prev_hist: np.ndarray | None = None
    objects: np.ndarray | None = None  # object_cells of the latest labels seen
    key_grid: np.ndarray | None = None  # the last keyframe's grey grid (prediction error)
    key_texture: tuple[int, int] | None = None  # gp.texture of key_grid, computed once a keyframe
    displacement: np.ndarray | None = None  # from this frame to the last keyframe, 1/16 cell
    pred_objects: np.ndarray | None = None  # object cells at predict_size


def decide(
    p: KeyframeGateParams,
    state: GateState,
    thumb: np.ndarray | None,
    hist: np.ndarray | None,
    budget_ok: bool | None,
    error: gp.Error | None = None,
) -> str | None:
    """The reason this frame is a keyframe, or None. Pure: the caller updates the state.

    `thumb` may be None when no thumbnail policy (motion, object motion) is on, `hist` when
    scene cuts are off.
    """
    if state.last_key < 0:
        return "first"
    if (
        p.scene_cut
        and hist is not None
        and state.prev_hist is not None
        and histogram_distance(hist, state.prev_hist) > p.cut_threshold
    ):
        return "cut"
    gap = state.index - state.last_key
    if gap >= p.max_gap:
        return "max_gap"
    if budget_ok is False:
        return None
    if p.interval is not None and gap >= p.interval:
        return "interval"
    if p.motion_threshold is not None and motion_score(thumb, state.key_thumb) > p.motion_threshold:
        return "motion"
    if (
        p.object_motion_threshold is not None
        and state.objects is not None
        and object_motion_score(thumb, state.key_thumb, state.objects) > p.object_motion_threshold
    ):
        return "object_motion"
    if p.prediction_threshold is not None and error is not None and gp.exceeds(error, p.prediction_threshold):
        return "prediction"
    if budget_ok:
        return "budget"
    return None


class Budget:
    """Time budget for a target frame rate: learns what a keyframe and a carried frame cost."""

    def __init__(self, target_fps: float, clock: Callable[[], float] = time.perf_counter) -> None:
        self.clock = clock
        self.period = 1.0 / target_fps
        self.start: float | None = None
        self.last: float | None = None
        self.frames = 0
        self.cost = {True: 0.0, False: 0.0}
        self.last_was_key = False

    def allows(self) -> bool:
        now = self.clock()
        if self.start is None:
            self.start = now
        elif self.last is not None:
            dt = now - self.last
            old = self.cost[self.last_was_key]
            self.cost[self.last_was_key] = dt if old == 0.0 else 0.8 * old + 0.2 * dt
        self.last = now
        slack = (self.frames + 1) * self.period - (now - self.start)
        self.frames += 1
        return slack >= self.cost[True]

    def record(self, keyframe: bool) -> None:
        self.last_was_key = keyframe


@register
class KeyframeGate(Operator):
    name = "keyframe_gate"
    summary = (
        "Pass keyframes on (prediction error, interval, motion, object motion, cut, budget, max gap); "
        "SKIPPED otherwise."
    )
    Params = KeyframeGateParams
    inputs = (
        Port("image", FRAME, "frame at the working size (e.g. the network's input)"),
        Port(
            "labels",
            LABELS,
            "the network's labels (feedback edge, SKIPPED between keyframes), for object motion "
            "and the prediction error's object weight",
            optional=True,
            skippable=True,
        ),
        Port("flow", FLOW, "the optical flow node's flow, for the prediction error", optional=True),
    )
    outputs = (
        Port("image", FRAME, "the frame on keyframes, SKIPPED on the others"),
        Port("cut", FRAME, "the frame on keyframes forced by a scene cut, SKIPPED on the others"),
    )

    @classmethod
    def check(
        cls, params: KeyframeGateParams, inputs: Mapping[str, Shape], base_dir: Path | None = None
    ) -> ShapeCheck:
        result = ShapeCheck()
        if params.object_motion_threshold is not None and "labels" not in inputs:
            result.problem(
                "object_motion_threshold",
                "connect 'labels' to the network's labels, e.g. {from: segment.labels, previous: true}",
            )
        obj, whole = params.object_motion_threshold, params.motion_threshold
        if obj is not None and whole is not None and obj >= whole:
            result.problem(
                "object_motion_threshold",
                f"object motion is a part of the whole frame's motion: at {obj:g} it can never fire "
                f"before motion_threshold {whole:g} does (expected below {whole:g}, "
                "or motion_threshold: null)",
            )
        shape = inputs.get("image", UNKNOWN)
        result.outputs.update(image=shape, cut=shape)
        return result

    def open(self, ctx: RunContext) -> None:
        self.state = GateState()
        self.budget = Budget(self.params.target_fps) if self.params.target_fps else None
        self.reasons: dict[int, str] = {}
        self.cuts: list[int] = []
        self.scores: list[float] = []
        self.occluded: list[int] = []  # occlusion cells per carried frame (occlusion_units on)
        self.last_error: gp.Error | None = None  # the last frame's prediction error (None: none computed)

    def _prediction(
        self, sample: gf.Sample, labels: Any, flow: Any
    ) -> tuple[np.ndarray | None, gp.Error | None]:
        """This frame's grey grid and, after the first keyframe, the carried keyframe's error."""
        p, state = self.params, self.state
        if p.prediction_threshold is None:
            return None, None
        size = p.predict_size
        if p.object_weight and labels is not None and labels is not SKIPPED:
            state.pred_objects = object_cells(labels, size)
        grid = grey_thumbnail(sample.image, size, sample)
        if state.key_grid is None or state.displacement is None:
            return grid, None
        if isinstance(flow, np.ndarray):
            state.displacement = gp.compose(state.displacement, gp.flow_on_grid(flow, size))
        error = gp.prediction_error(
            state.key_grid,
            state.displacement,
            grid,
            state.pred_objects,
            p.object_weight,
            state.key_texture,
            p.occlusion_units,
        )
        return grid, error

    def _features(self, image: np.ndarray) -> tuple[gf.Sample, np.ndarray | None, np.ndarray | None]:
        """The frame's sample, its thumbnail (thumbnail policies only) and histograms (cuts only)."""
        p = self.params
        sample = gf.Sample(image)
        thumbs = p.motion_threshold is not None or p.object_motion_threshold is not None
        steps = [HIST_STEP] if p.scene_cut else []
        steps += [sample_step(image, p.thumb_size)] if thumbs else []
        steps += [sample_step(image, p.predict_size)] if p.prediction_threshold is not None else []
        if steps:
            sample.planes(min(steps))  # the finest stride first: the coarser ones read its planes
        thumb = grey_thumbnail(image, p.thumb_size, sample) if thumbs else None
        hist = colour_histograms(image, sample=sample) if p.scene_cut else None
        return sample, thumb, hist

    def process(
        self, info: FrameInfo, image: np.ndarray, labels: Any = None, flow: Any = None
    ) -> dict[str, Any]:
        p, state = self.params, self.state
        state.index += 1
        sample, thumb, hist = self._features(image)
        budget_ok = self.budget.allows() if self.budget else None
        if p.object_motion_threshold is not None and labels is not None and labels is not SKIPPED:
            state.objects = object_cells(labels, p.thumb_size)  # the latest labels seen
        grid, error = self._prediction(sample, labels, flow)
        self.last_error = error
        reason = "gap" if info.gap else decide(p, state, thumb, hist, budget_ok, error)  # live: frames lost
        state.prev_hist = hist
        if error is not None:
            self.scores.append(error.score)
            self.occluded.append(error.occluded)
        if self.budget:
            self.budget.record(reason is not None)
        if reason is None:
            return {"image": SKIPPED, "cut": SKIPPED}
        state.last_key, state.key_thumb = state.index, thumb
        if grid is not None:
            state.key_grid, state.displacement = grid, np.zeros((*grid.shape, 2), np.int64)
            state.key_texture = gp.texture(grid)
        self.reasons[info.index] = reason
        if reason == "cut":
            self.cuts.append(info.index)
        return {"image": image, "cut": image if reason == "cut" else SKIPPED}

    def run_info(self) -> dict[str, Any]:
        counts: dict[str, int] = {}
        for reason in self.reasons.values():
            counts[reason] = counts.get(reason, 0) + 1
        info: dict[str, Any] = {
            "keyframe_reasons": dict(self.reasons),
            "cuts": self.cuts,
            "reason_counts": counts,
        }
        if self.scores:
            q = np.percentile(self.scores, [50, 90, 99])
            info["prediction_score"] = {"p50": float(q[0]), "p90": float(q[1]), "p99": float(q[2])}
        if self.params.occlusion_units and self.occluded:
            info["occluded_cells"] = {"mean": float(np.mean(self.occluded)), "max": int(max(self.occluded))}
        return info
