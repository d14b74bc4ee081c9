"""`workers: N`: several instances of a stateless node on different frames at once, order kept."""

from __future__ import annotations

import pytest

from jejunet.errors import NodeError, UserError
from jejunet.graph.compiler import compile_file
from jejunet.graph.scheduler import run_graph
from jejunet.graph.threaded import run_threaded
from tests.conftest import PIPELINES
from tests.fakes import RECORDS, ParallelDelay, graph, source


def _pipeline(frames: int, workers: int, **delay: object) -> list[dict]:
    return [
        source(frames),
        {"id": "slow", "op": "xtest_parallel_delay", "workers": workers, "inputs": {"image": "source.image"},
         "params": {"ms": 25, "jitter_ms": 20, **delay}},
        {"id": "sink", "op": "xtest_record", "inputs": {"image": "slow.image"}, "params": {"key": "w"}},
    ]  # fmt: skip


def test_workers_run_at_once_and_keep_the_order() -> None:
    ParallelDelay.most_busy = 0
    report = run_threaded(graph(_pipeline(16, 3)))
    threaded = list(RECORDS["w"])
    assert ParallelDelay.most_busy >= 2  # instances overlapped (jittered delays finish out of order)
    assert [i for i, _ in threaded] == list(range(16)) and report.frames == 16
    run_graph(graph(_pipeline(16, 3)))  # the sequential executor runs one instance
    assert RECORDS["w"] == threaded  # same frames, same order, same pixels
    assert len(report.nodes["slow"].durations_s) == 16


def test_a_failing_worker_stops_the_run_naming_node_and_frame() -> None:
    with pytest.raises(NodeError) as err:
        run_threaded(graph(_pipeline(20, 2, fail_at=5)))
    assert "node 'slow'" in str(err.value) and "frame 5" in str(err.value)


def test_a_failure_is_reported_while_another_instance_is_still_busy() -> None:
    import time

    from tests.fakes import RELEASE

    RELEASE.clear()
    start = time.monotonic()
    try:  # frame 2 hangs in one instance (up to 60 s); frame 3 fails in the other
        with pytest.raises(NodeError) as err:
            run_threaded(graph(_pipeline(20, 2, hang_at=2, fail_at=3)), stall_timeout=30.0)
        waited = time.monotonic() - start
    finally:
        RELEASE.set()
    assert "node 'slow'" in str(err.value) and "frame 3" in str(err.value)
    assert waited < 20  # not held until the hung frame returns (60 s)


def test_workers_only_for_stateless_nodes_off_feedback_loops() -> None:
    stateful = [
        source(4),
        {"id": "flow", "op": "optical_flow", "workers": 2, "inputs": {"image": "source.image"}},
    ]
    with pytest.raises(UserError, match=r"workers.*keeps state between frames.*expected workers: 1, got 2"):
        graph(stateful)
    looped = [
        source(4),
        {"id": "blend", "op": "xtest_blend", "inputs": {"image": "source.image",
                                                       "prev": {"from": "blend.image", "previous": True}}},
    ]  # fmt: skip
    graph(looped)  # legal with one instance
    looped[1]["workers"] = 2
    with pytest.raises(UserError, match="keeps state"):  # xtest_blend is not stateless either
        graph(looped)
    with pytest.raises(UserError, match="workers"):
        graph([source(4), {**_pipeline(4, 0)[1]}])


def test_a_stateless_node_on_a_feedback_edge_is_refused() -> None:
    nodes = [
        source(4),
        {"id": "resize", "op": "resize", "workers": 2, "inputs": {"image": "source.image"},
         "params": {"width": 64, "height": 64}},
        {"id": "blend", "op": "xtest_blend", "inputs": {"image": "resize.image",
                                                       "prev": {"from": "blend.image", "previous": True}}},
        {"id": "sink", "op": "xtest_record", "inputs": {"image": "blend.image",
                                                       "extra": {"from": "resize.image", "previous": True}}},
    ]  # fmt: skip
    with pytest.raises(UserError, match=r"feedback edge \(.*\) runs as one instance"):
        graph(nodes)


def test_shipped_per_frame_pipelines_use_two_interpreters() -> None:
    for name in ("deeplab_per_frame", "selfie_per_frame"):
        node = compile_file(PIPELINES / f"{name}.yaml").nodes["segment"]
        assert node.workers == 2 and node.params.num_threads == 1
    # deeplab_keyframe's gate reads the network's labels of the frame before (a feedback edge):
    # one keyframe at a time, so one interpreter
    assert compile_file(PIPELINES / "deeplab_keyframe.yaml").nodes["segment"].workers == 1
