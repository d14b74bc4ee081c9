"""Optical flow and warp: motion compensation beats holding the labels; feedback pipelines run."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np

from jejunet.kinds import Probs
from jejunet.ops.base import SKIPPED, FrameInfo, RunContext
from jejunet.ops.optical_flow import OpticalFlow, OpticalFlowParams
from jejunet.ops.warp import Warp, WarpParams, fuse_probs, warp_labels, warp_probs
from tests.conftest import PIPELINES


def textured(shift: int) -> np.ndarray:
    """A smooth random texture, shifted right by `shift` pixels."""
    rng = np.random.default_rng(0)
    base = cv2.GaussianBlur(rng.integers(0, 255, (128, 192, 3), dtype=np.uint8), (0, 0), 3)
    return np.ascontiguousarray(np.roll(base, shift, axis=1)[:, 32:160])


def test_flow_recovers_a_translation_and_warp_follows_it() -> None:
    flow_op = OpticalFlow(OpticalFlowParams(preset="medium"), "flow")
    flow_op.open(RunContext())
    first = flow_op.process(FrameInfo(0, 0), textured(0))["flow"]
    assert not first.any()  # no previous frame
    flow = flow_op.process(FrameInfo(1, 0.04), textured(4))["flow"]
    inner = flow[16:-16, 16:-16]
    assert abs(float(np.median(inner[..., 0])) + 4) < 0.5  # current x ↔ previous x − 4
    assert abs(float(np.median(inner[..., 1]))) < 0.5
    labels = np.zeros((128, 128), np.uint8)
    labels[40:80, 40:80] = 15
    moved = warp_labels(labels, flow)
    expected = np.roll(labels, 4, axis=1)
    assert (moved[16:-16, 16:-16] == expected[16:-16, 16:-16]).mean() > 0.99
    assert (labels[16:-16, 16:-16] == expected[16:-16, 16:-16]).mean() < 0.99  # holding is worse


def test_flow_at_a_working_width_is_rescaled() -> None:
    op = OpticalFlow(OpticalFlowParams(preset="fast", width=64), "flow")
    op.open(RunContext())
    op.process(FrameInfo(0, 0), textured(0))
    flow = op.process(FrameInfo(1, 0.04), textured(6))["flow"]
    assert flow.shape == (128, 128, 2)
    assert abs(float(np.median(flow[32:-32, 32:-32, 0])) + 6) < 1.0


def test_warp_probs_bilinear() -> None:
    data = np.zeros((8, 8, 2), np.float32)
    data[..., 0] = 1
    data[2:4, 2:4] = (0, 1)
    flow = np.zeros((8, 8, 2), np.float32)
    flow[..., 0] = -1.0
    warped = warp_probs(Probs(data, np.array([0, 15], np.uint8)), flow)
    assert warped.argmax()[2, 3] == 15 and warped.argmax()[2, 4] == 15 and warped.argmax()[2, 2] == 0


def test_warp_passes_fresh_labels_and_carries_otherwise() -> None:
    op = Warp(WarpParams(), "warp")
    fresh = np.full((4, 4), 7, np.uint8)
    flow = np.zeros((4, 4, 2), np.float32)
    assert op.process(FrameInfo(0, 0), labels=fresh, prev_labels=SKIPPED, flow=flow)["labels"] is fresh
    carried = op.process(FrameInfo(1, 0), labels=SKIPPED, prev_labels=fresh, flow=flow)["labels"]
    np.testing.assert_array_equal(carried, fresh)
    hold = Warp(WarpParams(method="hold"), "warp")
    assert hold.process(FrameInfo(1, 0), labels=SKIPPED, prev_labels=fresh, flow=flow)["labels"] is fresh


def _person(x0: int, x1: int, p: float = 0.9) -> Probs:
    data = np.zeros((8, 8, 2), np.float32)
    data[..., 0] = 1.0
    data[2:6, x0:x1] = (1 - p, p)
    return Probs(data, np.array([0, 15], np.uint8))


def test_fuse_blends_the_carried_probabilities_into_a_keyframe() -> None:
    fresh, carried = _person(2, 6, 0.9), _person(2, 5, 0.6)  # agree on 60 of 64 pixels
    fused = fuse_probs(fresh, carried, 0.5)
    np.testing.assert_allclose(fused.data, (fresh.data + carried.data) / 2, atol=1e-6)
    assert fused.argmax()[3, 3] == 15  # person in both: stays
    assert fused.argmax()[3, 5] == 0  # person only in the fresh one (0.9, carried 0.0): 0.45 → background
    op = Warp(WarpParams(fuse=0.5), "warp")
    flow = np.zeros((8, 8, 2), np.float32)
    out = op.process(FrameInfo(5, 0), probs=fresh, prev_probs=carried, flow=flow)
    np.testing.assert_allclose(out["probs"].data, fused.data)
    plain = Warp(WarpParams(), "warp").process(FrameInfo(5, 0), probs=fresh, prev_probs=carried, flow=flow)
    assert plain["probs"] is fresh  # fuse 0: keyframes pass unchanged


def test_fuse_stops_at_a_scene_cut_and_on_the_first_frame() -> None:
    fresh, carried = _person(0, 2), _person(5, 8)
    op = Warp(WarpParams(fuse=0.5), "warp")
    flow = np.zeros((8, 8, 2), np.float32)
    image = np.zeros((8, 8, 3), np.uint8)
    same_shot = op.process(FrameInfo(9, 0), probs=fresh, prev_probs=carried, flow=flow, cut=SKIPPED)
    assert same_shot["probs"] is not fresh
    at_cut = op.process(FrameInfo(9, 0), probs=fresh, prev_probs=carried, flow=flow, cut=image)
    assert at_cut["probs"] is fresh  # the gate forced this keyframe for a cut: the old scene is gone
    assert op.process(FrameInfo(0, 0), probs=fresh, prev_probs=SKIPPED, flow=flow)["probs"] is fresh
    held = Warp(WarpParams(method="hold", fuse=0.5), "warp")  # hold needs no flow, and still fuses
    out = held.process(FrameInfo(9, 0), probs=fresh, prev_probs=carried, cut=SKIPPED)["probs"]
    np.testing.assert_allclose(out.data, (fresh.data + carried.data) / 2, atol=1e-6)


def test_gate_marks_cut_keyframes(bikes: Path) -> None:
    from jejunet.ops.decode import Decode, DecodeParams
    from jejunet.ops.keyframe_gate import KeyframeGate, KeyframeGateParams

    source = Decode(DecodeParams(source=str(bikes), start=25, max_frames=10), "source")
    source.open(RunContext())
    gate = KeyframeGate(KeyframeGateParams(motion_threshold=20.0, max_gap=60), "gate")
    gate.open(RunContext())
    marked = []
    for info, produced in source.frames():
        small = cv2.resize(produced["image"], (256, 256))
        out = gate.process(info, small)
        if out["cut"] is not SKIPPED:
            assert out["cut"] is out["image"] is small
            marked.append(info.index)
    assert marked == [5]  # bikes.mp4's first cut (frame 30), the 6th frame from 25


def test_fuse_needs_probabilities(cli, tmp_path: Path, shared) -> None:
    bad = tmp_path / "f.yaml"
    text = (PIPELINES / "deeplab_keyframe.yaml").read_text()
    warp = "    op: warp\n"
    assert text.count(warp) == 1
    fused = text.replace(warp, warp + "    params: {fuse: 0.3}\n")  # the warp node's own params
    bad.write_text(fused)
    result = cli("graph", "validate", bad)
    assert result.code == 2 and "field 'fuse': fuse blends probabilities" in result.err


def test_fuse_needs_the_gates_cut_output(cli, tmp_path: Path, shared) -> None:
    warp = "  - id: warp\n    op: warp\n"
    good = (PIPELINES / "selfie_keyframe.yaml").read_text().replace(warp, warp + "    params: {fuse: 0.5}\n")
    assert "cut: gate.cut" in good
    path = tmp_path / "g.yaml"
    path.write_text(good)
    assert cli("graph", "validate", path).code == 0
    path.write_text("\n".join(line for line in good.splitlines() if "cut: gate.cut" not in line))
    result = cli("graph", "validate", path)
    assert result.code == 2 and "connect 'cut' to the gate's cut output" in result.err


def test_keyframe_pipeline_runs_with_feedback_and_reports_reasons(cli, tmp_path: Path, bikes: Path) -> None:
    report = tmp_path / "r.json"
    result = cli(
        "graph",
        "run",
        PIPELINES / "deeplab_keyframe.yaml",
        "--input",
        bikes,
        "--output",
        tmp_path / "o.mp4",
        "--max-frames",
        "40",
        "--labels-dir",
        tmp_path / "labels",
        "--report",
        report,
        "--quiet",
    )
    assert result.code == 0, result.err
    r = json.loads(report.read_text())
    assert r["frames"] == 40 and 2 <= r["keyframes"] < 40
    assert r["nodes"]["segment"]["calls"] == r["keyframes"]
    assert r["nodes"]["warp"]["calls"] == 40 and r["nodes"]["overlay"]["calls"] == 40
    assert r["keyframe_reasons"]["0"] == "first" and r["keyframe_reasons"]["30"] == "cut"
    assert sorted(int(k) for k in r["keyframe_reasons"]) == r["keyframe_frames"]
    assert len(list((tmp_path / "labels").glob("*.png"))) == 40


def test_selfie_keyframe_pipeline_validates_and_shows_feedback(cli) -> None:
    result = cli("graph", "show", PIPELINES / "selfie_keyframe.yaml")
    assert result.code == 0, result.err
    assert "warp.probs → warp.prev_probs [probs.f32] (feedback)" in result.out


def test_warp_without_its_feedback_is_refused(cli, tmp_path: Path, shared) -> None:
    bad = tmp_path / "w.yaml"
    bad.write_text(
        "nodes:\n"
        "  - {id: source, op: decode}\n"
        "  - {id: r, op: resize, inputs: {image: source.image}}\n"
        "  - {id: s, op: tflite_infer, inputs: {image: r.image}}\n"
        "  - {id: w, op: warp, inputs: {labels: s.labels}}\n"
    )
    result = cli("graph", "validate", bad)
    assert result.code == 2
    assert "connect 'prev_labels' to this node's own output (previous: true)" in result.err
    assert "method 'flow' needs the 'flow' input" in result.err
