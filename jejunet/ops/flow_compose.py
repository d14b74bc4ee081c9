"""Compose per-frame optical flows into one displacement, and carry a result along it.

Each flow maps a frame back to the frame before (`current x` shows what the previous frame had
at `x + flow(x)`). Composing the flows of frames k+1 … t gives, per pixel of frame t, where it
was in frame k; a result of frame k (labels nearest, probabilities bilinear) is then read there
once, instead of being resampled frame after frame.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from jejunet.kinds import Probs
from jejunet.ops.optical_flow import resize_flow
from jejunet.ops.warp import _pixel_grid


def compose_flows(flows: Sequence[np.ndarray], size: tuple[int, int]) -> np.ndarray:
    """(h, w, 2) float32 displacement from the last flow's frame back to the frame before the first.

    `flows` in frame order (oldest first); each is resampled to `size` (h, w) first.
    """
    fields = [resize_flow(f, size) for f in flows]
    total = fields[-1].copy()
    grid = _pixel_grid(*size)
    for earlier in reversed(fields[:-1]):
        coords = grid + total
        total += cv2.remap(earlier, coords, None, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    return total


def carry_labels(labels: np.ndarray, displacement: np.ndarray) -> np.ndarray:
    """Labels of the older frame read at each pixel's displaced position (nearest, edges replicate)."""
    coords = _pixel_grid(*labels.shape[:2]) + resize_flow(displacement, labels.shape[:2])
    return cv2.remap(labels, coords, None, cv2.INTER_NEAREST, borderMode=cv2.BORDER_REPLICATE)


def carry_probs(probs: Probs, displacement: np.ndarray) -> Probs:
    """Probabilities of the older frame read bilinearly at each pixel's displaced position."""
    from jejunet.ops.warp import warp_probs  # one bilinear path for probabilities

    return warp_probs(probs, displacement)
