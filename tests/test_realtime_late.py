"""Late results in realtime: delayed edges that never wait, a network off the frame path, origins.

Offline determinism of the same mechanism is in tests/test_late_result.py.
"""

from __future__ import annotations

import threading
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
from jejunet.graph.session import RunSession
from jejunet.graph.threaded import ThreadedRun, run_threaded
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


#: set by xtest_held_net when it starts; xtest_held_sink sets NET_FREE on the last frame
NET_STARTED, NET_FREE = threading.Event(), threading.Event()
#: frames xtest_held_net was called on; (frame, network calls finished) of every xtest_held_sink call
HELD: dict[str, list[Any]] = {"net": [], "done": [], "sink": []}


@register
class HeldNet(Operator):
    """A fake network that cannot finish before the frame path is through (`NET_FREE`)."""

    name = "xtest_held_net"
    inputs = (Port("image", FRAME),)
    outputs = (Port("image", FRAME),)
    runs_network = True

    def process(self, info: FrameInfo, image: np.ndarray) -> dict[str, Any]:
        HELD["net"].append(info.index)
        NET_STARTED.set()
        if not NET_FREE.wait(20):
            raise RuntimeError("the frame path never got through")
        HELD["done"].append(info.index)
        return {"image": image}


class HeldSinkParams(Params):
    frames: int = 12


@register
class HeldSink(Operator):
    """The frame path's end: frame 0 waits until the network has started; the last frame frees it."""

    name = "xtest_held_sink"
    Params = HeldSinkParams
    inputs = (Port("image", FRAME), Port("late", FRAME, optional=True, skippable=True))

    def process(self, info: FrameInfo, image: np.ndarray, late: Any = None) -> dict[str, Any]:
        if info.index == 0 and not NET_STARTED.wait(20):
            raise RuntimeError("the network never started")
        HELD["sink"].append((info.index, len(HELD["done"]), checksum(late)))
        if info.index == self.params.frames - 1:
            NET_FREE.set()
        return {}


class FrameFlags:
    """A run hook: the `keyframe` flag of every frame done."""

    def __init__(self) -> None:
        self.flags: dict[int, bool] = {}

    def frame_done(self, frame: int, keyframe: bool, **_: Any) -> None:
        self.flags[frame] = keyframe


def test_realtime_the_frame_path_does_not_wait_for_a_network_off_it() -> None:
    """The network cannot finish before the sink has handled every frame: every frame gets
    through while it is held (a frame path waiting for it would stall), each frame the network
    was handed either ran or is counted dropped from its mailbox, and the frame it started on
    while that frame was in the graph is flagged a keyframe (report and `frame_done` agree)."""
    frames = 12
    NET_STARTED.clear(), NET_FREE.clear()
    for key in HELD:
        HELD[key] = []
    nodes = [
        fakes.source(frames, width=16, height=12),
        {"id": "net", "op": "xtest_held_net", "inputs": {"image": "source.image"}},
        {
            "id": "sink",
            "op": "xtest_held_sink",
            "params": {"frames": frames},
            "inputs": {
                "image": {"from": "source.image", "queue": {"policy": "block"}},
                "late": {"from": "net.image", "delay": 4},
            },
        },
    ]
    compiled = fakes.graph(nodes)
    assert offpath_nodes(compiled, "realtime") == {"net"} and not offpath_nodes(compiled, "offline")
    flags = FrameFlags()
    report = run_threaded(compiled, realtime=True, hooks=[flags]).to_dict()
    assert [(i, done) for i, done, _ in HELD["sink"]] == [(i, 0) for i in range(frames)]
    assert all(late == -1 for _, _, late in HELD["sink"])  # no result arrived: none was finished
    assert report["frames"] == report["source_frames"] == frames and report["offpath"] == ["net"]
    flagged = [i for i, flag in sorted(flags.flags.items()) if flag]
    assert flagged[:1] == HELD["net"][:1] and set(flagged) <= set(HELD["net"])
    net_edge = report["edges"]["source.image->net.image"]
    assert net_edge["policy"] == "latest" and net_edge["dropped"] == report["keyframes_dropped"]
    assert sorted(HELD["net"] + report["keyframe_frames_dropped"]) == list(range(frames))
    assert report["keyframe_frames"] == HELD["net"] and report["keyframes"] == len(HELD["net"])


@register
class EveryThird(Operator):
    """Passes every third frame (SKIPPED on the others)."""

    name = "xtest_every_third"
    inputs = (Port("image", FRAME),)
    outputs = (Port("image", FRAME),)

    def process(self, info: FrameInfo, image: np.ndarray) -> dict[str, Any]:
        return {"image": image if info.index % 3 == 0 else SKIPPED}


def _third_graph(edge: dict[str, Any]) -> list[dict[str, Any]]:
    """source → every third → net ⇢ sink (called on every third frame: its image is the gate's)."""
    return [
        fakes.source(8, width=16, height=12),
        {"id": "g", "op": "xtest_every_third", "inputs": {"image": "source.image"}},
        {"id": "net", "op": "xtest_late_net", "params": {"ms": 0}, "inputs": {"image": "g.image"}},
        {"id": "sink", "op": "xtest_origins", "inputs": {"image": "g.image", "late": edge}},
    ]


def test_a_late_value_waits_for_a_frame_the_consumer_is_called_on() -> None:
    """A result offered on a frame where the consumer is skipped is still there on its next call;
    results finished between two calls: the newest is given, the older counted superseded."""
    compiled = fakes.graph(_third_graph({"from": "net.image", "delay": 4}))
    run = ThreadedRun(RunSession(compiled, realtime=True, parallel=True))
    sink = run.workers["sink"]
    ((_, slot, _),) = sink.feedback_in
    image = synthetic_frame(0, 12, 16)

    def packets(index: int, value: Any) -> list[Packet]:
        return [Packet(index, FrameInfo(index, 0), 0.0, {"image": value})]

    slot.history.write(0, "r0")
    assert run.inputs(sink, packets(1, SKIPPED))[1].origins == {"late": 0}  # offered, not called
    inputs, info = run.inputs(sink, packets(3, image))
    assert inputs["late"] == "r0" and info.origins == {"late": 0}
    assert "late" not in run.inputs(sink, packets(4, image))[1].origins  # delivered once
    for k in (4, 5, 6):
        slot.history.write(k, f"r{k}")
    inputs, info = run.inputs(sink, packets(6, image))
    assert inputs["late"] == "r6" and slot.superseded == 2


def test_previous_true_keeps_its_producer_on_the_frame_path() -> None:
    """Only delayed edges take a node off the path; `previous: true` is read one frame back."""
    previous = fakes.graph(_third_graph({"from": "net.image", "previous": True}))
    assert not offpath_nodes(previous, "realtime")
    run_threaded(previous, realtime=True)
    origins = [origins["late"] for _, origins, late in SEEN["late"] if late != -1]
    assert len(origins) == len(set(origins))  # each value once
    delayed = fakes.graph(_third_graph({"from": "net.image", "delay": 2}))
    assert offpath_nodes(delayed, "realtime") == {"net"}


def test_a_realtime_late_result_refuses_previous_true() -> None:
    data, positions = load_yaml(PIPELINES / "keyframe_async.yaml")
    data["mode"] = "realtime"
    data["nodes"][5]["inputs"]["labels"] = {"from": "segment.labels", "previous": True}
    with pytest.raises(PipelineError, match="node 'late'.*delay: N}, N >= 2\\) in realtime"):
        compile_data(data, positions, PIPELINES / "keyframe_async.yaml")


def test_max_age_below_delay_names_the_field() -> None:
    with pytest.raises(PipelineError) as error:
        compile_file(PIPELINES / "keyframe_async.yaml", Overrides(sets=["late.max_age=2"]))
    (line,) = str(error.value).splitlines()
    assert "--set late.max_age=2: node 'late': field 'max_age': must be at least delay (4)" in line
    assert "Value error" not in line and "{" not in line


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


def test_newest_after_gives_the_newest_and_counts_the_superseded() -> None:
    history = ValueHistory()
    for k, v in ((2, "a"), (3, SKIPPED), (5, "b"), (6, "c")):
        history.write(k, v)
    assert history.newest_after(-1, 5) == ("b", 5)  # 6 is newer than the reader's frame
    assert history.forget_upto(-1, 5) == 1  # "a" was never delivered: superseded by "b"
    assert history.newest_after(5, 5) == (SKIPPED, None)  # nothing new
    assert history.newest_after(5, 9) == ("c", 6) and history.forget_upto(5, 6) == 0
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
    bikes: Path, deeplab_model: Path, tmp_path: Path
) -> None:
    """The shipped pipeline, threaded, realtime at the clip's rate: the network is no terminal,
    every result arrives named by its own keyframe, and carried frames do not wait for it."""
    compiled = compile_file(
        PIPELINES / "keyframe_async.yaml",
        Overrides(sets=["source.max_frames=50"], input=str(bikes), output=str(tmp_path / "async.mp4")),
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
    assert len({origin for _, origin in tap.arrivals}) == len(tap.arrivals)  # each result once
    decided = set(data["keyframe_reasons"])  # every gate decision ran, or its drop is counted
    assert decided == {str(k) for k in keyframes | set(data["keyframe_frames_dropped"])}
    assert data["nodes"]["segment"]["calls"] == data["keyframes"] == len(keyframes)


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
    packets = [Packet(i, FrameInfo(i, 0), 0.0, {"image": frame if i else SKIPPED}) for i in range(4)]
    assert post(edge, packets[0], net) == [] and not edge.items  # a skipped frame: no work, not posted
    assert post(edge, packets[1], net) == []
    assert post(edge, packets[2], net) == [packets[1]]  # the older one waiting is dropped
    assert post(edge, EOS, net) == [packets[2]] and list(edge.items) == [EOS]
    assert edge.stats.dropped == 2
