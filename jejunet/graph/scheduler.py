"""The sequential scheduler: frame by frame, nodes in topological order.

A node whose input carries SKIPPED is not called (unless it accepts the marker on that input:
`Operator.called_on`) and its outputs carry SKIPPED, so gated-off frames flow to the end of the
graph without bookkeeping by users.
A failure stops the run with the node named; every node is then aborted, which removes partial
outputs.

This executor is the reference (and the one to debug with); `jejunet.graph.threaded` pipelines
the same graph on threads and must give the same outputs.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable
from typing import Any

from jejunet.errors import JejunetError, NodeError, UserError
from jejunet.graph.compiler import CompiledGraph
from jejunet.graph.report import NodeTimes, RunReport
from jejunet.graph.trace import TraceRecorder
from jejunet.ops.base import SKIPPED, Operator, RunContext

Progress = Callable[[RunReport], None]


def node_error(node_id: str, op: str, exc: BaseException, frame: int | None) -> NodeError:
    where = f"frame {frame}: " if frame is not None else ""
    if isinstance(exc, UserError):
        detail = "; ".join(p.message if p.file is None else str(p) for p in exc.problems)
    else:
        detail = f"{type(exc).__name__}: {exc}"
    error = NodeError(f"node '{node_id}' ({op}): {where}{detail}")
    error.__cause__ = exc
    return error


_node_error = node_error


def collect_run_info(report: RunReport, ops: dict[str, Operator]) -> None:
    """Add what operators tell about their run (model, delegate, keyframe reasons) to the report."""
    for nid, op in ops.items():
        run_info = getattr(op, "run_info", None)
        if callable(run_info):
            info = run_info()
            report.keyframe_reasons.update(info.pop("keyframe_reasons", {}))
            report.runtime[nid] = info


def instantiate(compiled: CompiledGraph) -> dict[str, Operator]:
    return {nid: compiled.nodes[nid].op(compiled.nodes[nid].params, nid) for nid in compiled.order}


def run_graph(
    compiled: CompiledGraph,
    ctx: RunContext | None = None,
    progress: Progress | None = None,
    *,
    realtime: bool = False,
    pace: bool = False,
    trace: TraceRecorder | None = None,
    warmup: int = 0,
) -> RunReport:
    """Run the graph to the end of its source; return the run report.

    `pace` releases a file source's frames at its frame rate (as a camera would); `warmup`
    frames are left out of the timings. Nothing is dropped here, whatever the mode.
    """
    ctx = ctx or RunContext(pipeline_file=compiled.file)
    ctx.realtime = ctx.realtime or realtime
    ops = instantiate(compiled)
    report = RunReport(pipeline=str(compiled.file or compiled.spec.name))
    report.mode = "realtime" if ctx.realtime or compiled.spec.mode == "realtime" else "offline"
    report.warmup_frames = warmup
    report.nodes = {nid: NodeTimes(compiled.nodes[nid].op.name) for nid in compiled.order}
    opened: list[str] = []
    source_id = compiled.source.id
    start = measure_start = time.perf_counter()
    plan = [
        (
            nid,
            ops[nid],
            [(port, e.node, e.port, e.previous) for port, e in compiled.nodes[nid].inputs.items()],
        )
        for nid in compiled.order
        if nid != source_id
    ]
    feedback = {(e[1], e[2]) for _, _, edges in plan for e in edges if e[3]}
    network_nodes = {nid for nid in compiled.order if compiled.nodes[nid].op.runs_network}
    frame_index: int | None = None
    current = source_id
    try:
        for nid in compiled.order:
            current = nid
            ops[nid].open(ctx)
            opened.append(nid)
        frames = ops[source_id].frames()
        interval = 1.0 / ctx.fps if pace and ctx.fps else 0.0  # a file played as if live
        pace_start = time.perf_counter()
        previous: dict[tuple[str, str], Any] = {}
        source_times = report.nodes[source_id].durations_s
        while True:
            current, frame_index = source_id, None
            if interval and (delay := pace_start + report.source_frames * interval - time.perf_counter()) > 0:
                time.sleep(delay)
            t0 = frame_start = time.perf_counter()
            item = next(frames, None)
            if item is None:
                break
            info, produced = item
            frame_index = info.index
            measured = info.index >= warmup
            if measured and report.source_frames == warmup:
                measure_start = t0
            t1 = time.perf_counter()
            if measured:
                source_times.append(t1 - t0)
            if trace is not None:
                trace.span(source_id, info.index, t0, t1)
            report.source_frames += 1
            values = {(source_id, port): v for port, v in produced.items()}
            ran_network = False
            for nid, op, edges in plan:
                current = nid
                kwargs = {
                    port: (previous if is_prev else values).get((src, src_port), SKIPPED)
                    for port, src, src_port, is_prev in edges
                }
                if not op.called_on(kwargs):
                    for out in op.outputs:
                        values[(nid, out.name)] = SKIPPED
                    continue
                t0 = time.perf_counter()
                outputs = op.process(info, **kwargs)
                t1 = time.perf_counter()
                if measured:
                    report.nodes[nid].durations_s.append(t1 - t0)
                if trace is not None:
                    trace.span(nid, info.index, t0, t1)
                for port, value in outputs.items():
                    values[(nid, port)] = value
                ran_network |= nid in network_nodes
            for key in feedback:
                previous[key] = values.get(key, SKIPPED)
            if not measured:
                continue
            frame_end = time.perf_counter()
            report.latencies_s.append(frame_end - frame_start)
            if trace is not None:
                trace.frame(info.index, frame_start, frame_end)
            report.frames += 1
            if ran_network:
                report.keyframes += 1
                report.keyframe_frames.append(info.index)
            if progress is not None:
                report.wall_s = time.perf_counter() - start
                progress(report)
        for nid in compiled.order:
            current, frame_index = nid, None
            ops[nid].close()
            opened.remove(nid)
    except BaseException as exc:
        for nid in opened:
            with contextlib.suppress(Exception):  # aborting must reach every node
                ops[nid].abort()
        if isinstance(exc, (KeyboardInterrupt, SystemExit)) or os.environ.get("JEJUNET_DEBUG"):
            raise
        if isinstance(exc, NodeError) and str(exc).startswith("node '"):
            raise
        if isinstance(exc, (Exception, JejunetError)):
            raise node_error(current, compiled.nodes[current].op.name, exc, frame_index) from exc
        raise
    report.wall_s = time.perf_counter() - (measure_start if warmup else start)
    collect_run_info(report, ops)
    return report
