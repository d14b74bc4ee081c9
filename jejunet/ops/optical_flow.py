"""optical_flow: dense flow from each frame back to the previous one (OpenCV DIS)."""

from __future__ import annotations

from typing import Any, Literal

import cv2
import numpy as np
from pydantic import Field

from jejunet.kinds import FLOW, FRAME
from jejunet.ops.base import FrameInfo, Operator, Params, Port, RunContext
from jejunet.ops.registry import register

PRESETS = {
    "ultrafast": cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST,
    "fast": cv2.DISOPTICAL_FLOW_PRESET_FAST,
    "medium": cv2.DISOPTICAL_FLOW_PRESET_MEDIUM,
}


class OpticalFlowParams(Params):
    preset: Literal["ultrafast", "fast", "medium"] = Field("fast", description="DIS preset (speed/quality)")
    width: int | None = Field(
        None, ge=16, le=4096, description="working width (height keeps the aspect); None: the input's size"
    )


def grey(image: np.ndarray, width: int | None) -> np.ndarray:
    """Grey image, downscaled to the working width if one is set."""
    g = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    if width is None or width >= g.shape[1]:
        return g
    height = max(1, round(g.shape[0] * width / g.shape[1]))
    return cv2.resize(g, (width, height), interpolation=cv2.INTER_AREA)


def backward_flow(dis: Any, current: np.ndarray, previous: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Flow at `size` (h, w): current pixel x matches previous pixel x + flow(x)."""
    return resize_flow(dis.calc(current, previous, None), size)


def resize_flow(flow: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """A flow field at `size` (h, w): resampled bilinearly, its vectors scaled to the new grid."""
    h, w = size
    if flow.shape[:2] == (h, w):
        return flow
    sx, sy = np.float32(w / flow.shape[1]), np.float32(h / flow.shape[0])
    resized = cv2.resize(flow, (w, h), interpolation=cv2.INTER_LINEAR)
    # numpy's broadcast over a last axis of 2 is slow: one scalar, or cv2's per-channel multiply
    # (float32 operands, so each product rounds as a float32 multiply does)
    if sx == sy:
        resized *= sx
        return resized
    return cv2.multiply(resized, (float(sx), float(sy), 0.0, 0.0))


@register
class OpticalFlow(Operator):
    name = "optical_flow"
    summary = "Dense optical flow (OpenCV DIS) from each frame back to the previous one."
    Params = OpticalFlowParams
    inputs = (Port("image", FRAME),)
    outputs = (Port("flow", FLOW, "per pixel (dx, dy) to the previous frame; zeros on the first frame"),)

    def open(self, ctx: RunContext) -> None:
        self.dis = cv2.DISOpticalFlow_create(PRESETS[self.params.preset])
        self.previous: np.ndarray | None = None

    def process(self, info: FrameInfo, image: np.ndarray) -> dict[str, Any]:
        current = grey(image, self.params.width)
        size = image.shape[:2]
        if self.previous is None or self.previous.shape != current.shape:
            flow = np.zeros((*size, 2), dtype=np.float32)
        else:
            flow = backward_flow(self.dis, current, self.previous, size)
        self.previous = current
        return {"flow": flow}
