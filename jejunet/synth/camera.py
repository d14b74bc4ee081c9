"""The virtual camera: a smooth pan, zoom and roll over one photo, with slow and fast stretches."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from jejunet.synth.motion import catmull_rom, speed_profile, time_warp


@dataclass(frozen=True)
class Motion:
    """How much the camera and the objects move: one of the `MOTIONS` presets."""

    stops: int  # control points of the camera path per shot
    pan: float  # share of the free range the centre may use (0: fixed, 1: edge to edge)
    zoom: tuple[float, float]  # zoom range, relative to the zoom at which the view just fits the photo
    roll_deg: float  # largest roll either way
    fast: float  # speed of the fast stretches (× the mean)
    object_scale: float  # how much an object's size swings (log amplitude)
    object_spin_deg: float  # how much an object turns


MOTIONS = {
    "calm": Motion(3, 0.4, (1.0, 1.3), 3.0, 1.8, 0.15, 4.0),
    "normal": Motion(4, 0.8, (0.95, 1.7), 8.0, 2.5, 0.3, 10.0),
    "wild": Motion(6, 1.0, (0.9, 2.4), 20.0, 3.5, 0.5, 25.0),
}


@dataclass(frozen=True)
class CameraPose:
    """Where the camera looks: photo pixel at the frame centre, frame px per photo px, roll."""

    centre: tuple[float, float]
    zoom: float
    roll_deg: float
    speed: float  # relative speed of the path at this frame (1 = the shot's mean)

    def matrix(self, frame_size: tuple[int, int]) -> np.ndarray:
        """2×3 affine map from photo pixel coordinates to frame pixel coordinates."""
        return similarity(
            self.centre, self.zoom, self.roll_deg, ((frame_size[0] - 1) / 2, (frame_size[1] - 1) / 2)
        )


def similarity(
    source: tuple[float, float], scale: float, angle_deg: float, target: tuple[float, float]
) -> np.ndarray:
    """2×3 affine: rotate by `angle_deg` and scale about `source`, which lands on `target`."""
    a = np.deg2rad(angle_deg)
    linear = scale * np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    offset = np.asarray(target) - linear @ np.asarray(source)
    return np.hstack([linear, offset[:, None]])


def half_view(frame: tuple[int, int], zoom: float, roll_deg: float) -> tuple[float, float]:
    """Half extent, in photo pixels, of the rolled frame's bounding box."""
    c, s = abs(np.cos(np.deg2rad(roll_deg))), abs(np.sin(np.deg2rad(roll_deg)))
    w, h = frame
    return (w * c + h * s) / (2 * zoom), (w * s + h * c) / (2 * zoom)


def fit_zoom(frame: tuple[int, int], photo: tuple[int, int], roll_deg: float) -> float:
    """The smallest zoom at which the rolled frame lies inside the photo."""
    c, s = abs(np.cos(np.deg2rad(roll_deg))), abs(np.sin(np.deg2rad(roll_deg)))
    w, h = frame
    return max((w * c + h * s) / photo[0], (w * s + h * c) / photo[1])


def clamp_centre(value: float, half: float, length: int) -> float:
    """Keep the view inside the photo along one axis (centred when it is larger than the photo)."""
    low, high = min(half, length / 2), max(length - half, length / 2)
    return float(np.clip(value, low, high))


def camera_path(
    frame: tuple[int, int], photo: tuple[int, int], frames: int, motion: Motion, rng: np.random.Generator
) -> list[CameraPose]:
    """One pose per frame: a spline through random stops, travelled at a varying speed."""
    stops = []
    for _ in range(motion.stops):
        roll = float(rng.uniform(-motion.roll_deg, motion.roll_deg))
        zoom = fit_zoom(frame, photo, roll) * float(np.exp(rng.uniform(*np.log(motion.zoom))))
        hx, hy = half_view(frame, zoom, roll)
        cx = photo[0] / 2 + rng.uniform(-motion.pan, motion.pan) * max(0.0, photo[0] / 2 - hx)
        cy = photo[1] / 2 + rng.uniform(-motion.pan, motion.pan) * max(0.0, photo[1] / 2 - hy)
        stops.append((cx, cy, np.log(zoom), roll))
    speed = speed_profile(frames, rng, fast=motion.fast)
    curve = catmull_rom(np.array(stops), time_warp(speed))
    poses = []
    for (cx, cy, log_zoom, roll), v in zip(curve, speed, strict=True):
        zoom = float(np.exp(log_zoom))
        hx, hy = half_view(frame, zoom, roll)
        centre = (clamp_centre(cx, hx, photo[0]), clamp_centre(cy, hy, photo[1]))
        poses.append(CameraPose(centre, zoom, float(roll), float(v)))
    return poses
