"""`--trace`: Chrome-trace JSON with every node's work on every frame, loadable by Perfetto."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import pytest

from tests.conftest import PIPELINES


@pytest.mark.parametrize("executor", ["threaded", "sequential"])
def test_trace_has_every_node_on_every_frame(
    cli, bikes: Path, selfie_model: Path, tmp_path: Path, executor: str
) -> None:
    trace_path = tmp_path / "run.trace.json"
    result = cli(
        "graph", "run", PIPELINES / "selfie_per_frame.yaml", "--input", bikes, "--output",
        tmp_path / "o.mp4", "--max-frames", "12", "--trace", trace_path, "--executor", executor, "--quiet",
    )  # fmt: skip
    assert result.code == 0, result.err
    trace = json.loads(trace_path.read_text())
    events = trace["traceEvents"]
    threads = {e["tid"]: e["args"]["name"] for e in events if e["ph"] == "M" and e["name"] == "thread_name"}
    nodes = ["source", "resize", "segment", "upsample", "overlay", "sink"]
    lanes = set(threads.values()) - set(nodes)  # segment has `workers: 2`: its second instance's row
    assert set(nodes) <= set(threads.values()) and lanes <= {"segment [2]"}
    spans = [e for e in events if e["ph"] == "X"]
    frames_by_node: dict[str, list[int]] = defaultdict(list)
    for e in spans:
        assert threads[e["tid"]].split(" [")[0] == e["name"] and e["dur"] >= 0 and e["ts"] >= 0
        frames_by_node[e["name"]].append(e["args"]["frame"])
    assert {n: sorted(f) for n, f in frames_by_node.items()} == {n: list(range(12)) for n in nodes}
    # one instance works on one frame at a time: the spans of a row never overlap
    for tid in threads:
        row = sorted((e["ts"], e["ts"] + e["dur"]) for e in spans if e["tid"] == tid)
        assert all(end <= next_start + 1e-3 for (_, end), (next_start, _) in zip(row, row[1:], strict=False))
    begins = {e["id"]: e["ts"] for e in events if e["ph"] == "b"}
    ends = {e["id"]: e["ts"] for e in events if e["ph"] == "e"}
    assert sorted(begins) == sorted(ends) == list(range(12))
    assert all(ends[i] >= begins[i] for i in begins)


def test_trace_marks_drops(tmp_path: Path) -> None:
    from jejunet.graph.threaded import run_threaded
    from jejunet.graph.trace import TraceRecorder
    from tests.fakes import graph, source

    compiled = graph(
        [
            source(40),
            {
                "id": "sink",
                "op": "xtest_record",
                "params": {"key": "trace", "ms": 10},
                "inputs": {"image": {"from": "source.image", "queue": {"size": 1, "policy": "latest"}}},
            },
        ]
    )
    trace = TraceRecorder(["source", "sink"], {"source": "decode", "sink": "xtest_record"})
    report = run_threaded(compiled, trace=trace)
    path = tmp_path / "t.json"
    trace.write(path)
    drops = [e for e in json.loads(path.read_text())["traceEvents"] if e["name"] == "drop"]
    assert len(drops) == report.dropped > 0
    assert {e["args"]["edge"] for e in drops} == {"source.image->sink.image"}
