"""warp: carry the segmentation to frames where the network did not run.

On a keyframe the fresh labels (or probabilities) pass through. On any other frame the node's own
previous output (a feedback edge, `previous: true`) is motion-compensated with the optical flow:
labels by nearest neighbour, probabilities bilinearly and then argmax. `method: hold` re-uses the
last result unchanged (the baseline any warp must beat).

`fuse` (probabilities only) blends the motion-compensated previous probabilities into a new
keyframe's prediction, to reduce flicker between keyframes; never on a keyframe the gate forced
for a scene cut (its `cut` output, connected to this node's `cut` input).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import cv2
import numpy as np
from pydantic import Field

from jejunet.kinds import FLOW, FRAME, LABELS, PROBS, UNKNOWN, Probs, Shape
from jejunet.ops.base import SKIPPED, FrameInfo, Operator, Params, Port, ShapeCheck
from jejunet.ops.optical_flow import resize_flow
from jejunet.ops.registry import register


class WarpParams(Params):
    method: Literal["flow", "hold"] = Field("flow", description="flow: motion-compensate; hold: re-use")
    fuse: float = Field(
        0.0, ge=0.0, lt=1.0, description="weight of the warped previous probabilities on a keyframe (0: none)"
    )


@lru_cache(maxsize=8)
def _pixel_grid(h: int, w: int) -> np.ndarray:
    """(h, w, 2) float32: each pixel's own (x, y), read-only."""
    xs, ys = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    grid = np.dstack([xs, ys])
    grid.flags.writeable = False
    return grid


def sampling_map(flow: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """remap() coordinates (h, w, 2): where each pixel of a `size` grid comes from in the previous one."""
    return _pixel_grid(*size) + resize_flow(flow, size)


def warp_labels(labels: np.ndarray, flow: np.ndarray) -> np.ndarray:
    """Nearest-neighbour motion compensation of a label map (edges replicate)."""
    coords = sampling_map(flow, labels.shape[:2])
    return cv2.remap(labels, coords, None, cv2.INTER_NEAREST, borderMode=cv2.BORDER_REPLICATE)


def warp_probs(probs: Probs, flow: np.ndarray) -> Probs:
    """Bilinear motion compensation of class probabilities."""
    coords = sampling_map(flow, probs.data.shape[:2])
    data = probs.data
    if data.shape[-1] <= 4:
        warped = cv2.remap(data, coords, None, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        return Probs(warped.reshape(data.shape), probs.class_ids)
    # Above 4 channels OpenCV's remap takes a coarser path (up to 0.02 off per value): one
    # channel at a time keeps every channel as exact as the 4-channel case.
    channels = [
        cv2.remap(
            np.ascontiguousarray(data[..., c]),
            coords,
            None,
            cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_REPLICATE,
        )
        for c in range(data.shape[-1])
    ]
    return Probs(np.stack(channels, axis=-1), probs.class_ids)


def fuse_probs(fresh: Probs, carried: Probs, weight: float) -> Probs:
    """(1 − weight) · fresh + weight · carried (the fresh ones where the two do not match)."""
    if carried.data.shape != fresh.data.shape or not np.array_equal(carried.class_ids, fresh.class_ids):
        return fresh
    data = cv2.addWeighted(fresh.data, 1.0 - weight, carried.data, weight, 0.0)
    return Probs(data.reshape(fresh.data.shape), fresh.class_ids)


@register
class Warp(Operator):
    name = "warp"
    summary = "Pass fresh labels/probabilities on keyframes; warp the previous result by the flow otherwise."
    Params = WarpParams
    inputs = (
        Port("labels", LABELS, "fresh labels (SKIPPED on frames without inference)", optional=True),
        Port("probs", PROBS, "fresh probabilities (SKIPPED on frames without inference)", optional=True),
        Port("prev_labels", LABELS, "this node's previous labels (feedback edge)", optional=True),
        Port("prev_probs", PROBS, "this node's previous probabilities (feedback edge)", optional=True),
        Port("flow", FLOW, "flow from this frame to the previous one (not needed for hold)", optional=True),
        Port("cut", FRAME, "the gate's cut output: no fusing at a scene cut (for fuse)", optional=True),
    )
    outputs = (
        Port("labels", LABELS, "labels of every frame"),
        Port("probs", PROBS, "probabilities of every frame (when probs are connected)"),
    )
    accepts_skipped = True

    @classmethod
    def check(
        cls, params: WarpParams, inputs: Mapping[str, Shape], base_dir: Path | None = None
    ) -> ShapeCheck:
        result = ShapeCheck()
        use_probs = "probs" in inputs
        if use_probs == ("labels" in inputs):
            result.problem("inputs", "connect exactly one of 'labels' and 'probs'")
        prev = "prev_probs" if use_probs else "prev_labels"
        if prev not in inputs:
            result.problem("inputs", f"connect '{prev}' to this node's own output (previous: true)")
        if params.method == "flow" and "flow" not in inputs:
            result.problem("inputs", "method 'flow' needs the 'flow' input (or use method: hold)")
        if params.fuse > 0 and not use_probs:
            result.problem("fuse", "fuse blends probabilities: connect 'probs' (labels cannot be blended)")
        if params.fuse > 0 and "cut" not in inputs:
            result.problem("fuse", "connect 'cut' to the gate's cut output (no fusing across scene cuts)")
        shape = inputs.get("probs" if use_probs else "labels", UNKNOWN)
        result.outputs["labels"] = shape
        if use_probs:
            result.outputs["probs"] = shape
        return result

    def process(
        self,
        info: FrameInfo,
        labels: Any = None,
        probs: Any = None,
        prev_labels: Any = None,
        prev_probs: Any = None,
        flow: Any = None,
        cut: Any = None,
    ) -> dict[str, Any]:
        if probs is not None and probs is not SKIPPED:
            p = self.params
            same_scene = cut is None or cut is SKIPPED
            movable = p.method == "hold" or isinstance(flow, np.ndarray)
            if p.fuse > 0 and same_scene and movable and isinstance(prev_probs, Probs):
                carried = prev_probs if p.method == "hold" else warp_probs(prev_probs, flow)
                probs = fuse_probs(probs, carried, p.fuse)
            return {"labels": probs.argmax(), "probs": probs}
        if labels is not None and labels is not SKIPPED:
            return {"labels": labels}
        carried = prev_probs if prev_probs is not None else prev_labels
        if carried is SKIPPED or carried is None:
            return {"labels": SKIPPED, "probs": SKIPPED}
        hold = self.params.method == "hold" or flow is SKIPPED or flow is None
        if isinstance(carried, Probs):
            warped = carried if hold else warp_probs(carried, flow)
            return {"labels": warped.argmax(), "probs": warped}
        return {"labels": carried if hold else warp_labels(carried, flow)}
