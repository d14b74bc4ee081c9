"""Soak: 20,000 frames in realtime mode with a deliberately slow sink.

Resident memory must grow by less than 64 MB, queues stay within their sizes, drops are counted
and latency does not grow over the run. The clip is bikes.mp4 (halved, so decoding stays cheap)
looped 80 times by remuxing its packets; the pipeline is selfie_per_frame.yaml with its encoder
replaced by a sink that takes 20 ms a frame.
"""

from __future__ import annotations

import statistics
from pathlib import Path

import av
import numpy as np
import pytest

from jejunet.graph.compiler import compile_data
from jejunet.graph.loader import load_yaml
from jejunet.graph.report import RunReport
from jejunet.graph.threaded import run_threaded
from jejunet.media.video import video_frames
from tests.conftest import PIPELINES

FRAMES = 20_000
SINK_MS = 20.0
STATUS = Path("/proc/self/status")


def rss_mb() -> float:
    for line in STATUS.read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS in /proc/self/status")


def long_clip(bikes: Path, folder: Path, frames: int) -> Path:
    """bikes.mp4 at half size, its packets repeated until `frames` frames (no re-encoding per loop)."""
    half = folder / "half.mp4"
    with av.open(str(half), "w", format="mp4") as out:
        stream = out.add_stream("libx264", rate=25, options={"preset": "ultrafast", "g": "25"})
        stream.width, stream.height, stream.pix_fmt = 320, 136, "yuv420p"
        for _, image, _ in video_frames(str(bikes)):
            small = np.ascontiguousarray(image[::2, ::2])
            for packet in stream.encode(av.VideoFrame.from_ndarray(small, format="bgr24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    with av.open(str(half)) as inp:
        packets = [p for p in inp.demux(inp.streams.video[0]) if p.size]
    step = max(p.pts for p in packets) - min(p.pts for p in packets) + (packets[1].pts - packets[0].pts or 1)
    target = folder / "long.mp4"
    with av.open(str(half)) as inp, av.open(str(target), "w", format="mp4") as out:
        template = inp.streams.video[0]
        stream = out.add_stream_from_template(template)
        for k in range(-(-frames // len(packets))):
            for p in packets:
                q = av.Packet(bytes(p))
                q.pts, q.dts = p.pts + k * step, p.dts + k * step
                q.is_keyframe, q.time_base, q.stream = p.is_keyframe, template.time_base, stream
                out.mux(q)
    return target


@pytest.mark.slow
@pytest.mark.skipif(not STATUS.exists(), reason="reads resident memory from /proc")
def test_soak_realtime_slow_sink(bikes: Path, selfie_model: Path, tmp_path: Path) -> None:
    data, _ = load_yaml(PIPELINES / "selfie_per_frame.yaml")
    data["mode"] = "realtime"
    nodes = [n for n in data["nodes"] if n["id"] != "sink"]
    nodes[0]["params"] = {"source": str(long_clip(bikes, tmp_path, FRAMES)), "max_frames": FRAMES}
    nodes.append(
        {
            "id": "sink",
            "op": "xtest_record",
            "params": {"key": "soak", "ms": SINK_MS, "keep": False},
            "inputs": {"image": "overlay.image"},
        }
    )
    import tests.fakes  # noqa: F401 - registers xtest_record

    compiled = compile_data({**data, "nodes": nodes}, {}, PIPELINES / "selfie_per_frame.yaml")
    samples: list[tuple[int, float, int]] = []  # (source frames, RSS MB, deepest queue now)

    def sample(report: RunReport) -> None:
        samples.append((report.source_frames, rss_mb(), max(e.max_depth for e in report.edges.values())))

    report = run_threaded(compiled, progress=sample, progress_interval=0.5)

    assert report.source_frames == FRAMES
    assert report.frames + report.dropped == FRAMES
    assert report.dropped > FRAMES // 2  # the sink takes at most 50 frames a second
    assert report.frames >= 100
    dropped_on_edges = sum(e.dropped for e in report.edges.values())
    assert dropped_on_edges >= report.dropped
    assert all(e.max_depth <= e.size for e in report.edges.values())
    # memory: after the first 2,000 frames (models loaded, buffers warm), growth under 64 MB
    after_warmup = [rss for frames, rss, _ in samples if frames >= 2000]
    assert len(after_warmup) >= 5
    growth = max(after_warmup) - after_warmup[0]
    assert growth < 64, f"resident memory grew by {growth:.1f} MB"
    # latency: bounded, and no worse at the end than at the start
    latencies = report.latencies_s
    early, late = latencies[: len(latencies) // 4], latencies[-len(latencies) // 4 :]
    assert max(late) < 2.0, f"latency reached {max(late):.2f} s"
    assert statistics.median(late) < 2 * statistics.median(early) + 0.1
