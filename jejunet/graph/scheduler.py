"""The sequential scheduler: frame by frame, nodes in topological order.

A node whose input carries SKIPPED is not called (unless it accepts the marker on that input:
`Operator.called_on`) and its outputs carry SKIPPED, so gated-off frames flow to the end of the
graph without bookkeeping by users. A failure stops the run with the node named; every node is
then aborted, which removes partial outputs.

All of that lives in the run session (`jejunet.graph.session`): this executor is a loop of its
push-mode `step` over the source's frames. It is the reference (and the one to debug with);
`jejunet.graph.threaded` pipelines the same graph on threads and must give the same outputs.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from jejunet.graph.compiler import CompiledGraph
from jejunet.graph.hooks import Progress
from jejunet.graph.report import RunReport
from jejunet.graph.session import RunSession
from jejunet.graph.trace import TraceRecorder
from jejunet.ops.base import RunContext


def run_graph(
    compiled: CompiledGraph,
    ctx: RunContext | None = None,
    progress: Progress | None = None,
    *,
    realtime: bool = False,
    pace: bool = False,
    trace: TraceRecorder | None = None,
    warmup: int = 0,
    hooks: Iterable[Any] = (),
) -> RunReport:
    """Run the graph to the end of its source; return the run report.

    `pace` releases a file source's frames at its frame rate (as a camera would); `warmup`
    frames are left out of the timings; `progress(report)` is called after every frame;
    `hooks`: see `jejunet.graph.hooks`. Nothing is dropped here, whatever the mode.
    """
    session = RunSession.for_run(
        compiled, ctx, progress, realtime=realtime, pace=pace, warmup=warmup, trace=trace, hooks=hooks
    )
    with session.running():
        for info, produced, start in session.frames():
            session.step(info, produced, start)
    return session.report
