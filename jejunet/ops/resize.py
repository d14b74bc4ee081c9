"""resize: to a fixed size (stretch, crop, pad) or to a size that follows the frame's aspect ratio.

`mode: aspect` is the rule of the default DeepLab pipelines: the long side becomes `long_side`, the
short side the same scale rounded to a multiple of `multiple` (the network's output stride), so the
frame is scaled, never squashed beyond that rounding, and `upsample` maps the labels back onto every
pixel of the frame. With `snap_to` (a model family with a few fixed input sizes) the size is that
family's export whose aspect ratio is nearest the frame's.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Literal

import cv2
import numpy as np
from pydantic import Field

from jejunet.kinds import FRAME, UNKNOWN, Shape
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
    width: int = Field(256, ge=1, le=8192, description="output width in pixels (stretch, crop, pad)")
    height: int = Field(256, ge=1, le=8192, description="output height in pixels (stretch, crop, pad)")
    mode: Literal["stretch", "crop", "pad", "aspect"] = Field(
        "stretch",
        description="stretch to width×height; keep the aspect by cropping or padding to it; or aspect: "
        "a size that follows the frame (long side, short side rounded to a multiple)",
    )
    long_side: int = Field(512, ge=16, le=8192, description="aspect: the long side of the output")
    multiple: int = Field(16, ge=1, le=256, description="aspect: the short side is a multiple of this")
    snap_to: str | None = Field(
        None, description="aspect: a model family; take its input size nearest the frame's aspect"
    )
    interpolation: Interpolation = Field("linear", description="resampling filter")


def aspect_size(height: int, width: int, long_side: int = 512, multiple: int = 16) -> tuple[int, int]:
    """(height, width) with the long side `long_side` and the short side scaled, rounded to `multiple`."""
    short, long = sorted((height, width))
    side = max(multiple, round(short * long_side / long / multiple) * multiple)
    side = min(side, long_side)
    return (side, long_side) if width >= height else (long_side, side)


def nearest_aspect(height: int, width: int, sizes: Sequence[tuple[int, int]]) -> tuple[int, int]:
    """The (height, width) among `sizes` whose aspect ratio is nearest the frame's (in log ratio)."""
    ratio = math.log(width / height)
    return min(sizes, key=lambda s: (abs(math.log(s[1] / s[0]) - ratio), -s[0] * s[1]))


def target_size(params: ResizeParams, height: int, width: int) -> tuple[int, int]:
    """The (height, width) this resize produces for a height×width frame."""
    if params.mode != "aspect":
        return params.height, params.width
    if params.snap_to:
        from jejunet.models.registry import family_sizes

        return nearest_aspect(height, width, family_sizes(params.snap_to))
    return aspect_size(height, width, params.long_side, params.multiple)


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
    if mode in ("stretch", "aspect") or (h * width == w * height):
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
    summary = "Resize frames to a size (stretch, crop, pad), or to one that follows their aspect ratio."
    Params = ResizeParams
    inputs = (Port("image", FRAME),)
    outputs = (Port("image", FRAME),)
    stateless = True

    @classmethod
    def check(
        cls, params: ResizeParams, inputs: Mapping[str, Shape], base_dir: Path | None = None
    ) -> ShapeCheck:
        result = ShapeCheck()
        if params.mode != "aspect":
            result.outputs["image"] = (params.height, params.width)
            return result
        if params.snap_to:
            from jejunet.errors import UserError
            from jejunet.models.registry import family_sizes

            try:
                family_sizes(params.snap_to)
            except UserError as exc:
                result.problem("snap_to", "; ".join(p.message for p in exc.problems))
                return result
        given = inputs.get("image", UNKNOWN)
        known = given[0] is not None and given[1] is not None
        result.outputs["image"] = target_size(params, given[0], given[1]) if known else UNKNOWN  # type: ignore[arg-type]
        return result

    def process(self, info: FrameInfo, image: np.ndarray) -> dict[str, np.ndarray]:
        p = self.params
        h, w = target_size(p, image.shape[0], image.shape[1])
        return {"image": resize_image(image, w, h, p.mode, p.interpolation)}
