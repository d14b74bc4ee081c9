"""Shots of a clip, from the meta.json that `jejunet synth` writes: frame ranges to score apart."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from jejunet.errors import UserError


@dataclass(frozen=True)
class ShotRange:
    """Frames `start` (inclusive) to `end` (exclusive) of the clip, filmed from one photo."""

    shot: int
    start: int
    end: int
    photo: str | None = None


@dataclass(frozen=True)
class ClipFolder:
    """The files of a `jejunet synth` folder, as `--clip DIR` names them."""

    video: Path
    gt: Path
    meta: Path


def clip_folder(clip: Path) -> ClipFolder:
    """The video, ground truth and meta.json of `clip`; UserError when it is no synth folder."""
    if not (clip / "meta.json").is_file():
        raise UserError(f"{clip}: --clip expects a `jejunet synth` folder (video.mp4, gt/, meta.json)")
    return ClipFolder(clip / "video.mp4", clip / "gt", clip / "meta.json")


def load_shots(meta: Path) -> list[ShotRange]:
    """The shots of a meta.json (`shots`: objects with `start`, `end` and optionally `photo`)."""
    try:
        data = json.loads(meta.read_text())
    except OSError as exc:
        raise UserError(f"{meta}: cannot read the clip's meta.json ({exc.strerror})") from None
    except ValueError as exc:
        raise UserError(f"{meta}: not JSON ({exc})") from None
    shots = data.get("shots") if isinstance(data, dict) else None
    if not isinstance(shots, list) or not shots:
        raise UserError(f"{meta}: no 'shots' list (expected the meta.json of `jejunet synth`)")
    out: list[ShotRange] = []
    for i, shot in enumerate(shots):
        try:
            start, end = int(shot["start"]), int(shot["end"])
        except (KeyError, TypeError, ValueError):
            raise UserError(f"{meta}: shots[{i}]: expected whole numbers 'start' and 'end'") from None
        if end <= start or (out and start < out[-1].end):
            raise UserError(f"{meta}: shots[{i}]: frames {start}–{end} are empty or overlap the shot before")
        out.append(ShotRange(int(shot.get("shot", i)), start, end, shot.get("photo")))
    return out


def shot_of(frame: int, shots: list[ShotRange]) -> int | None:
    """Position in `shots` of the shot that holds `frame` (None outside every shot)."""
    for position, shot in enumerate(shots):
        if shot.start <= frame < shot.end:
            return position
    return None
