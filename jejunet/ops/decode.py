"""decode: frames from a video file or stream, an image folder or glob, a camera, or Python frames.

The sources themselves (what a `source` value names, their frame counts, the readers) live in
`jejunet.media`; this operator reads one, applies start / stride / max_frames, and in realtime
mode reads a live source on its own thread keeping only the newest frame.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from pydantic import Field

from jejunet.errors import MediaError
from jejunet.kinds import FRAME
from jejunet.media.live import (
    Captured,
    LatestFrame,
    LiveStats,
    ReconnectPolicy,
    connect,
    stream_frames,
    stream_rate,
)
from jejunet.media.sources import SAMPLE, Source, locate, python_frames
from jejunet.media.video import (  # noqa: F401 - the readers' former home, still imported from here
    IMAGE_SUFFIXES,
    Raw,
    camera_frames,
    image_files,
    probe_frame_rate,
    read_image,
    sequence_frames,
    to_bgr,
    video_frames,
)
from jejunet.ops.base import FrameInfo, Operator, Params, Port, RunContext
from jejunet.ops.registry import register

#: `RunContext.extras` key of a threading.Event: once set, the source ends its stream at the next
#: frame, so the graph drains and its sinks commit (how the Python API stops a run early)
STOP = "decode.stop"

SOURCE_HELP = (
    "video file or stream URL (rtsp/rtmp/http(s)/udp/tcp), image folder, glob (frames/*.jpg), "
    "camera index, 'sample' (the bundled clip, bikes) or 'sample:NAME' (bikes, carphone, "
    "bigbuckbunny), or 'python:NAME': frames from Python (an iterable of BGR uint8 H×W×3 frames, "
    "a callable returning the next frame or None, or an object with read() -> (ok, frame)), which "
    "jejunet.load(...).run(frames) attaches (YAML cannot hold a Python object)"
)


class DecodeParams(Params):
    source: str | int = Field(SAMPLE, description=SOURCE_HELP)
    start: int = Field(0, ge=0, description="first frame to emit")
    stride: int = Field(1, ge=1, description="emit every stride-th frame")
    max_frames: int | None = Field(None, ge=1, description="stop after this many frames")
    fps: float = Field(25.0, gt=0, description="frame rate assumed for image sequences and Python frames")
    reconnect: bool = Field(
        False,
        description="stream URLs: when the stream drops or ends, open it again (backoff 0.1 s doubling "
        "to 1 s); the first frame after the gap is a keyframe; report: reconnects, gap_frames",
    )
    reconnect_max_s: float = Field(
        30.0,
        gt=0,
        description="with reconnect: give up after this long without a frame (the run then ends "
        "normally; a stream never reached is an error)",
    )


def _captured(raw: Raw) -> Iterator[Captured]:
    for timestamp, image, name in raw:
        yield Captured(timestamp, image, name)


@register
class Decode(Operator):
    name = "decode"
    summary = (
        "Frames from a video file or stream (reconnecting if asked), an image folder or glob, "
        "a camera, or Python frames (source python:NAME)."
    )
    Params = DecodeParams
    outputs = (Port("image", FRAME, "decoded frame, BGR"),)
    is_source = True
    path_param = "source"
    path_role = "source"

    def open(self, ctx: RunContext) -> None:
        base = ctx.pipeline_file.parent if ctx.pipeline_file is not None else None
        self._source: Source = locate(self.params.source, base)
        self._realtime = ctx.realtime
        self.stats = LiveStats()
        self._reader: LatestFrame | None = None
        self._first: Any | None = None
        self._stop = ctx.extras.get(STOP)
        if self._source.kind == "stream":
            rate = self._connect(self.params.fps)
        else:
            rate = self._source.frame_rate(self.params.fps)
        ctx.fps = rate / self.params.stride

    def run_info(self) -> dict[str, Any]:
        """Reconnects and gaps of a live source; a file run reports nothing extra."""
        return self.stats.to_dict() if self._source.live else {}

    def _connect(self, default: float) -> float:
        """Open a stream now (its first connection is read first) and return its frame rate.

        With reconnect, a stream that is not up yet may still come: the run waits for it.
        """
        try:
            self._first = connect(self._source.target)
        except MediaError:
            if not self.params.reconnect:
                raise
            return default
        return stream_rate(self._first)

    def _reading(self) -> Callable[[Callable[[], bool]], Iterator[Captured]]:
        source, p = self._source, self.params
        if source.kind == "stream":
            policy = ReconnectPolicy(p.reconnect, p.reconnect_max_s)
            first, self._first = self._first, None
            return lambda stopped: stream_frames(source.target, policy, self.stats, stopped, first)
        if source.kind == "camera":
            return lambda stopped: _captured(camera_frames(source.target))
        if source.kind == "images":
            return lambda stopped: _captured(sequence_frames(source.target, p.fps))
        if source.kind == "python":
            return lambda stopped: _captured(python_frames(source.target, p.fps, f"source {p.source}"))
        return lambda stopped: _captured(video_frames(source.target))

    def _captures(self) -> Iterator[Captured]:
        reading = self._reading()
        if not (self._source.live and self._realtime):
            yield from reading(lambda: False)
            return
        self._reader = LatestFrame(reading, self.stats)
        try:
            yield from self._reader
        finally:
            self._reader.close()

    def frames(self) -> Iterator[tuple[FrameInfo, dict[str, Any]]]:
        p = self.params
        emitted = 0
        gap = False  # a gap inside frames left out by start / stride moves to the next emitted one
        for position, item in enumerate(self._captures()):
            if self._stop is not None and self._stop.is_set():
                return
            gap = gap or item.gap
            if position < p.start or (position - p.start) % p.stride:
                continue
            captured = item.captured if self._source.live else None  # a file's frames wait for no one
            info = FrameInfo(emitted, item.timestamp, item.name, gap=gap, captured=captured)
            yield info, {"image": item.image}
            emitted, gap = emitted + 1, False
            if p.max_frames is not None and emitted >= p.max_frames:
                return

    def close(self) -> None:
        if self._reader is not None:
            self._reader.close()
        if self._first is not None:  # opened, never read
            self._first.close()
            self._first = None
