"""The clip's folder, written atomically: everything goes to a hidden folder beside the target,
which is renamed onto it at the end (a previous synth output there is replaced, nothing else)."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from jejunet.errors import UserError
from jejunet.media.atomic import prepare_output_dir
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
        parent = out.resolve().parent
        self.temp = Path(tempfile.mkdtemp(dir=parent, prefix=f".{out.name}.", suffix=".part"))
        (self.temp / "gt").mkdir()
        self.video = VideoWriter(self.temp / "video.mp4", fps, "libx264", dict(VIDEO_OPTIONS))
        self.count = 0

    def write(self, image: np.ndarray, labels: np.ndarray) -> None:
        self.video.write(image)
        (self.temp / "gt" / f"{self.count:06d}.png").write_bytes(encode_label_png(labels))
        self.count += 1

    def commit(self, meta: dict[str, Any]) -> None:
        self.video.finish()
        (self.temp / "meta.json").write_text(json.dumps(meta, indent=1, allow_nan=False) + "\n")
        os.chmod(self.temp, 0o777 & ~_umask())
        old = None
        if self.out.exists():
            old = Path(tempfile.mkdtemp(dir=self.temp.parent, prefix=f".{self.out.name}.", suffix=".old"))
            os.replace(self.out, old / "clip")
        os.replace(self.temp, self.out)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)

    def discard(self) -> None:
        with contextlib.suppress(Exception):
            self.video.discard()
        shutil.rmtree(self.temp, ignore_errors=True)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
