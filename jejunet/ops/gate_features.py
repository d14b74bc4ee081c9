"""The keyframe gate's per-frame image features, computed from one strided sample of the frame.

A frame is read once per sampling stride (`Sample`): its B, G, R planes on every step-th pixel,
as uint16. Every feature derives from those planes: the integer grey image
((29 B + 150 G + 77 R + 128) >> 8, at most 65408 before the shift, so uint16 holds it), its
block means on a size×size grid (the motion thumbnail and the prediction grid), and the colour
histograms of the frame's quarters (one `bincount` over a code that holds the quarter too).
A coarser stride that is a multiple of a finer one reads the finer planes (`planes[::k, ::k]`
are the same pixels), so a frame is sampled once. The values are exactly those of the plain
definitions (and of KeyframeGate.java); only the work is shared.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import cv2
import numpy as np

GREY_WEIGHTS = (29, 150, 77)  # B, G, R; (Σ w · c + 128) >> 8


class Sample:
    """A frame's B, G, R planes (uint16) and grey image on every step-th pixel, each computed once."""

    def __init__(self, image: np.ndarray) -> None:
        self.image = image
        self._planes: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        self._grey: dict[int, np.ndarray] = {}

    def planes(self, step: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """B, G, R on every step-th pixel of every step-th row (uint16)."""
        if step not in self._planes:
            finer = _from_finer(self._planes, step)
            if finer is None:
                sampled = self.image[::step, ::step]
                finer = tuple(sampled[..., c].astype(np.uint16) for c in range(3))
            self._planes[step] = finer  # type: ignore[assignment]
        return self._planes[step]

    def grey(self, step: int) -> np.ndarray:
        """The integer grey image on every step-th pixel (uint8)."""
        if step not in self._grey:
            finer = _from_finer(self._grey, step)
            if finer is None:
                b, g, r = self.planes(step)
                wb, wg, wr = GREY_WEIGHTS
                finer = ((wb * b + wg * g + wr * r + 128) >> 8).astype(np.uint8)
            self._grey[step] = finer  # type: ignore[assignment]
        return self._grey[step]


def _from_finer(cache: dict[int, Any], step: int) -> Any:
    """The value cached for the coarsest stride dividing `step`, taken on every k-th pixel of it
    (the same pixels as sampling at `step`); None when no such stride is cached."""
    found = [base for base in cache if step % base == 0]
    if not found:
        return None
    base = max(found)
    k = step // base
    value = cache[base]
    return tuple(p[::k, ::k] for p in value) if isinstance(value, tuple) else value[::k, ::k]


@lru_cache(maxsize=32)
def _starts(n: int, size: int) -> np.ndarray:
    """Where each of `size` blocks of n samples starts (i·n // size), and n."""
    return (np.arange(size + 1) * n) // size


def block_means(grey: np.ndarray, size: int) -> np.ndarray:
    """size×size int32 floor means of the blocks [i·h//size, (i+1)·h//size) × [j·w//size, …) (empty: 0).

    The block sums are read off the integral image (exact: int32 while 255 · h · w fits, float64
    beyond, integers far below 2^53).
    """
    h, w = grey.shape
    depth = cv2.CV_32S if 255 * h * w < 1 << 31 else cv2.CV_64F
    integral = cv2.integral(grey, sdepth=depth).astype(np.int64, copy=False)
    ys, xs = _starts(h, size), _starts(w, size)
    corners = integral[ys[:, None], xs[None, :]]
    sums = corners[1:, 1:] - corners[:-1, 1:] - corners[1:, :-1] + corners[:-1, :-1]
    area = np.diff(ys)[:, None] * np.diff(xs)[None, :]
    return (sums // np.maximum(area, 1)).astype(np.int32)


@lru_cache(maxsize=16)
def _cell_offsets(h: int, w: int, grid: int, bins: int) -> np.ndarray:
    """h×w: each sample's grid cell (rows i·h//grid …, columns j·w//grid …) times `bins`."""
    ys = (np.arange(grid + 1) * h) // grid
    xs = (np.arange(grid + 1) * w) // grid
    row = np.searchsorted(ys, np.arange(h), side="right") - 1
    col = np.searchsorted(xs, np.arange(w), side="right") - 1
    return ((row[:, None] * grid + col[None, :]) * bins).astype(_code_dtype(grid * grid * bins))


def _code_dtype(codes: int) -> type[np.unsignedinteger]:
    return np.uint16 if codes <= 1 << 16 else np.uint32


def histograms(sample: Sample, grid: int, shift: int, step: int) -> np.ndarray:
    """grid²×bins int64 colour histograms (8 − shift levels a channel) of the grid cells, step-th pixels."""
    levels = 8 - shift
    bins = 1 << (3 * levels)
    dtype = _code_dtype(grid * grid * bins)
    b, g, r = (p.astype(dtype, copy=False) for p in sample.planes(step))
    code = ((b >> shift) << (2 * levels)) | ((g >> shift) << levels) | (r >> shift)
    h, w = code.shape
    code += _cell_offsets(h, w, grid, bins)  # one bincount for all cells: the code holds the cell
    return np.bincount(code.ravel(), minlength=grid * grid * bins).reshape(grid * grid, bins)
