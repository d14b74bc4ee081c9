"""probs_writer: each frame's class probabilities as a float16 `.npy` (H×W×C), for post-processing.

The folder is written whole or not at all (`AtomicDir`): a failed run leaves nothing at `dir`.
It also holds `class_ids.npy` (the class id of each channel). Frames on which the network did not
run (a keyframe gate passed them over) carry no probabilities and get no file.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any, Literal

import cv2
import numpy as np
from pydantic import Field

from jejunet.kinds import FRAME, PROBS, Probs
from jejunet.media.folders import AtomicDir
from jejunet.ops.base import FrameInfo, Operator, Params, Port, RunContext
from jejunet.ops.label_writer import label_filename
from jejunet.ops.registry import register


class ProbsWriterParams(Params):
    dir: str = Field("out/probs", description="output folder (replaced whole when the run succeeds)")
    naming: Literal["index", "source"] = Field(
        "index", description="index: %06d.npy by frame index; source: the source image's name"
    )


def probs_array(probs: Probs, size: tuple[int, int] | None = None) -> np.ndarray:
    """The probabilities as float16 H×W×C, resized bilinearly to `size` (height, width) if given."""
    data = probs.data
    if size is not None and data.shape[:2] != size:
        data = cv2.resize(data, (size[1], size[0]), interpolation=cv2.INTER_LINEAR).reshape(*size, -1)
    return data.astype(np.float16)


def npy_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()


@register
class ProbsWriter(Operator):
    name = "probs_writer"
    summary = "Write each frame's class probabilities as float16 .npy (H×W×C) and class_ids.npy."
    Params = ProbsWriterParams
    inputs = (
        Port("probs", PROBS, "class probabilities (models that give them)"),
        Port("like", FRAME, "if connected, probabilities are resized (bilinear) to its size", optional=True),
    )
    path_param = "dir"
    path_role = "labels"

    def open(self, ctx: RunContext) -> None:
        self.folder = AtomicDir(Path(self.params.dir), replaceable=(".npy",), what="the probabilities")
        self._class_ids: np.ndarray | None = None

    def process(self, info: FrameInfo, probs: Probs, like: Any = None) -> dict[str, Any]:
        size = like.shape[:2] if like is not None else None
        self.folder.write(
            label_filename(info, self.params.naming, ".npy"), npy_bytes(probs_array(probs, size))
        )
        if self._class_ids is None:
            self._class_ids = np.asarray(probs.class_ids)
            self.folder.write("class_ids.npy", npy_bytes(self._class_ids))
        return {}

    def close(self) -> None:
        self.folder.commit()

    def abort(self) -> None:
        if hasattr(self, "folder"):  # open() may have failed before it
            self.folder.discard()
