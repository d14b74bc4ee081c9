"""The threaded executor: one thread per node, a bounded queue on every edge, frames kept in order.

A node hands each frame to all of its out-edges at once (its outlet), so the branches of a graph
see the same frames and joins always match. When an out-edge is full the outlet's policy decides:
`block` waits (lossless), `drop_oldest` / `latest` keep the frame in the outlet and evict the
oldest waiting one (at most `size`, or one for `latest`), counting a drop on the full edges.
Frames are never evicted once delivered, so a drop never leaves one branch of a diamond waiting.

A stateless node with `workers: N` runs N instances on different frames at once
(`jejunet.graph.lanes`): it takes frames in order, and emits them in order as the oldest is done.

A node with a feedback input (`previous: true`, or `delay: N`) gets its producer's value of an
earlier frame from a `FeedbackSlot` (`jejunet.graph.late`); in a lossless graph it waits for it,
so outputs equal the sequential executor's. `_feedback` is the one place a node reads another
frame's value, late (asynchronous) results included, and says which frame it belongs to
(`FrameInfo.origins`). Realtime, a delayed edge gives the newest value not yet delivered (taken
only when the consumer is called on the frame; the older ones superseded, counted on the edge's
report entry), and a node whose outputs all leave through such edges runs off the frame path: fed
through mailboxes (`late.post`), never a terminal, its keyframes booked as it starts them.

This module holds scheduling only: the run session (`jejunet.graph.session`) opens, closes and
aborts the operators, runs a node on a frame (`node_step`), books frames, keyframes and the
report, calls the hooks and locates errors. Packets and edge queues are in `jejunet.graph.edges`,
node threads and the stall report in `jejunet.graph.workers`. A graph where no frame moves
reports which node is busy and which are starved; Ctrl-C stops every thread and aborts every node.
"""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from typing import Any

from jejunet.graph.compiler import CompiledGraph
from jejunet.graph.edges import EOS, NOT_READY, WAIT_S, Edge, Eos, NotReady, Outlet, Packet
from jejunet.graph.failures import GraphStalled
from jejunet.graph.hooks import Progress
from jejunet.graph.lanes import Lanes
from jejunet.graph.late import FeedbackSlot, post
from jejunet.graph.queues import OFFLINE_SIZE, REALTIME_SIZE, EdgeQueueSettings, edge_queues, offpath_nodes
from jejunet.graph.report import EdgeStats, RunReport
from jejunet.graph.session import RunSession, Stopped
from jejunet.graph.workers import Worker, stall_message
from jejunet.ops.base import SKIPPED, FrameInfo, RunContext

__all__ = ["FeedbackSlot", "GraphStalled", "ThreadedRun", "run_threaded"]

DEADLOCK_S = 2.0  # every thread waiting on another this long, with no frame moving: a stall


def carry_gap(dropped: Packet | Eos, kept: Packet | Eos) -> None:
    """A gap mark (a forced keyframe) survives the drop of its frame: the next frame kept takes it."""
    if isinstance(dropped, Packet) and dropped.info.gap and isinstance(kept, Packet):
        kept.info = replace(kept.info, gap=True)


class ThreadedRun:
    """The threads, edges and slots of one run; the session does the rest."""

    def __init__(self, session: RunSession, stall_timeout: float = 30.0) -> None:
        self.session = session
        self.compiled = session.compiled
        self.mode = session.mode
        self.stall_timeout = stall_timeout
        self.lock = threading.Lock()
        self.stopping = False
        self.finished = threading.Event()
        self.error: tuple[str, BaseException, int | None] | None = None
        self.workers = {nid: Worker(nid, op, self.lock) for nid, op in session.ops.items()}
        self.source = session.source_id
        #: frames in the graph: the terminals still to pass them, when the source began reading them
        self.pending: dict[int, tuple[set[str], float]] = {}
        self.last_progress = time.perf_counter()
        self._wire()

    # --- wiring --------------------------------------------------------------------------------
    def _wire(self) -> None:
        compiled, workers, report = self.compiled, self.workers, self.session.report
        outs: dict[str, list[Edge]] = {nid: [] for nid in compiled.order}
        self.offpath = offpath_nodes(compiled, self.mode)
        self.late_slots: dict[str, FeedbackSlot] = {}  # realtime delayed edges, by name
        self.session.detached = self.offpath
        report.offpath = sorted(self.offpath)
        for settings in edge_queues(compiled, self.mode):
            stats = report.edges.setdefault(settings.name, EdgeStats(settings.policy, settings.size))
            edge = Edge(settings, stats)
            workers[settings.dst].in_edges.append(edge)
            (workers[settings.src].mailboxes if settings.mailbox else outs[settings.src]).append(edge)
        for nid in compiled.order:
            w = workers[nid]
            for input_name, spec in compiled.nodes[nid].inputs.items():
                if spec.previous:
                    producer = workers[spec.node].op
                    slot = FeedbackSlot(
                        spec.port,
                        nid,
                        producer,
                        skip_inputs=self._skip_inputs(nid, spec.node),
                        delay=spec.delay,
                        newest=spec.late and self.mode == "realtime",
                    )
                    workers[spec.node].feedback_out.append(slot)
                    if slot.newest:
                        self.late_slots[f"{spec.node}.{spec.port}->{nid}.{input_name}"] = slot
                    w.feedback_in.append((input_name, slot, spec.node))
            if nid != self.source and not w.in_edges:  # driven by the source's frames only
                size = REALTIME_SIZE if self.mode == "realtime" else OFFLINE_SIZE
                settings = EdgeQueueSettings(self.source, "", nid, "", size, "block", False)
                edge = Edge(settings, EdgeStats("block", size), synthetic=True)
                w.in_edges.append(edge)
                outs[self.source].append(edge)
        for nid, edges in outs.items():
            workers[nid].outlet = Outlet(edges)
            off = nid in self.offpath  # the frame path does not wait for it
            workers[nid].terminal = not off and (not any(not e.synthetic for e in edges) or not edges)
        self.producer_of = {id(e): workers[e.settings.src] for ws in workers.values() for e in ws.in_edges}
        self.lossless = all(w.outlet.policy == "block" for w in workers.values())
        self.terminals = {nid for nid, w in workers.items() if w.terminal}

    def _skip_inputs(self, consumer: str, producer: str) -> tuple[tuple[str, str], ...]:
        """`FeedbackSlot.skip_inputs`: the producer's forward inputs that the consumer feeds."""
        inputs = self.compiled.nodes[producer].inputs.items()
        return tuple((name, e.port) for name, e in inputs if e.node == consumer and not e.previous)

    # --- queues (called with the lock held) ------------------------------------------------------
    def check_stop(self) -> None:
        if self.stopping:
            raise Stopped

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

    def _pop(self, edge: Edge) -> Packet | Eos:
        item = edge.items.popleft()
        self._flush(self.producer_of[id(edge)])
        return item

    def _post(self, w: Worker, packet: Packet | Eos) -> None:
        """Hand a frame to `w`'s mailboxes (nodes off the frame path): never waits."""
        with self.lock:
            for edge in w.mailboxes:
                consumer = self.workers[edge.settings.dst]
                for old in post(edge, packet, consumer.op):
                    self.session.dropped(w.node_id, old.index, edge.settings.name)
                    if consumer.op.runs_network:
                        self.session.keyframe_dropped(old.index)
                consumer.cond.notify()

    def _emit(self, w: Worker, packet: Packet | Eos) -> None:
        if w.mailboxes:
            self._post(w, packet)
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
                    self.check_stop()
                    full = next((e for e in outlet.edges if e.full), None)
                    w.set_state("blocked", full.settings.name if full else "")
                    w.cond.wait(WAIT_S)
            else:
                while len(outlet.outbox) > outlet.window:
                    old = outlet.outbox.popleft()
                    carry_gap(old, outlet.outbox[0])
                    full = [e for e in outlet.edges if e.full] or outlet.edges
                    for edge in full:
                        edge.stats.dropped += 1
                        if isinstance(old, Packet):
                            self.session.dropped(w.node_id, old.index, edge.settings.name)
                self._flush(w)

    def take(self, w: Worker, block: bool = True) -> list[Packet] | None | NotReady:
        """The next frame present on every input of `w` (frames missing somewhere are skipped).

        None at the end of the stream; NOT_READY instead of waiting when `block` is false.
        """
        with self.lock:
            while True:
                self.check_stop()
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

    def _feedback(self, w: Worker, slot: FeedbackSlot, producer: str, index: int) -> tuple[Any, int | None]:
        """The producer's value on the frame `w` handled last (its initial value before any); on a
        delayed edge, its value `delay` frames before `index`, the frame `w` is about to handle
        (realtime: its newest not delivered yet, committed by `inputs`). With the frame the value
        belongs to (None: SKIPPED)."""
        if slot.newest:
            with self.lock:
                return slot.peek_newest(index)
        target = w.last_index if slot.delay == 1 else index - slot.delay
        if target < 0:
            return SKIPPED, None
        if self.lossless and slot.delay == 1 and slot.known_skipped(w.last_outputs):
            # e.g. a gate reading back the network's labels: on a frame the gate skipped the
            # network did not run, so its value is known without waiting for its thread
            return SKIPPED, None
        with self.lock:
            if self.lossless:
                while slot.history.index < target and not slot.producer_done:
                    self.check_stop()
                    w.set_state("feedback", f"{producer}.{slot.port}")
                    w.cond.wait(WAIT_S)
            return slot.history.read_at(target)

    # --- bookkeeping (lock held) -----------------------------------------------------------------
    def _finish_frame(self, w: Worker, info: FrameInfo) -> None:
        index = info.index
        now = time.perf_counter()
        self.last_progress = now
        for k in [k for k in self.pending if k < index]:
            if w.node_id in self.pending[k][0]:
                del self.pending[k]  # this terminal has passed it: the frame was dropped
        entry = self.pending.get(index)
        if entry is None:
            return
        entry[0].discard(w.node_id)
        if not entry[0]:
            del self.pending[index]
            self.session.frame_done(info, entry[1], now)

    # --- threads ---------------------------------------------------------------------------------
    def _guard(self, w: Worker, body: Any) -> None:
        try:
            body(w)
        except Stopped:
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

    def _run_source(self, w: Worker) -> None:
        session = self.session
        frames = w.op.frames()

        def stopped() -> bool:
            w.set_state("pacing")
            return self.stopping

        count = 0
        while True:
            self.check_stop()
            session.pace(count, stopped)
            w.set_state("running", str(count))
            item = session.read(frames)
            if item is None:
                break
            count += 1
            info, produced, t0 = item
            with self.lock:
                self.pending[info.index] = (set(self.terminals), t0)
                self.last_progress = time.perf_counter()
                if w.terminal:
                    self._finish_frame(w, info)
            w.last_index = info.index
            self._emit(w, Packet(info.index, info, t0, produced))
        self._emit(w, EOS)

    def inputs(
        self, w: Worker, packets: list[Packet], feedback: bool = True
    ) -> tuple[dict[str, Any], FrameInfo]:
        """The node's inputs for one frame: its forward edges' values (SKIPPED where a port has none),
        and its feedback values; the frame's info with their `origins`. A realtime delayed value
        counts as delivered only when the node is called on these inputs (else it waits for the next)."""
        inputs = {
            edge.settings.input: packet.values.get(edge.settings.port, SKIPPED)
            for edge, packet in zip(w.in_edges, packets, strict=True)
            if not edge.synthetic
        }
        info = packets[0].info
        if feedback and w.feedback_in:
            origins, peeked = {}, []
            for input_name, slot, producer in w.feedback_in:
                inputs[input_name], origin = self._feedback(w, slot, producer, packets[0].index)
                if origin is not None:
                    origins[input_name] = origin
                    if slot.newest:
                        peeked.append((slot, origin))
            if peeked and w.op.called_on(inputs):
                with self.lock:
                    for slot, origin in peeked:
                        slot.commit(origin)
            info = replace(info, origins=origins)
        return inputs, info

    def _run_node(self, w: Worker) -> None:
        while (packets := self.take(w)) is not None:
            assert isinstance(packets, list)
            first = packets[0]
            inputs, info = self.inputs(w, packets)
            w.set_state("running", str(first.index))
            w.frame = first.index
            outputs, _ = self.session.node_step(w.node_id, w.op, info, inputs)
            w.frame = None
            self.hand_on(w, first, outputs)
        self._emit(w, EOS)

    def _run_parallel(self, w: Worker) -> None:
        """A stateless node on several instances: frames taken in order, run at once, emitted in order."""
        lanes = Lanes(self, w)
        try:
            lanes.drive()
        finally:
            lanes.shutdown()  # on an error or a stop, do not wait for the frames in flight
        lanes.join()
        self._emit(w, EOS)

    def hand_on(self, w: Worker, first: Packet, outputs: dict[str, Any]) -> None:
        """Book a frame a node is done with, then hand its outputs on."""
        w.last_index, w.last_outputs = first.index, outputs
        with self.lock:
            for slot in w.feedback_out:
                slot.history.write(first.index, outputs.get(slot.port, SKIPPED))
                self.workers[slot.consumer].cond.notify()
            if w.terminal:
                self._finish_frame(w, first.info)
            self.last_progress = time.perf_counter()
        self._emit(w, Packet(first.index, first.info, first.t0, outputs))

    def _check_stall(self) -> None:
        now = time.perf_counter()
        with self.lock:
            idle = now - self.last_progress
            live = [w for w in self.workers.values() if not w.done]
            waiting = bool(live) and all(w.state in ("starved", "blocked", "feedback") for w in live)
            if idle > self.stall_timeout or (waiting and idle > min(DEADLOCK_S, self.stall_timeout)):
                message = stall_message(self.workers, self.source, idle)
                self._stop_locked()
                raise GraphStalled(message)

    def _shutdown(self) -> None:
        """Stop every thread (before the session aborts the operators)."""
        with self.lock:
            self._stop_locked()
        for w in self.workers.values():
            if w.thread is not None and w.thread.is_alive():
                w.thread.join(timeout=2.0)

    def run(self) -> RunReport:
        session = self.session
        with session.running(stop=self._shutdown):
            self.last_progress = time.perf_counter()
            for nid, w in self.workers.items():
                body = self._run_source if nid == self.source else self._run_node
                if len(session.instances[nid]) > 1:
                    body = self._run_parallel
                w.thread = threading.Thread(
                    target=self._guard, args=(w, body), name=f"jejunet-{nid}", daemon=True
                )
            for w in self.workers.values():
                assert w.thread is not None
                w.thread.start()
            while not self.finished.wait(0.05):
                self._check_stall()
            if self.error is not None:
                node, exc, frame = self.error
                raise session.locate(exc, (node, frame))
            for w in self.workers.values():
                assert w.thread is not None
                w.thread.join()
            session.frames_finished()
            for name, slot in self.late_slots.items():
                session.report.edges[name] = EdgeStats("newest", 1, dropped=slot.superseded)
        return session.report


def run_threaded(
    compiled: CompiledGraph,
    ctx: RunContext | None = None,
    progress: Progress | None = None,
    *,
    stall_timeout: float = 30.0,
    progress_interval: float = 0.25,
    **options: Any,
) -> RunReport:
    """Run the graph on one thread per node; return the run report (see the module doc).

    `options` are `run_graph`'s (realtime, pace, trace, warmup, hooks); `realtime` picks the
    realtime queue defaults (also when the file says `mode: realtime`). `progress(report)` is
    called as frames are done, at most every `progress_interval` seconds; `stall_timeout`: see
    the module doc.
    """
    session = RunSession.for_run(
        compiled, ctx, progress, progress_interval, executor="threaded", parallel=True, **options
    )
    return ThreadedRun(session, stall_timeout).run()
