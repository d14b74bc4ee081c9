"""Late results in realtime: delayed edges that never wait, a network off the frame path, origins.

Offline determinism of the same mechanism is in tests/test_late_result.py.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from jejunet.errors import PipelineError
from jejunet.graph.compiler import Overrides, compile_data, compile_file
from jejunet.graph.edges import EOS, Edge, Packet
from jejunet.graph.history import ValueHistory
from jejunet.graph.late import post
from jejunet.graph.loader import load_yaml
from jejunet.graph.queues import EdgeQueueSettings, offpath_nodes
from jejunet.graph.report import EdgeStats
from jejunet.graph.scheduler import run_graph
from jejunet.graph.threaded import run_threaded
from jejunet.kinds import FRAME
from jejunet.ops.base import SKIPPED, FrameInfo, Operator, Params, Port, RunContext
from jejunet.ops.late_result import LateResult, LateResultParams
from jejunet.ops.registry import register
from tests import fakes
from tests.conftest import PIPELINES
from tests.fakes import checksum, synthetic_frame

NET_MS = 150.0


class NetParams(Params):
    ms: float = NET_MS


@register
class SlowNet(Operator):
    """A fake network: `ms` a call, its output the frame it was given (booked as a keyframe)."""

    name = "xtest_late_net"
    Params = NetParams
    inputs = (Port("image", FRAME),)
    outputs = (Port("image", FRAME),)
    runs_network = True

    def process(self, info: FrameInfo, image: np.ndarray) -> dict[str, Any]:
        time.sleep(self.params.ms / 1e3)
        return {"image": image}


#: per key: (frame, origins, checksum of the late value) for every call of xtest_origins
SEEN: dict[str, list[tuple[int, dict[str, int], int]]] = {}


class SeenParams(Params):
    key: str = "late"


@register
class Origins(Operator):
    """A sink recording the late value it gets on each frame and the origin the executor names."""

    name = "xtest_origins"
    Params = SeenParams
    inputs = (Port("image", FRAME), Port("late", FRAME, optional=True, skippable=True))

    def open(self, ctx: RunContext) -> None:
        SEEN[self.params.key] = []

    def process(self, info: FrameInfo, image: np.ndarray, late: Any = None) -> dict[str, Any]:
        SEEN[self.params.key].append((info.index, dict(info.origins), checksum(late)))
        return {}


def _async_graph(frames: int, delay: int = 4, net_ms: float = NET_MS) -> list[dict[str, Any]]:
    """source → net (its only output: a delayed edge) ⇢ sink; the sink is the frame path."""
    return [
        fakes.source(frames, width=16, height=12),
        {"id": "net", "op": "xtest_late_net", "params": {"ms": net_ms}, "inputs": {"image": "source.image"}},
        {
            "id": "sink",
            "op": "xtest_origins",
            "inputs": {"image": "source.image", "late": {"from": "net.image", "delay": delay}},
        },
    ]


def _check_origins(frames: int) -> list[tuple[int, int]]:
    """Every late value is the frame its origin names, at or before the frame it arrives on, each
    delivered once, newest first; (frame, origin) of the arrivals."""
    arrivals = []
    for index, origins, late in SEEN["late"]:
        if late == -1:
            assert "late" not in origins
            continue
        origin = origins["late"]
        assert late == checksum(synthetic_frame(origin, 12, 16)) and origin <= index
        arrivals.append((index, origin))
    assert [o for _, o in arrivals] == sorted({o for _, o in arrivals})
    return arrivals


def test_realtime_the_frame_path_does_not_wait_for_a_network_off_it() -> None:
    """Paced at 25 fps (40 ms a frame), a 150 ms network: it takes the newest frame when free and
    the others are dropped on its own input; the frame path passes nearly every frame with a
    latency far below the network's time, and gets each result as soon as it is done."""
    compiled = fakes.graph(_async_graph(30))
    assert offpath_nodes(compiled, "realtime") == {"net"} and not offpath_nodes(compiled, "offline")
    report = run_threaded(compiled, realtime=True, pace=True).to_dict()
    net_edge = report["edges"]["source.image->net.image"]
    assert net_edge["policy"] == "latest" and net_edge["dropped"] >= 10  # at most ~9 calls in 1.4 s
    assert report["frames"] >= 0.8 * report["source_frames"]  # on the frame path: about 1 frame in 4
    assert report["latency_ms"]["p50"] < NET_MS / 2
    assert report["keyframes"] == report["nodes"]["net"]["calls"] >= 2  # booked though their frames were done
    arrivals = _check_origins(30)
    assert len(arrivals) >= 2 and any(index - origin >= 2 for index, origin in arrivals)


def test_offline_the_same_graph_reads_t_minus_delay_on_both_executors() -> None:
    seen = {}
    for name, run in (("sequential", run_graph), ("threaded", run_threaded)):
        run(fakes.graph(_async_graph(12, delay=3, net_ms=10)))
        seen[name] = SEEN["late"]
        assert _check_origins(12) == [(t, t - 3) for t in range(3, 12)]
    assert seen["sequential"] == seen["threaded"]


def test_sequential_realtime_reads_a_delayed_edge_one_frame_back() -> None:
    run_graph(fakes.graph(_async_graph(8, delay=4, net_ms=10), mode="realtime"))
    assert _check_origins(8) == [(t, t - 1) for t in range(1, 8)]


def test_newest_after_gives_each_value_once_newest_first() -> None:
    history = ValueHistory()
    for k, v in ((2, "a"), (3, SKIPPED), (5, "b"), (6, "c")):
        history.write(k, v)
    assert history.newest_after(-1, 5) == ("b", 5)  # 6 is newer than the reader's frame
    assert history.newest_after(5, 5) == (SKIPPED, None)  # nothing new
    assert history.newest_after(5, 9) == ("c", 6)
    assert history.read_at(3) == (SKIPPED, None)  # a SKIPPED value names no origin


def _flow(dx: float) -> np.ndarray:
    flow = np.zeros((32, 32, 2), np.float32)
    flow[..., 0] = dx
    return flow


def _stripe() -> np.ndarray:
    labels = np.zeros((32, 32), np.uint8)
    labels[:, 16:20] = 15
    return labels


def test_late_result_composes_the_flows_from_the_named_origin() -> None:
    """delay 4, but the result of frame 5 arrives on frame 7: two flows of 1 px, not four."""
    op = LateResult(LateResultParams(delay=4, max_age=8), "late")
    op.open(RunContext())
    for i in range(7):
        op.process(FrameInfo(i, 0), _flow(1.0))
    out = op.process(FrameInfo(7, 0, origins={"labels": 5}), _flow(1.0), _stripe())["labels"]
    assert np.array_equal(np.flatnonzero(out[0]), np.arange(14, 18))
    now = op.process(FrameInfo(8, 0, origins={"labels": 8}), _flow(1.0), _stripe())["labels"]
    assert np.array_equal(now, _stripe())  # its own frame: nothing to carry
    assert op.run_info()["late_age_frames"] == {"p50": 2, "max": 2}


def test_late_result_refuses_a_result_older_than_its_flows_or_the_last_cut() -> None:
    op = LateResult(LateResultParams(delay=2, max_age=3), "late")
    op.open(RunContext())
    for i in range(6):
        op.process(FrameInfo(i, 0), _flow(1.0))
    old = op.process(FrameInfo(6, 0, origins={"labels": 1}), _flow(1.0), _stripe())["labels"]
    assert not old.any()  # flows of frames 4–6 kept: frame 1's result cannot be carried
    assert op.process(FrameInfo(7, 0, origins={"labels": 5}), _flow(1.0), _stripe())["labels"].any()
    frame = np.zeros((32, 32, 3), np.uint8)
    assert not op.process(FrameInfo(8, 0), _flow(0.0), cut=frame)["labels"].any()
    stale = op.process(FrameInfo(9, 0, origins={"labels": 7}), _flow(0.0), _stripe())["labels"]
    assert stale is SKIPPED  # from the shot before the cut: warp keeps the background
    assert op.run_info()["late_refused"] == {"too_old": 1, "before_cut": 1}


def test_an_offline_late_result_must_match_its_edge() -> None:
    pipeline = PIPELINES / "keyframe_async.yaml"
    with pytest.raises(PipelineError) as error:
        compile_file(pipeline, Overrides(sets=["late.delay=2"]))
    (line,) = str(error.value).splitlines()
    assert "node 'late'" in line and "delay" in line and "(4)" in line
    data, positions = load_yaml(pipeline)
    data["mode"] = "realtime"
    data["nodes"][5]["params"]["delay"] = 2
    compile_data(data, positions, pipeline)  # realtime: the origins decide
    data["nodes"][5]["inputs"]["labels"] = "segment.labels"
    with pytest.raises(PipelineError, match="node 'late'.*'labels' must come through a delayed edge"):
        compile_data(data, positions, pipeline)


@pytest.mark.slow
def test_keyframe_async_realtime_keeps_the_network_off_the_frame_path(
    bikes: Path, deeplab_model: Path
) -> None:
    """The shipped pipeline, threaded, realtime at the clip's rate: the network is no terminal,
    every result arrives named by its own keyframe, and carried frames do not wait for it."""
    compiled = compile_file(
        PIPELINES / "keyframe_async.yaml", Overrides(sets=["source.max_frames=50"], input=str(bikes))
    )
    tap = LateTap()
    report = run_threaded(
        compiled, RunContext(pipeline_file=compiled.file), realtime=True, pace=True, hooks=[tap]
    )
    data = report.to_dict()
    assert data["mode"] == "realtime" and data["offpath"] == ["segment"]
    assert data["edges"]["gate.image->segment.image"]["policy"] == "latest"
    assert data["frames"] + data["dropped"] == data["source_frames"] == 50
    keyframes = set(data["keyframe_frames"])
    assert tap.arrivals and all(origin in keyframes and origin <= index for index, origin in tap.arrivals)
    assert data["latency_ms"]["p50"] < data["nodes"]["segment"]["p50_ms"]


class LateTap:
    """A run hook: (frame, origin) of every late result the late node was given."""

    def __init__(self) -> None:
        self.arrivals: list[tuple[int, int]] = []

    def node_done(self, node: str, frame: int, info: FrameInfo, inputs: dict, **_: Any) -> None:
        if node == "late" and inputs.get("labels") is not SKIPPED:
            self.arrivals.append((frame, info.origins["labels"]))


def test_a_mailbox_takes_only_frames_with_work_and_keeps_the_newest() -> None:
    settings = EdgeQueueSettings("gate", "image", "net", "image", 1, "latest", False, mailbox=True)
    edge, net = Edge(settings, EdgeStats("latest", 1)), SlowNet(NetParams(), "net")
    frame = np.zeros((2, 2, 3), np.uint8)
    packets = [
        Packet(i, FrameInfo(i, 0, gap=i == 1), 0.0, {"image": frame if i else SKIPPED}) for i in range(4)
    ]
    assert post(edge, packets[0], net) == [] and not edge.items  # a skipped frame: no work, not posted
    assert post(edge, packets[1], net) == []
    assert post(edge, packets[2], net) == [packets[1]]  # the older one waiting is dropped...
    assert edge.items[0].info.gap  # ...and its forced-keyframe mark goes to the one kept
    assert post(edge, EOS, net) == [packets[2]] and list(edge.items) == [EOS]
    assert edge.stats.dropped == 2
