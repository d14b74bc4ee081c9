"""encode: an H.264 MP4 that browsers play, written atomically (temporary file, then rename)."""

from __future__ import annotations

import contextlib
from fractions import Fraction
from pathlib import Path
from typing import Any, Literal

import av
import cv2
import numpy as np
from pydantic import Field

from jejunet.errors import MediaError
from jejunet.kinds import FRAME
from jejunet.media.atomic import AtomicPath, check_output, plain_reason
from jejunet.ops.base import FrameInfo, Operator, Params, Port, RunContext
from jejunet.ops.registry import register

CODECS = {"h264": "libx264", "mpeg4": "mpeg4"}


class EncodeParams(Params):
    path: str = Field("out/overlay.mp4", description="output .mp4 file")
    fps: float | None = Field(None, gt=0, description="frame rate (default: the source's)")
    codec: Literal["h264", "mpeg4"] = Field("h264", description="h264 plays in every browser")
    crf: int = Field(23, ge=0, le=51, description="quality (lower is better, h264 only)")
    preset: Literal["ultrafast", "superfast", "veryfast", "faster", "fast", "medium"] = Field(
        "veryfast", description="x264 speed/size trade-off"
    )


class VideoWriter:
    """Writes BGR frames to an MP4 at a temporary path; `finish` renames it onto the target.

    The path is checked at once; the temporary file (and any folder for it) is made at the first
    frame, so a run that fails before it leaves nothing behind. Failures name the target.
    """

    def __init__(self, target: Path, fps: float, codec: str, options: dict[str, str]) -> None:
        check_output(target)
        self.target = target
        self.out: AtomicPath | None = None
        self.fps, self.codec, self.options = fps, codec, options
        self.container: Any = None
        self.stream: Any = None
        self.count = 0

    def _start(self, height: int, width: int) -> None:
        self.out = AtomicPath(self.target, suffix=".mp4.part")
        self.container = av.open(str(self.out.temp), mode="w", format="mp4")
        rate = Fraction(self.fps).limit_denominator(1001)
        self.stream = self.container.add_stream(self.codec, rate=rate)
        self.stream.width, self.stream.height = width + width % 2, height + height % 2
        self.stream.pix_fmt = "yuv420p"
        self.stream.options = self.options

    def _failed(self, exc: BaseException) -> MediaError:
        self.discard()
        return MediaError(f"{self.target}: cannot write the video ({plain_reason(exc)})")

    def write(self, image: np.ndarray) -> None:
        try:
            self._write(image)
        except (av.FFmpegError, OSError) as exc:
            raise self._failed(exc) from None

    def _write(self, image: np.ndarray) -> None:
        if self.stream is None:
            self._start(*image.shape[:2])
        if image.shape[0] % 2 or image.shape[1] % 2:  # yuv420p needs even sizes
            image = np.pad(image, ((0, image.shape[0] % 2), (0, image.shape[1] % 2), (0, 0)), "edge")
        # OpenCV's BGR → I420 (BT.601, limited range, as swscale's default) is faster than the
        # encoder's own conversion and rounds better (44.6 against 41.2 dB PSNR round trip, lossless)
        yuv = cv2.cvtColor(np.ascontiguousarray(image), cv2.COLOR_BGR2YUV_I420)
        frame = av.VideoFrame.from_ndarray(yuv, format="yuv420p")
        frame.pts = self.count
        self.count += 1
        for packet in self.stream.encode(frame):
            self.container.mux(packet)

    def finish(self) -> None:
        if self.container is None or self.out is None:
            self.discard()
            raise MediaError(f"{self.target}: no frame to encode, nothing written")
        try:
            for packet in self.stream.encode():
                self.container.mux(packet)
            self.container.close()
        except (av.FFmpegError, OSError) as exc:
            raise self._failed(exc) from None
        self.out.commit()

    def discard(self) -> None:
        if self.container is not None:
            with contextlib.suppress(av.FFmpegError, OSError):
                self.container.close()
            self.container = None
        if self.out is not None:
            self.out.discard()


@register
class Encode(Operator):
    name = "encode"
    summary = "Write frames to an H.264 MP4 (atomic: a failed run leaves no file at the path)."
    Params = EncodeParams
    inputs = (Port("image", FRAME),)
    path_param = "path"
    path_role = "video"

    def open(self, ctx: RunContext) -> None:
        p = self.params
        options = {"preset": p.preset, "crf": str(p.crf)} if p.codec == "h264" else {}
        fps = p.fps or ctx.fps or 25.0
        self.writer = VideoWriter(Path(p.path), fps, CODECS[p.codec], options)

    def process(self, info: FrameInfo, image: np.ndarray) -> dict[str, Any]:
        self.writer.write(image)
        return {}

    def close(self) -> None:
        self.writer.finish()

    def abort(self) -> None:
        if hasattr(self, "writer"):
            self.writer.discard()
