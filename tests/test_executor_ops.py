"""The fake operators of `tests.fakes` do what executor tests rely on."""

from __future__ import annotations

import pytest

from jejunet.errors import NodeError
from jejunet.graph.scheduler import run_graph
from tests import fakes
from tests.fakes import RECORDS, graph

#: for test modules written before tests.fakes, which call `source(clip, frames)` from here:
#: import from tests.fakes instead (`decode_source`, or `source(frames)` with no media at all)
source = fakes.decode_source


def test_recording_sink_sees_every_input() -> None:
    compiled = graph(
        [
            fakes.source(5),
            {"id": "d", "op": "xtest_delay", "inputs": {"image": "source.image"}},
            {"id": "r", "op": "xtest_record", "params": {"key": "ops"}, "inputs": {"image": "d.image"}},
        ]
    )
    run_graph(compiled)
    assert [i for i, _ in RECORDS["ops"]] == [0, 1, 2, 3, 4]
    assert len({sums for _, sums in RECORDS["ops"]}) == 5  # five different frames


def test_delay_fails_where_asked() -> None:
    compiled = graph(
        [
            fakes.source(5),
            {"id": "d", "op": "xtest_delay", "params": {"fail_at": 2}, "inputs": {"image": "source.image"}},
        ]
    )
    with pytest.raises(NodeError, match="node 'd' \\(xtest_delay\\): frame 2: RuntimeError"):
        run_graph(compiled)


def test_synthetic_source_declares_its_shape_and_rate() -> None:
    compiled = graph([fakes.source(3, width=32, height=16, fps=10.0)])
    assert compiled.shapes[("source", "image")] == (16, 32)
    report = run_graph(compiled)
    assert report.frames == report.source_frames == 3
