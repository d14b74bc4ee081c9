"""resize: to a fixed size, stretching, or keeping the aspect ratio by cropping or padding."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Literal

import cv2
import numpy as np
from pydantic import Field

from jejunet.kinds import FRAME, Shape
from jejunet.ops.base import FrameInfo, Operator, Params, Port, ShapeCheck
from jejunet.ops.registry import register

Interpolation = Literal["nearest", "linear", "area", "cubic"]
INTERPOLATION = {
    "nearest": cv2.INTER_NEAREST,
    "linear": cv2.INTER_LINEAR,
    "area": cv2.INTER_AREA,
    "cubic": cv2.INTER_CUBIC,
}


class ResizeParams(Params):
    width: int = Field(256, ge=1, le=8192, description="output width in pixels")
    height: int = Field(256, ge=1, le=8192, description="output height in pixels")
    mode: Literal["stretch", "crop", "pad"] = Field(
        "stretch", description="stretch to the size, or keep the aspect ratio: crop or pad"
    )
    interpolation: Interpolation = Field("linear", description="resampling filter")


def resize_image(
    image: np.ndarray,
    width: int,
    height: int,
    mode: str = "stretch",
    interpolation: str = "linear",
) -> np.ndarray:
    """Resize to width×height; `crop` centre-crops and `pad` letterboxes (black) to keep aspect."""
    flag = INTERPOLATION[interpolation]
    h, w = image.shape[:2]
    if mode == "stretch" or (h * width == w * height):
        return cv2.resize(image, (width, height), interpolation=flag)
    scale = max(width / w, height / h) if mode == "crop" else min(width / w, height / h)
    new_w, new_h = max(1, round(w * scale)), max(1, round(h * scale))
    scaled = cv2.resize(image, (new_w, new_h), interpolation=flag)
    if mode == "crop":
        x0, y0 = (new_w - width) // 2, (new_h - height) // 2
        return np.ascontiguousarray(scaled[y0 : y0 + height, x0 : x0 + width])
    out = np.zeros((height, width) + image.shape[2:], dtype=image.dtype)
    x0, y0 = (width - new_w) // 2, (height - new_h) // 2
    out[y0 : y0 + new_h, x0 : x0 + new_w] = scaled
    return out


@register
class Resize(Operator):
    name = "resize"
    summary = "Resize frames to a size (stretch), or keep the aspect ratio by cropping or padding."
    Params = ResizeParams
    inputs = (Port("image", FRAME),)
    outputs = (Port("image", FRAME),)
    stateless = True

    @classmethod
    def check(
        cls, params: ResizeParams, inputs: Mapping[str, Shape], base_dir: Path | None = None
    ) -> ShapeCheck:
        result = ShapeCheck()
        result.outputs["image"] = (params.height, params.width)
        return result

    def process(self, info: FrameInfo, image: np.ndarray) -> dict[str, np.ndarray]:
        p = self.params
        return {"image": resize_image(image, p.width, p.height, p.mode, p.interpolation)}
