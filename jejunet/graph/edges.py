"""What travels on the threaded executor's edges: packets, end-of-stream, bounded FIFOs, outlets."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Any

from jejunet.graph.queues import EdgeQueueSettings
from jejunet.graph.report import EdgeStats
from jejunet.ops.base import FrameInfo

WAIT_S = 0.2  # longest a waiting node thread sleeps before it checks for a stop


class Eos:
    def __repr__(self) -> str:
        return "EOS"


EOS = Eos()


class NotReady:
    """What `take(block=False)` returns when an input has nothing yet."""


NOT_READY = NotReady()


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
        self.items: deque[Packet | Eos] = deque()
        self.closed = False

    @property
    def full(self) -> bool:
        return not self.closed and len(self.items) >= self.settings.size


def window(policy: str, size: int) -> int:
    """Frames a dropping queue keeps waiting: one under `latest`, else `size`."""
    return 1 if policy == "latest" else size


class Outlet:
    """The out-edges of one node and the frames waiting to enter them."""

    def __init__(self, edges: list[Edge]) -> None:
        self.edges = edges
        policies = {e.settings.policy for e in edges}
        if not edges or "block" in policies:
            self.policy = "block"
        else:
            self.policy = "latest" if "latest" in policies else "drop_oldest"
        self.window = window(self.policy, min((e.settings.size for e in edges), default=1))
        self.outbox: deque[Packet | Eos] = deque()
