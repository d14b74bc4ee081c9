"""The run session: what every executor shares, written once.

A session instantiates a compiled graph's operators and owns their life cycle (open, close,
abort), the mode (derived once), the run report, warm-up, pacing, keyframe booking, the hooks
and the wrapping of errors into `NodeFailed` (node and frame as fields; `JEJUNET_DEBUG=1`
lets the original exception through, here and nowhere else). `node_step` is the one way a node
processes a frame: the SKIPPED rule (`Operator.called_on`), the check of the returned ports
against the declared outputs, timing, keyframe booking and hooks.

Schedulers only decide what runs when:

- push mode (`open`, then `step(info, outputs)` per frame, then `close`): one frame through the
  whole graph in topological order, its values returned; `jejunet.graph.scheduler.run_graph` is
  a loop of `step` over the source's `frames()`;
- `jejunet.graph.threaded` calls `read`, `node_step` and `frame_done` from its node threads.

Values that cross frames (feedback edges, `previous: true`) are read through
`jejunet.graph.history.ValueHistory` in both: `step` keeps one per feedback edge, the threaded
executor one per feedback slot. An asynchronous result (a keyframe's network output arriving
some frames later and carried forward until the next) plugs in there: its producer writes the
history under the frame it belongs to, the consumer reads `frame - delay`; `step` and the
threaded `_feedback` are the only two readers, so no third copy of the run protocol is needed.
Both give the consumer the frame each such value belongs to (`FrameInfo.origins`). In realtime
mode `step` reads a delayed edge (`EdgeSpec.late`) one frame back, as if the network finished
within the frame (the sequential executor runs it on the frame path anyway); the threaded
executor gives the newest value finished, and books the keyframes of nodes it runs off the frame
path (`detached`) when they start: a frame still in the graph then is flagged a keyframe when it
is done (the `frame_done` hook's `keyframe`, the API's `Result.keyframe`: the network was started
on this frame; its result is shown on a later one, `FrameInfo.origins`); one the frame path has
already passed (it waited in the network's mailbox) is booked in the report at once.
"""

from __future__ import annotations

import bisect
import contextlib
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from typing import Any

from jejunet.errors import NodeError
from jejunet.graph.compiler import CompiledGraph
from jejunet.graph.failures import NodeFailed
from jejunet.graph.history import ValueHistory
from jejunet.graph.hooks import HookSet, Progress, ProgressHook
from jejunet.graph.queues import effective_mode
from jejunet.graph.report import NodeTimes, RunReport, collect_run_info
from jejunet.ops.base import SKIPPED, FrameInfo, Operator, RunContext

#: longest a paced source sleeps before it asks whether the run is stopping
PACE_SLICE_S = 0.2
Values = dict[tuple[str, str], Any]


class Stopped(Exception):
    """Raised where a run waits, when it is being stopped."""


def _never() -> bool:
    return False


class RunSession:
    """One run of a compiled graph: operators, report, hooks; schedulers drive it (see the module doc).

    `parallel`: instantiate `workers` instances of nodes that ask for several (threaded executor).
    """

    def __init__(
        self,
        compiled: CompiledGraph,
        ctx: RunContext | None = None,
        *,
        executor: str = "sequential",
        realtime: bool = False,
        pace: bool = False,
        warmup: int = 0,
        hooks: Iterable[Any] = (),
        parallel: bool = False,
    ) -> None:
        self.compiled = compiled
        self.ctx = ctx or RunContext(pipeline_file=compiled.file)
        self.mode = effective_mode(compiled, realtime or self.ctx.realtime)
        self.ctx.realtime = self.mode == "realtime"
        self.pace_source = pace
        self.warmup = warmup
        self.hooks = HookSet(hooks)
        self.source_id = compiled.source.id
        self.instances: dict[str, list[Operator]] = {
            nid: [node.op(node.params, nid) for _ in range(node.workers if parallel else 1)]
            for nid, node in ((nid, compiled.nodes[nid]) for nid in compiled.order)
        }
        self.ops = {nid: ops[0] for nid, ops in self.instances.items()}
        self.report = RunReport(pipeline=str(compiled.file or compiled.spec.name))
        self.report.executor, self.report.mode, self.report.warmup_frames = executor, self.mode, warmup
        self.report.nodes = {nid: NodeTimes(compiled.nodes[nid].op.name) for nid in compiled.order}
        self._skipped = {nid: {p.name: SKIPPED for p in op.outputs} for nid, op in self.ops.items()}
        self._declared = {nid: frozenset(p.name for p in op.outputs) for nid, op in self.ops.items()}
        self._opened: list[Operator] = []
        self._where: tuple[str, int | None] = (self.source_id, None)
        self._lock = threading.Lock()
        self._network: set[int] = set()  # frames on which a network node ran, until they are done
        self._done_upto = -1  # the last frame done (frames are done in order)
        self._start = time.perf_counter()
        self._measure_start: float | None = None
        self._pace_start: float | None = None
        self._last_frame_done: float | None = None
        #: nodes run off the frame path (threaded, realtime): keyframes booked when they run
        self.detached: frozenset[str] = frozenset()
        realtime = self.mode == "realtime"
        self._plan = [
            (
                nid,
                self.ops[nid],
                [
                    (p, e.node, e.port, e.delay, 1 if e.late and realtime else e.delay)
                    for p, e in compiled.nodes[nid].inputs.items()
                ],
            )
            for nid in compiled.order
            if nid != self.source_id
        ]
        # one history per (producer port, delay): a reader forgets what is older than its target
        self._history = {
            (e[1], e[2], e[3]): ValueHistory() for _, _, edges in self._plan for e in edges if e[3]
        }

    @classmethod
    def for_run(
        cls,
        compiled: CompiledGraph,
        ctx: RunContext | None,
        progress: Progress | None,
        progress_interval: float = 0.0,
        *,
        trace: Any = None,
        hooks: Iterable[Any] = (),
        **options: Any,
    ) -> RunSession:
        """A session for `run_graph` / `run_threaded`: their `trace` and `progress` become hooks."""
        progress_hook = ProgressHook(progress, progress_interval) if progress is not None else None
        return cls(compiled, ctx, hooks=[*hooks, trace, progress_hook], **options)

    # --- life cycle ----------------------------------------------------------------------------
    def open(self) -> None:
        """Open every instance in topological order (the source first: it sets `ctx.fps`)."""
        self._start = time.perf_counter()
        with self.guard():
            for nid, ops in self.instances.items():
                self._where = (nid, None)
                for op in ops:
                    op.open(self.ctx)
                    self._opened.append(op)

    def close(self) -> RunReport:
        """Close every instance (sinks commit their outputs); the report, complete."""
        with self.guard():
            for nid, ops in self.instances.items():
                self._where = (nid, None)
                for op in ops:
                    op.close()
                    self._opened.remove(op)
        self._finish(self._last_frame_done or time.perf_counter())
        return self.report

    def abort(self) -> None:
        """Abort every instance still open (removes partial outputs); never raises."""
        while self._opened:
            op = self._opened.pop(0)
            with contextlib.suppress(Exception):  # aborting must reach every instance
                op.abort()

    def frames_finished(self) -> None:
        """The last frame is done: the report's wall time ends here rather than after `close`."""
        self._last_frame_done = time.perf_counter()

    @contextlib.contextmanager
    def guard(
        self, where: tuple[str, int | None] | None = None, stop: Callable[[], None] | None = None
    ) -> Iterator[None]:
        """On a failure inside: `stop` (the scheduler's threads), abort every instance, raise it located."""
        try:
            yield
        except BaseException as exc:
            if stop is not None:
                stop()
            error = self.fail(exc, where)
            if error is exc:
                raise
            raise error from exc

    @contextlib.contextmanager
    def running(self, stop: Callable[[], None] | None = None) -> Iterator[RunSession]:
        """Open; run the body; close. On a failure: `stop`, abort, locate (`guard`)."""
        self.open()
        with self.guard(stop=stop):
            yield self
        self.close()

    def fail(self, exc: BaseException, where: tuple[str, int | None] | None = None) -> BaseException:
        """Abort the run; the error to raise (`locate`)."""
        self.abort()
        return self.locate(exc, where)

    def locate(self, exc: BaseException, where: tuple[str, int | None] | None = None) -> BaseException:
        """`exc` as a `NodeFailed` at `where` (node, frame; default: where the session is now).

        Returned as it is when already located, when it interrupts (Ctrl-C) and when
        `JEJUNET_DEBUG` is set (the original traceback, for debugging).
        """
        if isinstance(exc, NodeFailed) or not isinstance(exc, Exception) or os.environ.get("JEJUNET_DEBUG"):
            return exc
        node, frame = where or self._where
        return NodeFailed.of(node, self.compiled.nodes[node].op.name, exc, frame)

    def _finish(self, end: float) -> None:
        report = self.report
        measured_from = self._measure_start if self.warmup and self._measure_start else self._start
        report.wall_s = end - measured_from
        warmup = min(self.warmup, report.source_frames)
        report.dropped = max(report.source_frames - report.frames - warmup, 0)
        collect_run_info(report, self.ops)
        self.hooks("run_done", report=report)

    # --- the source ----------------------------------------------------------------------------
    def pace(self, count: int, stopped: Callable[[], bool] = _never) -> None:
        """With `pace`: wait until frame `count` is due at the source's frame rate (as a camera)."""
        if not (self.pace_source and self.ctx.fps):
            return
        now = time.perf_counter()
        if self._pace_start is None:
            self._pace_start = now
        target = self._pace_start + count / self.ctx.fps
        while (delay := target - time.perf_counter()) > 0:
            if stopped():
                raise Stopped
            time.sleep(min(delay, PACE_SLICE_S))

    def read(
        self, frames: Iterator[tuple[FrameInfo, dict[str, Any]]]
    ) -> tuple[FrameInfo, dict[str, Any], float] | None:
        """The source's next frame (info, outputs, when reading began), timed and booked; None at the end."""
        self._where = (self.source_id, None)
        t0 = time.perf_counter()
        item = next(frames, None)
        if item is None:
            return None
        info, outputs = item
        self._book_source(info, outputs, t0, time.perf_counter())
        return info, outputs, t0

    def frames(self) -> Iterator[tuple[FrameInfo, dict[str, Any], float]]:
        """Every frame of the source, paced and booked (see `read`)."""
        frames = self.ops[self.source_id].frames()
        count = 0
        while True:
            self.pace(count)
            item = self.read(frames)
            if item is None:
                return
            count += 1
            yield item

    def _book_source(
        self, info: FrameInfo, outputs: dict[str, Any], t0: float, t1: float, timed: bool = True
    ) -> None:
        """A frame the source gave (`timed`: read by the session, not pushed from outside)."""
        if info.index >= self.warmup and self._measure_start is None:
            self._measure_start = t0
        self.report.source_frames += 1
        self.hooks("frame_started", frame=info.index, info=info, outputs=outputs, start=t0)
        self._called(self.source_id, self.ops[self.source_id], info, {}, outputs, t0, t1, timed=timed)

    # --- one node, one frame -------------------------------------------------------------------
    def node_step(
        self, nid: str, op: Operator, info: FrameInfo, inputs: dict[str, Any], lane: int = 0
    ) -> tuple[dict[str, Any], bool]:
        """`op` on one frame: (its outputs, whether it was called); SKIPPED outputs when it is not."""
        if not op.called_on(inputs):
            return self._skipped[nid], False
        hooks = self.hooks
        if hooks.wants("node_started"):
            hooks("node_started", node=nid, frame=info.index, op=op, lane=lane)
        if op.runs_network and nid in self.detached:
            self._detached_keyframe(info.index)
        t0 = time.perf_counter()
        outputs = op.process(info, **inputs)
        t1 = time.perf_counter()
        if not isinstance(outputs, dict) or not outputs.keys() <= self._declared[nid]:
            raise NodeError(self._undeclared(nid, outputs))
        self._called(nid, op, info, inputs, outputs, t0, t1, lane)
        return outputs, True

    def _called(
        self,
        nid: str,
        op: Operator,
        info: FrameInfo,
        inputs: dict[str, Any],
        outputs: dict[str, Any],
        t0: float,
        t1: float,
        lane: int = 0,
        timed: bool = True,
    ) -> None:
        """Book a node's call on a frame: its time (frames after the warm-up), a keyframe, the hooks."""
        if timed and info.index >= self.warmup:
            self.report.nodes[nid].durations_s.append(t1 - t0)
        if op.runs_network and nid not in self.detached:
            with self._lock:
                self._network.add(info.index)
        if self.hooks.wants("node_done"):
            call = {"node": nid, "frame": info.index, "info": info, "op": op, "lane": lane}
            self.hooks("node_done", inputs=inputs, outputs=outputs, start=t0, end=t1, **call)

    def _detached_keyframe(self, index: int) -> None:
        """A network node off the frame path starts on frame `index`: flagged when the frame is
        done if it is still in the graph, else booked now (see the module doc)."""
        with self._lock:
            if index > self._done_upto:
                self._network.add(index)
            elif index >= self.warmup:
                self.report.keyframes += 1
                bisect.insort(self.report.keyframe_frames, index)

    def keyframe_dropped(self, index: int) -> None:
        """A frame handed to a network node off the frame path was dropped before it ran."""
        if index >= self.warmup:
            with self._lock:
                self.report.keyframe_frames_dropped.append(index)

    def _undeclared(self, nid: str, outputs: Any) -> str:
        declared = ", ".join(sorted(self._declared[nid])) or "none"
        if not isinstance(outputs, dict):
            return (
                f"process() returned {type(outputs).__name__}, expected a mapping of its outputs ({declared})"
            )
        unknown = ", ".join(f"'{k}'" for k in outputs if k not in self._declared[nid])
        return (
            f"process() returned {unknown}, not an output of op '{self.ops[nid].name}' (outputs: {declared})"
        )

    def skipped(self, nid: str) -> dict[str, Any]:
        """A node's outputs on a frame it is not called on: SKIPPED on every port."""
        return self._skipped[nid]

    # --- one frame, the whole graph (push mode) ------------------------------------------------
    def step(self, info: FrameInfo, produced: dict[str, Any], start: float | None = None) -> Values:
        """Push one frame (the source's `produced` outputs) through the graph; every node's values.

        Keys are `(node, port)`; a port missing from the result carries SKIPPED. `start` is when
        the source began reading the frame (from `frames`); when None the frame is pushed from
        outside (push mode) and is booked as the source's here.
        """
        with self.guard():
            if start is None:
                start = time.perf_counter()
                self._book_source(info, produced, start, start, timed=False)
            values: Values = {(self.source_id, port): v for port, v in produced.items()}
            for nid, op, edges in self._plan:
                self._where = (nid, info.index)
                inputs, origins = {}, {}
                for port, src, src_port, delay, back in edges:
                    if not delay:
                        inputs[port] = values.get((src, src_port), SKIPPED)
                        continue
                    inputs[port], origin = self._history[(src, src_port, delay)].read_at(info.index - back)
                    if origin is not None:
                        origins[port] = origin
                node_info = replace(info, origins=origins) if origins else info
                outputs, _ = self.node_step(nid, op, node_info, inputs)
                for port, value in outputs.items():
                    values[(nid, port)] = value
            for (src, src_port, _), history in self._history.items():
                history.write(info.index, values.get((src, src_port), SKIPPED))
            self.frame_done(info, start, time.perf_counter())
        return values

    def frame_done(self, info: FrameInfo, start: float, end: float) -> None:
        """Book a frame that left the graph (`start`: when the source began reading it)."""
        report, index = self.report, info.index
        measured = index >= self.warmup
        with self._lock:
            keyframe = index in self._network
            self._network.discard(index)
            self._done_upto = max(self._done_upto, index)
            if len(self._network) > 64:  # frames dropped after the network ran on them
                self._network = {k for k in self._network if k > index}
            if measured and keyframe:
                report.keyframes += 1
                bisect.insort(report.keyframe_frames, index)
        if measured:
            report.frames += 1
            # a live frame counts from its capture (the wait for it included), a file's from its read
            report.latencies_s.append(end - (start if info.captured is None else info.captured))
        report.wall_s = end - self._start
        frame = {"frame": index, "info": info, "keyframe": keyframe, "measured": measured}
        self.hooks("frame_done", start=start, end=end, report=report, **frame)

    def dropped(self, node: str, frame: int, edge: str) -> None:
        """A frame of `node`'s output dropped on `edge` (the threaded executor's queues)."""
        self.hooks("frame_dropped", node=node, frame=frame, edge=edge)
