"""Frame readers: video files and streams (FFmpeg via PyAV), image sequences and cameras.

Each reader yields `(timestamp in seconds, BGR uint8 frame, name or None)`; the decode operator
and the tools that need frames (model tools, evaluation, benchmarks) share them.
"""

from __future__ import annotations

import glob
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import av
import cv2
import numpy as np

from jejunet.errors import MediaError

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp")

Raw = Iterator[tuple[float, np.ndarray, str | None]]

#: FFmpeg colour spaces that decode as BT.601: unspecified, bt470bg, smpte170m
BT601 = frozenset({2, 5, 6})
#: FFmpeg colour ranges that mean limited (16–235) luma: unspecified, mpeg
LIMITED = frozenset({0, 1})
OPEN_TIMEOUT_S = 10.0


def reason(exc: BaseException) -> str:
    """The short reason of an OS or FFmpeg error."""
    return getattr(exc, "strerror", None) or str(exc)


def image_files(pattern: str) -> list[Path]:
    """The image files of a folder or a glob pattern, in name order."""
    path = Path(pattern)
    if path.is_dir():
        return sorted(p for p in path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    return sorted(Path(p) for p in glob.glob(pattern) if Path(p).suffix.lower() in IMAGE_SUFFIXES)


def read_image(path: Path) -> np.ndarray:
    """A BGR image file; a MediaError naming it when it cannot be read."""
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise MediaError(f"{path}: cannot read as an image")
    return image


def to_bgr(frame: av.VideoFrame) -> np.ndarray:
    """A decoded frame's BGR pixels.

    8-bit 4:2:0 BT.601 limited range (most H.264, bikes.mp4 included) goes through OpenCV: four
    times faster than swscale and closer to the BT.601 formula (mean error 0.25 against 1.1 grey
    levels, swscale's darker by about one). Anything else: swscale, which reads the frame's tags.
    """
    if (
        frame.format.name == "yuv420p"
        and getattr(frame, "colorspace", None) in BT601  # not exposed: swscale
        and getattr(frame, "color_range", None) in LIMITED
        and frame.width % 2 == 0
        and frame.height % 2 == 0
    ):
        return cv2.cvtColor(frame.to_ndarray(), cv2.COLOR_YUV2BGR_I420)
    return frame.to_ndarray(format="bgr24")


def open_video(
    path: str, timeout: float | tuple[float, float] = OPEN_TIMEOUT_S, options: dict[str, str] | None = None
) -> Any:
    """An open PyAV container with a video stream; a MediaError naming `path` otherwise."""
    try:
        container = av.open(path, timeout=timeout, options=options or {})
    except (av.FFmpegError, OSError) as exc:
        raise MediaError(f"{path}: cannot open as video ({reason(exc)})") from None
    if not container.streams.video:
        container.close()
        raise MediaError(f"{path}: has no video stream")
    return container


def video_frames(path: str) -> Raw:
    """(timestamp in seconds, BGR frame) of every frame of a video file or stream, via FFmpeg."""
    with open_video(path) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        rate = float(stream.average_rate or 25)
        count = 0
        try:
            for frame in container.decode(stream):
                timestamp = frame.time if frame.time is not None else count / rate
                yield float(timestamp), to_bgr(frame), None
                count += 1
        except av.FFmpegError as exc:
            raise MediaError(f"{path}: corrupt video after {count} frames ({reason(exc)})") from None
        if count == 0:
            raise MediaError(f"{path}: no frame could be decoded (empty or truncated video)")
        if stream.frames and count < stream.frames:
            raise MediaError(f"{path}: truncated video: {count} of {stream.frames} frames could be decoded")


def probe_frame_rate(path: str) -> float:
    """The nominal frame rate of a video (25 when the container does not say); checks it opens."""
    with open_video(path) as container:
        return float(container.streams.video[0].average_rate or 25.0)


def video_frame_count(path: str) -> int | None:
    """The number of frames a video file's container declares, or None when it does not say."""
    try:
        with av.open(path) as container:
            total = int(container.streams.video[0].frames or 0)
    except (av.FFmpegError, OSError, IndexError):
        return None
    return total or None


def camera_frames(index: int) -> Raw:
    """(wall-clock seconds since start, BGR frame) from a camera."""
    capture = cv2.VideoCapture(index)
    if not capture.isOpened():
        raise MediaError(f"camera {index}: cannot be opened")
    start = time.monotonic()
    try:
        while True:
            ok, frame = capture.read()
            if not ok:
                return
            yield time.monotonic() - start, frame, None
    finally:
        capture.release()


def sequence_frames(files: list[Path], fps: float) -> Raw:
    """(index / fps, image, file stem) of each image file."""
    for index, path in enumerate(files):
        yield index / fps, read_image(path), path.stem
