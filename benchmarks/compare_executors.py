"""Threaded vs sequential executor on the same pipeline and clip, alternating in one run.

    .venv/bin/python benchmarks/compare_executors.py [PIPELINE ...] [--rounds 5] [--frames N]

Prints every round's throughput and the median ratio (threaded fps / sequential fps) per pipeline.
Outputs go to a temporary folder. Default pipelines: the keyframe and per-frame DeepLab ones.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from pathlib import Path

from jejunet.graph.compiler import Overrides, compile_file
from jejunet.graph.report import RunReport
from jejunet.graph.scheduler import run_graph
from jejunet.graph.threaded import run_threaded

REPO = Path(__file__).resolve().parents[1]
CLIP = REPO.parent / "shared" / "media" / "bikes.mp4"
DEFAULT = ["pipelines/deeplab_keyframe.yaml", "pipelines/deeplab_per_frame.yaml"]


def run_once(
    pipeline: Path, executor: str, out: Path, frames: int | None, sets: tuple[str, ...] = ()
) -> RunReport:
    sets = (*sets, f"source.max_frames={frames}") if frames else sets
    compiled = compile_file(pipeline, Overrides(sets=list(sets), input=str(CLIP), output=str(out)))
    return (run_threaded if executor == "threaded" else run_graph)(compiled)


def compare(pipeline: Path, rounds: int, frames: int | None, sets: tuple[str, ...] = ()) -> float:
    fps: dict[str, list[float]] = {"sequential": [], "threaded": []}
    with tempfile.TemporaryDirectory() as tmp:
        run_once(pipeline, "threaded", Path(tmp) / "warm.mp4", 10)  # load the model files once
        for r in range(rounds):
            for executor in ("sequential", "threaded") if r % 2 == 0 else ("threaded", "sequential"):
                report = run_once(pipeline, executor, Path(tmp) / f"{executor}.mp4", frames, sets)
                fps[executor].append(report.fps)
                print(f"  round {r + 1} {executor:<10} {report.fps:7.1f} fps ({report.frames} frames)")
    ratios = [t / s for t, s in zip(fps["threaded"], fps["sequential"], strict=True)]
    ratio = statistics.median(ratios)
    print(
        f"{pipeline.name}: sequential {statistics.median(fps['sequential']):.1f} fps, "
        f"threaded {statistics.median(fps['threaded']):.1f} fps, median ratio {ratio:.2f}x"
    )
    return ratio


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pipelines", nargs="*", default=DEFAULT)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--frames", type=int, help="frames per run (default: the whole clip)")
    parser.add_argument("--set", action="append", default=[], help="NODE.PARAM=VALUE for both executors")
    args = parser.parse_args()
    for pipeline in args.pipelines:
        compare(REPO / pipeline, args.rounds, args.frames, tuple(args.set))


if __name__ == "__main__":
    main()
