"""The keyframe gate's prediction error: how badly the last keyframe, carried by the flow, predicts now.

All integer arithmetic on a size×size grey grid, so that the Android runtime (KeyframePrediction.java)
reproduces every value exactly:

- the flow (float32, pixels of the gate's image, from each frame back to the previous one) is read
  at the grid's cell centres and quantised to 1/16 of a cell (floor, exact in float32 and Java);
- the per-frame flows are composed into one displacement from the current frame to the keyframe
  (`D_t(c) = f_t(c) + D_{t-1}(c + f_t(c))`, the previous displacement read at the nearest cell);
- the keyframe's grey grid, sampled bilinearly (4-bit weights) at `c + D_t(c)`, is the prediction;
- the error per cell is |prediction − current| in grey levels; a cell whose source lies outside
  the keyframe's frame (content entering at a border) counts at least one cell's texture, since
  the keyframe never saw it; cells where the labels show objects weigh `1 + object_weight`;
- the score is the weighted mean error divided by the keyframe's texture (its mean absolute
  difference between neighbouring cells, at least `NOISE_FLOOR` grey levels): about how many
  cells the carried result is off by, whatever the footage's contrast.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

FIX_SHIFT = 4  # displacements in 1/16 of a cell
FIX = 1 << FIX_SHIFT
FLOW_LIMIT = 1 << 20  # quantised flow clamp (pixels × 16): no overflow, far beyond any frame
NOISE_FLOOR = 2  # grey levels: the texture never counts below this (flat frames, sensor noise)


@dataclass(frozen=True)
class Error:
    """The integer parts of a prediction score: weighted error over weighted texture."""

    num: int  # Σ weight · error · texture_count
    den: int  # Σ weight · texture_sum
    entering: int  # cells whose source lies outside the keyframe's frame

    @property
    def score(self) -> float:
        """Mean error in units of the keyframe's texture (about: cells of misalignment)."""
        return self.num / self.den if self.den else 0.0


def milli(threshold: float) -> int:
    """A threshold in thousandths, rounded half up (Java: Math.floor(t * 1000 + 0.5))."""
    return math.floor(threshold * 1000 + 0.5)


def exceeds(error: Error, threshold: float) -> bool:
    """score > threshold, decided in integers."""
    return error.num * 1000 > milli(threshold) * error.den


def cell_centres(n: int, size: int) -> np.ndarray:
    """Pixel index of each cell's centre along an axis of n pixels."""
    return ((2 * np.arange(size, dtype=np.int64) + 1) * n) // (2 * size)


def flow_on_grid(flow: np.ndarray, size: int) -> np.ndarray:
    """(size, size, 2) int64: the flow at the cell centres, in 1/16 of a cell (floor)."""
    h, w = flow.shape[:2]
    sampled = flow[cell_centres(h, size)][:, cell_centres(w, size)]
    q = np.floor(sampled * np.float32(FIX)).astype(np.int64)
    np.clip(q, -FLOW_LIMIT, FLOW_LIMIT, out=q)
    out = np.empty_like(q)
    out[..., 0] = (q[..., 0] * size) // w
    out[..., 1] = (q[..., 1] * size) // h
    return out


def _cells(size: int) -> tuple[np.ndarray, np.ndarray]:
    ii, jj = np.meshgrid(np.arange(size, dtype=np.int64), np.arange(size, dtype=np.int64), indexing="ij")
    return ii, jj


def compose(displacement: np.ndarray, step: np.ndarray) -> np.ndarray:
    """Displacement to the keyframe from this frame: the step, then the previous displacement there."""
    size = step.shape[0]
    ii, jj = _cells(size)
    si = np.clip((ii * FIX + step[..., 1] + FIX // 2) >> FIX_SHIFT, 0, size - 1)
    sj = np.clip((jj * FIX + step[..., 0] + FIX // 2) >> FIX_SHIFT, 0, size - 1)
    return step + displacement[si, sj]


def predict(key: np.ndarray, displacement: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The keyframe's grid sampled bilinearly at each cell + displacement, and where that left the frame."""
    size = key.shape[0]
    ii, jj = _cells(size)
    py = ii * FIX + displacement[..., 1]
    px = jj * FIX + displacement[..., 0]
    top = (size - 1) * FIX + FIX // 2
    entering = (py < -FIX // 2) | (py > top) | (px < -FIX // 2) | (px > top)
    py = np.clip(py, 0, (size - 1) * FIX)
    px = np.clip(px, 0, (size - 1) * FIX)
    y0, x0 = py >> FIX_SHIFT, px >> FIX_SHIFT
    wy, wx = py & (FIX - 1), px & (FIX - 1)
    y1, x1 = np.minimum(y0 + 1, size - 1), np.minimum(x0 + 1, size - 1)
    k = key.astype(np.int64)
    upper = k[y0, x0] * (FIX - wx) + k[y0, x1] * wx
    lower = k[y1, x0] * (FIX - wx) + k[y1, x1] * wx
    value = (upper * (FIX - wy) + lower * wy + FIX * FIX // 2) >> (2 * FIX_SHIFT)
    return value, entering


def texture(key: np.ndarray) -> tuple[int, int]:
    """(sum, count) of absolute differences between neighbouring cells, the sum at least the noise floor."""
    k = key.astype(np.int64)
    total = int(np.abs(np.diff(k, axis=0)).sum() + np.abs(np.diff(k, axis=1)).sum())
    count = 2 * k.shape[0] * (k.shape[1] - 1)
    return max(total, NOISE_FLOOR * count), count


def prediction_error(
    key: np.ndarray,
    displacement: np.ndarray,
    current: np.ndarray,
    objects: np.ndarray | None,
    object_weight: int,
) -> Error:
    """How badly the keyframe carried by `displacement` predicts `current` (see the module doc)."""
    value, entering = predict(key, displacement)
    tex_sum, tex_count = texture(key)
    error = np.abs(value - current.astype(np.int64)) * tex_count
    error = np.where(entering, np.maximum(error, tex_sum), error)
    weight = np.ones(current.shape, np.int64)
    if objects is not None and object_weight:
        weight += object_weight * objects.astype(np.int64)
    return Error(
        num=int((weight * error).sum()),
        den=int(weight.sum()) * tex_sum,
        entering=int(entering.sum()),
    )
