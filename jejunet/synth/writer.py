"""The clip's folder, written atomically: everything goes to a hidden folder beside the target,
which is renamed onto it at the end (a previous synth output there is replaced, nothing else)."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

import numpy as np

from jejunet.errors import UserError
from jejunet.media.atomic import prepare_output_dir
from jejunet.media.folders import AtomicDir
from jejunet.media.palette import encode_label_png
from jejunet.ops.encode import VideoWriter

GENERATOR = "jejunet synth"
VIDEO_OPTIONS = {"preset": "veryfast", "crf": "18"}  # near-transparent: the model sees the photo, not x264


def check_target(out: Path) -> None:
    """Fail before any work when `out` cannot become the clip's folder."""
    if out.exists() and not out.is_dir():
        raise UserError(f"{out}: exists and is not a folder")
    if out.is_dir() and any(out.iterdir()) and not is_synth_output(out):
        raise UserError(
            f"{out}: exists, is not empty and is not a jejunet synth output (refusing to overwrite)"
        )
    prepare_output_dir(out.resolve().parent)


def is_synth_output(folder: Path) -> bool:
    try:
        return json.loads((folder / "meta.json").read_text()).get("generator") == GENERATOR
    except (OSError, ValueError, AttributeError):
        return False


class ClipWriter:
    """Frames go to `video.mp4` and `gt/%06d.png` inside a temporary folder; `commit` publishes it."""

    def __init__(self, out: Path, fps: float) -> None:
        self.out = out
        self.folder = AtomicDir(out, replaceable=None, what="the clip")  # check_target checked it
        self.temp = self.folder.temp
        (self.temp / "gt").mkdir()
        self.video = VideoWriter(self.temp / "video.mp4", fps, "libx264", dict(VIDEO_OPTIONS))
        self.count = 0

    def write(self, image: np.ndarray, labels: np.ndarray) -> None:
        self.video.write(image)
        self.folder.write(f"gt/{self.count:06d}.png", encode_label_png(labels))
        self.count += 1

    def commit(self, meta: dict[str, Any]) -> None:
        self.video.finish()
        self.folder.write("meta.json", (json.dumps(meta, indent=1, allow_nan=False) + "\n").encode())
        self.folder.commit()

    def discard(self) -> None:
        with contextlib.suppress(Exception):
            self.video.discard()
        self.folder.discard()
