"""Smooth curves for the virtual camera and the objects: splines, speed profiles with slow and fast
stretches, and the time warp they give."""

from __future__ import annotations

import numpy as np


def catmull_rom(points: np.ndarray, u: np.ndarray) -> np.ndarray:
    """A C¹ curve through `points` (K×D, K ≥ 2) at parameters `u` in [0, 1] (N,) → N×D."""
    k = len(points)
    padded = np.concatenate([points[:1] * 2 - points[1:2], points, points[-1:] * 2 - points[-2:-1]])
    s = np.clip(u, 0.0, 1.0) * (k - 1)
    i = np.minimum(s.astype(int), k - 2)
    t = (s - i)[:, None]
    p0, p1, p2, p3 = padded[i], padded[i + 1], padded[i + 2], padded[i + 3]
    return 0.5 * (
        2 * p1 + (p2 - p0) * t + (2 * p0 - 5 * p1 + 4 * p2 - p3) * t**2 + (3 * p1 - p0 - 3 * p2 + p3) * t**3
    )


def speed_profile(n: int, rng: np.random.Generator, slow: float = 0.25, fast: float = 2.5) -> np.ndarray:
    """Relative speed over `n` steps (mean 1): 2–4 stretches, alternately slow and fast, smoothed."""
    stretches = int(rng.integers(2, 5))
    cuts = (
        np.sort(rng.choice(np.arange(1, n), size=min(stretches - 1, n - 1), replace=False)) if n > 1 else []
    )
    starts_slow = bool(rng.integers(2))
    speed = np.empty(n)
    for j, part in enumerate(np.split(np.arange(n), cuts)):
        low = (j % 2 == 0) == starts_slow
        speed[part] = rng.uniform(slow, 2 * slow) if low else rng.uniform(0.6 * fast, fast)
    sigma = max(1.0, n / 16)
    radius = int(3 * sigma)
    kernel = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2)
    smooth = np.convolve(np.pad(speed, radius, mode="edge"), kernel / kernel.sum(), mode="valid")
    return smooth / smooth.mean()


def time_warp(speed: np.ndarray) -> np.ndarray:
    """Progress in [0, 1] per step (0 at the first, 1 at the last) moving at `speed`."""
    if len(speed) < 2:
        return np.zeros(len(speed))
    travelled = np.concatenate([[0.0], np.cumsum((speed[:-1] + speed[1:]) / 2)])
    return travelled / travelled[-1]
