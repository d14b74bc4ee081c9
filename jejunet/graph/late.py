"""Values that cross frames on the threaded executor: feedback slots, and realtime mailboxes.

A `FeedbackSlot` holds a feedback or delayed edge's values by frame (a `ValueHistory`), written
by its producer, read by its consumer. Offline (and for `previous: true`) the consumer reads a
fixed frame back; realtime, a delayed edge (`EdgeSpec.late`) gives the producer's newest value
the consumer has not had yet, without waiting (`peek_newest`, then `commit` once the consumer
is called on the frame: a value read on a frame the consumer is skipped on is kept for the next).
Values finished between two deliveries are superseded by the newest (counted: `superseded`).

A node off the frame path (realtime, `queues.offpath_nodes`) is fed through mailboxes: edges
outside its producer's outlet that keep the newest frames carrying work for it (`post`), so the
producer hands it frames without ever waiting, and older waiting frames are dropped (counted).
Only a node whose outputs all leave through delayed edges runs off the path (an infer →
postprocess split keeps infer on it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from jejunet.graph.edges import Edge, Eos, Packet, window
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
    #: realtime delayed edge: the newest value not yet delivered (`peek_newest`, `commit`)
    newest: bool = False
    #: the frame of the last value delivered (`commit`)
    seen: int = -1
    #: values never delivered: a newer one finished before the consumer read them (`commit`)
    superseded: int = 0

    def known_skipped(self, consumer_outputs: dict[str, Any]) -> bool:
        """The producer cannot have run on the frame the consumer produced `consumer_outputs` on."""
        probe = {name: consumer_outputs.get(port, SKIPPED) for name, port in self.skip_inputs}
        return bool(probe) and not self.producer.called_on(probe)

    def peek_newest(self, index: int) -> tuple[Any, int | None]:
        """The producer's newest value of a frame up to `index` not delivered yet, and its frame;
        still there until `commit`."""
        return self.history.newest_after(self.seen, index)

    def commit(self, origin: int) -> None:
        """The value of frame `origin` (`peek_newest`) was delivered: it and the older are forgotten."""
        self.superseded += self.history.forget_upto(self.seen, origin)
        self.seen = origin


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
    size = window(edge.settings.policy, edge.settings.size)
    while len(edge.items) > size and isinstance(edge.items[0], Packet):
        old = edge.items.popleft()
        assert isinstance(old, Packet)
        evicted.append(old)
    edge.stats.max_depth = max(edge.stats.max_depth, len(edge.items))
    edge.stats.dropped += len(evicted)
    return evicted
