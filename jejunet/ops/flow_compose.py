"""Compose per-frame optical flows into one displacement, and carry a result along it.

Each flow maps a frame back to the frame before (`current x` shows what the previous frame had
at `x + flow(x)`). Composing the flows of frames k+1 … t gives, per pixel of frame t, where it
was in frame k; a result of frame k (labels nearest, probabilities bilinear) is then read there
once, instead of being resampled frame after frame. The flows are kept on a coarse grid (`shrink_flow`:
the optical flow's working width; it computed them there), composed there, and the displacement
is resized once to the result's size: a result's cost grows with the flows' grid, not its own.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from jejunet.kinds import Probs
from jejunet.ops.optical_flow import resize_flow
from jejunet.ops.warp import _pixel_grid


def shrink_flow(flow: np.ndarray, width: int | None) -> np.ndarray:
    """The flow on a grid `width` wide (height keeps the aspect, rounded half up), its vectors
    scaled; as it is when `width` is None or not narrower."""
    h, w = flow.shape[:2]
    if width is None or width >= w:
        return flow
    return resize_flow(flow, (max(1, (2 * h * width + w) // (2 * w)), width))


def compose_flows(flows: Sequence[np.ndarray], size: tuple[int, int]) -> np.ndarray:
    """(h, w, 2) float32 displacement from the last flow's frame back to the frame before the first.

    `flows` in frame order (oldest first). They are composed on their own grid (the last flow's:
    the optical flow's working size, any other flow resampled to it), and the composed
    displacement is resampled once to `size` (h, w), its vectors scaled: the cost of composing
    grows with the flows' size, not the result's.
    """
    grid_size = flows[-1].shape[:2]
    fields = [resize_flow(f, grid_size) for f in flows]
    total = fields[-1].copy()
    grid = _pixel_grid(*grid_size)
    for earlier in reversed(fields[:-1]):
        coords = grid + total
        total += cv2.remap(earlier, coords, None, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    return resize_flow(total, size)


def carry_labels(labels: np.ndarray, displacement: np.ndarray) -> np.ndarray:
    """Labels of the older frame read at each pixel's displaced position (nearest, edges replicate)."""
    coords = _pixel_grid(*labels.shape[:2]) + resize_flow(displacement, labels.shape[:2])
    return cv2.remap(labels, coords, None, cv2.INTER_NEAREST, borderMode=cv2.BORDER_REPLICATE)


def carry_probs(probs: Probs, displacement: np.ndarray) -> Probs:
    """Probabilities of the older frame read bilinearly at each pixel's displaced position."""
    from jejunet.ops.warp import warp_probs  # one bilinear path for probabilities

    return warp_probs(probs, displacement)


class FlowLog:
    """The flows of the last `limit` frames a node saw, by frame index, oldest first.

    `since(origin)` gives the flows that carry a result of frame `origin` to the newest frame:
    those of the frames after it (each flow maps its frame back to the frame seen before it, so
    frames dropped upstream are spanned by the next flow). None when flows after `origin` were
    already forgotten (the result is too old to carry) or `origin` is newer than every frame seen.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.frames: list[tuple[int, np.ndarray]] = []
        #: the newest frame whose flow was forgotten: results older than it cannot be carried
        self.floor = -1

    def add(self, index: int, flow: np.ndarray) -> None:
        self.frames.append((index, flow))
        if len(self.frames) > self.limit:
            self.floor = self.frames.pop(0)[0]

    def since(self, origin: int) -> list[np.ndarray] | None:
        if origin < self.floor or not self.frames or origin > self.frames[-1][0]:
            return None
        return [flow for index, flow in self.frames if index > origin]


def carry_result(result: np.ndarray | Probs, flows: Sequence[np.ndarray]) -> np.ndarray | Probs:
    """A result (labels or probabilities) of an older frame carried along `flows` (oldest first)
    to the newest one's frame: composed once, read once. No flows: the result as it is."""
    if not flows:
        return result
    size = result.data.shape[:2] if isinstance(result, Probs) else result.shape[:2]
    displacement = compose_flows(flows, size)
    if isinstance(result, Probs):
        return carry_probs(result, displacement)
    return carry_labels(result, displacement)
