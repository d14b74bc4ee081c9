"""Stream kinds: the documented types of data that flow on the edges of a graph."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Kind:
    """A documented stream type. Spatial kinds carry a (height, width) shape."""

    name: str
    doc: str
    spatial: bool = True

    def __str__(self) -> str:
        return self.name


FRAME = Kind("frame.bgr8", "video frame, H×W×3 uint8, BGR (OpenCV order)")
LABELS = Kind("labels.u8", "label map, H×W uint8 class ids (VOC: 0..20, 255 = ignore)")
PROBS = Kind("probs.f32", "class probabilities, H×W×C float32 with a class id per channel")
CONFIDENCE = Kind("conf.f32", "per-pixel confidence of the predicted class, H×W float32 in [0, 1]")
FLOW = Kind(
    "flow.f32",
    "optical flow, H×W×2 float32: for each pixel of the current frame, (dx, dy) to the same point "
    "in the previous frame",
)

ALL_KINDS = {k.name: k for k in (FRAME, LABELS, PROBS, CONFIDENCE, FLOW)}

# A spatial shape is (height, width); None where it is only known at run time.
Shape = tuple[int | None, int | None]
UNKNOWN: Shape = (None, None)


@dataclass(frozen=True)
class Probs:
    """Value of a `probs.f32` stream: H×W×C probabilities and the class id of each channel."""

    data: np.ndarray
    class_ids: np.ndarray

    def argmax(self) -> np.ndarray:
        """Label map (uint8) of the most probable class per pixel (the first one on ties)."""
        d, ids = self.data, self.class_ids
        if d.shape[-1] == 2:  # one comparison: about 3× faster than argmax over a last axis of 2
            return np.where(d[..., 1] > d[..., 0], ids[1], ids[0]).astype(np.uint8)
        return ids[np.argmax(d, axis=-1)].astype(np.uint8)

    def confidence(self) -> np.ndarray:
        """Probability of the winning class per pixel."""
        if self.data.shape[-1] == 2:  # element-wise: a reduction over a last axis of 2 is slow
            return np.maximum(self.data[..., 0], self.data[..., 1])
        return self.data.max(axis=-1)
