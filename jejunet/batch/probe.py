"""How many frames a video has (for chunking and the progress bar), before running it."""

from __future__ import annotations

import av

from jejunet.media.video import video_frame_count


def count_frames(source: str) -> int | None:
    """Frames of the video (file or URL): what its container declares, else its packets counted."""
    declared = video_frame_count(source)
    if declared:
        return declared
    try:
        with av.open(source, timeout=10.0) as container:
            if not container.streams.video:
                return None
            stream = container.streams.video[0]
            return sum(1 for packet in container.demux(stream) if packet.size) or None
    except (av.FFmpegError, OSError):
        return None
