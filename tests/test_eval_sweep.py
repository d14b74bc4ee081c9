"""Agreement, temporal consistency, the eval command and a small sweep on real footage."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from jejunet.eval.temporal import agreement
from jejunet.media.palette import encode_label_png, read_label_png
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
    # agreement is not accuracy (the per-frame output flickers): check the figure, not the model
    same = total = 0
    for key in sorted((tmp_path / "key").glob("*.png")):
        a, b = read_label_png(key), read_label_png(tmp_path / "ref" / key.name)
        same, total = same + int((a == b).sum()), total + a.size
    assert scores["agreement"]["all"]["pixel_agreement"] == round(same / total, 6)
    assert scores["agreement"]["non_keyframes"]["frames"] == 12 - scores["keyframes"]["count"]
    assert 0.5 < scores["temporal_consistency"]["tc_miou"] <= 1.0
    assert scores["temporal_consistency"]["pairs"] == 11
    moving = scores["agreement"]["moving"]
    assert moving["pixels"] > 0 and 0.0 <= moving["pixel_agreement"] <= 1.0
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


# ---- ground truth from `jejunet synth` clips: per-shot mIoU, the size rule, sweeps against GT ----

SEED_PIPELINE = """\
version: 1
name: seed_per_frame_test
mode: offline
nodes:
  - {{id: source, op: decode, params: {{source: sample}}}}
  - {{id: resize, op: resize, inputs: {{image: source.image}},
     params: {{width: 256, height: 256, mode: stretch, interpolation: linear}}}}
  - {{id: segment, op: tflite_infer, inputs: {{image: resize.image}}, params: {{model: "{model}"}}}}
  - {{id: upsample, op: upsample, inputs: {{labels: segment.labels, like: source.image}}}}
  - {{id: sink, op: encode, inputs: {{image: source.image}}, params: {{path: out/x.mp4, preset: ultrafast}}}}
"""


@pytest.fixture(scope="module")
def gt_clip(tmp_path_factory: pytest.TempPathFactory, voc_dir: Path, deeplab_model: Path) -> dict[str, Path]:
    """A tiny GT clip (2 shots × 8 frames, 160×90) and the seed model's per-frame labels of it."""
    from jejunet.cli.main import main

    root = tmp_path_factory.mktemp("gtclip")
    clip = root / "clip"
    code = main(["synth", "--images", str(voc_dir / "JPEGImages"), "--masks",
                 str(voc_dir / "SegmentationClassPNG"), "--out", str(clip), "--size", "160x90",
                 "--frames-per-shot", "8", "--shots", "2", "--seed", "4", "--quiet"])  # fmt: skip
    assert code == 0
    pipeline = root / "seed.yaml"
    pipeline.write_text(SEED_PIPELINE.format(model=deeplab_model))
    code = main(["graph", "run", str(pipeline), "--input", str(clip / "video.mp4"), "--labels-dir",
                 str(root / "pred"), "--output", str(root / "o.mp4"), "--quiet"])  # fmt: skip
    assert code == 0
    return {"clip": clip, "pred": root / "pred", "pipeline": pipeline}


def test_eval_per_shot_against_synth_ground_truth(cli, tmp_path: Path, gt_clip: dict[str, Path]) -> None:
    import shutil

    from jejunet.eval.groundtruth import evaluate_gt

    clip, pred = gt_clip["clip"], gt_clip["pred"]
    result = cli("eval", "--pred", pred, "--gt", clip / "gt", "--meta", clip / "meta.json",
                 "--json", tmp_path / "e.json")  # fmt: skip
    assert result.code == 0, result.err
    gt = json.loads((tmp_path / "e.json").read_text())["ground_truth"]
    assert gt["images"] == 16 and gt["resized"] is None
    assert [s["frames"] for s in gt["shots"]] == [[0, 8], [8, 16]]
    assert [s["scored"] for s in gt["shots"]] == [8, 8]
    assert sum(s["pixels"] for s in gt["shots"]) == gt["pixels"]
    meta = json.loads((clip / "meta.json").read_text())
    assert [s["photo"] for s in gt["shots"]] == [s["photo"] for s in meta["shots"]]
    for shot in gt["shots"]:  # each shot's score is the score of its frames alone
        alone_pred, alone_gt = tmp_path / f"p{shot['shot']}", tmp_path / f"g{shot['shot']}"
        alone_pred.mkdir(), alone_gt.mkdir()
        for frame in range(*shot["frames"]):
            shutil.copy(pred / f"{frame:06d}.png", alone_pred)
            shutil.copy(clip / "gt" / f"{frame:06d}.png", alone_gt)
        alone = evaluate_gt(alone_pred, alone_gt)
        assert shot["miou"] == round(alone.scores.miou, 6)
        assert f"shot {shot['shot']} ({shot['photo']}), frames" in result.out
    assert 0.0 < gt["miou"] < 1.0
    perfect = cli("eval", "--pred", clip / "gt", "--clip", clip, "--json", tmp_path / "p.json")
    shots = json.loads((tmp_path / "p.json").read_text())["ground_truth"]["shots"]
    assert perfect.code == 0 and [s["miou"] for s in shots] == [1.0, 1.0]


def test_eval_sizes_refused_or_resized_with_a_warning(cli, tmp_path: Path) -> None:
    gt = write_labels(tmp_path / "gt", [np.full((8, 16), 15, np.uint8)] * 2)
    square = write_labels(tmp_path / "square", [np.full((8, 8), 15, np.uint8)] * 2)
    result = cli("eval", "--pred", square, "--gt", gt)
    assert result.code == 2 and len(result.err_lines) == 1
    assert "000000.png: prediction is 8×8" in result.err and "16×8" in result.err
    half = write_labels(tmp_path / "half", [np.full((4, 8), 15, np.uint8)] * 2)
    result = cli("eval", "--pred", half, "--gt", gt, "--json", tmp_path / "e.json")
    assert result.code == 0 and len(result.err_lines) == 1
    assert result.err.startswith(
        "warning: 000000.png: prediction 8×4, ground truth 16×8: 2 prediction(s) resized"
    )
    scores = json.loads((tmp_path / "e.json").read_text())["ground_truth"]
    assert scores["miou"] == 1.0 and scores["resized"] == {"images": 2, "first": "000000.png",
                                                            "from": [8, 4], "to": [16, 8]}  # fmt: skip
    result = cli("eval", "--pred", square, "--reference", gt)
    assert result.code == 2 and "its reference" in result.err


def test_eval_unwritable_json_fails_before_any_work(cli, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    # the prediction folder does not even exist: the --json path is refused first
    result = cli("eval", "--pred", tmp_path / "missing", "--gt", tmp_path / "missing",
                 "--json", blocker / "e.json")  # fmt: skip
    assert result.code == 2 and len(result.err_lines) == 1
    assert f"{blocker / 'e.json'}: cannot write --json" in result.err
    (tmp_path / "dir.json").mkdir()
    result = cli("eval", "--pred", tmp_path, "--gt", tmp_path, "--json", tmp_path / "dir.json")
    assert result.code == 2 and "is a folder" in result.err


def test_eval_start_and_stride_pair_frames(cli, tmp_path: Path) -> None:
    frames = [np.full((4, 4), i % 3, np.uint8) for i in range(10)]
    gt = write_labels(tmp_path / "gt", frames)
    pred = write_labels(tmp_path / "pred", [frames[4], frames[6], frames[8]])
    result = cli(
        "eval", "--pred", pred, "--gt", gt, "--start", "4", "--stride", "2", "--json", tmp_path / "a.json"
    )
    assert result.code == 0, result.err
    assert json.loads((tmp_path / "a.json").read_text())["ground_truth"]["miou"] == 1.0
    cli("eval", "--pred", pred, "--gt", gt, "--json", tmp_path / "b.json")
    assert json.loads((tmp_path / "b.json").read_text())["ground_truth"]["miou"] < 1.0
    result = cli("eval", "--pred", pred, "--gt", gt, "--start", "8", "--stride", "2")
    assert result.code == 2 and "no ground truth for frame 10" in result.err


def test_eval_bad_meta(cli, tmp_path: Path) -> None:
    gt = write_labels(tmp_path / "gt", [np.zeros((4, 4), np.uint8)])
    (tmp_path / "m.json").write_text('{"shots": [{"start": 0}]}')
    result = cli("eval", "--pred", gt, "--gt", gt, "--meta", tmp_path / "m.json")
    assert result.code == 2 and "shots[0]: expected whole numbers 'start' and 'end'" in result.err
    result = cli("eval", "--pred", gt, "--reference", gt, "--meta", tmp_path / "m.json")
    assert result.code == 2 and "give --gt DIR too" in result.err


def test_sweep_against_ground_truth_per_shot(cli, tmp_path: Path, gt_clip: dict[str, Path]) -> None:
    out = tmp_path / "sweep"
    result = cli("sweep", PIPELINES / "deeplab_keyframe.yaml", "--clip", gt_clip["clip"], "--grid",
                 "gate.interval=4", "--rounds", "1", "--out", out)  # fmt: skip
    assert result.code == 0, result.err
    rows = json.loads((out / "sweep.json").read_text())
    assert len(rows) == 4
    for row in rows:
        assert 0.0 <= row["miou_gt"] <= 1.0 and 0.0 <= row["pixel_accuracy_gt"] <= 1.0
        assert len(row["miou_gt_shots"]) == 2 and all(0.0 <= v <= 1.0 for v in row["miou_gt_shots"])
        assert row["tc_miou"] is not None and row["pixel_agreement"] is not None
    assert rows[0]["pixel_agreement"] == 1.0
    header = result.out.splitlines()[
        [i for i, line in enumerate(result.out.splitlines()) if line.startswith("case |")][0]
    ]
    assert header.split(" | ")[:6] == ["case", "keyframes", "fps", "speedup", "miou_gt", "pixel_agreement"]
    assert "mIoU against ground truth per shot:" in result.out
    csv_rows = list(csv.DictReader((out / "sweep.csv").open()))
    assert len(csv_rows[0]["miou_gt_shots"].split()) == 2


def test_sweep_ground_truth_flags_checked_first(cli, tmp_path: Path, gt_clip: dict[str, Path]) -> None:
    keyframe = PIPELINES / "deeplab_keyframe.yaml"
    result = cli("sweep", keyframe, "--meta", gt_clip["clip"] / "meta.json", "--out", tmp_path / "s")
    assert result.code == 2 and "give --gt DIR too" in result.err and "per-frame:" not in result.out
    result = cli("sweep", keyframe, "--clip", tmp_path, "--out", tmp_path / "s")
    assert result.code == 2 and "--clip expects a `jejunet synth` folder" in result.err
    result = cli("sweep", keyframe, "--gt", tmp_path / "nothing", "--out", tmp_path / "s")
    assert result.code == 2 and "--gt is not a folder" in result.err and "per-frame:" not in result.out


def test_chart_plots_ground_truth_when_given() -> None:
    from jejunet.sweep import Case, chart_axis

    with_gt = [Case("per-frame", [], "per-frame", {"miou_gt": 0.2, "pixel_agreement": 1.0})]
    assert chart_axis(with_gt) == ("miou_gt", "mIoU against ground truth (%)")
    without = [Case("per-frame", [], "per-frame", {"pixel_agreement": 1.0})]
    assert chart_axis(without)[0] == "pixel_agreement"
