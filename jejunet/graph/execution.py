"""How a pipeline is run: the executor by name, and the realtime and pacing rule for its source.

One place for `jejunet graph run` / `bench`, `jejunet batch` and the Python API: realtime when
asked for or when the source is live (a camera or stream paces itself), a file paced at its frame
rate only when realtime is asked for; the run session adds the file's own `mode: realtime`.
"""

from __future__ import annotations

from typing import Any

from jejunet.graph.compiled import CompiledGraph
from jejunet.graph.hooks import Progress
from jejunet.graph.report import RunReport
from jejunet.graph.scheduler import run_graph
from jejunet.graph.threaded import run_threaded
from jejunet.media.sources import is_live
from jejunet.ops.base import RunContext

EXECUTORS = ("threaded", "sequential")


def source_is_live(compiled: CompiledGraph) -> bool:
    """The source is a camera index or a stream URL (it paces itself)."""
    node = compiled.source
    return is_live(getattr(node.params, node.op.path_param or "", None))


def execute_graph(
    compiled: CompiledGraph,
    ctx: RunContext | None = None,
    progress: Progress | None = None,
    *,
    executor: str = "threaded",
    realtime: bool = False,
    stall_timeout: float | None = None,
    **options: Any,
) -> RunReport:
    """Run with `executor`; `realtime` as `--realtime` asks; `options`: `run_graph`'s (trace, warmup, hooks).

    `stall_timeout` (threaded only; None: its default) stops a run in which no frame moves.
    """
    live = source_is_live(compiled)
    options |= {"realtime": realtime or live, "pace": realtime and not live}
    if executor == "sequential":
        return run_graph(compiled, ctx, progress, **options)
    if stall_timeout is not None:
        options["stall_timeout"] = stall_timeout
    return run_threaded(compiled, ctx, progress, **options)
