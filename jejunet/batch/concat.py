"""Join MP4 files of one encoder's settings into one, by remuxing packets (no re-encoding)."""

from __future__ import annotations

from pathlib import Path

import av

from jejunet.media.atomic import AtomicPath


def concat_mp4(parts: list[Path], target: Path) -> None:
    """Write the video streams of `parts`, one after the other, to `target` (atomically)."""
    out = AtomicPath(target, suffix=".mp4.part")
    try:
        with av.open(str(out.temp), mode="w", format="mp4") as output:
            stream = None
            offset = 0
            for part in parts:
                with av.open(str(part)) as source:
                    src = source.streams.video[0]
                    if stream is None:
                        stream = output.add_stream_from_template(src)
                    end = offset
                    for packet in source.demux(src):
                        if packet.dts is None:
                            continue
                        packet.pts = (packet.pts or 0) + offset
                        packet.dts += offset
                        end = max(end, packet.pts + (packet.duration or 0))
                        packet.stream = stream
                        output.mux(packet)
                    offset = end
        out.commit()
    except BaseException:
        out.discard()
        raise
