"""A stateless node with `workers: N` on the threaded executor: N instances at once, frames in order."""

from __future__ import annotations

import queue
import threading
from collections import deque
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any

from jejunet.graph.edges import WAIT_S, Packet
from jejunet.ops.base import Operator

if TYPE_CHECKING:
    from jejunet.graph.threaded import ThreadedRun
    from jejunet.graph.workers import Worker


class Lanes:
    """A stateless node's instances, each on a daemon thread: calls handed out, results taken in order.

    Daemon threads (not a ThreadPoolExecutor, whose threads the interpreter waits for at exit):
    an operator stuck in process() must not keep Ctrl-C from ending the program.
    """

    def __init__(self, run: ThreadedRun, w: Worker) -> None:
        self.run, self.w = run, w
        self.free = list(run.session.instances[w.node_id])
        self.lane = {id(op): i for i, op in enumerate(self.free)}  # which trace row an instance's spans go to
        self.limit = len(self.free) + max(
            e.settings.size for e in w.in_edges
        )  # frames held, running or waiting
        self.inflight: deque[tuple[Packet, Future | dict[str, Any]]] = deque()
        self.jobs: queue.SimpleQueue[tuple[Operator, Packet, dict[str, Any], Future] | None] = (
            queue.SimpleQueue()
        )
        self.eos = False
        self.threads = [
            threading.Thread(target=self._serve, name=f"jejunet-{w.node_id}-{i + 1}", daemon=True)
            for i in range(len(self.free))
        ]
        for thread in self.threads:
            thread.start()

    def _serve(self) -> None:
        while (job := self.jobs.get()) is not None:
            instance, first, inputs, future = job
            try:
                future.set_result(self._call(instance, first, inputs))
            except BaseException as exc:  # noqa: BLE001 - re-raised in frame order by the node
                future.set_exception(exc)

    def _call(self, instance: Operator, first: Packet, inputs: dict[str, Any]) -> dict[str, Any]:
        try:
            lane = self.lane[id(instance)]
            return self.run.session.node_step(self.w.node_id, instance, first.info, inputs, lane)[0]
        finally:
            with self.run.lock:
                self.free.append(instance)

    def _wake(self, _: Future) -> None:
        with self.run.lock:
            self.w.cond.notify()

    def _head_done(self) -> bool:
        return bool(self.inflight) and (not isinstance(head := self.inflight[0][1], Future) or head.done())

    def _failed(self) -> tuple[Packet, Future] | None:
        """A frame in flight whose call raised: the run fails now, not when its turn comes."""
        for first, result in self.inflight:
            if isinstance(result, Future) and result.done() and result.exception() is not None:
                return first, result
        return None

    def _can_take(self) -> bool:
        ready = all(e.items for e in self.w.in_edges)
        return not self.eos and ready and bool(self.free) and len(self.inflight) < self.limit

    def _wait(self) -> tuple[bool, tuple[Packet, Future] | None]:
        """Until the oldest frame is done, a call failed, or another frame can be taken (lock taken)."""
        run, w = self.run, self.w
        with run.lock:
            while not self._head_done() and not (self.eos and not self.inflight) and self._failed() is None:
                run.check_stop()
                if self._can_take():
                    break
                if self.inflight:
                    w.set_state("running", str(self.inflight[0][0].index))
                else:
                    empty = next((e for e in w.in_edges if not e.items), None)
                    w.set_state("starved", empty.settings.name if empty else "")
                w.cond.wait(WAIT_S)
            return self._head_done(), self._failed()

    def drive(self) -> None:
        run, w = self.run, self.w
        while True:
            done, failure = self._wait()
            if failure is not None:
                w.frame = failure[0].index
                failure[1].result()  # raises the operator's error, naming this frame
            if done:
                first, result = self.inflight.popleft()
                w.frame = first.index
                outputs = result.result() if isinstance(result, Future) else result
                w.frame = None
                run.hand_on(w, first, outputs)
            elif self.eos:
                return
            else:
                packets = run.take(w, block=False)  # never wait here with finished frames to hand on
                if packets is None:
                    self.eos = True
                elif isinstance(packets, list):
                    self._submit(packets)

    def _submit(self, packets: list[Packet]) -> None:
        first = packets[0]
        inputs, _ = self.run.inputs(self.w, packets, feedback=False)  # never on a feedback edge
        if not self.w.op.called_on(inputs):
            self.inflight.append((first, self.run.session.skipped(self.w.node_id)))
            return
        with self.run.lock:
            instance = self.free.pop()
        future: Future = Future()
        future.add_done_callback(self._wake)
        self.jobs.put((instance, first, inputs, future))
        self.inflight.append((first, future))

    def shutdown(self) -> None:
        """Let every lane's thread end once its call returns."""
        for _ in self.threads:
            self.jobs.put(None)

    def join(self) -> None:
        for thread in self.threads:
            thread.join()
