"""The compiler's stages, each collecting all of its problems before the next one runs.

parse (syntax) → nodes (operators and parameters) → wire (edges, ports, kinds, workers, the one
source) → order (cycles only through feedback edges) → shapes (propagated in run order; with
the operators' checks of how late their delayed inputs arrive).
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

import networkx as nx
from pydantic import ValidationError

from jejunet.errors import UserError
from jejunet.graph.compiled import Node
from jejunet.graph.problems import Collector, describe_pydantic
from jejunet.graph.spec import EdgeSpec, PipelineSpec
from jejunet.kinds import UNKNOWN, Shape
from jejunet.ops.base import Operator, Params
from jejunet.ops.registry import unknown_operator_message


def parse(data: Any, col: Collector) -> PipelineSpec:
    """The syntax of the file: a mapping with nodes, each field of the right type."""
    if not isinstance(data, dict):
        col.add((), f"a pipeline is a mapping with 'nodes' (got {type(data).__name__})")
        col.raise_if_any()
    try:
        return PipelineSpec.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors():
            loc = tuple(error["loc"])
            in_node = len(loc) > 2 and loc[0] == "nodes"
            field_name = ".".join(map(str, loc[2:] if in_node else loc))
            if error["type"] == "extra_forbidden":
                col.add(loc + ("<key>",), "unknown field", field_name or None)
            else:
                col.add(loc, describe_pydantic(error, None), field_name or None)
        col.raise_if_any()
        raise


def _params(col: Collector, index: int, op: type[Operator], params: dict[str, Any]) -> Params | None:
    allowed = list(op.Params.model_fields)
    try:
        return op.Params(**params)
    except ValidationError as exc:
        for error in exc.errors():
            loc = ("nodes", index, "params", *error["loc"])
            name = ".".join(str(p) for p in error["loc"]) or None
            if error["type"] == "extra_forbidden":
                close = difflib.get_close_matches(str(error["loc"][-1]), allowed, n=1)
                hint = f"did you mean '{close[0]}'? " if close else ""
                allowed_text = ", ".join(allowed) or "none"
                col.add(loc + ("<key>",), f"unknown parameter; {hint}(allowed: {allowed_text})", name)
            else:
                col.add(loc, describe_pydantic(error, op.Params), name)
    except TypeError as exc:
        col.add(("nodes", index, "params"), f"parameters must be a mapping ({exc})", "params")
    return None


def nodes(spec: PipelineSpec, col: Collector, operators: dict[str, type[Operator]]) -> dict[str, Node]:
    """Every node's operator and parameters, ids unique."""
    found: dict[str, Node] = {}
    for index, node_spec in enumerate(spec.nodes):
        if node_spec.id in found:
            first = found[node_spec.id].index
            col.add(("nodes", index, "id"), f"duplicate node id (first at nodes[{first}])", "id")
            continue
        op = operators.get(node_spec.op)
        if op is None:
            col.add(("nodes", index, "op"), unknown_operator_message(node_spec.op), "op")
            continue
        params = _params(col, index, op, node_spec.params)
        if params is not None:
            found[node_spec.id] = Node(node_spec.id, op, params, node_spec.inputs, index, node_spec.workers)
    col.raise_if_any()
    return found


def _edge_problem(node: Node, port_name: str, edge: EdgeSpec, found: dict[str, Node]) -> str | None:
    """What is wrong with the edge into `node.port_name`, if anything."""
    in_ports = {p.name: p for p in node.op.inputs}
    source = found.get(edge.node)
    if source is None:
        return f"edge from unknown node '{edge.node}' (nodes: {', '.join(found)})"
    out_ports = {p.name: p for p in source.op.outputs}
    if edge.port not in out_ports:
        known = ", ".join(out_ports) or "none"
        return f"node '{edge.node}' (op '{source.op.name}') has no output '{edge.port}' (outputs: {known})"
    want, got = in_ports[port_name].kind, out_ports[edge.port].kind
    if want != got:
        return (
            f"kind mismatch: input '{port_name}' takes {want}, '{edge.source}' gives {got} "
            f"(expected {want}, got {got})"
        )
    return None


def _wire_node(node: Node, found: dict[str, Node], graph: nx.MultiDiGraph, col: Collector) -> None:
    in_ports = {p.name: p for p in node.op.inputs}
    for port_name, edge in node.inputs.items():
        loc = ("nodes", node.index, "inputs", port_name)
        if port_name not in in_ports:
            known = ", ".join(in_ports) or "none"
            message = f"op '{node.op.name}' has no input '{port_name}' (inputs: {known})"
            col.add(loc + ("<key>",), message, f"inputs.{port_name}")
        elif (problem := _edge_problem(node, port_name, edge, found)) is not None:
            col.add(loc, problem, f"inputs.{port_name}")
        else:
            kind = str(in_ports[port_name].kind)
            graph.add_edge(
                edge.node, node.id, key=port_name, port=edge.port, kind=kind, previous=edge.previous
            )
    for port in node.op.inputs:
        if not port.optional and port.name not in node.inputs:
            message = f"input '{port.name}' ({port.kind}) is not connected"
            col.add(("nodes", node.index, "inputs"), message, f"inputs.{port.name}")
    if node.op.is_source and node.inputs:
        col.add(
            ("nodes", node.index, "inputs"), f"op '{node.op.name}' is a source and takes no inputs", "inputs"
        )


def _check_workers(col: Collector, found: dict[str, Node], graph: nx.MultiDiGraph) -> None:
    """`workers` above 1 only for stateless operators outside feedback loops."""
    for node in found.values():
        if node.workers == 1:
            continue
        loc = ("nodes", node.index, "workers")
        edges = [
            *graph.in_edges(node.id, keys=True, data=True),
            *graph.out_edges(node.id, keys=True, data=True),
        ]
        feedback = [f"{u}.{d['port']} -> {v}.{k}" for u, v, k, d in edges if d["previous"]]
        expected = f"(expected workers: 1, got {node.workers})"
        if not node.op.stateless:
            message = f"op '{node.op.name}' keeps state between frames: it runs as one instance {expected}"
            col.add(loc, message, "workers")
        elif feedback:
            message = f"a node on a feedback edge ({', '.join(feedback)}) runs as one instance {expected}"
            col.add(loc, message, "workers")


def wire(found: dict[str, Node], col: Collector) -> nx.MultiDiGraph:
    """The graph of edges: ports exist, kinds match, inputs connected, one source, workers allowed."""
    graph = nx.MultiDiGraph()
    graph.add_nodes_from(found)
    for node in found.values():
        _wire_node(node, found, graph, col)
    _check_workers(col, found, graph)
    sources = [n for n in found.values() if n.op.is_source]
    if len(sources) != 1:
        names = ", ".join(n.id for n in sources) or "none"
        col.add(
            ("nodes",), f"a pipeline needs exactly one source node (decode), found {len(sources)}: {names}"
        )
    col.raise_if_any()
    return graph


def order(found: dict[str, Node], graph: nx.MultiDiGraph, col: Collector) -> list[str]:
    """The run order; a cycle is legal only through a feedback (previous: true) edge."""
    forward = nx.DiGraph([(u, v) for u, v, d in graph.edges(data=True) if not d["previous"]])
    forward.add_nodes_from(found)
    try:
        cycle = nx.find_cycle(forward)
    except nx.NetworkXNoCycle:
        cycle = None
    if cycle:
        path = " → ".join([u for u, _ in cycle] + [cycle[0][0]])
        first = found[cycle[0][1]]
        col.add(
            ("nodes", first.index, "inputs"),
            f"cycle {path}: mark one edge of it `previous: true` "
            "(a feedback edge with an initial value) to make it legal",
            "inputs",
        )
        col.raise_if_any()
    return list(nx.lexicographical_topological_sort(forward, key=lambda n: found[n].index))


def _node_delays(node: Node, col: Collector, mode: str) -> None:
    """The operator's check of how late its inputs arrive (`Operator.check_delays`)."""
    delays = {port_name: edge.delay for port_name, edge in node.inputs.items()}
    for field_name, message in node.op.check_delays(node.params, delays, mode):
        in_params = field_name in node.op.Params.model_fields
        loc = ("nodes", node.index, "params" if in_params else "inputs", field_name)
        col.add(loc, message, field_name if in_params else f"inputs.{field_name}")


def _node_shapes(
    node: Node, shapes: dict[tuple[str, str], Shape], col: Collector, base_dir: Path | None
) -> None:
    given = {
        port_name: UNKNOWN if edge.previous else shapes.get((edge.node, edge.port), UNKNOWN)
        for port_name, edge in node.inputs.items()
    }
    try:
        result = node.op.check(node.params, given, base_dir=base_dir)
    except UserError as exc:
        col.add(("nodes", node.index), "; ".join(p.message for p in exc.problems))
        return
    for field_name, message in result.problems:
        in_params = field_name in node.op.Params.model_fields
        loc = (
            ("nodes", node.index, "params", field_name)
            if in_params
            else ("nodes", node.index, field_name or "op")
        )
        col.add(loc, message, field_name)
    for port in node.op.outputs:
        if port.name in result.outputs:
            shapes[(node.id, port.name)] = result.outputs[port.name]


def shapes(
    found: dict[str, Node],
    run_order: list[str],
    graph: nx.MultiDiGraph,
    col: Collector,
    file: Path | None,
    mode: str = "offline",
) -> dict[tuple[str, str], Shape]:
    """Output shapes, propagated in run order; operators check what reaches them, and how late."""
    out: dict[tuple[str, str], Shape] = {}
    for node_id in run_order:
        _node_shapes(found[node_id], out, col, file.parent if file else None)
        _node_delays(found[node_id], col, mode)
    for u, v, key, d in graph.edges(keys=True, data=True):
        if (u, d["port"]) not in out and not col.problems:
            col.add(
                ("nodes", found[v].index, "inputs", key),
                f"node '{u}' gives no '{d['port']}' with these parameters "
                f"(its model or settings do not produce it)",
                f"inputs.{key}",
            )
    col.raise_if_any()
    return out
