"""Agreement, temporal consistency, the eval command and a small sweep on real footage."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np

from jejunet.eval.temporal import agreement
from jejunet.media.palette import encode_label_png
from tests.conftest import PIPELINES


def write_labels(directory: Path, maps: list[np.ndarray]) -> Path:
    directory.mkdir(parents=True)
    for i, m in enumerate(maps):
        (directory / f"{i:06d}.png").write_bytes(encode_label_png(m))
    return directory


def test_agreement_all_and_non_keyframes(tmp_path: Path) -> None:
    ref = [np.full((10, 10), 15, np.uint8) for _ in range(4)]
    pred = [m.copy() for m in ref]
    pred[1][:5] = 0  # half of frame 1 disagrees
    pred[3][:] = 0  # all of frame 3
    result = agreement(
        write_labels(tmp_path / "p", pred), write_labels(tmp_path / "r", ref), keyframes=[0, 2]
    )
    assert result["all"]["pixel_agreement"] == 250 / 400
    assert result["non_keyframes"]["frames"] == 2
    assert result["non_keyframes"]["pixel_agreement"] == 50 / 200


def test_eval_command_reference_report_video(cli, tmp_path: Path, bikes: Path) -> None:
    run = ("graph", "run", "--input", bikes, "--max-frames", "12", "--quiet")
    per_frame = cli(
        run[0],
        run[1],
        PIPELINES / "deeplab_per_frame.yaml",
        *run[2:],
        "--labels-dir",
        tmp_path / "ref",
        "--output",
        tmp_path / "a.mp4",
    )
    assert per_frame.code == 0, per_frame.err
    keyed = cli(
        run[0],
        run[1],
        PIPELINES / "deeplab_keyframe.yaml",
        *run[2:],
        "--labels-dir",
        tmp_path / "key",
        "--output",
        tmp_path / "b.mp4",
        "--report",
        tmp_path / "r.json",
    )
    assert keyed.code == 0, keyed.err
    result = cli(
        "eval",
        "--pred",
        tmp_path / "key",
        "--reference",
        tmp_path / "ref",
        "--report",
        tmp_path / "r.json",
        "--video",
        bikes,
        "--json",
        tmp_path / "e.json",
    )
    assert result.code == 0, result.err
    scores = json.loads((tmp_path / "e.json").read_text())
    assert 0.9 < scores["agreement"]["all"]["pixel_agreement"] <= 1.0
    assert scores["agreement"]["non_keyframes"]["frames"] == 12 - scores["keyframes"]["count"]
    assert 0.5 < scores["temporal_consistency"]["tc_miou"] <= 1.0
    assert scores["temporal_consistency"]["pairs"] == 11
    moving = scores["agreement"]["moving"]
    assert moving["pixels"] > 0 and 0.5 < moving["pixel_agreement"] <= 1.0
    assert "agreement with per-frame output" in result.out


def test_eval_needs_something_to_compare(cli, tmp_path: Path) -> None:
    (tmp_path / "p").mkdir()
    result = cli("eval", "--pred", tmp_path / "p")
    assert result.code == 2 and "--gt" in result.err


def test_sweep_writes_table_and_chart(cli, tmp_path: Path, bikes: Path) -> None:
    out = tmp_path / "sweep"
    result = cli(
        "sweep",
        PIPELINES / "deeplab_keyframe.yaml",
        "--input",
        bikes,
        "--max-frames",
        "16",
        "--set",
        "source.start=80",
        "--grid",
        "gate.interval=4",
        "--grid",
        "gate.motion_threshold=null",
        "--grid",
        "gate.object_motion_threshold=null",
        "--rounds",
        "1",
        "--out",
        out,
    )
    assert result.code == 0, result.err
    assert "timing round 1/1 done" in result.out  # --rounds reaches the sweep
    rows = list(csv.DictReader((out / "sweep.csv").open()))
    assert [r["case"] for r in rows] == [
        "per-frame",
        "hold (pipeline gate)",
        "warp (pipeline gate)",
        "gate.interval=4, gate.motion_threshold=null, gate.object_motion_threshold=null",
    ]
    per_frame = rows[0]
    assert per_frame["keyframes"] == "16" and float(per_frame["pixel_agreement"]) == 1.0
    assert rows[3]["keyframes"] == "4"
    assert float(rows[3]["pixel_agreement"]) < 1.0
    assert (out / "sweep.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert json.loads((out / "sweep.json").read_text())[3]["sets"] == [
        "gate.interval=4",
        "gate.motion_threshold=null",
        "gate.object_motion_threshold=null",
    ]


def test_gt_class_map(cli, tmp_path: Path) -> None:
    from jejunet.eval.miou import parse_class_map

    lut = parse_class_map("1:7,2:255")
    assert lut[1] == 7 and lut[2] == 255 and lut[3] == 3
    gt = write_labels(tmp_path / "gt", [np.array([[1, 2], [0, 0]], np.uint8)])
    pred = write_labels(tmp_path / "pred", [np.array([[7, 6], [0, 0]], np.uint8)])
    result = cli("eval", "--pred", pred, "--gt", gt, "--gt-map", "1:7,2:255", "--json", tmp_path / "e.json")
    scores = json.loads((tmp_path / "e.json").read_text())["ground_truth"]
    assert scores["miou"] == 1.0 and scores["pixels"] == 3  # the truck pixel is ignored
    result = cli("eval", "--pred", pred, "--gt", gt, "--gt-map", "1:x")
    assert result.code == 2 and "class map item '1:x'" in result.err


def test_eval_bad_reference_png_and_undefined_scores(cli, tmp_path: Path) -> None:
    from PIL import Image

    pred = write_labels(tmp_path / "p", [np.zeros((4, 4), np.uint8)])
    rgb = tmp_path / "rgb"
    rgb.mkdir()
    Image.new("RGB", (4, 4)).save(rgb / "000000.png")
    result = cli("eval", "--pred", pred, "--reference", rgb)
    assert result.code == 2 and "not a label PNG" in result.err and "Traceback" not in result.err
    ignored = write_labels(tmp_path / "ignored", [np.full((4, 4), 255, np.uint8)])
    result = cli("eval", "--pred", pred, "--gt", ignored, "--json", tmp_path / "e.json")
    assert result.code == 0 and "n/a" in result.out
    assert json.loads((tmp_path / "e.json").read_text())["ground_truth"]["miou"] is None
    result = cli("eval", "--pred", pred, "--reference", pred, "--video", rgb / "000000.png")
    assert result.code == 2 and "temporal consistency" in result.err


def test_sweep_checks_every_case_before_running(cli, tmp_path: Path, bikes: Path) -> None:
    result = cli("sweep", PIPELINES / "deeplab_keyframe.yaml", "--grid", "gate.max_gap=0", "--out", tmp_path)
    assert result.code == 2 and "--set gate.max_gap=0" in result.err
    assert "per-frame:" not in result.out  # nothing ran


def test_sweep_per_frame_baseline_ignores_the_budget(tmp_path: Path, bikes: Path) -> None:
    from jejunet.sweep import run_sweep

    cases = run_sweep(
        PIPELINES / "deeplab_keyframe.yaml",
        [],
        [],
        tmp_path,
        str(bikes),
        6,
        common=["gate.target_fps=100000"],
        rounds=0,
    )
    assert cases[0].name == "per-frame" and cases[0].result["keyframes"] == 6


def test_chart_labels_are_short() -> None:
    from jejunet.sweep import PIPELINE_GATE, Case, chart_label

    case = Case("long name", ["gate.interval=10", "gate.motion_threshold=null", "warp.method=hold"])
    assert chart_label(case) == "interval=10, motion=off, hold"
    assert chart_label(Case(PIPELINE_GATE, ["warp.method=flow"])) == PIPELINE_GATE
    assert chart_label(Case("per-frame", ["gate.interval=1"], role="per-frame")) == "per-frame"
