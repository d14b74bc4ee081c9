"""The keyframe gate's features in their plain form: the definitions the fast kernels must equal.

`gate_features` (one strided sample shared by the grids and the histograms) and
`gate_prediction` (cached indices, flat gathers) compute exactly these values with less work;
tests/test_keyframe_gate.py checks them against these on real and random frames, and
benchmarks/bench_gate.py times both. Not used by the gate itself.
"""

from __future__ import annotations

import numpy as np

from jejunet.ops.gate_prediction import FIX, FIX_SHIFT, FLOW_LIMIT, NOISE_FLOOR, OCCLUSION_SPREAD, Error


def grey_thumbnail(image: np.ndarray, size: int) -> np.ndarray:
    """size×size block means of the integer grey image on every sample_step-th pixel."""
    step = max(1, min(image.shape[:2]) // (2 * size))
    bgr = image[::step, ::step].astype(np.int32)
    grey = (29 * bgr[..., 0] + 150 * bgr[..., 1] + 77 * bgr[..., 2] + 128) >> 8
    h, w = grey.shape
    ys = (np.arange(size) * h) // size
    xs = (np.arange(size) * w) // size
    sums = np.add.reduceat(np.add.reduceat(grey, ys, axis=0), xs, axis=1)
    heights = np.diff(np.append(ys, h))[:, None]
    widths = np.diff(np.append(xs, w))[None, :]
    with np.errstate(divide="ignore"):  # an empty block (more blocks than samples) is 0
        return sums // (heights * widths)


def colour_histograms(image: np.ndarray, grid: int = 2, shift: int = 5, step: int = 2) -> np.ndarray:
    """grid²×bins colour histograms of the frame's grid cells, one bincount a cell."""
    levels = 8 - shift
    sampled = image[::step, ::step]
    b, g, r = (sampled[..., c].astype(np.int32) >> shift for c in range(3))
    code = (b << (2 * levels)) | (g << levels) | r
    h, w = code.shape
    bins = 1 << (3 * levels)
    cells = [
        np.bincount(
            code[i * h // grid : (i + 1) * h // grid, j * w // grid : (j + 1) * w // grid].ravel(),
            minlength=bins,
        )
        for i in range(grid)
        for j in range(grid)
    ]
    return np.stack(cells)


def cell_centres(n: int, size: int) -> np.ndarray:
    return ((2 * np.arange(size, dtype=np.int64) + 1) * n) // (2 * size)


def flow_on_grid(flow: np.ndarray, size: int) -> np.ndarray:
    """The flow at the cell centres in 1/16 of a cell (floor)."""
    h, w = flow.shape[:2]
    sampled = flow[cell_centres(h, size)][:, cell_centres(w, size)]
    q = np.floor(sampled * np.float32(FIX)).astype(np.int64)
    np.clip(q, -FLOW_LIMIT, FLOW_LIMIT, out=q)
    out = np.empty_like(q)
    out[..., 0] = (q[..., 0] * size) // w
    out[..., 1] = (q[..., 1] * size) // h
    return out


def _cells(size: int) -> tuple[np.ndarray, np.ndarray]:
    return np.meshgrid(np.arange(size, dtype=np.int64), np.arange(size, dtype=np.int64), indexing="ij")


def compose(displacement: np.ndarray, step: np.ndarray) -> np.ndarray:
    """The step, then the previous displacement at the nearest cell."""
    size = step.shape[0]
    ii, jj = _cells(size)
    si = np.clip((ii * FIX + step[..., 1] + FIX // 2) >> FIX_SHIFT, 0, size - 1)
    sj = np.clip((jj * FIX + step[..., 0] + FIX // 2) >> FIX_SHIFT, 0, size - 1)
    return step + displacement[si, sj]


def predict(key: np.ndarray, displacement: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The keyframe's grid sampled bilinearly (4-bit weights) at cell + displacement; entering cells."""
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
    k = key.astype(np.int64)
    total = int(np.abs(np.diff(k, axis=0)).sum() + np.abs(np.diff(k, axis=1)).sum())
    count = 2 * k.shape[0] * (k.shape[1] - 1)
    return max(total, NOISE_FLOOR * count), count


def occluded(displacement: np.ndarray, entering: np.ndarray) -> np.ndarray:
    """Cell by cell: the displacements of every cell landing on the same nearest keyframe cell."""
    size = displacement.shape[0]
    sources: dict[tuple[int, int], tuple[int, int]] = {}
    for i in range(size):
        for j in range(size):
            if not entering[i, j]:
                dx, dy = int(displacement[i, j, 0]), int(displacement[i, j, 1])
                si = min(max((i * FIX + dy + FIX // 2) >> FIX_SHIFT, 0), size - 1)
                sj = min(max((j * FIX + dx + FIX // 2) >> FIX_SHIFT, 0), size - 1)
                sources[(i, j)] = (si, sj)
    claims: dict[tuple[int, int], list[tuple[int, int]]] = {}
    for (i, j), source in sources.items():
        claims.setdefault(source, []).append((int(displacement[i, j, 0]), int(displacement[i, j, 1])))
    marked = np.zeros((size, size), bool)
    for (i, j), source in sources.items():
        ds = claims[source]
        spread = max(max(d[a] for d in ds) - min(d[a] for d in ds) for a in (0, 1))
        marked[i, j] = spread >= OCCLUSION_SPREAD
    return marked


def prediction_error(
    key: np.ndarray,
    displacement: np.ndarray,
    current: np.ndarray,
    objects: np.ndarray | None,
    object_weight: int,
    occlusion_units: int = 0,
) -> Error:
    """Weighted residual over weighted texture, entering (and occluded) cells at least their units."""
    value, entering = predict(key, displacement)
    tex_sum, tex_count = texture(key)
    error = np.abs(value - current.astype(np.int64)) * tex_count
    error = np.where(entering, np.maximum(error, tex_sum), error)
    occlusions = 0
    if occlusion_units:
        marked = occluded(displacement, entering)
        occlusions = int(marked.sum())
        error = np.where(marked, np.maximum(error, occlusion_units * tex_sum), error)
    weight = np.ones(current.shape, np.int64)
    if objects is not None and object_weight:
        weight += object_weight * objects.astype(np.int64)
    return Error(
        num=int((weight * error).sum()),
        den=int(weight.sum()) * tex_sum,
        entering=int(entering.sum()),
        occluded=occlusions,
    )
