"""Queue policies (block, drop_oldest, latest), mode defaults and drop accounting per edge."""

from __future__ import annotations

from typing import Any

import pytest

from jejunet.errors import PipelineError
from jejunet.graph.compiler import compile_file
from jejunet.graph.queues import edge_queues
from jejunet.graph.threaded import run_threaded
from tests.conftest import PIPELINES
from tests.fakes import RECORDS, graph, source

FRAMES = 60


def _slow_sink_graph(queue: dict[str, Any] | None, key: str, mode: str = "offline") -> Any:
    edge: dict[str, Any] = {"from": "source.image"}
    if queue is not None:
        edge["queue"] = queue
    return graph(
        [
            source(FRAMES),
            {"id": "sink", "op": "xtest_record", "params": {"key": key, "ms": 15}, "inputs": {"image": edge}},
        ],
        mode,
    )


def _check_accounting(report: Any, key: str) -> list[int]:
    seen = [i for i, _ in RECORDS[key]]
    assert seen == sorted(set(seen)), "frames out of order or repeated"
    assert report.frames == len(seen)
    assert report.frames + report.dropped == report.source_frames == FRAMES
    assert sum(e.dropped for e in report.edges.values()) == report.dropped
    assert all(e.max_depth <= e.size for e in report.edges.values())
    return seen


def test_block_is_lossless() -> None:
    report = run_threaded(_slow_sink_graph({"size": 2, "policy": "block"}, "block"))
    assert _check_accounting(report, "block") == list(range(FRAMES))
    (edge,) = report.edges.values()
    assert (edge.policy, edge.size, edge.dropped, edge.max_depth) == ("block", 2, 0, 2)


@pytest.mark.parametrize("policy", ["drop_oldest", "latest"])
def test_dropping_policies_count_drops_and_keep_order(policy: str) -> None:
    # the source gives frames at once, the sink takes 15 ms: most frames must be dropped
    report = run_threaded(_slow_sink_graph({"size": 2, "policy": policy}, policy))
    seen = _check_accounting(report, policy)
    assert report.dropped > FRAMES // 4
    assert seen[0] == 0 and seen[-1] == FRAMES - 1  # the first and the newest frame get through
    assert report.to_dict()["edges"]["source.image->sink.image"]["dropped"] == report.dropped


def test_latest_keeps_less_waiting_than_drop_oldest() -> None:
    """`latest` hands the sink the newest frame: fewer frames reach it than with a deep drop_oldest."""
    reports = {}
    for policy in ("drop_oldest", "latest"):
        reports[policy] = run_threaded(_slow_sink_graph({"size": 8, "policy": policy}, f"l-{policy}"))
    # drop_oldest holds up to 8 frames in the edge and 8 waiting; latest only the edge and one
    assert reports["drop_oldest"].frames > reports["latest"].frames


def test_mode_picks_the_defaults() -> None:
    offline = compile_file(PIPELINES / "selfie_per_frame.yaml")
    assert {(q.policy, q.size) for q in edge_queues(offline, "offline")} == {("block", 16)}
    realtime = {q.name: (q.policy, q.size) for q in edge_queues(offline, "realtime")}
    assert realtime["source.image->resize.image"] == ("latest", 1)
    assert realtime["source.image->overlay.image"] == ("latest", 1)
    assert realtime["segment.probs->upsample.probs"] == ("block", 1)


def test_file_settings_override_the_defaults() -> None:
    compiled = _slow_sink_graph({"policy": "drop_oldest"}, "o")
    (q,) = edge_queues(compiled, "offline")
    assert (q.policy, q.size, q.explicit) == ("drop_oldest", 16, True)
    compiled = _slow_sink_graph({"size": 3}, "o", mode="realtime")
    (q,) = edge_queues(compiled, "realtime")
    assert (q.policy, q.size) == ("latest", 3)


@pytest.mark.parametrize(
    ("queue", "message"),
    [
        ({"size": 0}, "greater than or equal to 1"),
        ({"policy": "leaky"}, "'block', 'drop_oldest' or 'latest'"),
        ({"sise": 2}, "unknown field"),
    ],
)
def test_bad_queue_settings_are_located(queue: dict[str, Any], message: str) -> None:
    with pytest.raises(PipelineError, match=message) as info:
        _slow_sink_graph(queue, "bad")
    assert "node 'sink'" in str(info.value) and "queue" in str(info.value)


def test_realtime_diamond_drops_whole_frames_and_joins_match() -> None:
    """A slow branch beside a direct edge: drops happen before the fork, so every join matches."""
    compiled = graph(
        [
            source(FRAMES, ms=3),  # a frame every 3 ms, as a decoder gives them
            {"id": "slow", "op": "xtest_delay", "params": {"ms": 12}, "inputs": {"image": "source.image"}},
            {
                "id": "sink",
                "op": "xtest_record",
                "params": {"key": "diamond"},
                "inputs": {"image": "slow.image", "extra": "source.image"},
            },
        ],
        mode="realtime",
    )
    report = run_threaded(compiled, realtime=True)
    seen = RECORDS["diamond"]
    assert len(seen) >= 3 and seen[-1][0] == FRAMES - 1 and report.dropped > 0
    assert all(a == b for _, (a, b) in seen)
    # a frame dropped before the fork is counted on the edges that were full (here the direct one)
    out_of_source = [e for name, e in report.edges.items() if name.startswith("source.")]
    assert sum(e.dropped for e in out_of_source) >= report.dropped
    assert report.edges["slow.image->sink.image"].dropped == 0
    assert report.frames + report.dropped == FRAMES
