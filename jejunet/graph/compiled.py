"""What the compiler gives: validated nodes and the graph they form, ready to instantiate."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import networkx as nx

from jejunet.graph.spec import EdgeSpec, PipelineSpec
from jejunet.kinds import Shape
from jejunet.ops.base import Operator, Params


@dataclass
class Node:
    """A validated node: its operator class, parameters and incoming edges."""

    id: str
    op: type[Operator]
    params: Params
    inputs: dict[str, EdgeSpec]
    index: int
    workers: int = 1


@dataclass
class CompiledGraph:
    """A pipeline that passed every check, ready to instantiate."""

    spec: PipelineSpec
    file: Path | None
    nodes: dict[str, Node]
    graph: nx.MultiDiGraph
    order: list[str]
    shapes: dict[tuple[str, str], Shape] = field(default_factory=dict)

    @property
    def source(self) -> Node:
        return next(n for n in self.nodes.values() if n.op.is_source)

    def file_sinks(self) -> list[tuple[Node, str]]:
        """The nodes that write files (the video and label sinks), each with the path it writes."""
        return [
            (n, str(getattr(n.params, n.op.path_param or "")))
            for n in self.nodes.values()
            if n.op.path_role in ("video", "labels")
        ]

    def output_ports(self, node_id: str) -> dict[str, Shape]:
        return {port: s for (nid, port), s in self.shapes.items() if nid == node_id}
