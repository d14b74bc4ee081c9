"""The sequential scheduler: frame by frame, nodes in topological order.

A node whose input carries SKIPPED is not called (unless it accepts the marker) and its outputs
carry SKIPPED, so gated-off frames flow to the end of the graph without bookkeeping by users.
A failure stops the run with the node named; every node is then aborted, which removes partial
outputs.
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
from jejunet.ops.base import SKIPPED, Operator, RunContext

Progress = Callable[[RunReport], None]


def _node_error(node_id: str, op: str, exc: BaseException, frame: int | None) -> NodeError:
    where = f"frame {frame}: " if frame is not None else ""
    if isinstance(exc, UserError):
        detail = "; ".join(p.message if p.file is None else str(p) for p in exc.problems)
    else:
        detail = f"{type(exc).__name__}: {exc}"
    error = NodeError(f"node '{node_id}' ({op}): {where}{detail}")
    error.__cause__ = exc
    return error


def instantiate(compiled: CompiledGraph) -> dict[str, Operator]:
    return {nid: compiled.nodes[nid].op(compiled.nodes[nid].params, nid) for nid in compiled.order}


def run_graph(
    compiled: CompiledGraph,
    ctx: RunContext | None = None,
    progress: Progress | None = None,
) -> RunReport:
    """Run the graph to the end of its source; return the run report."""
    ctx = ctx or RunContext(pipeline_file=compiled.file)
    ops = instantiate(compiled)
    report = RunReport(pipeline=str(compiled.file or compiled.spec.name))
    report.nodes = {nid: NodeTimes(compiled.nodes[nid].op.name) for nid in compiled.order}
    opened: list[str] = []
    source_id = compiled.source.id
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
    start = time.perf_counter()
    try:
        for nid in compiled.order:
            current = nid
            ops[nid].open(ctx)
            opened.append(nid)
        frames = ops[source_id].frames()
        previous: dict[tuple[str, str], Any] = {}
        source_times = report.nodes[source_id].durations_s
        while True:
            current, frame_index = source_id, None
            t0 = time.perf_counter()
            item = next(frames, None)
            if item is None:
                break
            info, produced = item
            source_times.append(time.perf_counter() - t0)
            frame_index = info.index
            values = {(source_id, port): v for port, v in produced.items()}
            ran_network = False
            for nid, op, edges in plan:
                current = nid
                kwargs = {}
                skipped = False
                for port, src, src_port, is_prev in edges:
                    value = (
                        previous.get((src, src_port), SKIPPED)
                        if is_prev
                        else values.get((src, src_port), SKIPPED)
                    )
                    skipped |= value is SKIPPED
                    kwargs[port] = value
                if skipped and not op.accepts_skipped:
                    for out in op.outputs:
                        values[(nid, out.name)] = SKIPPED
                    continue
                t0 = time.perf_counter()
                outputs = op.process(info, **kwargs)
                report.nodes[nid].durations_s.append(time.perf_counter() - t0)
                for port, value in outputs.items():
                    values[(nid, port)] = value
                ran_network |= nid in network_nodes
            for key in feedback:
                previous[key] = values.get(key, SKIPPED)
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
            raise _node_error(current, compiled.nodes[current].op.name, exc, frame_index) from exc
        raise
    report.wall_s = time.perf_counter() - start
    for nid, op in ops.items():
        run_info = getattr(op, "run_info", None)
        if callable(run_info):
            info = run_info()
            report.keyframe_reasons.update(info.pop("keyframe_reasons", {}))
            report.runtime[nid] = info
    return report
