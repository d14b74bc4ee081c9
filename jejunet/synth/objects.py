"""Object paths: each cut-out crosses the frame on its own path, changing size, with a depth order."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from jejunet.synth.camera import Motion, similarity
from jejunet.synth.cutouts import Cutout
from jejunet.synth.motion import speed_profile, time_warp

MAX_UPSCALE = 2.5  # a small cut-out is not blown up into a blur


@dataclass(frozen=True)
class ObjectPose:
    """Where an object is in the frame: its box centre, scale (frame px per photo px), angle."""

    centre: tuple[float, float]
    scale: float
    angle_deg: float

    def matrix(self, cutout: Cutout) -> np.ndarray:
        """2×3 affine map from the cut-out's pixel coordinates to frame pixel coordinates."""
        w, h = cutout.size
        return similarity(((w - 1) / 2, (h - 1) / 2), self.scale, self.angle_deg, self.centre)


@dataclass
class ObjectTrack:
    """One object in one shot: its cut-out, depth (0 = in front) and a pose per frame."""

    cutout: Cutout
    depth: int
    enter: float  # frame at which it starts to cross (may be before the shot starts)
    leave: float  # frame at which it has left (may be after the shot ends)
    poses: list[ObjectPose]


def _exit_distance(point: np.ndarray, direction: np.ndarray, frame: tuple[int, int]) -> float:
    """How far from `point` (inside the frame) along `direction` the frame's border is."""
    limits = []
    for axis, length in enumerate(frame):
        d = direction[axis]
        if abs(d) > 1e-9:
            limits.append(((length - 1) - point[axis]) / d if d > 0 else -point[axis] / d)
    return min(limits)


def object_track(
    cutout: Cutout,
    index: int,
    depth: int,
    frame: tuple[int, int],
    frames: int,
    motion: Motion,
    rng: np.random.Generator,
) -> ObjectTrack:
    """A path that enters the frame from one side and leaves by another (odd objects go the other way)."""
    w, h = cutout.size
    base = min(rng.uniform(0.3, 0.65) * frame[1] / h, 0.7 * frame[0] / w, MAX_UPSCALE)
    heading = rng.uniform(-0.6, 0.6) + (np.pi if (index + int(rng.integers(2))) % 2 else 0.0)
    direction = np.array([np.cos(heading), np.sin(heading)])
    middle = np.array(frame) / 2 + rng.uniform(-0.2, 0.2, size=2) * np.array(frame)
    ramp, swing, phase = rng.uniform(-1, 1), rng.uniform(0.5, 1.5), rng.uniform(0, 2 * np.pi)
    top = base * np.exp(abs(ramp) * motion.object_scale + motion.object_scale)
    reach = 0.5 * np.hypot(w, h) * top + 2  # off the frame by more than the object's half diagonal
    start = middle - direction * (_exit_distance(middle, -direction, frame) + reach)
    end = middle + direction * (_exit_distance(middle, direction, frame) + reach)
    enter = rng.uniform(-0.25, 0.3) * (frames - 1)
    leave = rng.uniform(0.7, 1.25) * (frames - 1)
    warp = time_warp(speed_profile(64, rng, fast=motion.fast))
    spin0, wobble = rng.uniform(-1, 1) * motion.object_spin_deg, rng.uniform(-0.05, 0.05) * frame[1]
    normal = np.array([-direction[1], direction[0]])
    poses = []
    for t in range(frames):
        g = float(
            np.interp(np.clip((t - enter) / max(leave - enter, 1.0), 0, 1), np.linspace(0, 1, 64), warp)
        )
        centre = start + (end - start) * g + normal * wobble * np.sin(np.pi * g * 2)
        log_scale = motion.object_scale * (ramp * (g - 0.5) * 2 + np.sin(2 * np.pi * swing * g + phase))
        angle = spin0 + motion.object_spin_deg * np.sin(2 * np.pi * g + phase)
        poses.append(
            ObjectPose((float(centre[0]), float(centre[1])), float(base * np.exp(log_scale)), float(angle))
        )
    return ObjectTrack(cutout, depth, float(enter), float(leave), poses)
