"""Keyframe pipeline against per-frame pipeline: same model, same I/O, alternating in one run.

    .venv/bin/python benchmarks/bench_keyframe.py [--model deeplab|selfie] [--executor sequential|threaded]
        [--input PATH] [--rounds R]

prints each round's fps and the median throughput ratio. Under pytest-benchmark
(`pytest benchmarks --benchmark-only -k keyframe`) both are benchmarks in one group.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from pathlib import Path

from jejunet.graph.compiler import Overrides, compile_file
from jejunet.graph.scheduler import run_graph
from jejunet.graph.threaded import run_threaded
from jejunet.ops.base import RunContext

REPO = Path(__file__).resolve().parents[1]
CLIP = REPO.parent / "shared" / "media" / "bikes.mp4"


def run_once(pipeline: Path, out: Path, source: str, executor: str, frames: int | None = None) -> dict:
    sets = [f"source.max_frames={frames}"] if frames else []
    compiled = compile_file(pipeline, Overrides(sets=sets, input=source, output=str(out)))
    run = run_threaded if executor == "threaded" else run_graph
    return run(compiled, RunContext(pipeline_file=pipeline)).to_dict()


def test_per_frame(benchmark, tmp_path: Path) -> None:
    benchmark.group = "keyframe-vs-per-frame"
    pipeline = REPO / "pipelines" / "deeplab_per_frame.yaml"
    benchmark.pedantic(run_once, args=(pipeline, tmp_path / "a.mp4", str(CLIP), "sequential", 60), rounds=2)


def test_keyframe(benchmark, tmp_path: Path) -> None:
    benchmark.group = "keyframe-vs-per-frame"
    pipeline = REPO / "pipelines" / "deeplab_keyframe.yaml"
    benchmark.pedantic(run_once, args=(pipeline, tmp_path / "b.mp4", str(CLIP), "sequential", 60), rounds=2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", choices=["deeplab", "selfie"], default="deeplab")
    parser.add_argument("--executor", choices=["sequential", "threaded"], default="sequential")
    parser.add_argument("--input", default=str(CLIP))
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    per_frame = REPO / "pipelines" / f"{args.model}_per_frame.yaml"
    keyframe = REPO / "pipelines" / f"{args.model}_keyframe.yaml"
    ratios = []
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(args.rounds):
            a = run_once(per_frame, Path(tmp) / "a.mp4", args.input, args.executor)
            b = run_once(keyframe, Path(tmp) / "b.mp4", args.input, args.executor)
            ratios.append(b["fps"] / a["fps"])
            print(
                f"round {r + 1}: per-frame {a['fps']:.2f} fps, keyframe {b['fps']:.2f} fps "
                f"({b['keyframes']}/{b['frames']} keyframes), ratio {ratios[-1]:.2f}",
                flush=True,
            )
    print(
        f"{args.model}, {args.executor}: keyframe / per-frame throughput, median of {args.rounds}: "
        f"{statistics.median(ratios):.2f}×"
    )


if __name__ == "__main__":
    main()
