"""`jejunet batch`: the local engine against Ray with N workers on the same batch of clips (one run).

    .venv/bin/python benchmarks/bench_batch.py [--clips 8] [--frames 100] [--workers 2]
        [--pipeline pipelines/deeplab_keyframe.yaml] [--json OUT]

The clips are cut from ../shared/media/bikes.mp4 (640×272, each from a different part of it) into a
temporary folder; the shipped pipeline runs with its default settings and the default (threaded)
executor, as `jejunet batch` runs it. The local engine runs first, then Ray (a local instance on
this machine's cores, started by the batch as a user's run starts it). The ratio is local wall time
over Ray's, with and without Ray's start (instance and actors); per-video and per-frame costs are
the local engine's (for the estimate in docs/batch.md). Under pytest-benchmark
(`pytest benchmarks --benchmark-only -k batch`) a two-clip local batch is timed.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import av

from jejunet.batch.driver import BatchOptions, run_batch

REPO = Path(__file__).resolve().parents[1]
CLIP = REPO.parent / "shared" / "media" / "bikes.mp4"
PIPELINE = REPO / "pipelines" / "deeplab_keyframe.yaml"


def make_clips(folder: Path, count: int, frames: int, clip: Path = CLIP) -> list[Path]:
    """`count` clips of `frames` frames from evenly spread parts of `clip` (H.264, its own size)."""
    with av.open(str(clip)) as container:
        images = [f.to_ndarray(format="bgr24") for f in container.decode(video=0)]
    step = max(1, (len(images) - frames) // max(count - 1, 1))
    paths = []
    for k in range(count):
        first = min(k * step, len(images) - frames)
        path = folder / f"clip{k:02d}.mp4"
        with av.open(str(path), mode="w") as out:
            stream = out.add_stream("libx264", rate=25)
            stream.width, stream.height = images[0].shape[1], images[0].shape[0]
            stream.pix_fmt = "yuv420p"
            for image in images[first : first + frames]:
                for packet in stream.encode(av.VideoFrame.from_ndarray(image, format="bgr24")):
                    out.mux(packet)
            for packet in stream.encode():
                out.mux(packet)
        paths.append(path)
    return paths


def run(engine: str, clips: list[Path], out: Path, workers: int | None, pipeline: Path) -> dict[str, Any]:
    opts = BatchOptions(pipeline, [str(c) for c in clips], out, engine=engine, workers=workers, quiet=True)
    began = time.perf_counter()
    code, summary = run_batch(opts)
    wall = time.perf_counter() - began
    if code != 0:
        raise SystemExit(f"{engine} batch failed: {[r['error'] for r in summary['videos'] if r['error']]}")
    start = summary["totals"]["engine_start_s"]
    return {
        "engine": engine,
        "workers": summary["workers"],
        "wall_s": round(wall, 3),
        "engine_start_s": start,
        "wall_without_start_s": round(wall - start, 3),
        "frames": summary["totals"]["frames"],
        "video_wall_s": [r["wall_s"] for r in summary["videos"]],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clips", type=int, default=8)
    parser.add_argument("--frames", type=int, default=100)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--pipeline", type=Path, default=PIPELINE)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    if not CLIP.is_file():
        print(f"{CLIP} is not available (the benchmark reads media from ../shared)", file=sys.stderr)
        return 2
    os.environ.setdefault("RAY_AUTH_MODE", "disabled")
    with tempfile.TemporaryDirectory(prefix="jejunet-bench-batch-") as tmp:
        clips = make_clips(Path(tmp), args.clips, args.frames)
        local = run("local", clips, Path(tmp) / "local", None, args.pipeline)
        ray = run("ray", clips, Path(tmp) / "ray", args.workers, args.pipeline)
    videos = sorted(local["video_wall_s"])
    per_video = videos[len(videos) // 2]
    result = {
        "clips": args.clips,
        "frames_per_clip": args.frames,
        "pipeline": str(
            args.pipeline.relative_to(REPO) if args.pipeline.is_relative_to(REPO) else args.pipeline
        ),
        "cpus": os.cpu_count(),
        "local": local,
        "ray": ray,
        "ratio_local_over_ray": round(local["wall_s"] / ray["wall_s"], 3),
        "ratio_local_over_ray_without_start": round(local["wall_s"] / ray["wall_without_start_s"], 3),
        "local_median_video_s": per_video,
        "local_per_frame_ms": round(1000 * local["wall_s"] / local["frames"], 2),
    }
    print(json.dumps(result, indent=2))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    return 0


def test_batch_local(benchmark, tmp_path: Path) -> None:
    if not CLIP.is_file():
        import pytest

        pytest.skip(f"{CLIP} is not available")
    benchmark.group = "batch"
    clips = make_clips(tmp_path, 2, 10)
    rounds = iter(range(1000))
    benchmark.pedantic(
        lambda: run("local", clips, tmp_path / f"out{next(rounds)}", None, PIPELINE), rounds=2, iterations=1
    )


if __name__ == "__main__":
    sys.exit(main())
