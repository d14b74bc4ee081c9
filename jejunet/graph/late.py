"""Values that cross frames on the threaded executor: feedback slots, and realtime mailboxes.

A `FeedbackSlot` holds a feedback or delayed edge's values by frame (a `ValueHistory`), written
by its producer, read by its consumer. Offline (and for `previous: true`) the consumer reads a
fixed frame back; realtime, a delayed edge (`EdgeSpec.late`) gives the producer's newest value
the consumer has not had yet, without waiting (`read_newest`).

A node off the frame path (realtime, `queues.offpath_nodes`) is fed through mailboxes: edges
outside its producer's outlet that keep the newest frames carrying work for it (`post`), so the
producer hands it frames without ever waiting, and older waiting frames are dropped (counted).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from jejunet.graph.edges import Edge, Eos, Packet
from jejunet.graph.history import ValueHistory
from jejunet.ops.base import SKIPPED, Operator


@dataclass
class FeedbackSlot:
    """A feedback edge's values by frame, written by its producer, read by its consumer."""

    port: str
    consumer: str
    producer: Operator
    history: ValueHistory = field(default_factory=ValueHistory)
    producer_done: bool = False
    #: frames between the producer's value and the consumer's frame (1: `previous: true`)
    delay: int = 1
    #: the producer's forward inputs fed by the consumer, as (input, consumer's port): when the
    #: producer is not called on the consumer's values there, its value is SKIPPED (no waiting)
    skip_inputs: tuple[tuple[str, str], ...] = ()
    #: realtime delayed edge: the newest value not yet delivered (`read_newest`)
    newest: bool = False
    #: the frame of the last value delivered (`read_newest`)
    seen: int = -1

    def known_skipped(self, consumer_outputs: dict[str, Any]) -> bool:
        """The producer cannot have run on the frame the consumer produced `consumer_outputs` on."""
        probe = {name: consumer_outputs.get(port, SKIPPED) for name, port in self.skip_inputs}
        return bool(probe) and not self.producer.called_on(probe)

    def read_newest(self, index: int) -> tuple[Any, int | None]:
        """The producer's newest value of a frame up to `index` not delivered yet, and its frame."""
        value, origin = self.history.newest_after(self.seen, index)
        if origin is not None:
            self.seen = origin
        return value, origin


def carries_work(edge: Edge, packet: Packet, consumer: Operator) -> bool:
    """The consumer would be called on this edge's value of the frame (alone)."""
    return consumer.called_on({edge.settings.input: packet.values.get(edge.settings.port, SKIPPED)})


def post(edge: Edge, item: Packet | Eos, consumer: Operator) -> list[Packet]:
    """Put a frame into a mailbox edge if it carries work for `consumer` (EOS always); the frames
    it evicts (the oldest beyond the edge's size: one for `latest`), to be counted as dropped."""
    if edge.closed or (isinstance(item, Packet) and not carries_work(edge, item, consumer)):
        return []
    edge.items.append(item)
    evicted: list[Packet] = []
    size = 1 if edge.settings.policy == "latest" else edge.settings.size
    while len(edge.items) > size and isinstance(edge.items[0], Packet):
        old = edge.items.popleft()
        assert isinstance(old, Packet)
        if old.info.gap and isinstance(edge.items[0], Packet):  # a forced keyframe's mark survives
            edge.items[0].info = replace(edge.items[0].info, gap=True)
        evicted.append(old)
    edge.stats.max_depth = max(edge.stats.max_depth, len(edge.items))
    edge.stats.dropped += len(evicted)
    return evicted
