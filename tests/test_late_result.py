"""Late results: delayed edges (`delay: N`) and the late_result operator (asynchronous keyframes)."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest

from jejunet.graph.compiler import Overrides, compile_file
from jejunet.graph.scheduler import run_graph
from jejunet.graph.spec import EdgeSpec
from jejunet.graph.threaded import run_threaded
from jejunet.ops.base import SKIPPED, FrameInfo, RunContext
from jejunet.ops.flow_compose import carry_labels, compose_flows, shrink_flow
from jejunet.ops.late_result import LateResult, LateResultParams
from tests import fakes
from tests.conftest import PIPELINES
from tests.fakes import RECORDS


def test_previous_is_delay_one_and_a_delay_crosses_frames() -> None:
    assert EdgeSpec.model_validate({"from": "a.b", "previous": True}).delay == 1
    late = EdgeSpec.model_validate({"from": "a.b", "delay": 3})
    assert late.previous and late.delay == 3
    assert EdgeSpec.model_validate({"from": "a.b"}).delay == 0


@pytest.mark.parametrize("run", [run_graph, run_threaded], ids=["sequential", "threaded"])
def test_a_delayed_edge_gives_the_value_of_frame_t_minus_delay(run) -> None:
    """A slow producer behind a delay of 3: frame t sees the producer's frame t − 3, on both executors."""
    nodes = [
        fakes.source(12),
        {"id": "slow", "op": "xtest_delay", "params": {"ms": 5}, "inputs": {"image": "source.image"}},
        {
            "id": "sink",
            "op": "xtest_record",
            "params": {"key": "late"},
            "inputs": {"image": "source.image", "extra": {"from": "slow.image", "delay": 3}},
        },
        {"id": "now", "op": "xtest_record", "params": {"key": "now"}, "inputs": {"image": "source.image"}},
    ]
    run(fakes.graph(nodes))
    now = dict(RECORDS["now"])
    late = RECORDS["late"]
    assert [i for i, _ in late] == list(range(3, 12))  # SKIPPED before frame 3: the sink is not called
    for index, (image, extra) in late:
        assert image == now[index][0] and extra == now[index - 3][0]


def test_composed_flows_add_up_and_carry_labels() -> None:
    flow = np.zeros((32, 32, 2), np.float32)
    flow[..., 0] = 2.0  # each frame shows what the one before had 2 px to the right
    total = compose_flows([flow, flow, flow], (32, 32))
    assert np.allclose(total[..., 0], 6.0) and np.allclose(total[..., 1], 0.0)
    labels = np.zeros((32, 32), np.uint8)
    labels[:, 16:20] = 15
    carried = carry_labels(labels, total)
    assert np.array_equal(np.flatnonzero(carried[0]), np.arange(10, 14))  # moved 6 px left


def test_flows_are_composed_on_their_coarse_grid_and_resized_once() -> None:
    flow = np.zeros((36, 64, 2), np.float32)
    flow[..., 0], flow[..., 1] = 4.0, -2.0  # at the flows' own size (64 wide)
    small = shrink_flow(flow, 16)
    assert small.shape == (9, 16, 2) and np.allclose(small[..., 0], 1.0) and np.allclose(small[..., 1], -0.5)
    assert shrink_flow(flow, 64) is flow and shrink_flow(flow, None) is flow
    # composed 16 wide, then resized to the result's 144 × 256: vectors scaled by 16
    total = compose_flows([small, small, small], (144, 256))
    assert total.shape == (144, 256, 2)
    assert np.allclose(total[..., 0], 3 * 16.0) and np.allclose(total[..., 1], 3 * -8.0)


def test_late_result_keeps_its_flows_flow_width_wide() -> None:
    op = LateResult(LateResultParams(delay=2, flow_width=16), "late")
    op.open(RunContext())
    flow = np.zeros((32, 64, 2), np.float32)
    flow[..., 0] = 4.0  # 4 px a frame at 64 wide
    labels = np.zeros((32, 64), np.uint8)
    labels[:, 40:44] = 15
    outs = [op.process(FrameInfo(i, i / 25), flow, labels if i == 2 else SKIPPED) for i in range(3)]
    assert op.flows.frames[-1][1].shape == (8, 16, 2)
    assert np.array_equal(np.flatnonzero(outs[2]["labels"][0]), np.arange(32, 36))  # 2 frames × 4 px


def test_late_result_carries_the_result_of_frame_t_minus_delay() -> None:
    op = LateResult(LateResultParams(delay=3), "late")
    op.open(RunContext())
    flow = np.zeros((32, 32, 2), np.float32)
    flow[..., 0] = 1.0
    labels = np.zeros((32, 32), np.uint8)
    labels[:, 16:20] = 15
    outs = [op.process(FrameInfo(i, i / 25), flow, labels if i == 3 else SKIPPED) for i in range(6)]
    assert not outs[0]["labels"].any() and outs[1]["labels"].shape == (32, 32)  # background before any
    assert np.array_equal(np.flatnonzero(outs[3]["labels"][0]), np.arange(13, 17))  # 3 frames × 1 px
    assert outs[4]["labels"] is SKIPPED and outs[5]["labels"] is SKIPPED
    assert op.run_info() == {"late_results": 1, "delay_frames": 3, "late_age_frames": {"p50": 3, "max": 3}}


@pytest.mark.slow
def test_async_pipeline_is_identical_on_both_executors(
    bikes: Path, deeplab_model: Path, tmp_path: Path
) -> None:
    """keyframe_async.yaml: the network's labels arrive 4 frames late; offline, both executors agree
    byte for byte, every keyframe's result is delivered 4 frames after its frame, and a cut clears
    the carried labels on the cut's own frame."""
    pipeline = PIPELINES / "keyframe_async.yaml"
    labels: dict[str, list[np.ndarray]] = {}
    reports = {}
    for name, run in (("sequential", run_graph), ("threaded", run_threaded)):
        video = str(tmp_path / f"{name}.mp4")
        compiled = compile_file(
            pipeline, Overrides(sets=["source.max_frames=40"], input=str(bikes), output=video)
        )
        tap = LabelTap()
        reports[name] = run(compiled, RunContext(pipeline_file=pipeline), hooks=[tap]).to_dict()
        labels[name] = [tap.labels[i] for i in sorted(tap.labels)]
        arrivals = sorted(tap.arrivals)
        cuts = [int(f) for f, why in reports[name]["keyframe_reasons"].items() if why == "cut"]
        keys = reports[name]["keyframe_frames"]
        late = [k + 4 for k in keys if k + 4 < 40 and not any(k < c <= k + 4 for c in cuts)]
        assert arrivals == sorted({*late, *cuts})  # results 4 frames late; background from each cut
        assert tap.origins == {k + 4: k for k in keys if k + 4 < 40}  # refused after a cut, but named
    assert len(labels["sequential"]) == len(labels["threaded"]) == 40
    for a, b in zip(labels["sequential"], labels["threaded"], strict=True):
        assert np.array_equal(a, b)
    assert reports["sequential"]["keyframe_frames"] == reports["threaded"]["keyframe_frames"]


class LabelTap:
    """A run hook: warp's labels by frame, and the frames a late result arrived on."""

    def __init__(self) -> None:
        self.labels: dict[int, np.ndarray] = {}
        self.arrivals: list[int] = []
        self.origins: dict[int, int] = {}  # frame → the frame of the late result it was given
        self.lock = threading.Lock()

    def node_done(self, node: str, frame: int, outputs: dict, info: FrameInfo, inputs: dict, **_) -> None:
        with self.lock:
            if node == "warp":
                self.labels[frame] = outputs["labels"]
            elif node == "late":
                if inputs.get("labels") is not SKIPPED:
                    self.origins[frame] = info.origins["labels"]
                if frame >= 4 and outputs["labels"] is not SKIPPED:
                    self.arrivals.append(frame)


def test_a_scene_cut_clears_the_carried_result_until_its_own_arrives() -> None:
    op = LateResult(LateResultParams(delay=2), "late")
    op.open(RunContext())
    flow = np.zeros((8, 8, 2), np.float32)
    old = np.full((8, 8), 15, np.uint8)
    frame = np.zeros((8, 8, 3), np.uint8)
    assert op.process(FrameInfo(2, 0), flow, old)["labels"].max() == 15  # the old shot's result
    assert op.process(FrameInfo(3, 0), flow, SKIPPED)["labels"] is SKIPPED
    cut = op.process(FrameInfo(4, 0), flow, SKIPPED, cut=frame)["labels"]
    assert cut.shape == (8, 8) and not cut.any()  # background from the cut on
    assert op.process(FrameInfo(5, 0), flow, SKIPPED, cut=SKIPPED)["labels"] is SKIPPED
