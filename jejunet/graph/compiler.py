"""The compiler: pipeline data in, a `CompiledGraph` out, in stages (`jejunet.graph.stages`).

overrides (`jejunet.graph.overrides`) → parse → nodes → wire → order → shapes. Every stage
collects all of its problems; they are raised once, sorted by position, each naming file, line,
column, node and field.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jejunet.errors import PipelineError, Problem
from jejunet.graph import stages
from jejunet.graph.compiled import CompiledGraph, Node
from jejunet.graph.loader import Positions, load_yaml
from jejunet.graph.overrides import Overrides, RoleValue, apply_overrides
from jejunet.graph.problems import Collector
from jejunet.ops.registry import all_operators

__all__ = [
    "CompiledGraph",
    "Node",
    "Overrides",
    "RoleValue",
    "compile_data",
    "compile_file",
    "final_labels",
    "last_output",
]


def compile_data(
    data: Any, positions: Positions, file: Path | None, overrides: Overrides | None = None
) -> CompiledGraph:
    """Validate pipeline data (as `load_yaml` gives it, positions for the problems) into a graph."""
    col = Collector(str(file) if file else "<pipeline>", positions, data)
    operators = all_operators()
    if overrides:
        apply_overrides(data, overrides, col, operators)
    spec = stages.parse(data, col)
    nodes = stages.nodes(spec, col, operators)
    graph = stages.wire(nodes, col)
    order = stages.order(nodes, graph, col)
    shapes = stages.shapes(nodes, order, graph, col, file, spec.mode)
    return CompiledGraph(spec, file, nodes, graph, order, shapes)


def compile_file(path: Path, overrides: Overrides | None = None) -> CompiledGraph:
    data, positions = load_yaml(path)
    return compile_data(data, positions, path, overrides)


def last_output(compiled: CompiledGraph, kind: Any) -> tuple[str, str] | None:
    """(node, port) of the last output of `kind` in run order that the graph produces, or None."""
    for node_id in reversed(compiled.order):
        for port in compiled.nodes[node_id].op.outputs:
            if port.kind == kind and (node_id, port.name) in compiled.shapes:
                return node_id, port.name
    return None


def final_labels(compiled: CompiledGraph) -> str:
    """`node.port` of the pipeline's final label map: the last labels output in run order."""
    from jejunet.kinds import LABELS

    if (where := last_output(compiled, LABELS)) is None:
        raise PipelineError(Problem("the pipeline produces no label map", file=str(compiled.file)))
    return ".".join(where)


def with_label_writer(compiled: CompiledGraph, directory: str, node_id: str = "labels_dir") -> CompiledGraph:
    """The same pipeline plus a label_writer of its final labels, resized to the frame's size."""
    data = compiled.spec.model_dump(by_alias=True)
    while any(n["id"] == node_id for n in data["nodes"]):
        node_id += "_"
    source = compiled.source
    image_port = source.op.outputs[0].name
    data["nodes"].append(
        {
            "id": node_id,
            "op": "label_writer",
            "params": {"dir": directory},
            "inputs": {"labels": final_labels(compiled), "like": f"{source.id}.{image_port}"},
        }
    )
    return compile_data(data, {}, compiled.file)
