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
- with `occlusion_units` on, a cell on one side of an occlusion boundary (its source cell in the
  keyframe also claimed by cells displaced two cells or more differently: typically background
  a moving object uncovered, which the backward flow points into the object's old place) counts
  at least that many units of texture (`occluded`); a forward-backward check would need a second
  flow per frame and is not done;
- the score is the weighted mean error divided by the keyframe's texture (its mean absolute
  difference between neighbouring cells, at least `NOISE_FLOOR` grey levels, computed once a
  keyframe): about how many cells the carried result is off by, whatever the footage's contrast.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

FIX_SHIFT = 4  # displacements in 1/16 of a cell
FIX = 1 << FIX_SHIFT
FLOW_LIMIT = 1 << 20  # quantised flow clamp (pixels × 16): no overflow, far beyond any frame
NOISE_FLOOR = 2  # grey levels: the texture never counts below this (flat frames, sensor noise)
OCCLUSION_SPREAD = 2 * FIX  # displacements this far apart (2 cells) on one source: an occlusion boundary


@dataclass(frozen=True)
class Error:
    """The integer parts of a prediction score: weighted error over weighted texture."""

    num: int  # Σ weight · error · texture_count
    den: int  # Σ weight · texture_sum
    entering: int  # cells whose source lies outside the keyframe's frame
    occluded: int = 0  # cells on one side of an occlusion boundary (when looked for)

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


@lru_cache(maxsize=16)
def cell_centres(n: int, size: int) -> np.ndarray:
    """Pixel index of each cell's centre along an axis of n pixels."""
    return ((2 * np.arange(size, dtype=np.int64) + 1) * n) // (2 * size)


def flow_on_grid(flow: np.ndarray, size: int) -> np.ndarray:
    """(size, size, 2) int64: the flow at the cell centres, in 1/16 of a cell (floor)."""
    h, w = flow.shape[:2]
    sampled = np.take(flow.reshape(-1, 2), _centre_index(h, w, size), axis=0)
    q = np.floor(sampled * np.float32(FIX)).astype(np.int64)
    np.clip(q, -FLOW_LIMIT, FLOW_LIMIT, out=q)
    q *= size
    out = np.empty((size, size, 2), np.int64)
    np.floor_divide(q[:, 0].reshape(size, size), w, out=out[..., 0])
    np.floor_divide(q[:, 1].reshape(size, size), h, out=out[..., 1])
    return out


@lru_cache(maxsize=16)
def _centre_index(h: int, w: int, size: int) -> np.ndarray:
    """Flat pixel index of each cell's centre, row by row."""
    return (cell_centres(h, size)[:, None] * w + cell_centres(w, size)[None, :]).ravel()


@lru_cache(maxsize=8)
def _cells(size: int) -> tuple[np.ndarray, np.ndarray]:
    """Each cell's row and column in 1/16 of a cell (int64, size×size)."""
    ii, jj = np.meshgrid(np.arange(size, dtype=np.int64), np.arange(size, dtype=np.int64), indexing="ij")
    return ii * FIX, jj * FIX


def source(displacement: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(row, column) in 1/16 of a cell where each cell's displacement lands."""
    fi, fj = _cells(displacement.shape[0])
    return fi + displacement[..., 1], fj + displacement[..., 0]


def nearest_cell(py: np.ndarray, px: np.ndarray, size: int) -> np.ndarray:
    """Flat index of the cell nearest each position (clamped into the grid)."""
    si = np.clip((py + FIX // 2) >> FIX_SHIFT, 0, size - 1)
    sj = np.clip((px + FIX // 2) >> FIX_SHIFT, 0, size - 1)
    return si * size + sj


def compose(displacement: np.ndarray, step: np.ndarray) -> np.ndarray:
    """Displacement to the keyframe from this frame: the step, then the previous displacement there."""
    size = step.shape[0]
    at = nearest_cell(*source(step), size)
    return step + np.take(displacement.reshape(-1, 2), at, axis=0).reshape(step.shape)


def predict(key: np.ndarray, displacement: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The keyframe's grid sampled bilinearly at each cell + displacement, and where that left the frame."""
    return _predict(key, *source(displacement))


def _predict(key: np.ndarray, py: np.ndarray, px: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    size = key.shape[0]
    top = (size - 1) * FIX + FIX // 2
    entering = (py < -FIX // 2) | (py > top) | (px < -FIX // 2) | (px > top)
    py = np.clip(py, 0, (size - 1) * FIX)
    px = np.clip(px, 0, (size - 1) * FIX)
    y0, x0 = py >> FIX_SHIFT, px >> FIX_SHIFT
    wy, wx = py & (FIX - 1), px & (FIX - 1)
    y1, x1 = np.minimum(y0 + 1, size - 1), np.minimum(x0 + 1, size - 1)
    k = key.astype(np.int64).ravel()
    r0, r1 = y0 * size, y1 * size
    upper = np.take(k, r0 + x0) * (FIX - wx) + np.take(k, r0 + x1) * wx
    lower = np.take(k, r1 + x0) * (FIX - wx) + np.take(k, r1 + x1) * wx
    value = (upper * (FIX - wy) + lower * wy + FIX * FIX // 2) >> (2 * FIX_SHIFT)
    return value, entering


def texture(key: np.ndarray) -> tuple[int, int]:
    """(sum, count) of absolute differences between neighbouring cells, the sum at least the noise floor."""
    k = key.astype(np.int64)
    total = int(np.abs(np.diff(k, axis=0)).sum() + np.abs(np.diff(k, axis=1)).sum())
    count = 2 * k.shape[0] * (k.shape[1] - 1)
    return max(total, NOISE_FLOOR * count), count


def occluded(displacement: np.ndarray, py: np.ndarray, px: np.ndarray, entering: np.ndarray) -> np.ndarray:
    """size×size bool: cells on one side of an occlusion boundary.

    A cell is marked when its source (the keyframe cell nearest c + D(c)) is claimed by other
    cells of this frame whose displacements differ from each other by `OCCLUSION_SPREAD` or
    more along an axis: two surfaces that moved apart since the keyframe land on the same
    keyframe content, and one of them (typically background a moving object uncovered) has no
    true source there. A pan or a moderate zoom never folds the field that far. Cells whose
    source lies outside the keyframe are left to `entering`.
    """
    size = displacement.shape[0]
    inside = ~entering.ravel()
    at = nearest_cell(py, px, size).ravel()[inside]
    d = displacement.reshape(-1, 2)[inside]
    spread = np.zeros(size * size, np.int64)
    for axis in (0, 1):
        lo = np.full(size * size, FLOW_LIMIT * size, np.int64)
        hi = np.full(size * size, -FLOW_LIMIT * size, np.int64)
        np.minimum.at(lo, at, d[:, axis])
        np.maximum.at(hi, at, d[:, axis])
        np.maximum(spread, hi - lo, out=spread)
    marked = np.zeros(size * size, bool)
    marked[inside] = spread[at] >= OCCLUSION_SPREAD
    return marked.reshape(size, size)


def prediction_error(
    key: np.ndarray,
    displacement: np.ndarray,
    current: np.ndarray,
    objects: np.ndarray | None,
    object_weight: int,
    key_texture: tuple[int, int] | None = None,
    occlusion_units: int = 0,
) -> Error:
    """How badly the keyframe carried by `displacement` predicts `current` (see the module doc).

    `key_texture`: the keyframe's `texture` when the caller keeps it (it changes only at a keyframe).
    `occlusion_units`: texture units each `occluded` cell counts at least (0: not looked for).
    """
    py, px = source(displacement)
    value, entering = _predict(key, py, px)
    tex_sum, tex_count = key_texture or texture(key)
    error = np.abs(value - current) * tex_count
    np.maximum(error, np.where(entering, tex_sum, 0), out=error)
    occlusions = 0
    if occlusion_units:
        marked = occluded(displacement, py, px, entering)
        occlusions = int(np.count_nonzero(marked))
        if occlusions:
            np.maximum(error, np.where(marked, occlusion_units * tex_sum, 0), out=error)
    total = int(error.sum())
    weights = error.size
    if objects is not None and object_weight:
        total += object_weight * int(error[objects].sum())
        weights += object_weight * int(np.count_nonzero(objects))
    entering_cells = int(np.count_nonzero(entering))
    return Error(num=total, den=weights * tex_sum, entering=entering_cells, occluded=occlusions)
