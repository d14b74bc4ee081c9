"""label_writer: one VOC palette PNG per frame (PIL and labelme read the class ids)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import Field

from jejunet.kinds import FRAME, LABELS, Shape
from jejunet.media.atomic import check_output, make_dirs, remove_empty, write_bytes_atomic
from jejunet.media.palette import encode_label_png
from jejunet.ops.base import FrameInfo, Operator, Params, Port, RunContext, ShapeCheck
from jejunet.ops.registry import register
from jejunet.ops.upsample import upsample_labels


class LabelWriterParams(Params):
    dir: str = Field("out/labels", description="output folder")
    naming: Literal["index", "source"] = Field(
        "index", description="index: %06d.png by frame index; source: the source image's name"
    )


def label_filename(info: FrameInfo, naming: str) -> str:
    if naming == "source" and info.name:
        return f"{info.name}.png"
    return f"{info.index:06d}.png"


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

    @classmethod
    def check(cls, params: Params, inputs: Mapping[str, Shape], base_dir: Path | None = None) -> ShapeCheck:
        return ShapeCheck()

    def open(self, ctx: RunContext) -> None:
        self.dir = Path(self.params.dir)
        check_output(self.dir, folder=True)  # the folder itself is made at the first frame
        self.created: list[Path] | None = None

    def process(self, info: FrameInfo, labels: np.ndarray, like: Any = None) -> dict[str, Any]:
        if self.created is None:
            self.created = make_dirs(self.dir)
        if like is not None:
            labels = upsample_labels(labels, *like.shape[:2])
        write_bytes_atomic(self.dir / label_filename(info, self.params.naming), encode_label_png(labels))
        return {}

    def abort(self) -> None:
        """A failed run leaves no empty folder it made (frames already written stay)."""
        if getattr(self, "created", None):
            remove_empty(self.created)
