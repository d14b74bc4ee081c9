"""What the graph costs: deeplab_per_frame.yaml against a plain Python loop doing the same work.

    .venv/bin/python benchmarks/bench_graph_overhead.py [--frames N] [--rounds R]

prints the median ratio (graph fps / loop fps) from A B A B … rounds in one run; under pytest
(`pytest benchmarks --benchmark-only -k overhead`) both are pytest-benchmark benchmarks.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from jejunet.graph.compiler import Overrides, compile_file
from jejunet.graph.scheduler import run_graph
from jejunet.media.video import video_frames
from jejunet.models.registry import resolve_model
from jejunet.models.runtime import decode_output, invoke, load_model, preprocess
from jejunet.ops.base import RunContext
from jejunet.ops.encode import VideoWriter
from jejunet.ops.overlay import draw_legend, overlay_labels
from jejunet.ops.resize import resize_image
from jejunet.ops.upsample import upsample_labels

REPO = Path(__file__).resolve().parents[1]
PIPELINE = REPO / "pipelines" / "deeplab_per_frame.yaml"
CLIP = REPO.parent / "shared" / "media" / "bikes.mp4"


def run_graph_once(frames: int, out: Path) -> float:
    """Frames per second of the pipeline through the graph engine."""
    overrides = Overrides(sets=[f"source.max_frames={frames}"], input=str(CLIP), output=str(out))
    compiled = compile_file(PIPELINE, overrides)
    report = run_graph(compiled, RunContext(pipeline_file=PIPELINE))
    return report.fps


def run_loop_once(frames: int, out: Path) -> float:
    """Frames per second of the same work written as one plain loop."""
    start = time.perf_counter()
    path, entry = resolve_model("deeplabv3_mnv2_voc_256")
    model = load_model(path, entry, num_threads=2)
    writer = VideoWriter(out, 25.0, "libx264", {"preset": "veryfast", "crf": "23"})
    count = 0
    for _, frame, _ in video_frames(str(CLIP)):
        small = resize_image(frame, 256, 256, "stretch", "area")
        labels, _ = decode_output(model, invoke(model, preprocess(model, small)))
        labels = upsample_labels(labels, *frame.shape[:2])
        shown = overlay_labels(frame, labels, 0.5)
        draw_legend(shown, labels)
        writer.write(shown)
        count += 1
        if count >= frames:
            break
    writer.finish()
    return count / (time.perf_counter() - start)


def test_graph(benchmark, tmp_path: Path) -> None:
    benchmark.group = "graph-overhead"
    benchmark.pedantic(run_graph_once, args=(50, tmp_path / "g.mp4"), rounds=3, iterations=1)


def test_plain_loop(benchmark, tmp_path: Path) -> None:
    benchmark.group = "graph-overhead"
    benchmark.pedantic(run_loop_once, args=(50, tmp_path / "l.mp4"), rounds=3, iterations=1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=250)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    graph, loop = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(args.rounds):
            graph.append(run_graph_once(args.frames, Path(tmp) / "g.mp4"))
            loop.append(run_loop_once(args.frames, Path(tmp) / "l.mp4"))
            print(f"round {r + 1}: graph {graph[-1]:.2f} fps, loop {loop[-1]:.2f} fps")
    ratio = statistics.median(g / x for g, x in zip(graph, loop, strict=True))
    print(f"graph / plain loop throughput: median ratio {ratio:.3f} over {args.rounds} rounds")


if __name__ == "__main__":
    main()
