"""Edge queue settings: size and policy of every edge, from the pipeline file or the graph's mode.

Offline mode is lossless: every edge blocks (`block`, 16 frames: enough lookahead that the cheap
frames around a burst of keyframes run while the network works). Realtime mode keeps latency
bounded: the edges leaving the source keep only the newest frame (`latest`), the others block
with room for one frame, so a slow node pushes back to the source, which drops.

Realtime, a node whose outputs all leave through delayed edges (`delay: N`, N >= 2: the network
of an asynchronous keyframe pipeline: `offpath_nodes`) runs off the frame path: its in-edges are
*mailboxes* (`latest` unless the file says `drop_oldest`), outside their producer's outlet,
so the producer never waits for it; they take only frames that carry work for it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from jejunet.graph.compiler import CompiledGraph

OFFLINE_SIZE = 16
REALTIME_SIZE = 1
DROPPING = ("drop_oldest", "latest")


@dataclass(frozen=True)
class EdgeQueueSettings:
    """One forward edge `src.port -> dst.input` and its queue."""

    src: str
    port: str
    dst: str
    input: str
    size: int
    policy: str
    #: set in the pipeline file (else a default of the mode)
    explicit: bool
    #: into a node off the frame path (realtime): never blocks its producer (`offpath_nodes`)
    mailbox: bool = False

    @property
    def name(self) -> str:
        return f"{self.src}.{self.port}->{self.dst}.{self.input}"


def effective_mode(compiled: CompiledGraph, realtime: bool = False) -> str:
    """`realtime` if the file says so or the run asks for it (`--realtime`), else `offline`."""
    return "realtime" if realtime or compiled.spec.mode == "realtime" else "offline"


def offpath_nodes(compiled: CompiledGraph, mode: str) -> frozenset[str]:
    """Realtime only: the nodes whose outputs all leave through delayed edges (`EdgeSpec.late`, at
    least one), none of whose in-edges the file makes `block`. The frame path never waits for them.
    A `previous: true` edge (the value as of the frame before) keeps its producer on the path."""
    if mode != "realtime":
        return frozenset()
    forward, crossing, blocking = set(), set(), set()
    for nid in compiled.order:
        for edge in compiled.nodes[nid].inputs.values():
            (crossing if edge.late else forward).add(edge.node)
            if not edge.previous and edge.queue is not None and edge.queue.policy == "block":
                blocking.add(nid)
    return frozenset(crossing - forward - blocking - {compiled.source.id})


def edge_queues(compiled: CompiledGraph, mode: str) -> list[EdgeQueueSettings]:
    """Every forward (non-feedback) edge with its size and policy, in run order."""
    source = compiled.source.id
    offpath = offpath_nodes(compiled, mode)
    out: list[EdgeQueueSettings] = []
    for nid in compiled.order:
        for input_name, edge in compiled.nodes[nid].inputs.items():
            if edge.previous:
                continue
            if nid in offpath:
                size, policy = REALTIME_SIZE, "latest"
            elif mode == "realtime":
                size, policy = REALTIME_SIZE, "latest" if edge.node == source else "block"
            else:
                size, policy = OFFLINE_SIZE, "block"
            q = edge.queue
            explicit = q is not None and (q.size is not None or q.policy is not None)
            if q is not None:
                size = q.size if q.size is not None else size
                policy = q.policy if q.policy is not None else policy
            settings = EdgeQueueSettings(edge.node, edge.port, nid, input_name, size, policy, explicit)
            out.append(replace(settings, mailbox=nid in offpath))
    return out
