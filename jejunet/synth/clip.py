"""A whole clip: shots over the photos (hard cuts between them), objects over each shot, meta.json."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from jejunet import __version__
from jejunet.synth.camera import MOTIONS, CameraPose, camera_path
from jejunet.synth.cutouts import Cutout, pick_cutouts
from jejunet.synth.objects import ObjectTrack, object_track
from jejunet.synth.photos import LabelledPhoto
from jejunet.synth.render import Frame, Layer, Pyramid, render_frame
from jejunet.synth.writer import GENERATOR, ClipWriter


@dataclass(frozen=True)
class SynthSettings:
    size: tuple[int, int] = (640, 360)
    frames_per_shot: int = 60
    fps: float = 25.0
    objects: int = 2
    seed: int = 0
    shots: int | None = None  # default: one per photo
    motion: str = "normal"


@dataclass
class Shot:
    index: int
    start: int
    photo: LabelledPhoto
    camera: list[CameraPose]
    tracks: list[ObjectTrack]


def shot_order(count: int, shots: int, rng: np.random.Generator) -> list[int]:
    """Photo indices for `shots` shots: every photo once per round, never the same twice in a row."""
    order: list[int] = []
    while len(order) < shots:
        round_ = [int(i) for i in rng.permutation(count)]
        if order and count > 1 and round_[0] == order[-1]:
            round_[0], round_[-1] = round_[-1], round_[0]
        order.extend(round_)
    return order[:shots]


def plan_shots(photos: list[LabelledPhoto], settings: SynthSettings) -> list[Shot]:
    """Every shot's photo, camera path and object tracks, from the seed alone."""
    rng = np.random.default_rng(settings.seed)
    motion = MOTIONS[settings.motion]
    count = settings.shots or len(photos)
    cache: dict[str, list[Cutout]] = {}
    shots = []
    for s, p in enumerate(shot_order(len(photos), count, rng)):
        shot_rng = np.random.default_rng([settings.seed, s])
        photo, n = photos[p], settings.frames_per_shot
        camera = camera_path(settings.size, photo.size, n, motion, shot_rng)
        cutouts = pick_cutouts(photos, photo.name, settings.objects, shot_rng, cache)
        depths = shot_rng.permutation(len(cutouts))
        tracks = [
            object_track(c, i, int(depths[i]), settings.size, n, motion, shot_rng)
            for i, c in enumerate(cutouts)
        ]
        shots.append(Shot(s, s * n, photo, camera, tracks))
    return shots


def _r(value: float) -> float:
    return round(float(value), 4)


def _matrix(m: np.ndarray) -> list[list[float]]:
    return [[round(float(v), 6) for v in row] for row in m]


def render_shot(shot: Shot, size: tuple[int, int], emit: Callable[[Frame, dict[str, Any]], None]) -> None:
    """Draw every frame of a shot; `emit` gets the frame and its meta.json record."""
    photo = Pyramid(shot.photo.image)
    back_to_front = sorted(range(len(shot.tracks)), key=lambda i: -shot.tracks[i].depth)
    pyramids = {i: Pyramid(shot.tracks[i].cutout.image) for i in back_to_front}
    for t, pose in enumerate(shot.camera):
        camera = pose.matrix(size)
        layers = [
            Layer(
                pyramids[i],
                shot.tracks[i].cutout.labels,
                shot.tracks[i].poses[t].matrix(shot.tracks[i].cutout),
            )
            for i in back_to_front
        ]
        frame = render_frame(photo, shot.photo.labels, camera, layers, size)
        objects = []
        for layer_index, i in enumerate(back_to_front):
            p = shot.tracks[i].poses[t]
            objects.append(
                {
                    "object": i,
                    "depth": shot.tracks[i].depth,
                    "centre": [_r(p.centre[0]), _r(p.centre[1])],
                    "scale": _r(p.scale),
                    "angle_deg": _r(p.angle_deg),
                    "matrix": _matrix(layers[layer_index].matrix),
                    "pixels_in_frame": frame.in_frame[layer_index],
                    "visible_pixels": frame.visible[layer_index],
                }
            )
        record = {
            "frame": shot.start + t,
            "shot": shot.index,
            "camera": {
                "centre": [_r(pose.centre[0]), _r(pose.centre[1])],
                "zoom": _r(pose.zoom),
                "roll_deg": _r(pose.roll_deg),
                "speed": _r(pose.speed),
                "matrix": _matrix(camera),
            },
            "objects": sorted(objects, key=lambda o: o["object"]),
        }
        emit(frame, record)


def shot_record(shot: Shot, frames: int) -> dict[str, Any]:
    return {
        "shot": shot.index,
        "start": shot.start,
        "end": shot.start + frames,  # exclusive
        "photo": shot.photo.name,
        "photo_file": shot.photo.image_path.name,
        "photo_size": list(shot.photo.size),
        "objects": [
            {
                "object": i,
                "source": t.cutout.source,
                "component": t.cutout.component,
                "box": list(t.cutout.box),
                "classes": t.cutout.classes,
                "depth": t.depth,
                "enters_at": _r(shot.start + t.enter),
                "leaves_at": _r(shot.start + t.leave),
            }
            for i, t in enumerate(shot.tracks)
        ],
    }


def synthesize(
    photos: list[LabelledPhoto],
    out: Path,
    settings: SynthSettings,
    sources: dict[str, str] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """Write OUT/video.mp4, OUT/gt/%06d.png and OUT/meta.json; returns the meta record."""
    shots = plan_shots(photos, settings)
    total = len(shots) * settings.frames_per_shot
    writer = ClipWriter(out, settings.fps)
    records: list[dict[str, Any]] = []
    pixels = np.zeros(256, np.int64)

    def emit(frame: Frame, record: dict[str, Any]) -> None:
        writer.write(frame.image, frame.labels)
        pixels[:] += np.bincount(frame.labels.ravel(), minlength=256)
        records.append(record)
        if progress:
            progress(len(records), total)

    try:
        for shot in shots:
            render_shot(shot, settings.size, emit)
        meta = {
            "generator": GENERATOR,
            "version": __version__,
            "settings": {**asdict(settings), "size": list(settings.size)},
            "sources": sources or {},
            "size": list(settings.size),
            "fps": settings.fps,
            "frames": total,
            "cuts": [s.start for s in shots[1:]],
            "class_pixels": {str(c): int(n) for c, n in enumerate(pixels) if n},
            "shots": [shot_record(s, settings.frames_per_shot) for s in shots],
            "per_frame": records,
        }
        writer.commit(meta)
    except BaseException:
        writer.discard()
        raise
    return meta
