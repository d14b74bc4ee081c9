"""The threaded executor: one thread per node, a bounded queue on every edge, frames kept in order.

A node hands each frame to all of its out-edges at once (its outlet), so the branches of a graph
see the same frames and joins always match. When an out-edge is full the outlet's policy decides:
`block` waits (lossless), `drop_oldest` / `latest` keep the frame in the outlet and evict the
oldest waiting one (at most `size`, or one for `latest`), counting a drop on the full edges.
Frames are never evicted once delivered, so a drop never leaves one branch of a diamond waiting.

A stateless node with `workers: N` runs N instances on different frames at once (their own
threads): it takes frames in order, and emits them in order as the oldest one is done.

A node with a feedback input (`previous: true`) gets its producer's value of the node's
previous frame; in a lossless graph it waits for it, so outputs equal the sequential executor's.
A failing node stops the run with the node named; a graph where no frame moves reports which
node is busy and which are starved; Ctrl-C stops every thread and aborts every node.
"""

from __future__ import annotations

import contextlib
import queue
import threading
import time
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from jejunet.errors import NodeError
from jejunet.graph.compiler import CompiledGraph
from jejunet.graph.queues import OFFLINE_SIZE, REALTIME_SIZE, EdgeQueueSettings, edge_queues, effective_mode
from jejunet.graph.report import EdgeStats, NodeTimes, RunReport
from jejunet.graph.scheduler import Progress, collect_run_info, instantiate, node_error
from jejunet.graph.trace import TraceRecorder
from jejunet.ops.base import SKIPPED, FrameInfo, Operator, RunContext

WAIT_S = 0.2  # longest a blocked thread sleeps before it checks for a stop
DEADLOCK_S = 2.0  # every thread waiting on another this long, with no frame moving: a stall
FEEDBACK_HISTORY = 256


class GraphStalled(NodeError):
    """No frame moved for too long: names the busy node and the starved ones."""


class _Stopped(Exception):
    """Raised inside a worker when the run is being stopped."""


class _Eos:
    def __repr__(self) -> str:
        return "EOS"


EOS = _Eos()


class _NotReady:
    """What `_take(block=False)` returns when an input has nothing yet."""


NOT_READY = _NotReady()


@dataclass
class Packet:
    """One frame's outputs of one node, travelling on that node's out-edges."""

    index: int
    info: FrameInfo
    t0: float  # when the source started reading the frame
    values: dict[str, Any]


class Edge:
    """A forward edge's bounded FIFO."""

    def __init__(self, settings: EdgeQueueSettings, stats: EdgeStats, synthetic: bool = False) -> None:
        self.settings = settings
        self.stats = stats
        self.synthetic = synthetic  # a clock edge from the source for a node without forward inputs
        self.items: deque[Packet | _Eos] = deque()
        self.closed = False

    @property
    def full(self) -> bool:
        return not self.closed and len(self.items) >= self.settings.size


class Outlet:
    """The out-edges of one node and the frames waiting to enter them."""

    def __init__(self, edges: list[Edge]) -> None:
        self.edges = edges
        policies = {e.settings.policy for e in edges}
        if not edges or "block" in policies:
            self.policy = "block"
        else:
            self.policy = "latest" if "latest" in policies else "drop_oldest"
        self.window = 1 if self.policy == "latest" else min((e.settings.size for e in edges), default=1)
        self.outbox: deque[Packet | _Eos] = deque()


@dataclass
class FeedbackSlot:
    """Values of a feedback edge by frame, written by its producer, read by its consumer."""

    port: str
    consumer: str
    history: dict[int, Any] = field(default_factory=dict)
    index: int = -1
    producer_done: bool = False
    #: the consumer's output ports that are the producer's only forward inputs, when the producer
    #: is not called on SKIPPED: SKIPPED on all of them means the producer's value is SKIPPED
    skip_ports: tuple[str, ...] = ()


class Worker:
    """A node's thread and what the stall report needs to know about it."""

    def __init__(self, node_id: str, op: Operator, lock: threading.Lock) -> None:
        self.node_id = node_id
        self.op = op
        self.cond = threading.Condition(lock)
        self.in_edges: list[Edge] = []
        self.outlet = Outlet([])
        self.feedback_in: list[tuple[str, FeedbackSlot, str]] = []  # (input, slot, producer)
        self.feedback_out: list[FeedbackSlot] = []
        self.terminal = False
        self.network = False
        self.last_index = -1
        self.last_outputs: dict[str, Any] = {}  # on frame `last_index`
        self.frame: int | None = None  # the frame inside the operator now
        self.unmatched = 0
        self.state = "starting"
        self.detail = ""
        self.since = time.perf_counter()
        self.done = False
        self.thread: threading.Thread | None = None

    def set_state(self, state: str, detail: str = "") -> None:
        if state != self.state or detail != self.detail:
            self.state, self.detail, self.since = state, detail, time.perf_counter()


class ThreadedRun:
    """One run of a compiled graph on threads."""

    def __init__(
        self,
        compiled: CompiledGraph,
        ctx: RunContext,
        realtime: bool,
        pace: bool,
        trace: TraceRecorder | None,
        warmup: int,
        stall_timeout: float,
    ) -> None:
        self.compiled = compiled
        self.ctx = ctx
        self.mode = effective_mode(compiled, realtime)
        self.pace = pace
        self.trace = trace
        self.warmup = warmup
        self.stall_timeout = stall_timeout
        self.lock = threading.Lock()
        self.stopping = False
        self.finished = threading.Event()
        self.error: tuple[str, BaseException, int | None] | None = None
        self.ops = instantiate(compiled)
        #: the further instances of nodes with `workers` > 1
        self.extra_ops = {
            nid: [node.op(node.params, nid) for _ in range(node.workers - 1)]
            for nid, node in compiled.nodes.items()
            if node.workers > 1
        }
        self.report = RunReport(pipeline=str(compiled.file or compiled.spec.name))
        self.report.executor, self.report.mode = "threaded", self.mode
        self.report.warmup_frames = warmup
        self.report.nodes = {nid: NodeTimes(compiled.nodes[nid].op.name) for nid in compiled.order}
        self.workers = {nid: Worker(nid, self.ops[nid], self.lock) for nid in compiled.order}
        self.source = compiled.source.id
        self.pending: dict[int, tuple[set[str], float]] = {}
        self.network_frames: set[int] = set()
        self.completed_measured = 0
        self.measure_start: float | None = None
        self.last_progress = time.perf_counter()
        self._wire()

    # --- wiring --------------------------------------------------------------------------------
    def _wire(self) -> None:
        compiled, workers = self.compiled, self.workers
        outs: dict[str, list[Edge]] = {nid: [] for nid in compiled.order}
        for settings in edge_queues(compiled, self.mode):
            stats = self.report.edges.setdefault(settings.name, EdgeStats(settings.policy, settings.size))
            edge = Edge(settings, stats)
            workers[settings.dst].in_edges.append(edge)
            outs[settings.src].append(edge)
        for nid in compiled.order:
            node, w = compiled.nodes[nid], workers[nid]
            w.network = node.op.runs_network
            for input_name, spec in node.inputs.items():
                if spec.previous:
                    slot = FeedbackSlot(spec.port, nid, skip_ports=self._skip_ports(nid, spec.node))
                    workers[spec.node].feedback_out.append(slot)
                    w.feedback_in.append((input_name, slot, spec.node))
            if nid != self.source and not w.in_edges:  # driven by the source's frames only
                size = REALTIME_SIZE if self.mode == "realtime" else OFFLINE_SIZE
                settings = EdgeQueueSettings(self.source, "", nid, "", size, "block", False)
                edge = Edge(settings, EdgeStats("block", size), synthetic=True)
                w.in_edges.append(edge)
                outs[self.source].append(edge)
        for nid, edges in outs.items():
            workers[nid].outlet = Outlet(edges)
            workers[nid].terminal = not any(not e.synthetic for e in edges) or not edges
        self.producer_of = {id(e): workers[e.settings.src] for ws in workers.values() for e in ws.in_edges}
        self.lossless = all(w.outlet.policy == "block" for w in workers.values())
        self.terminals = {nid for nid, w in workers.items() if w.terminal}

    def _skip_ports(self, consumer: str, producer: str) -> tuple[str, ...]:
        """`FeedbackSlot.skip_ports`: set when the producer is fed by the consumer alone."""
        op = self.compiled.nodes[producer].op
        if op.accepts_skipped:
            return ()
        skippable = {port.name for port in op.inputs if port.skippable}
        inputs = [e for name, e in self.compiled.nodes[producer].inputs.items() if name not in skippable]
        if not inputs or any(e.previous or e.node != consumer for e in inputs):
            return ()
        return tuple(e.port for e in inputs)

    # --- queues (called with the lock held) ------------------------------------------------------
    def _check_stop(self) -> None:
        if self.stopping:
            raise _Stopped

    def _flush(self, w: Worker) -> None:
        outlet = w.outlet
        moved = False
        while outlet.outbox and not any(e.full for e in outlet.edges):
            packet = outlet.outbox.popleft()
            for edge in outlet.edges:
                if not edge.closed:
                    edge.items.append(packet)
                    edge.stats.max_depth = max(edge.stats.max_depth, len(edge.items))
                    self.workers[edge.settings.dst].cond.notify()
            moved = True
        if moved:
            w.cond.notify()

    def _pop(self, edge: Edge) -> Packet | _Eos:
        item = edge.items.popleft()
        self._flush(self.producer_of[id(edge)])
        return item

    def _emit(self, w: Worker, packet: Packet | _Eos) -> None:
        outlet = w.outlet
        if not outlet.edges:
            return
        with self.lock:
            outlet.outbox.append(packet)
            if packet is EOS or outlet.policy == "block":
                while True:
                    self._flush(w)
                    if not outlet.outbox:
                        break
                    self._check_stop()
                    full = next((e for e in outlet.edges if e.full), None)
                    w.set_state("blocked", full.settings.name if full else "")
                    w.cond.wait(WAIT_S)
            else:
                while len(outlet.outbox) > outlet.window:
                    old = outlet.outbox.popleft()
                    full = [e for e in outlet.edges if e.full] or outlet.edges
                    for edge in full:
                        edge.stats.dropped += 1
                        if self.trace is not None and isinstance(old, Packet):
                            self.trace.drop(w.node_id, old.index, edge.settings.name)
                self._flush(w)

    def _take(self, w: Worker, block: bool = True) -> list[Packet] | None | _NotReady:
        """The next frame present on every input of `w` (frames missing somewhere are skipped).

        None at the end of the stream; NOT_READY instead of waiting when `block` is false.
        """
        with self.lock:
            while True:
                self._check_stop()
                empty = next((e for e in w.in_edges if not e.items), None)
                if empty is not None:
                    if not block:
                        return NOT_READY
                    w.set_state("starved", empty.settings.name)
                    w.cond.wait(WAIT_S)
                    continue
                heads = [e.items[0] for e in w.in_edges]
                if any(h is EOS for h in heads):
                    for edge in w.in_edges:
                        w.unmatched += sum(1 for p in edge.items if p is not EOS)
                        edge.items.clear()
                        edge.closed = True
                        self._flush(self.producer_of[id(edge)])
                    return None
                packets = [h for h in heads if isinstance(h, Packet)]
                top = max(p.index for p in packets)
                if all(p.index == top for p in packets):
                    for edge in w.in_edges:
                        self._pop(edge)
                    return packets
                for edge, p in zip(w.in_edges, packets, strict=True):
                    if p.index < top:
                        self._pop(edge)
                        w.unmatched += 1

    def _feedback(self, w: Worker, slot: FeedbackSlot, producer: str) -> Any:
        """The producer's value on the frame `w` handled last (its initial value before any)."""
        target = w.last_index
        if target < 0:
            return SKIPPED
        if (
            self.lossless
            and slot.skip_ports
            and all(w.last_outputs.get(port) is SKIPPED for port in slot.skip_ports)
        ):
            # e.g. a gate reading back the network's labels: on a frame the gate skipped the
            # network did not run, so its value is known without waiting for its thread
            return SKIPPED
        with self.lock:
            if self.lossless:
                while slot.index < target and not slot.producer_done:
                    self._check_stop()
                    w.set_state("feedback", f"{producer}.{slot.port}")
                    w.cond.wait(WAIT_S)
            if target in slot.history:
                value = slot.history[target]
            else:
                earlier = [k for k in slot.history if k <= target]
                value = slot.history[max(earlier)] if earlier else SKIPPED
            for k in [k for k in slot.history if k < target]:
                del slot.history[k]
            return value

    # --- bookkeeping (lock held) -----------------------------------------------------------------
    def _finish_frame(self, w: Worker, index: int) -> None:
        now = time.perf_counter()
        self.last_progress = now
        for k in [k for k in self.pending if k < index]:
            if w.node_id in self.pending[k][0]:
                del self.pending[k]  # this terminal has passed it: the frame was dropped
        entry = self.pending.get(index)
        if entry is None:
            return
        entry[0].discard(w.node_id)
        if entry[0]:
            return
        del self.pending[index]
        report = self.report
        if index >= self.warmup:
            report.frames += 1
            report.latencies_s.append(now - entry[1])
            if index in self.network_frames:
                report.keyframes += 1
                report.keyframe_frames.append(index)
        self.network_frames.discard(index)
        if len(self.network_frames) > 64:
            self.network_frames = {k for k in self.network_frames if k > index}
        if self.trace is not None:
            self.trace.frame(index, entry[1], now)

    # --- threads ---------------------------------------------------------------------------------
    def _guard(self, w: Worker, body: Any) -> None:
        try:
            body(w)
        except _Stopped:
            pass
        except BaseException as exc:  # noqa: BLE001 - reported by the supervisor, naming the node
            with self.lock:
                if self.error is None:
                    self.error = (w.node_id, exc, w.frame)
                self._stop_locked()
        finally:
            with self.lock:
                w.done = True
                w.set_state("done")
                for slot in w.feedback_out:
                    slot.producer_done = True
                    self.workers[slot.consumer].cond.notify()
                if all(x.done for x in self.workers.values()):
                    self.finished.set()

    def _stop_locked(self) -> None:
        self.stopping = True
        for x in self.workers.values():
            x.cond.notify_all()
        self.finished.set()

    def _source_frames(self, w: Worker) -> Iterator[tuple[FrameInfo, dict[str, Any]]]:
        frames = w.op.frames()
        interval = 1.0 / self.ctx.fps if self.pace and self.ctx.fps else None
        start = time.perf_counter()
        count = 0
        while True:
            if interval is not None:
                target = start + count * interval
                while (delay := target - time.perf_counter()) > 0:
                    w.set_state("pacing")
                    if self.stopping:
                        raise _Stopped
                    time.sleep(min(delay, WAIT_S))
            w.set_state("running", str(count))
            w.frame = None
            item = next(frames, None)
            if item is None:
                return
            count += 1
            yield item

    def _run_source(self, w: Worker) -> None:
        durations = self.report.nodes[w.node_id].durations_s
        frames = self._source_frames(w)
        while True:
            self._check_stop()
            t0 = time.perf_counter()
            item = next(frames, None)
            if item is None:
                break
            info, produced = item
            t1 = time.perf_counter()
            if info.index >= self.warmup:
                durations.append(t1 - t0)
                if self.measure_start is None:
                    self.measure_start = t0
            if self.trace is not None:
                self.trace.span(w.node_id, info.index, t0, t1)
            with self.lock:
                self.report.source_frames += 1
                self.pending[info.index] = (set(self.terminals), t0)
                self.last_progress = t1
                if w.terminal:
                    self._finish_frame(w, info.index)
            w.last_index = info.index
            self._emit(w, Packet(info.index, info, t0, produced))
        self._emit(w, EOS)

    def _instances(self, nid: str) -> list[Operator]:
        """The node's operator instances: one, or `workers` of them."""
        return [self.ops[nid], *self.extra_ops.get(nid, [])]

    @staticmethod
    def _forward_inputs(w: Worker, packets: list[Packet]) -> dict[str, Any]:
        """The node's inputs from its forward edges for one frame (SKIPPED where a port has none)."""
        return {
            edge.settings.input: packet.values.get(edge.settings.port, SKIPPED)
            for edge, packet in zip(w.in_edges, packets, strict=True)
            if not edge.synthetic
        }

    def _process(self, w: Worker, op: Operator, first: Packet, kwargs: dict[str, Any], lane: int = 0) -> Any:
        """`op.process` on one frame, timed for the report and the trace (`lane`: the instance's row)."""
        t0 = time.perf_counter()
        outputs = op.process(first.info, **kwargs)
        t1 = time.perf_counter()
        if first.index >= self.warmup:
            self.report.nodes[w.node_id].durations_s.append(t1 - t0)
        if self.trace is not None:
            self.trace.span(w.node_id, first.index, t0, t1, lane=lane)
        return outputs

    def _run_node(self, w: Worker) -> None:
        op = w.op
        skipped_outputs = {port.name: SKIPPED for port in op.outputs}
        while True:
            packets = self._take(w)
            if packets is None:
                break
            assert isinstance(packets, list)
            first = packets[0]
            kwargs = self._forward_inputs(w, packets)
            for input_name, slot, producer in w.feedback_in:
                kwargs[input_name] = self._feedback(w, slot, producer)
            if not op.called_on(kwargs):
                outputs, ran = skipped_outputs, False
            else:
                w.set_state("running", str(first.index))
                w.frame = first.index
                outputs = self._process(w, op, first, kwargs)
                w.frame = None
                ran = True
            self._finished(w, first, outputs, ran)
        self._emit(w, EOS)

    def _run_parallel(self, w: Worker) -> None:
        """A stateless node on several instances: frames taken in order, run at once, emitted in order."""
        free = self._instances(w.node_id)
        lane = {id(op): i for i, op in enumerate(free)}  # which trace row an instance's spans go to
        width = len(free)
        limit = width + max(e.settings.size for e in w.in_edges)  # frames held, running or waiting
        skipped_outputs = {port.name: SKIPPED for port in w.op.outputs}
        inflight: deque[tuple[Packet, Future | dict[str, Any], bool]] = deque()

        def wake(_: Future) -> None:
            with self.lock:
                w.cond.notify()

        def call(instance: Operator, first: Packet, kwargs: dict[str, Any]) -> dict[str, Any]:
            try:
                return self._process(w, instance, first, kwargs, lane[id(instance)])
            finally:
                with self.lock:
                    free.append(instance)

        def head_done() -> bool:
            return bool(inflight) and (not isinstance(inflight[0][1], Future) or inflight[0][1].done())

        def failed() -> tuple[Packet, Future] | None:
            """A frame in flight whose call raised: the run fails now, not when its turn comes."""
            for first, result, _ in inflight:
                if isinstance(result, Future) and result.done() and result.exception() is not None:
                    return first, result
            return None

        jobs: queue.SimpleQueue[tuple[Operator, Packet, dict[str, Any], Future] | None] = queue.SimpleQueue()

        def serve() -> None:
            while (job := jobs.get()) is not None:
                instance, first, kwargs, future = job
                try:
                    future.set_result(call(instance, first, kwargs))
                except BaseException as exc:  # noqa: BLE001 - re-raised in frame order by the node
                    future.set_exception(exc)

        # daemon threads (not a ThreadPoolExecutor, whose threads the interpreter waits for at exit):
        # an operator stuck in process() must not keep Ctrl-C from ending the program
        threads = [
            threading.Thread(target=serve, name=f"jejunet-{w.node_id}-{i + 1}", daemon=True)
            for i in range(width)
        ]
        for thread in threads:
            thread.start()
        eos = False
        try:
            while True:
                with self.lock:
                    while not head_done() and not (eos and not inflight) and failed() is None:
                        self._check_stop()
                        ready = all(e.items for e in w.in_edges)
                        if not eos and ready and free and len(inflight) < limit:
                            break
                        if inflight:
                            w.set_state("running", str(inflight[0][0].index))
                        else:
                            empty = next((e for e in w.in_edges if not e.items), None)
                            w.set_state("starved", empty.settings.name if empty else "")
                        w.cond.wait(WAIT_S)
                    done = head_done()
                    failure = failed()
                if failure is not None:
                    w.frame = failure[0].index
                    failure[1].result()  # raises the operator's error, naming this frame
                if done:
                    first, result, ran = inflight.popleft()
                    w.frame = first.index
                    outputs = result.result() if isinstance(result, Future) else result
                    w.frame = None
                    self._finished(w, first, outputs, ran)
                    continue
                if eos:
                    break
                packets = self._take(w, block=False)  # never wait here with finished frames to hand on
                if packets is NOT_READY:
                    continue
                if packets is None:
                    eos = True
                    continue
                assert isinstance(packets, list)
                first = packets[0]
                kwargs = self._forward_inputs(w, packets)
                if not w.op.called_on(kwargs):
                    inflight.append((first, skipped_outputs, False))
                    continue
                with self.lock:
                    instance = free.pop()
                future: Future = Future()
                future.add_done_callback(wake)
                jobs.put((instance, first, kwargs, future))
                inflight.append((first, future, True))
        finally:
            # on an error or a stop, do not wait for the other frames in flight: the run is ending
            for _ in threads:
                jobs.put(None)
        for thread in threads:
            thread.join()
        self._emit(w, EOS)

    def _finished(self, w: Worker, first: Packet, outputs: dict[str, Any], ran: bool) -> None:
        """Book a frame a node is done with, then hand its outputs on."""
        w.last_index, w.last_outputs = first.index, outputs
        with self.lock:
            for slot in w.feedback_out:
                slot.history[first.index] = outputs.get(slot.port, SKIPPED)
                slot.index = first.index
                if len(slot.history) > FEEDBACK_HISTORY:
                    del slot.history[next(iter(slot.history))]
                self.workers[slot.consumer].cond.notify()
            if ran and w.network:
                self.network_frames.add(first.index)
            if w.terminal:
                self._finish_frame(w, first.index)
            self.last_progress = time.perf_counter()
        self._emit(w, Packet(first.index, first.info, first.t0, outputs))

    # --- supervision -----------------------------------------------------------------------------
    def _stall_message(self, idle_s: float) -> str:
        parts = [f"graph stalled: no frame moved for {idle_s:.1f} s"]
        starved, others = [], []
        now = time.perf_counter()
        for nid in self.compiled.order:
            w = self.workers[nid]
            if w.done:
                continue
            op = self.compiled.nodes[nid].op.name
            if w.state == "starved":
                starved.append(f"node '{nid}' is starved (waits for {w.detail}, last frame {w.last_index})")
            elif w.state == "running":
                call = "frames()" if nid == self.source else "process()"
                others.append(f"node '{nid}' ({op}) has been in {call} for {now - w.since:.1f} s")
            elif w.state == "blocked":
                others.append(f"node '{nid}' is blocked on the full edge {w.detail}")
            elif w.state == "feedback":
                starved.append(f"node '{nid}' is starved (waits for feedback {w.detail})")
            else:
                others.append(f"node '{nid}' is {w.state}")
        return "; ".join(parts + starved + others)

    def _check_stall(self) -> None:
        now = time.perf_counter()
        with self.lock:
            idle = now - self.last_progress
            live = [w for w in self.workers.values() if not w.done]
            waiting = bool(live) and all(w.state in ("starved", "blocked", "feedback") for w in live)
            if idle > self.stall_timeout or (waiting and idle > min(DEADLOCK_S, self.stall_timeout)):
                message = self._stall_message(idle)
                self._stop_locked()
                raise GraphStalled(message)

    def run(self, progress: Progress | None, progress_interval: float) -> RunReport:
        compiled, ops, report = self.compiled, self.ops, self.report
        opened: list[Operator] = []  # every instance opened and not closed yet
        current = self.source
        start = time.perf_counter()
        try:
            for nid in compiled.order:
                current = nid
                for op in self._instances(nid):
                    op.open(self.ctx)
                    opened.append(op)
            self.last_progress = time.perf_counter()
            for nid, w in self.workers.items():
                body = self._run_source if nid == self.source else self._run_node
                if nid in self.extra_ops:
                    body = self._run_parallel
                w.thread = threading.Thread(
                    target=self._guard, args=(w, body), name=f"jejunet-{nid}", daemon=True
                )
            for w in self.workers.values():
                assert w.thread is not None
                w.thread.start()
            next_progress = start + progress_interval
            while not self.finished.wait(0.05):
                self._check_stall()
                if progress is not None and time.perf_counter() >= next_progress:
                    report.wall_s = time.perf_counter() - start
                    progress(report)
                    next_progress += progress_interval
            if self.error is not None:
                current, exc, frame = self.error
                raise node_error(current, compiled.nodes[current].op.name, exc, frame) from exc
            for w in self.workers.values():
                assert w.thread is not None
                w.thread.join()
            end = time.perf_counter()
            for nid in compiled.order:
                current = nid
                for op in self._instances(nid):
                    op.close()
                    opened.remove(op)
        except BaseException as exc:
            with self.lock:
                self._stop_locked()
            for w in self.workers.values():
                if w.thread is not None and w.thread.is_alive():
                    w.thread.join(timeout=2.0)
            for op in opened:
                with contextlib.suppress(Exception):  # aborting must reach every opened instance
                    op.abort()
            if isinstance(exc, NodeError) or not isinstance(exc, Exception):
                raise
            raise node_error(current, compiled.nodes[current].op.name, exc, None) from exc
        measured_from = self.measure_start if self.warmup and self.measure_start else start
        report.wall_s = end - measured_from
        report.dropped = report.source_frames - report.frames - min(self.warmup, report.source_frames)
        report.dropped = max(report.dropped, 0)
        collect_run_info(report, ops)
        return report


def run_threaded(
    compiled: CompiledGraph,
    ctx: RunContext | None = None,
    progress: Progress | None = None,
    *,
    realtime: bool = False,
    pace: bool = False,
    trace: TraceRecorder | None = None,
    warmup: int = 0,
    stall_timeout: float = 30.0,
    progress_interval: float = 0.25,
) -> RunReport:
    """Run the graph on one thread per node; return the run report (see the module doc).

    `realtime` picks the realtime queue defaults (also when the file says `mode: realtime`);
    `pace` releases a file source's frames at its frame rate, as a camera would.
    """
    ctx = ctx or RunContext(pipeline_file=compiled.file)
    ctx.realtime = ctx.realtime or realtime or compiled.spec.mode == "realtime"
    run = ThreadedRun(compiled, ctx, ctx.realtime, pace, trace, warmup, stall_timeout)
    return run.run(progress, progress_interval)
