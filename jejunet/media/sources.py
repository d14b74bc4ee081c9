"""What a decode source is: the one place that parses a `source` value and knows its frame count.

Kinds, in the order they are recognised:

* `python:NAME` — frames from a Python object attached in this process with `attach(obj)`: an
  iterable of BGR uint8 frames (H×W×3), a callable returning the next frame (None at the end),
  or a capture object with `read() -> (ok, frame)` (cv2.VideoCapture and the like). YAML cannot
  hold a Python object, so the API attaches it and passes the name as the source;
* a camera index (`0`, `"1"`) — live;
* `sample` / `sample:NAME` — a bundled clip (a video file);
* a stream URL (rtsp, rtmp, http(s), udp, tcp) — live;
* a folder or glob of images, a single image file, or a video file (relative to the pipeline's
  folder when not found as given).
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Iterable, Iterator, Sized
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from jejunet.errors import MediaError
from jejunet.media.video import IMAGE_SUFFIXES, Raw, image_files, probe_frame_rate, video_frame_count

STREAM_SCHEMES = ("rtsp://", "rtmp://", "http://", "https://", "udp://", "tcp://")
SAMPLE = "sample"
PYTHON = "python:"

SourceKind = Literal["python", "camera", "stream", "images", "video"]


@dataclass(frozen=True)
class Source:
    """A located source: its kind and what to read (a path, URL, file list, index or object)."""

    kind: SourceKind
    target: Any

    @property
    def live(self) -> bool:
        """A camera or a stream: it paces itself, and what is not read in time is gone."""
        return self.kind in ("camera", "stream")

    def frame_rate(self, fps: float) -> float:
        """Frames per second: a video's own rate, else `fps` (image sequences, Python frames)."""
        if self.kind in ("video", "stream"):
            return probe_frame_rate(self.target)
        return fps

    def frame_count(self) -> int | None:
        """How many frames the source holds, when it is known before reading them."""
        if self.kind == "video":
            return video_frame_count(self.target)
        if self.kind == "images":
            return len(self.target)
        if self.kind == "python" and isinstance(self.target, Sized) and not callable(self.target):
            return len(self.target)
        return None


def emitted_count(total: int | None, start: int, stride: int, max_frames: int | None) -> int | None:
    """Frames emitted from `total` after `start`, every `stride`-th, at most `max_frames`."""
    if total is None:
        return None
    count = max(0, -(-(total - start) // stride))
    return min(count, max_frames) if max_frames is not None else count


# --- Python objects as sources --------------------------------------------------------------------
_attached: dict[str, object] = {}
_counter = itertools.count(1)
_lock = threading.Lock()


def attach(frames: object, name: str | None = None) -> str:
    """Make a Python frame source usable as a decode `source`; returns the value to put there."""
    if not (callable(frames) or callable(getattr(frames, "read", None)) or isinstance(frames, Iterable)):
        raise MediaError(
            f"a Python frame source is an iterable of frames, a callable or an object with read(); "
            f"got {type(frames).__name__}"
        )
    with _lock:
        key = name or f"frames{next(_counter)}"
        _attached[key] = frames
    return PYTHON + key


def detach(source: str) -> None:
    """Forget a source attached with `attach` (by the value `attach` returned)."""
    with _lock:
        _attached.pop(source.removeprefix(PYTHON), None)


def check_frame(frame: Any, index: int, where: str) -> np.ndarray:
    """`frame` if it is an H×W×3 uint8 BGR image; a MediaError saying what it is otherwise."""
    if (
        not isinstance(frame, np.ndarray)
        or frame.dtype != np.uint8
        or frame.ndim != 3
        or frame.shape[2] != 3
        or 0 in frame.shape
    ):
        got = (
            f"{frame.dtype} array of shape {frame.shape}"
            if isinstance(frame, np.ndarray)
            else type(frame).__name__
        )
        raise MediaError(f"{where}: frame {index}: expected an H×W×3 uint8 BGR image, got {got}")
    return frame


def _pulled(read: Callable[[], Any], with_flag: bool) -> Iterator[Any]:
    while True:
        item = read()
        if with_flag:
            ok, item = item
            if not ok:
                return
        if item is None:
            return
        yield item


def python_frames(frames: object, fps: float, where: str) -> Raw:
    """(index / fps, frame, None) of a Python frame source (see the module docstring)."""
    read = getattr(frames, "read", None)
    if callable(read):
        items: Iterable[Any] = _pulled(read, with_flag=True)
    elif callable(frames):
        items = _pulled(frames, with_flag=False)
    else:
        assert isinstance(frames, Iterable)
        items = frames
    for index, frame in enumerate(items):
        yield index / fps, check_frame(frame, index, where), None


# --- parsing ----------------------------------------------------------------------------------
def is_camera(value: object) -> bool:
    return isinstance(value, int) or (isinstance(value, str) and value.isdigit())


def is_live(value: object) -> bool:
    """The source value names a camera or a stream (without looking at the disk)."""
    return is_camera(value) or (isinstance(value, str) and value.startswith(STREAM_SCHEMES))


def _sample(value: str, download: bool) -> Source:
    from jejunet.assets import SAMPLE_CLIPS, resolve

    name = value.partition(":")[2] or "bikes"
    if name not in SAMPLE_CLIPS:
        raise MediaError(f"unknown sample clip '{name}' (samples: {', '.join(SAMPLE_CLIPS)})")
    return Source("video", str(resolve(SAMPLE_CLIPS[name], download=download)))


def _on_disk(value: str, base_dir: Path | None) -> Source:
    candidates = [Path(value)]
    if base_dir is not None and not Path(value).is_absolute():
        candidates.append(base_dir / value)
    for path in candidates:
        if path.is_dir() or any(ch in value for ch in "*?["):
            files = image_files(str(path))
            if files:
                return Source("images", files)
            if path.is_dir():
                raise MediaError(f"{path}: folder holds no image ({', '.join(IMAGE_SUFFIXES)})")
        elif path.is_file():
            if path.stat().st_size == 0:
                raise MediaError(f"{path}: file is empty")
            if path.suffix.lower() in IMAGE_SUFFIXES:
                return Source("images", [path])
            return Source("video", str(path))
    raise MediaError(f"{value}: no such file, folder or matching images")


def locate(value: str | int, base_dir: Path | None = None, download: bool = True) -> Source:
    """The source a decode `source` value names; a MediaError saying why when there is none."""
    if isinstance(value, str) and value.startswith(PYTHON):
        with _lock:
            frames = _attached.get(value.removeprefix(PYTHON))
        if frames is None:
            raise MediaError(
                f"{value}: no Python frame source attached under this name (pass an iterable or "
                "callable of frames to Pipeline.run, or attach it with jejunet.media.sources.attach)"
            )
        return Source("python", frames)
    if is_camera(value):
        return Source("camera", int(value))
    assert isinstance(value, str)
    if value == SAMPLE or value.startswith(SAMPLE + ":"):
        return _sample(value, download)
    if value.startswith(STREAM_SCHEMES):
        return Source("stream", value)
    return _on_disk(value, base_dir)
