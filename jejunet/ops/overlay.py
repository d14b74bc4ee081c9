"""overlay: VOC palette colours blended on the frame, with an optional legend."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from pathlib import Path

import cv2
import numpy as np
from pydantic import Field

from jejunet.errors import NodeError
from jejunet.kinds import FRAME, LABELS, UNKNOWN, Shape
from jejunet.media.palette import voc_palette
from jejunet.models.registry import VOC_LABELS
from jejunet.ops.base import FrameInfo, Operator, Params, Port, ShapeCheck
from jejunet.ops.registry import register


class OverlayParams(Params):
    alpha: float = Field(0.5, ge=0.0, le=1.0, description="opacity of the class colours")
    background: bool = Field(False, description="also tint background pixels (class 0)")
    legend: bool = Field(False, description="draw the names of the classes present")


@cache
def _bgr_lut() -> np.ndarray:
    """256×1×3 lookup table: class id → BGR colour (the legend's swatches)."""
    return np.ascontiguousarray(voc_palette()[:, ::-1]).reshape(256, 1, 3)


@cache
def _channel_luts() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One 256-entry table per B, G, R channel: class id → that channel of its colour."""
    bgr = voc_palette()[:, ::-1]
    return tuple(np.ascontiguousarray(bgr[:, c]) for c in range(3))  # type: ignore[return-value]


def class_colours(labels: np.ndarray) -> np.ndarray:
    """(h, w, 3) BGR: each pixel's class colour.

    Three single-channel lookups and a merge: 0.25 ms at 640×272 against 0.45 ms for one
    3-channel lookup on the label map merged three times (the same bytes).
    """
    return cv2.merge([cv2.LUT(labels, lut) for lut in _channel_luts()])


def _blend(image: np.ndarray, labels: np.ndarray, alpha: float) -> np.ndarray:
    return cv2.addWeighted(image, 1.0 - alpha, class_colours(labels), alpha, 0.0)


def overlay_labels(
    image: np.ndarray, labels: np.ndarray, alpha: float = 0.5, background: bool = False
) -> np.ndarray:
    """Blend each pixel's class colour onto the frame (background left as it is by default)."""
    if background:
        return _blend(image, labels, alpha)
    out = image.copy()
    rows = np.flatnonzero(labels.any(axis=1))
    if rows.size == 0:
        return out
    cols = np.flatnonzero(labels.any(axis=0))
    box = np.s_[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]  # only where there is something to tint
    # OpenCV reads the box views and writes into `out`'s as they are (rows contiguous): no copies
    sub_labels = labels[box]
    region = out[box]
    written = cv2.copyTo(_blend(image[box], sub_labels, alpha), (sub_labels != 0).view(np.uint8), region)
    if not np.shares_memory(written, out):  # a layout OpenCV had to copy (never for a C-order frame)
        region[...] = written
    return out


def classes_present(labels: np.ndarray, step: int = 2) -> list[int]:
    """Class ids present in the label map (sampled on a grid of `step` pixels)."""
    sample = np.ascontiguousarray(labels[::step, ::step])
    counts = cv2.calcHist([sample], [0], None, [256], [0, 256]).ravel()  # a third of np.bincount's time
    return [int(c) for c in np.flatnonzero(counts)]


def draw_legend(image: np.ndarray, labels: np.ndarray, names: tuple[str, ...] = VOC_LABELS) -> None:
    """Draw a swatch and the name of every non-background class present (in place)."""
    lut = _bgr_lut()
    present = [c for c in classes_present(labels) if 0 < c < len(names)]
    for row, cls in enumerate(present):
        y = 8 + row * 18
        cv2.rectangle(image, (8, y), (22, y + 14), lut[cls, 0].tolist(), -1)
        cv2.putText(
            image, names[cls], (28, y + 12), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (255, 255, 255), 1, cv2.LINE_AA
        )


@register
class Overlay(Operator):
    name = "overlay"
    summary = "Blend VOC palette colours of a label map onto the frame; optional legend."
    Params = OverlayParams
    inputs = (Port("image", FRAME), Port("labels", LABELS, "labels at the frame's size"))
    outputs = (Port("image", FRAME),)
    stateless = True

    @classmethod
    def check(
        cls, params: OverlayParams, inputs: Mapping[str, Shape], base_dir: Path | None = None
    ) -> ShapeCheck:
        result = ShapeCheck()
        image, labels = inputs.get("image", UNKNOWN), inputs.get("labels", UNKNOWN)
        if None not in image and None not in labels and tuple(image) != tuple(labels):
            result.problem(
                "inputs",
                f"labels are {labels[1]}×{labels[0]} but the image is {image[1]}×{image[0]} "
                "(upsample the labels first)",
            )
        result.outputs["image"] = image
        return result

    def process(self, info: FrameInfo, image: np.ndarray, labels: np.ndarray) -> dict[str, np.ndarray]:
        if labels.shape[:2] != image.shape[:2]:
            raise NodeError(
                f"labels {labels.shape[1]}×{labels.shape[0]} do not match the frame "
                f"{image.shape[1]}×{image.shape[0]}: upsample the labels first"
            )
        p = self.params
        out = overlay_labels(image, labels, p.alpha, p.background)
        if p.legend:
            draw_legend(out, labels)
        return {"image": out}
