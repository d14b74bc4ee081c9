"""How many frames a video has (for chunking and the progress bar), read from the container."""

from __future__ import annotations

import av


def count_frames(source: str) -> int | None:
    """Frames in the video's first stream: the container's count, else its packets; None if unreadable."""
    try:
        with av.open(source, timeout=10.0) as container:
            if not container.streams.video:
                return None
            stream = container.streams.video[0]
            if stream.frames:
                return int(stream.frames)
            return sum(1 for packet in container.demux(stream) if packet.size)
    except (av.FFmpegError, OSError):
        return None


def emitted_frames(total: int, start: int, stride: int, max_frames: int | None) -> int:
    """Frames the decode node emits from a video of `total` frames with these settings."""
    count = max(0, -(-(total - start) // stride))
    return min(count, max_frames) if max_frames else count
