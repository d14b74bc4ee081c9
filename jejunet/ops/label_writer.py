"""label_writer: one VOC palette PNG per frame (PIL and labelme read the class ids).

The folder is written whole or not at all (`AtomicDir`): the PNGs go to a hidden folder beside
`dir`, renamed onto it when the run succeeds (replacing a previous run's PNGs, never a folder
holding other files); a failed run leaves nothing at `dir`, nor any parent folder it made.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import Field

from jejunet.errors import MediaError
from jejunet.kinds import FRAME, LABELS, Shape
from jejunet.media.atomic import check_output, plain_reason
from jejunet.media.folders import AtomicDir
from jejunet.media.palette import encode_label_png
from jejunet.ops.base import FrameInfo, Operator, Params, Port, RunContext, ShapeCheck
from jejunet.ops.registry import register
from jejunet.ops.upsample import upsample_labels


class LabelWriterParams(Params):
    dir: str = Field("out/labels", description="output folder (replaced whole when the run succeeds)")
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
        target = Path(self.params.dir)
        check_output(target, folder=True)
        self.folder = AtomicDir(target, replaceable=(".png",))

    def process(self, info: FrameInfo, labels: np.ndarray, like: Any = None) -> dict[str, Any]:
        if like is not None:
            labels = upsample_labels(labels, *like.shape[:2])
        path = self.folder.temp / label_filename(info, self.params.naming)
        try:
            path.write_bytes(encode_label_png(labels))
        except OSError as exc:
            raise MediaError(f"{self.folder.target}: cannot write the labels ({plain_reason(exc)})") from None
        return {}

    def close(self) -> None:
        try:
            self.folder.commit()
        except OSError as exc:
            self.abort()
            raise MediaError(f"{self.folder.target}: cannot write the labels ({plain_reason(exc)})") from None

    def abort(self) -> None:
        if hasattr(self, "folder"):
            self.folder.discard()
