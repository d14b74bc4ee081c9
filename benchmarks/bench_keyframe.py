"""Keyframe pipeline against the per-frame pipeline and the clip's decode + encode floor.

    .venv/bin/python benchmarks/bench_keyframe.py [--model deeplab|selfie] [--executor threaded|sequential]
        [--clips bikes,calm,normal,wild] [--keyframe PIPELINE ...] [--rounds R] [--set NODE.PARAM=V ...]
        [--json OUT]

Clips: `bikes` (../shared/media/bikes.mp4, agreement with the per-frame pipeline) and ground-truth
clips that `jejunet synth` films from ../shared/media/voc_labelme with the named motion preset
(`calm`, `normal`, `wild`; seeded, four shots, three hard cuts) into a temporary folder: mIoU
against their exact labels first, agreement beside it. Timing: per-frame, keyframe and floor
run in turn, round after round, on the default (threaded) executor, as `jejunet graph run` runs
them; ratios are medians of per-round ratios. The floor of a keyframe pipeline is its own decode
node wired straight to its own encode node(s), same parameters (preset, crf, …): decoding and
encoding that clip as that pipeline does, nothing else. Under pytest-benchmark
(`pytest benchmarks --benchmark-only -k keyframe`) the two pipelines are benchmarks in one group.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

from jejunet.graph.compiler import Overrides, compile_file
from jejunet.graph.execution import execute_graph
from jejunet.ops.base import RunContext

REPO = Path(__file__).resolve().parents[1]
MEDIA = REPO.parent / "shared" / "media"
CLIP = MEDIA / "bikes.mp4"
SYNTH = {"calm": 2, "normal": 0, "wild": 1}  # motion preset → seed


def floor_text(pipeline: Path) -> str:
    """The decode + encode floor of `pipeline`: its decode node wired to its encode node(s), as YAML."""
    data = yaml.safe_load(pipeline.read_text())
    nodes = data["nodes"]
    source = next(n for n in nodes if n["op"] == "decode")
    sinks = [
        {
            **n,
            "inputs": {"image": f"{source['id']}.image"},
            "params": {**n.get("params", {}), "path": f"{n['id']}.mp4"},
        }
        for n in nodes
        if n["op"] == "encode"
    ]  # the paths are the run's own (--output): the floor is the same for pipelines that differ only there
    if not sinks:
        raise SystemExit(f"{pipeline}: no encode node, no decode + encode floor to compare with")
    floor = {"version": data.get("version", 1), "name": "floor", "nodes": [source, *sinks]}
    return yaml.safe_dump(floor, sort_keys=False)


def run_once(
    pipeline: Path,
    out: Path,
    source: str,
    executor: str,
    frames: int | None = None,
    sets: list[str] | None = None,
) -> dict:
    sets = [*(sets or []), *([f"source.max_frames={frames}"] if frames else [])]
    compiled = compile_file(pipeline, Overrides(sets=sets, input=source, output=str(out)))
    return execute_graph(compiled, RunContext(pipeline_file=pipeline), executor=executor).to_dict()


def test_per_frame(benchmark, tmp_path: Path) -> None:
    benchmark.group = "keyframe-vs-per-frame"
    pipeline = REPO / "pipelines" / "deeplab_per_frame.yaml"
    benchmark.pedantic(run_once, args=(pipeline, tmp_path / "a.mp4", str(CLIP), "threaded", 60), rounds=2)


def test_keyframe(benchmark, tmp_path: Path) -> None:
    benchmark.group = "keyframe-vs-per-frame"
    pipeline = REPO / "pipelines" / "deeplab_keyframe.yaml"
    benchmark.pedantic(run_once, args=(pipeline, tmp_path / "b.mp4", str(CLIP), "threaded", 60), rounds=2)


def jejunet(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "jejunet", *args], check=True, stdout=subprocess.DEVNULL)


def make_clip(name: str, tmp: Path) -> tuple[Path, Path | None]:
    """(video, ground-truth folder or None) for a clip name."""
    if name == "bikes":
        return CLIP, None
    out = tmp / f"synth_{name}"
    voc = MEDIA / "voc_labelme"
    jejunet(
        "synth", "--images", str(voc / "JPEGImages"), "--masks", str(voc / "SegmentationClassPNG"),
        "--motion", name, "--seed", str(SYNTH[name]), "--shots", "4", "--out", str(out), "--quiet",
    )  # fmt: skip
    return out / "video.mp4", out / "gt"


def labels_of(pipeline: Path, video: Path, out: Path, sets: list[str]) -> dict[str, Any]:
    """Run once writing every frame's labels; returns the run report."""
    extra = [a for s in sets for a in ("--set", s)]
    jejunet(
        "graph", "run", str(pipeline), "--input", str(video), "--output", str(out) + ".mp4",
        "--labels-dir", str(out), "--report", str(out) + ".json", "--quiet", *extra,
    )  # fmt: skip
    return json.loads(Path(str(out) + ".json").read_text())


def scores(pred: Path, gt: Path | None, reference: Path) -> dict[str, Any]:
    args = ["eval", "--pred", str(pred), "--reference", str(reference), "--json", str(pred) + ".eval.json"]
    jejunet(*args, *(["--gt", str(gt)] if gt else []))
    return json.loads(Path(str(pred) + ".eval.json").read_text())


def measure(clip: str, args: argparse.Namespace, tmp: Path) -> list[dict[str, Any]]:
    """One result per keyframe pipeline on one clip; all pipelines timed in turn, round after round."""
    video, gt = make_clip(clip, tmp)
    per_frame = REPO / "pipelines" / f"{args.model}_per_frame.yaml"
    keyframes = [Path(k) for k in args.keyframe] or [REPO / "pipelines" / f"{args.model}_keyframe.yaml"]
    floors: dict[str, Path] = {}  # floor YAML → its file: one floor per distinct decode + encode
    for keyframe in keyframes:
        floors.setdefault(floor_text(keyframe), tmp / f"floor{len(floors)}.yaml")
    for text, path in floors.items():
        path.write_text(text)
    ref = tmp / f"{clip}_ref"
    labels_of(per_frame, video, ref, [])
    miou_per_frame = scores(ref, gt, ref)["ground_truth"]["miou"] if gt is not None else None
    results = []
    for k, keyframe in enumerate(keyframes):
        report = labels_of(keyframe, video, tmp / f"{clip}_key{k}", args.set)
        result: dict[str, Any] = {"clip": clip, "pipeline": keyframe.stem, "keyframes": report["keyframes"]}
        result["frames"] = report["frames"]
        result["cuts"] = sorted(
            int(f) for f, why in report.get("keyframe_reasons", {}).items() if why == "cut"
        )
        key_scores = scores(tmp / f"{clip}_key{k}", gt, ref)
        result["agreement"] = key_scores["agreement"]["all"]["pixel_agreement"]
        if gt is not None:
            result["miou_key"] = key_scores["ground_truth"]["miou"]
            result["miou_per_frame"] = miou_per_frame
        results.append(result)
    runs = [("per_frame", per_frame, []), *((f"key{k}", p, args.set) for k, p in enumerate(keyframes))]
    runs += [(path.stem, path, []) for path in floors.values()]
    fps: dict[str, list[float]] = {name: [] for name, _, _ in runs}
    for r in range(args.rounds):
        for name, pipeline, sets in runs:
            fps[name].append(
                run_once(pipeline, tmp / f"{name}.mp4", str(video), args.executor, sets=sets)["fps"]
            )
        print(
            f"  {clip} round {r + 1}: " + ", ".join(f"{k} {v[-1]:.1f} fps" for k, v in fps.items()),
            flush=True,
        )
    for k, result in enumerate(results):
        mine, floor = fps[f"key{k}"], fps[floors[floor_text(keyframes[k])].stem]
        result["fps"] = {
            "per_frame": statistics.median(fps["per_frame"]),
            "keyframe": statistics.median(mine),
            "floor": statistics.median(floor),
        }
        result["speedup"] = statistics.median(a / b for a, b in zip(mine, fps["per_frame"], strict=True))
        result["of_floor"] = statistics.median(a / b for a, b in zip(mine, floor, strict=True))
    return results


def line(r: dict[str, Any]) -> str:
    gt = ""
    if "miou_key" in r:
        gt = f"GT mIoU {100 * r['miou_key']:.2f} vs per-frame {100 * r['miou_per_frame']:.2f} "
        gt += f"({100 * (r['miou_key'] - r['miou_per_frame']):+.2f} points), "
    return (
        f"{r['clip']} {r['pipeline']}: {gt}agreement {100 * r['agreement']:.2f} %, "
        f"{r['keyframes']}/{r['frames']} keyframes, cuts {r['cuts']}, speedup {r['speedup']:.2f}×, "
        f"{100 * r['of_floor']:.0f} % of the decode+encode floor "
        f"(fps: " + ", ".join(f"{k} {v:.1f}" for k, v in r["fps"].items()) + ")"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", choices=["deeplab", "selfie"], default="deeplab")
    parser.add_argument("--executor", choices=["sequential", "threaded"], default="threaded")
    parser.add_argument("--clips", default="bikes,calm,normal,wild")
    parser.add_argument("--keyframe", action="append", default=[], help="keyframe pipeline file (repeatable)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--set", action="append", default=[], help="a keyframe-pipeline setting (repeatable)")
    parser.add_argument("--json", type=Path, help="write the results here")
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for clip in args.clips.split(","):
            for result in measure(clip, args, Path(tmp)):
                results.append(result)
                print(line(result), flush=True)
    print(f"{args.model}, {args.executor}, {args.rounds} rounds:")
    for r in results:
        print("  " + line(r))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
