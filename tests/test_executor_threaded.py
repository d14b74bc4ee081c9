"""The threaded executor gives the sequential executor's outputs: same frames, order and labels."""

from __future__ import annotations

from pathlib import Path

import pytest

from jejunet.graph.compiler import Overrides, compile_file, with_label_writer
from jejunet.graph.scheduler import run_graph
from jejunet.graph.threaded import run_threaded
from tests.conftest import PIPELINES
from tests.fakes import RECORDS, graph, source


def _labels_of(pipeline: str, executor: str, bikes: Path, tmp_path: Path, frames: int) -> tuple:
    out = tmp_path / executor
    overrides = Overrides(
        sets=[f"source.max_frames={frames}"], input=str(bikes), output=str(out / "overlay.mp4")
    )
    compiled = with_label_writer(compile_file(PIPELINES / pipeline, overrides), str(out / "labels"))
    report = (run_graph if executor == "sequential" else run_threaded)(compiled)
    pngs = sorted((out / "labels").glob("*.png"))
    return report, [(p.name, p.read_bytes()) for p in pngs]


def _same_outputs(pipeline: str, bikes: Path, tmp_path: Path, frames: int) -> None:
    seq_report, seq = _labels_of(pipeline, "sequential", bikes, tmp_path, frames)
    thr_report, thr = _labels_of(pipeline, "threaded", bikes, tmp_path, frames)
    assert len(seq) == frames and [n for n, _ in thr] == [n for n, _ in seq]
    different = [name for (name, a), (_, b) in zip(seq, thr, strict=True) if a != b]
    assert not different, f"label maps differ on {different}"
    assert thr_report.frames == seq_report.frames == frames
    assert thr_report.keyframe_frames == seq_report.keyframe_frames
    assert thr_report.keyframe_reasons == seq_report.keyframe_reasons
    assert thr_report.dropped == 0 and thr_report.executor == "threaded"
    assert len(thr_report.latencies_s) == frames and thr_report.edges
    assert all(e.dropped == 0 and e.max_depth <= e.size for e in thr_report.edges.values())


def test_selfie_per_frame_same_labels(bikes: Path, selfie_model: Path, tmp_path: Path) -> None:
    _same_outputs("selfie_per_frame.yaml", bikes, tmp_path, 24)


def test_selfie_keyframe_same_labels_feedback(bikes: Path, selfie_model: Path, tmp_path: Path) -> None:
    # crosses the scene cut at frame 30: keyframes, skipped frames and the warp's feedback edge
    _same_outputs("selfie_keyframe.yaml", bikes, tmp_path, 40)


@pytest.mark.slow
def test_deeplab_keyframe_same_labels(bikes: Path, deeplab_model: Path, tmp_path: Path) -> None:
    _same_outputs("deeplab_keyframe.yaml", bikes, tmp_path, 80)


def test_order_kept_with_jittery_branches() -> None:
    compiled = graph(
        [
            source(40),
            {"id": "a", "op": "xtest_delay", "params": {"jitter_ms": 6}, "inputs": {"image": "source.image"}},
            {"id": "b", "op": "xtest_delay", "params": {"ms": 1}, "inputs": {"image": "a.image"}},
            {
                "id": "sink",
                "op": "xtest_record",
                "params": {"key": "order"},
                "inputs": {"image": "b.image", "extra": "source.image"},
            },
        ]
    )
    report = run_threaded(compiled)
    seen = RECORDS["order"]
    assert [i for i, _ in seen] == list(range(40))
    assert all(a == b for _, (a, b) in seen)  # the two inputs of every call are the same frame
    assert report.frames == 40 and report.dropped == 0


@pytest.mark.parametrize("producer", ["self", "downstream"])
def test_feedback_edges_match_sequential(producer: str) -> None:
    prev_from = "blend.image" if producer == "self" else "after.image"
    nodes = [
        source(30),
        {
            "id": "blend",
            "op": "xtest_blend",
            "inputs": {"image": "source.image", "prev": {"from": prev_from, "previous": True}},
        },
        {"id": "after", "op": "xtest_delay", "params": {"jitter_ms": 4}, "inputs": {"image": "blend.image"}},
        {"id": "sink", "op": "xtest_record", "params": {"key": "fb"}, "inputs": {"image": "after.image"}},
    ]
    run_graph(graph(nodes))
    expected = list(RECORDS["fb"])
    run_threaded(graph(nodes))
    assert RECORDS["fb"] == expected
    assert len({sums for _, sums in expected}) == 30


def test_a_feedback_value_known_to_be_skipped_is_not_waited_for(deeplab_model: Path) -> None:
    """deeplab_keyframe's gate reads the network's labels of the frame before. On frames the gate
    skipped, the network did not run, so the gate need not wait for the network's thread; the
    warp's own feedback (its producer has other inputs) is always waited for."""
    from jejunet.graph.session import RunSession
    from jejunet.graph.threaded import ThreadedRun

    compiled = compile_file(PIPELINES / "deeplab_keyframe.yaml")
    run = ThreadedRun(RunSession(compiled, executor="threaded", parallel=True))
    slots = {(w.node_id, name): slot for w in run.workers.values() for name, slot, _ in w.feedback_in}
    assert slots[("gate", "labels")].skip_inputs == (("image", "image"),)
    assert slots[("warp", "prev_labels")].skip_inputs == ()


def test_the_gate_runs_ahead_while_the_network_is_held_up() -> None:
    """The consumer of a feedback edge does not wait for a producer that cannot have run.

    `net` runs on frame 0 only, and its output then waits in a one-place queue behind `wait`,
    which holds on until `gate` has reached frame 15. `gate` reads `net`'s previous output: on
    frames it skipped, `net` did not run, so that value is SKIPPED without asking `net`'s thread.
    Waiting for it would deadlock (the stall report would end the run).
    """
    from tests.fakes import GATE_PASSED

    GATE_PASSED.clear()
    nodes = [
        source(20),
        {
            "id": "gate",
            "op": "xtest_first_only",
            "params": {"release_at": 15},
            "inputs": {"image": "source.image", "prev": {"from": "net.image", "previous": True}},
        },
        {"id": "net", "op": "xtest_delay", "inputs": {"image": "gate.image"}},
        {"id": "wait", "op": "xtest_wait", "inputs": {"image": {"from": "net.image", "queue": {"size": 1}}}},
    ]
    report = run_threaded(graph(nodes), stall_timeout=5.0)
    assert report.frames == 20 and GATE_PASSED.is_set()


def test_a_dropped_gap_frame_hands_its_mark_to_the_next_frame_kept() -> None:
    from jejunet.graph.edges import EOS, Packet
    from jejunet.graph.threaded import carry_gap
    from jejunet.ops.base import FrameInfo

    dropped = Packet(3, FrameInfo(3, 0.12, gap=True), 0.0, {})
    kept = Packet(4, FrameInfo(4, 0.16), 0.0, {})
    carry_gap(dropped, kept)
    assert kept.info.gap and kept.info.index == 4
    plain = Packet(5, FrameInfo(5, 0.2), 0.0, {})
    carry_gap(Packet(4, FrameInfo(4, 0.16), 0.0, {}), plain)
    assert not plain.info.gap
    carry_gap(dropped, EOS)  # the end of the stream takes nothing
