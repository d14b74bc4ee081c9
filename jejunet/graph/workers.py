"""The threaded executor's node threads: what each is doing, and the stall report made of that."""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from jejunet.graph.edges import Edge, Outlet
from jejunet.ops.base import Operator

if TYPE_CHECKING:
    from jejunet.graph.late import FeedbackSlot


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
        self.mailboxes: list[Edge] = []  # out-edges into nodes off the frame path (realtime)
        self.terminal = False
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


def stall_message(workers: Mapping[str, Worker], source: str, idle_s: float) -> str:
    """One line: how long nothing moved, the starved nodes, then the busy and blocked ones."""
    parts = [f"graph stalled: no frame moved for {idle_s:.1f} s"]
    starved, others = [], []
    now = time.perf_counter()
    for nid, w in workers.items():
        if w.done:
            continue
        op = w.op.name
        if w.state == "starved":
            starved.append(f"node '{nid}' is starved (waits for {w.detail}, last frame {w.last_index})")
        elif w.state == "running":
            call = "frames()" if nid == source else "process()"
            others.append(f"node '{nid}' ({op}) has been in {call} for {now - w.since:.1f} s")
        elif w.state == "blocked":
            others.append(f"node '{nid}' is blocked on the full edge {w.detail}")
        elif w.state == "feedback":
            starved.append(f"node '{nid}' is starved (waits for feedback {w.detail})")
        else:
            others.append(f"node '{nid}' is {w.state}")
    return "; ".join(parts + starved + others)
