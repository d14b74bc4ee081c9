"""The run session: one node step, push mode, hooks, located errors and what the report says ran."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from jejunet import __version__
from jejunet.errors import NodeError
from jejunet.graph.compiler import Overrides, compile_file
from jejunet.graph.failures import NodeFailed
from jejunet.graph.scheduler import run_graph
from jejunet.graph.session import RunSession
from jejunet.graph.threaded import run_threaded
from jejunet.ops.base import SKIPPED, FrameInfo
from tests.conftest import PIPELINES
from tests.fakes import RECORDS, graph, source, synthetic_frame

EXECUTORS = {"sequential": run_graph, "threaded": run_threaded}


def _chain(frames: int, **delay: Any) -> list[dict[str, Any]]:
    return [
        source(frames),
        {"id": "d", "op": "xtest_delay", "params": delay, "inputs": {"image": "source.image"}},
        {"id": "sink", "op": "xtest_record", "params": {"key": "session"}, "inputs": {"image": "d.image"}},
    ]


@pytest.mark.parametrize("executor", EXECUTORS)
def test_an_undeclared_output_names_the_node_and_the_port(executor: str) -> None:
    compiled = graph(
        [
            source(3),
            {"id": "typo", "op": "xtest_typo", "inputs": {"image": "source.image"}},
            {"id": "sink", "op": "xtest_record", "inputs": {"image": "typo.image"}},
        ]
    )
    with pytest.raises(NodeFailed) as info:
        EXECUTORS[executor](compiled)
    assert str(info.value) == (
        "node 'typo' (xtest_typo): frame 0: process() returned 'imgae', "
        "not an output of op 'xtest_typo' (outputs: image)"
    )
    assert (info.value.node, info.value.op, info.value.frame) == ("typo", "xtest_typo", 0)


@pytest.mark.parametrize("executor", EXECUTORS)
def test_errors_carry_node_and_frame_as_fields(executor: str) -> None:
    with pytest.raises(NodeError) as info:
        EXECUTORS[executor](graph(_chain(6, fail_at=4)))
    error = info.value
    assert isinstance(error, NodeFailed) and (error.node, error.frame) == ("d", 4)
    assert isinstance(error.__cause__, RuntimeError)
    with pytest.raises(NodeFailed) as info:
        EXECUTORS[executor](graph([source(5, fail_at=2), *_chain(1)[1:]]))
    assert (info.value.node, info.value.frame) == ("source", None)  # a source fails between frames


@pytest.mark.parametrize("executor", EXECUTORS)
def test_debug_lets_the_original_error_through(executor: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JEJUNET_DEBUG", "1")
    with pytest.raises(RuntimeError, match="deliberate failure at frame 2"):
        EXECUTORS[executor](graph(_chain(4, fail_at=2)))


class Log:
    """A hook that takes only what it needs and ignores the rest."""

    def __init__(self) -> None:
        self.events: list[tuple[str, Any, Any]] = []

    def frame_started(self, frame: int, **_: Any) -> None:
        self.events.append(("frame_started", frame, None))

    def node_done(self, node: str, frame: int, **_: Any) -> None:
        self.events.append(("node_done", frame, node))

    def frame_done(self, frame: int, keyframe: bool, **_: Any) -> None:
        self.events.append(("frame_done", frame, keyframe))

    def run_done(self, report: Any, **_: Any) -> None:
        self.events.append(("run_done", report.frames, None))


@pytest.mark.parametrize("executor", EXECUTORS)
def test_hooks_see_every_frame_and_node(executor: str) -> None:
    log = Log()
    report = EXECUTORS[executor](graph(_chain(5)), hooks=[log, object()])  # a hook may listen to nothing
    done = [frame for event, frame, _ in log.events if event == "frame_done"]
    assert done == list(range(5)) and report.frames == 5
    for frame in range(5):
        nodes = [node for event, f, node in log.events if event == "node_done" and f == frame]
        assert nodes == ["source", "d", "sink"]  # one chain: in order on either executor
    assert log.events[0] == ("frame_started", 0, None) and log.events[-1] == ("run_done", 5, None)


def test_push_mode_returns_every_value_of_the_frame() -> None:
    feedback = {"from": "blend.image", "previous": True}
    nodes = [
        source(1),
        {"id": "blend", "op": "xtest_blend", "inputs": {"image": "source.image", "prev": feedback}},
        {"id": "sink", "op": "xtest_record", "params": {"key": "push"}, "inputs": {"image": "blend.image"}},
    ]
    session = RunSession(graph(nodes))
    session.open()
    frames = [synthetic_frame(i, 8, 8) for i in range(3)]
    values = [session.step(FrameInfo(i, i / 25), {"image": frame}) for i, frame in enumerate(frames)]
    report = session.close()
    assert set(values[0]) == {("source", "image"), ("blend", "image")}
    assert np.array_equal(values[0][("blend", "image")], frames[0])  # no previous value yet
    expected = ((frames[1].astype(np.uint16) + frames[0]) // 2).astype(np.uint8)
    assert np.array_equal(values[1][("blend", "image")], expected)  # the feedback edge
    assert [i for i, _ in RECORDS["push"]] == [0, 1, 2]
    assert report.frames == report.source_frames == 3 and report.executor == "sequential"


def test_push_mode_gives_what_the_sequential_run_gives() -> None:
    compiled = graph(_chain(4))
    run_graph(compiled)
    ran = list(RECORDS["session"])
    session = RunSession(compiled)
    session.open()
    for i in range(4):
        values = session.step(FrameInfo(i, i / 25), {"image": synthetic_frame(i, 48, 64)})
        assert values.get(("d", "missing"), SKIPPED) is SKIPPED
    session.close()
    assert RECORDS["session"] == ran


def test_a_failing_step_aborts_and_is_located() -> None:
    session = RunSession(graph(_chain(1, fail_at=1)))
    session.open()
    session.step(FrameInfo(0, 0.0), {"image": synthetic_frame(0, 48, 64)})
    with pytest.raises(NodeFailed) as info:
        session.step(FrameInfo(1, 0.04), {"image": synthetic_frame(1, 48, 64)})
    assert (info.value.node, info.value.frame) == ("d", 1)


def test_the_report_says_what_ran(bikes: Path, selfie_model: Path, tmp_path: Path) -> None:
    overrides = Overrides(sets=["source.max_frames=2"], input=str(bikes), output=str(tmp_path / "o.mp4"))
    report = run_graph(compile_file(PIPELINES / "selfie_per_frame.yaml", overrides))
    path = tmp_path / "report.json"
    report.write(path)
    written = json.loads(path.read_text())
    assert written["jejunet_version"] == __version__
    runtime = written["runtime"]["segment"]
    model = Path(runtime["model"])
    assert runtime["sha256"] == hashlib.sha256(model.read_bytes()).hexdigest()
    assert "sha256" not in written["runtime"].get("source", {})
