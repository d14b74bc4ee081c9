"""label_writer: one VOC palette PNG per frame (PIL and labelme read the class ids).

The folder is written whole or not at all (`AtomicDir`): the PNGs go to a hidden folder beside
`dir`, renamed onto it when the run succeeds (replacing a previous run's PNGs, never a folder
holding other files); a failed run leaves nothing at `dir`, nor any parent folder it made.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import Field

from jejunet.kinds import FRAME, LABELS
from jejunet.media.folders import AtomicDir
from jejunet.media.palette import encode_label_png
from jejunet.ops.base import FrameInfo, Operator, Params, Port, RunContext
from jejunet.ops.registry import register
from jejunet.ops.upsample import upsample_labels


class LabelWriterParams(Params):
    dir: str = Field("out/labels", description="output folder (replaced whole when the run succeeds)")
    naming: Literal["index", "source"] = Field(
        "index", description="index: %06d.png by frame index; source: the source image's name"
    )


def label_filename(info: FrameInfo, naming: str, suffix: str = ".png") -> str:
    """The frame's file name: its index (%06d) or, with naming `source`, the source image's name."""
    if naming == "source" and info.name:
        return f"{info.name}{suffix}"
    return f"{info.index:06d}{suffix}"


@register
class LabelWriter(Operator):
    name = "label_writer"
    summary = "Write each frame's label map as a VOC palette PNG (at the frame's size if `like`)."
    Params = LabelWriterParams
    inputs = (
        Port("labels", LABELS),
        Port("like", FRAME, "if connected, labels are resized (nearest) to its size", optional=True),
    )
    path_param = "dir"
    path_role = "labels"

    def open(self, ctx: RunContext) -> None:
        self.folder = AtomicDir(Path(self.params.dir), replaceable=(".png",), what="the labels")

    def process(self, info: FrameInfo, labels: np.ndarray, like: Any = None) -> dict[str, Any]:
        if like is not None:
            labels = upsample_labels(labels, *like.shape[:2])
        self.folder.write(label_filename(info, self.params.naming), encode_label_png(labels))
        return {}

    def close(self) -> None:
        self.folder.commit()

    def abort(self) -> None:
        if hasattr(self, "folder"):
            self.folder.discard()
