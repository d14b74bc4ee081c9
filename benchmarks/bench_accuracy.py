"""Accuracy against ground truth and frame rate: the 2018 seed pipeline against the default one.

    .venv/bin/python benchmarks/bench_accuracy.py [--rounds 3] [--frames-per-shot 40]
        [--json docs/accuracy/accuracy.json] [--png docs/accuracy/accuracy.png]

Ground truth: four clips that `jejunet synth` films into a temporary folder at run time (different
photos, motions, sizes and seeds: VOC photos calm at 16:9, wild at 4:3 and at bikes.mp4's 2.35:1,
video_labelme's frames at 16:9), and the five labelled frames of ../shared/media/video_labelme
(its car → VOC car, its truck ignored). Pipelines as a user runs them (`jejunet graph run`, default
threaded executor, shipped settings): deeplab_seed_per_frame (2018: uint8, 256×256 squashed),
deeplab_per_frame (default: int8 at the frame's aspect) and deeplab_keyframe (new model on
keyframes). mIoU: one confusion matrix per clip (and pooled over the clips), 255 ignored. Frame
rate: the run report's frames / wall time; the pipelines alternate in every round (seed, default,
keyframe, then the reverse order), and the figure is the median over rounds; ratios are medians of
per-round ratios. Labels for accuracy come from one extra run per pipeline with --labels-dir.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from jejunet.eval.groundtruth import evaluate_gt
from jejunet.eval.miou import Scores, parse_class_map

REPO = Path(__file__).resolve().parents[1]
MEDIA = REPO.parent / "shared" / "media"
PIPELINES = {
    "seed": REPO / "pipelines" / "deeplab_seed_per_frame.yaml",
    "default": REPO / "pipelines" / "deeplab_per_frame.yaml",
    "keyframe": REPO / "pipelines" / "deeplab_keyframe.yaml",
}
VIDEO_MAP = "1:7,2:255"  # video_labelme: car → VOC car (7), truck → ignore


@dataclass(frozen=True)
class Clip:
    name: str
    photos: str  # folder under ../shared/media
    motion: str
    size: str
    seed: int
    objects: int


CLIPS = (
    Clip("voc-calm-16x9", "voc_labelme", "calm", "640x360", 1, 2),
    Clip("voc-wild-4x3", "voc_labelme", "wild", "480x360", 2, 3),
    Clip("voc-normal-2.35x1", "voc_labelme", "normal", "640x272", 3, 2),
    Clip("street-normal-16x9", "video_labelme", "normal", "640x360", 4, 2),
)


def _jejunet(*args: str | Path) -> None:
    cmd = [sys.executable, "-m", "jejunet.cli.main", *map(str, args)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{done.stderr.strip()}")


def synth(clip: Clip, out: Path, frames_per_shot: int) -> Path:
    photos = MEDIA / clip.photos
    extra = ["--class-map", VIDEO_MAP] if clip.photos == "video_labelme" else []
    _jejunet(
        "synth", "--images", photos / "JPEGImages", "--masks", photos / "SegmentationClassPNG",
        "--out", out, "--frames-per-shot", frames_per_shot, "--size", clip.size, "--motion", clip.motion,
        "--seed", clip.seed, "--objects", clip.objects, *extra, "--quiet",
    )  # fmt: skip
    return out


def run(pipeline: Path, source: Path, work: Path, labels: Path | None = None) -> float:
    """One `jejunet graph run` as a user runs it; returns its frames per second."""
    report = work / "report.json"
    extra = ["--labels-dir", labels] if labels else []
    _jejunet(
        "graph", "run", pipeline, "--input", source, "--output", work / "out.mp4", "--report", report,
        "--quiet", *extra,
    )  # fmt: skip
    return float(json.loads(report.read_text())["fps"])


def score(pred: Path, gt: Path, gt_map: np.ndarray | None) -> Scores:
    return evaluate_gt(pred, gt, gt_map=gt_map).scores


def timed_rounds(source: Path, work: Path, rounds: int) -> dict[str, list[float]]:
    """Frame rates of the three pipelines, alternating order round after round."""
    fps: dict[str, list[float]] = {name: [] for name in PIPELINES}
    names = list(PIPELINES)
    for r in range(rounds):
        for name in names if r % 2 == 0 else names[::-1]:
            fps[name].append(run(PIPELINES[name], source, work))
    return fps


def measure_set(name: str, source: Path, gt: Path, gt_map: Any, work: Path, rounds: int) -> dict[str, Any]:
    row: dict[str, Any] = {"set": name}
    matrices = {}
    for pipe, path in PIPELINES.items():
        labels = work / f"{name}-{pipe}"
        run(path, source, work, labels)
        scores = score(labels, gt, gt_map)
        matrices[pipe] = scores.matrix
        row[f"miou_{pipe}"] = scores.miou
    row["miou_ratio"] = row["miou_default"] / row["miou_seed"]
    if rounds:
        fps = timed_rounds(source, work, rounds)
        for pipe, values in fps.items():
            row[f"fps_{pipe}"] = statistics.median(values)
        row["fps_ratio"] = statistics.median(d / s for d, s in zip(fps["default"], fps["seed"], strict=True))
        row["fps_ratio_keyframe"] = statistics.median(
            k / s for k, s in zip(fps["keyframe"], fps["seed"], strict=True)
        )
        row["fps_rounds"] = fps
    row["_matrices"] = matrices
    return row


def pooled(rows: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {"set": "pooled (synth clips)"}
    for pipe in PIPELINES:
        out[f"miou_{pipe}"] = Scores(sum(r["_matrices"][pipe] for r in rows)).miou
    out["miou_ratio"] = out["miou_default"] / out["miou_seed"]
    out["fps_ratio"] = statistics.median(r["fps_ratio"] for r in rows)
    out["fps_ratio_keyframe"] = statistics.median(r["fps_ratio_keyframe"] for r in rows)
    return out


def chart(rows: list[dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = [r["set"] for r in rows]
    x = np.arange(len(rows))
    fig, ax = plt.subplots(figsize=(7.5, 3.2), dpi=90)
    titles = {"seed": "2018 seed (uint8, 256×256)", "default": "default (int8, frame aspect)",
              "keyframe": "keyframe (new model)"}  # fmt: skip
    for i, pipe in enumerate(PIPELINES):
        ax.bar(x + (i - 1) * 0.27, [r[f"miou_{pipe}"] for r in rows], 0.27, label=titles[pipe])
    ax.set_xticks(x, labels, fontsize=7)
    ax.set_ylabel("mIoU vs ground truth")
    ax.set_title("DeepLab pipelines on ground-truth clips (jejunet synth) and video_labelme", fontsize=9)
    ax.legend(fontsize=7)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)


def print_table(rows: list[dict[str, Any]]) -> None:
    print("| set | mIoU seed | mIoU default | ratio | mIoU keyframe | fps seed | fps default | fps ratio |"
          " fps keyframe |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        fps = (
            f"{r['fps_seed']:.1f} | {r['fps_default']:.1f} | {r['fps_ratio']:.2f}× | {r['fps_keyframe']:.1f}"
            if "fps_seed" in r
            else ("— | — | " + (f"{r['fps_ratio']:.2f}× (median)" if "fps_ratio" in r else "—") + " | —")
        )
        print(f"| {r['set']} | {r['miou_seed']:.3f} | {r['miou_default']:.3f} | {r['miou_ratio']:.2f}× |"
              f" {r['miou_keyframe']:.3f} | {fps} |")  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds per clip (alternating)")
    parser.add_argument("--frames-per-shot", type=int, default=40)
    parser.add_argument("--json", type=Path, help="write the rows as JSON")
    parser.add_argument("--png", type=Path, help="write the chart")
    args = parser.parse_args()
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="jejunet-bench-accuracy-") as tmp:
        work = Path(tmp)
        rows = []
        for clip in CLIPS:
            folder = synth(clip, work / clip.name, args.frames_per_shot)
            gt_map = parse_class_map(VIDEO_MAP) if clip.photos == "video_labelme" else None
            rows.append(
                measure_set(clip.name, folder / "video.mp4", folder / "gt", gt_map, work, args.rounds)
            )
            print(f"{clip.name}: done", file=sys.stderr)
        summary = pooled(rows)
        labelled = MEDIA / "video_labelme"
        frames = measure_set(
            "video_labelme (5 frames)",
            labelled / "JPEGImages",
            labelled / "SegmentationClassPNG",
            parse_class_map(VIDEO_MAP),
            work,
            0,
        )
    table = [*rows, summary, frames]
    print_table(table)
    load_after = os.getloadavg()
    cpus = os.cpu_count()
    print(f"load average (1 min) before {load_before[0]:.1f}, after {load_after[0]:.1f} on {cpus} CPUs")
    if args.png:
        chart([*rows, frames], args.png)
    if args.json:
        clean = [{k: v for k, v in r.items() if not k.startswith("_")} for r in table]
        args.json.parent.mkdir(parents=True, exist_ok=True)
        doc = {"rows": clean, "rounds": args.rounds, "frames_per_shot": args.frames_per_shot,
               "load_average_before_after": [load_before[0], load_after[0]], "cpus": cpus}  # fmt: skip
        args.json.write_text(json.dumps(doc, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
