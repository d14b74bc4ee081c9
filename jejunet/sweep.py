"""The speed/accuracy sweep of a keyframe pipeline: a grid of `--set` values, with baselines.

Every case runs twice: once timed (no label output), once writing its labels. Given ground truth,
accuracy (mIoU against it, per shot with the clip's meta.json) comes first; agreement is measured
against the per-frame baseline (the gate forced to every frame) beside it; the hold baseline re-uses
the last keyframe's labels. Results: a CSV/JSON table and a PNG chart of throughput against mIoU
(against agreement when there is no ground truth).
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import statistics
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jejunet.errors import UserError
from jejunet.eval.groundtruth import evaluate_gt
from jejunet.eval.miou import finite, label_files, parse_class_map
from jejunet.eval.shots import ShotRange, load_shots
from jejunet.eval.temporal import agreement, motion_masks, temporal_consistency
from jejunet.graph.compiler import CompiledGraph, Overrides, compile_file, with_label_writer
from jejunet.graph.scheduler import run_graph
from jejunet.media.atomic import write_bytes_atomic
from jejunet.ops.base import RunContext

PIPELINE_GATE = "warp (pipeline gate)"  # the pipeline's own gate, warping: the shipped setting


@dataclass
class Case:
    name: str
    sets: list[str]
    role: str = "case"  # "per-frame", "hold" or "case"
    result: dict[str, Any] = field(default_factory=dict)


def _node_of(compiled: CompiledGraph, op: str) -> str:
    found = [n.id for n in compiled.nodes.values() if n.op.name == op]
    if len(found) != 1:
        raise UserError(f"{compiled.file}: a sweep needs exactly one '{op}' node, found {len(found)}")
    return found[0]


def parse_grid(grid: list[str]) -> list[list[str]]:
    """`NODE.PARAM=v1,v2` items → the cartesian product of `NODE.PARAM=v` settings."""
    axes = []
    for item in grid:
        key, eq, values = item.partition("=")
        if not eq or "." not in key or not values:
            raise UserError(f"--grid {item}: expected NODE.PARAM=V1,V2,...")
        axes.append([f"{key}={v}" for v in values.split(",")])
    return [list(combo) for combo in itertools.product(*axes)] if axes else [[]]


def plan_cases(pipeline: Path, grid: list[str], cases: list[str]) -> list[Case]:
    compiled = compile_file(pipeline)
    gate, warp = _node_of(compiled, "keyframe_gate"), _node_of(compiled, "warp")
    planned = [
        Case(
            "per-frame",
            [f"{gate}.interval=1", f"{gate}.motion_threshold=null", f"{gate}.target_fps=null"],
            "per-frame",
        ),
        Case("hold (pipeline gate)", [f"{warp}.method=hold"], "hold"),
        Case(PIPELINE_GATE, [f"{warp}.method=flow"]),
    ]
    for sets in parse_grid(grid) if grid else []:
        planned.append(Case(", ".join(sets), sets))
    for item in cases:
        sets = [s.strip() for s in item.split(";") if s.strip()]
        planned.append(Case(", ".join(sets), sets))
    return planned


def _run(pipeline: Path, sets: list[str], source: str | None, out_dir: Path, labels: Path | None) -> dict:
    overrides = Overrides(sets=list(sets), input=source, output=str(out_dir / "video.mp4"))
    compiled = compile_file(pipeline, overrides)
    if labels is not None:
        compiled = with_label_writer(compiled, str(labels))
    report = run_graph(compiled, RunContext(pipeline_file=pipeline))
    return report.to_dict()


def run_sweep(
    pipeline: Path,
    grid: list[str],
    cases: list[str],
    out: Path,
    source: str | None = None,
    max_frames: int | None = None,
    gt: Path | None = None,
    video: Path | None = None,
    common: list[str] | None = None,
    gt_map: str | None = None,
    rounds: int = 2,
    meta: Path | None = None,
) -> list[Case]:
    """Run every case; write sweep.csv, sweep.json and sweep.png into `out`.

    Accuracy: one run per case writing its labels. Throughput: `rounds` rounds in which every case
    runs once in turn (A B C … A B C …); a case's speedup is the median over rounds of its fps
    divided by the per-frame fps of the same round.
    """
    planned = plan_cases(pipeline, grid, cases)
    compiled = compile_file(pipeline)
    gate = _node_of(compiled, "keyframe_gate")
    extra = [f"{compiled.source.id}.max_frames={max_frames}"] if max_frames else []
    extra += common or []
    decode = compile_file(pipeline, Overrides(sets=list(extra), input=source)).source.params
    for case in planned:  # every case's settings are checked before anything runs
        compile_file(pipeline, Overrides(sets=extra + case.sets, input=source))
    truth = GroundTruth.of(gt, gt_map, meta, decode.start, decode.stride)
    masks = motion_masks(video, decode.start, decode.stride) if video is not None else None
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="jejunet-sweep-") as tmp:
        tmp_dir = Path(tmp)
        label_dirs: dict[str, Path] = {}
        for i, case in enumerate(planned):
            label_dirs[case.name] = tmp_dir / f"labels{i}"
            written = _run(pipeline, extra + case.sets, source, tmp_dir, label_dirs[case.name])
            case.result = {
                "frames": written["frames"],
                "keyframes": written["keyframes"],
                "keyframe_rate": round(written["keyframes"] / max(1, written["frames"]), 4),
                "cuts": written.get("runtime", {}).get(gate, {}).get("cuts"),
            }
            ag = agreement(
                label_dirs[case.name], label_dirs[planned[0].name], written["keyframe_frames"], masks
            )
            nk, mv = ag.get("non_keyframes"), ag.get("moving")
            case.result.update(
                {
                    "pixel_agreement": ag["all"]["pixel_agreement"],
                    "pixel_agreement_non_key": nk["pixel_agreement"] if nk else None,
                    "pixel_agreement_moving": mv["pixel_agreement"] if mv else None,
                    "miou_agreement": ag["all"]["miou"],
                }
            )
            if truth is not None:
                case.result.update(truth.score(label_dirs[case.name]))
            if video is not None:
                tc = temporal_consistency(
                    label_dirs[case.name], video, start=decode.start, stride=decode.stride
                )
                case.result["tc_miou"] = tc["tc_miou"]
            accuracy = f"mIoU {case.result['miou_gt']}, " if truth is not None else ""
            print(
                f"{case.name}: {written['keyframes']} keyframes, {accuracy}"
                f"agreement {case.result['pixel_agreement']:.4f}",
                flush=True,
            )
        fps: dict[str, list[float]] = {c.name: [] for c in planned}
        for r in range(rounds):
            for case in planned:
                fps[case.name].append(_run(pipeline, extra + case.sets, source, tmp_dir, None)["fps"])
            print(f"timing round {r + 1}/{rounds} done", flush=True)
    base = fps[planned[0].name]
    for case in planned:
        ratios = [f / b for f, b in zip(fps[case.name], base, strict=True) if b]
        case.result["fps"] = round(statistics.median(fps[case.name]), 2) if fps[case.name] else None
        case.result["speedup"] = round(statistics.median(ratios), 3) if ratios else None
    write_table(planned, out)
    write_chart(planned, out / "sweep.png", title=f"{pipeline.name} on {source or 'the sample clip'}")
    return planned


@dataclass
class GroundTruth:
    """Ground truth for every case, checked before anything runs."""

    folder: Path
    lut: Any
    shots: list[ShotRange] | None
    start: int
    stride: int
    warned: bool = False

    @classmethod
    def of(
        cls, gt: Path | None, gt_map: str | None, meta: Path | None, start: int, stride: int
    ) -> GroundTruth | None:
        if gt is None:
            if meta is not None:
                raise UserError("--meta scores shots against ground truth: give --gt DIR too")
            return None
        label_files(gt, "--gt")
        lut = parse_class_map(gt_map) if gt_map else None
        return cls(gt, lut, load_shots(meta) if meta else None, start, stride)

    def score(self, labels: Path) -> dict[str, Any]:
        """mIoU against ground truth of one case's labels, overall and per shot."""
        result = evaluate_gt(labels, self.folder, None, self.lut, self.shots, self.start, self.stride)
        if result.resized and not self.warned:
            print(f"warning: {result.resized.warning()}", flush=True)
            self.warned = True
        out: dict[str, Any] = {
            "miou_gt": finite(result.scores.miou),
            "pixel_accuracy_gt": finite(result.scores.pixel_accuracy),
        }
        if self.shots is not None:
            out["miou_gt_shots"] = [finite(s.miou) if n else None for _, s, n in result.shots]
        return out


COLUMNS = [
    "case",
    "role",
    "frames",
    "keyframes",
    "keyframe_rate",
    "fps",
    "speedup",
    "miou_gt",
    "pixel_accuracy_gt",
    "miou_gt_shots",
    "pixel_agreement",
    "pixel_agreement_non_key",
    "pixel_agreement_moving",
    "miou_agreement",
    "tc_miou",
    "cuts",
]


def write_table(planned: list[Case], out: Path) -> None:
    rows = [{"case": c.name, "role": c.role, "sets": c.sets, **c.result} for c in planned]
    write_bytes_atomic(out / "sweep.json", (json.dumps(rows, indent=2, allow_nan=False) + "\n").encode())
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow(
            {k: (" ".join(map(str, row[k])) if isinstance(row.get(k), list) else row.get(k)) for k in COLUMNS}
        )
    write_bytes_atomic(out / "sweep.csv", buffer.getvalue().encode())


def chart_label(case: Case) -> str:
    """A case's name for the chart: settings without their node and `_threshold`, null as `off`."""
    if case.role != "case" or case.name == PIPELINE_GATE:
        return case.name
    parts = []
    for setting in case.sets:
        key, _, value = setting.partition("=")
        param = key.split(".", 1)[-1].removesuffix("_threshold")
        value = "off" if value == "null" else value
        parts.append("hold" if (param, value) == ("method", "hold") else f"{param}={value}")
    return ", ".join(parts) or case.name


def chart_axis(planned: list[Case]) -> tuple[str, str]:
    """The chart's accuracy axis: mIoU against ground truth when every case has it, else agreement."""
    if all(c.result.get("miou_gt") is not None for c in planned):
        return "miou_gt", "mIoU against ground truth (%)"
    return "pixel_agreement", "pixel agreement with per-frame output (%)"


def write_chart(planned: list[Case], path: Path, title: str) -> None:
    """Throughput (× per-frame) against mIoU against ground truth, or, without ground truth,
    against pixel agreement with per-frame output."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    timed = all(c.result.get("speedup") is not None for c in planned)
    metric, ylabel = chart_axis(planned)
    fig, ax = plt.subplots(figsize=(10, 6), dpi=110)
    styles = {"per-frame": ("black", "s"), "hold": ("tab:red", "x"), "case": ("tab:blue", "o")}
    for case in planned:
        colour, marker = styles[case.role]
        if case.role == "case" and any(".method=hold" in s for s in case.sets):
            colour, marker = styles["hold"]
        r = case.result
        x = r["speedup"] if timed else 1.0 / max(r["keyframe_rate"], 1e-3)
        shipped = case.name == PIPELINE_GATE  # drawn bold
        y = r[metric] * 100
        ax.scatter(x, y, c=colour, marker=marker, s=90 if shipped else 40)
        ax.annotate(
            chart_label(case),
            (x, y),
            fontsize=8 if shipped else 7,
            fontweight="bold" if shipped else "normal",
            xytext=(5, 3),
            textcoords="offset points",
        )
    ax.set_xlabel(
        "throughput, × the per-frame pipeline (alternating rounds, one run)"
        if timed
        else "frames per keyframe (no timing rounds)"
    )
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    write_bytes_atomic(path, buffer.getvalue())
