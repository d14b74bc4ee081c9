"""The staged compiler: parse → spec → operators and parameters → edges → cycles → kinds/shapes.

Every stage collects all of its problems; they are raised once, sorted by position, each naming
file, line, column, node and field.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import networkx as nx
from pydantic import BaseModel, ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from jejunet.errors import PipelineError, Problem, UserError
from jejunet.graph.loader import Loc, Positions, load_yaml, position_of
from jejunet.graph.spec import EdgeSpec, PipelineSpec
from jejunet.kinds import UNKNOWN, Shape
from jejunet.ops.base import Operator, Params
from jejunet.ops.registry import all_operators, unknown_operator_message


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

    def output_ports(self, node_id: str) -> dict[str, Shape]:
        return {port: s for (nid, port), s in self.shapes.items() if nid == node_id}


@dataclass
class Overrides:
    """Command-line changes applied to the file before validation."""

    sets: list[str] = field(default_factory=list)  # NODE.PARAM=VALUE
    input: str | None = None
    output: str | None = None
    #: parameters of the (single) source node, wherever it is: e.g. {"max_frames": 10}
    source_params: dict[str, Any] = field(default_factory=dict)


class _Collector:
    def __init__(self, file: str, positions: Positions, data: Any) -> None:
        self.file, self.positions, self.data = file, positions, data
        self.problems: list[Problem] = []
        self.origins: dict[Loc, str] = {}

    def node_name(self, index: int) -> str:
        nodes = self.data.get("nodes") if isinstance(self.data, dict) else None
        if isinstance(nodes, list) and index < len(nodes) and isinstance(nodes[index], dict):
            node_id = nodes[index].get("id")
            if isinstance(node_id, str):
                return node_id
        return f"nodes[{index}]"

    def add(self, loc: Loc, message: str, field_name: str | None = None) -> None:
        node = None
        if len(loc) >= 2 and loc[0] == "nodes" and isinstance(loc[1], int):
            node = self.node_name(loc[1])
        for end in range(len(loc), 0, -1):
            if loc[:end] in self.origins:
                self.problems.append(
                    Problem(message, file=self.origins[loc[:end]], node=node, field=field_name)
                )
                return
        line, col = position_of(self.positions, loc)
        self.problems.append(Problem(message, self.file, line, col, node, field_name))

    def raise_if_any(self) -> None:
        if self.problems:
            ordered = sorted(self.problems, key=lambda p: (p.file or "", p.line or 0, p.col or 0))
            raise PipelineError(*ordered)


def _describe_pydantic(error: dict[str, Any], model: type[BaseModel] | None) -> str:
    kind, message = error["type"], error["msg"]
    if kind == "missing":
        return "missing required field"
    got = error.get("input")
    expected = None
    name = error["loc"][-1] if error["loc"] else None
    if model is not None and isinstance(name, str) and name in model.model_fields:
        annotation = model.model_fields[name].annotation
        expected = getattr(annotation, "__name__", None) or str(annotation).replace("typing.", "")
    detail = f"expected {expected}, got {got!r}" if expected else f"got {got!r}"
    return f"{message} ({detail})"


def _check_params(col: _Collector, index: int, op: type[Operator], params: dict[str, Any]) -> Params | None:
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
                col.add(loc, _describe_pydantic(error, op.Params), name)
    except TypeError as exc:
        col.add(("nodes", index, "params"), f"parameters must be a mapping ({exc})", "params")
    return None


def apply_overrides(
    data: Any, overrides: Overrides, col: _Collector, operators: dict[str, type[Operator]]
) -> None:
    """Apply --set / --input / --output to the raw data, remembering where each value came from."""
    nodes = data.get("nodes") if isinstance(data, dict) else None
    if not isinstance(nodes, list):
        return
    by_id = {n.get("id"): i for i, n in enumerate(nodes) if isinstance(n, dict)}

    def put(index: int, param: str, value: Any, origin: str) -> None:
        params = nodes[index].setdefault("params", {})
        if params is None:
            params = nodes[index]["params"] = {}
        params[param] = value
        col.origins[("nodes", index, "params", param)] = origin

    for item in overrides.sets:
        target, eq, raw = item.partition("=")
        node_id, dot, param = target.partition(".")
        origin = f"--set {item}"
        if not eq or not dot or not param:
            col.problems.append(Problem("expected NODE.PARAM=VALUE", file=origin))
        elif node_id not in by_id:
            col.problems.append(
                Problem(f"unknown node '{node_id}' (nodes: {', '.join(map(str, by_id))})", file=origin)
            )
        else:
            try:
                value = YAML(typ="safe").load(raw) if raw.strip() else raw
            except YAMLError as exc:
                reason = " ".join(str(getattr(exc, "problem", None) or exc).split())
                col.problems.append(Problem(f"malformed value ({reason})", file=origin))
                continue
            put(by_id[node_id], param, value, origin)

    def by_role(role: str, flag: str) -> int | None:
        found = [
            i
            for i, n in enumerate(nodes)
            if isinstance(n, dict) and getattr(operators.get(n.get("op")), "path_role", None) == role
        ]
        if len(found) != 1:
            col.problems.append(
                Problem(
                    f"{flag} needs exactly one {role} node, the pipeline has {len(found)}",
                    file=flag,
                )
            )
            return None
        return found[0]

    for flag, value, role in (
        ("--input", overrides.input, "source"),
        ("--output", overrides.output, "video"),
    ):
        if value is not None and (index := by_role(role, flag)) is not None:
            op = operators[nodes[index]["op"]]
            put(index, op.path_param, value, f"{flag} {value}")

    if overrides.source_params and (index := by_role("source", "source settings")) is not None:
        for param, value in overrides.source_params.items():
            put(index, param, value, f"--{param.replace('_', '-')} {value}")


def _check_workers(col: _Collector, nodes: dict[str, Node], graph: nx.MultiDiGraph) -> None:
    """`workers` above 1 only for stateless operators outside feedback loops."""
    for node in nodes.values():
        if node.workers == 1:
            continue
        loc = ("nodes", node.index, "workers")
        edges = [
            *graph.in_edges(node.id, keys=True, data=True),
            *graph.out_edges(node.id, keys=True, data=True),
        ]
        feedback = [f"{u}.{d['port']} -> {v}.{k}" for u, v, k, d in edges if d["previous"]]
        if not node.op.stateless:
            col.add(
                loc,
                f"op '{node.op.name}' keeps state between frames: it runs as one instance "
                f"(expected workers: 1, got {node.workers})",
                "workers",
            )
        elif feedback:
            col.add(
                loc,
                f"a node on a feedback edge ({', '.join(feedback)}) runs as one instance "
                f"(expected workers: 1, got {node.workers})",
                "workers",
            )


def compile_data(
    data: Any, positions: Positions, file: Path | None, overrides: Overrides | None = None
) -> CompiledGraph:
    filename = str(file) if file else "<pipeline>"
    col = _Collector(filename, positions, data)
    operators = all_operators()
    if overrides:
        apply_overrides(data, overrides, col, operators)

    # Stage 1: the syntax of the file.
    if not isinstance(data, dict):
        col.add((), f"a pipeline is a mapping with 'nodes' (got {type(data).__name__})")
        col.raise_if_any()
    try:
        spec = PipelineSpec.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors():
            loc = tuple(error["loc"])
            in_node = len(loc) > 2 and loc[0] == "nodes"
            field_name = ".".join(map(str, loc[2:] if in_node else loc))
            if error["type"] == "extra_forbidden":
                col.add(loc + ("<key>",), "unknown field", field_name or None)
            else:
                col.add(loc, _describe_pydantic(error, None), field_name or None)
        col.raise_if_any()
        raise

    # Stage 2: operators and their parameters.
    nodes: dict[str, Node] = {}
    for index, node_spec in enumerate(spec.nodes):
        if node_spec.id in nodes:
            col.add(
                ("nodes", index, "id"),
                f"duplicate node id (first at nodes[{nodes[node_spec.id].index}])",
                "id",
            )
            continue
        op = operators.get(node_spec.op)
        if op is None:
            col.add(("nodes", index, "op"), unknown_operator_message(node_spec.op), "op")
            continue
        params = _check_params(col, index, op, node_spec.params)
        if params is not None:
            nodes[node_spec.id] = Node(node_spec.id, op, params, node_spec.inputs, index, node_spec.workers)
    col.raise_if_any()

    # Stage 3: edges, ports and kinds.
    graph = nx.MultiDiGraph()
    graph.add_nodes_from(nodes)
    for node in nodes.values():
        in_ports = {p.name: p for p in node.op.inputs}
        for port_name, edge in node.inputs.items():
            loc = ("nodes", node.index, "inputs", port_name)
            if port_name not in in_ports:
                known = ", ".join(in_ports) or "none"
                col.add(
                    loc + ("<key>",),
                    f"op '{node.op.name}' has no input '{port_name}' (inputs: {known})",
                    f"inputs.{port_name}",
                )
                continue
            source = nodes.get(edge.node)
            if source is None:
                col.add(
                    loc,
                    f"edge from unknown node '{edge.node}' (nodes: {', '.join(nodes)})",
                    f"inputs.{port_name}",
                )
                continue
            out_ports = {p.name: p for p in source.op.outputs}
            if edge.port not in out_ports:
                known = ", ".join(out_ports) or "none"
                col.add(
                    loc,
                    f"node '{edge.node}' (op '{source.op.name}') has no output '{edge.port}' "
                    f"(outputs: {known})",
                    f"inputs.{port_name}",
                )
                continue
            want, got = in_ports[port_name].kind, out_ports[edge.port].kind
            if want != got:
                col.add(
                    loc,
                    f"kind mismatch: input '{port_name}' takes {want}, '{edge.source}' gives {got} "
                    f"(expected {want}, got {got})",
                    f"inputs.{port_name}",
                )
                continue
            graph.add_edge(
                edge.node,
                node.id,
                key=port_name,
                port=edge.port,
                kind=str(got),
                previous=edge.previous,
            )
        for port in node.op.inputs:
            if not port.optional and port.name not in node.inputs:
                col.add(
                    ("nodes", node.index, "inputs"),
                    f"input '{port.name}' ({port.kind}) is not connected",
                    f"inputs.{port.name}",
                )
        if node.op.is_source and node.inputs:
            col.add(
                ("nodes", node.index, "inputs"),
                f"op '{node.op.name}' is a source and takes no inputs",
                "inputs",
            )
    _check_workers(col, nodes, graph)
    sources = [n for n in nodes.values() if n.op.is_source]
    if len(sources) != 1:
        names = ", ".join(n.id for n in sources) or "none"
        col.add(
            ("nodes",),
            f"a pipeline needs exactly one source node (decode), found {len(sources)}: {names}",
        )
    col.raise_if_any()

    # Stage 4: cycles, legal only through feedback (previous: true) edges.
    forward = nx.DiGraph([(u, v) for u, v, d in graph.edges(data=True) if not d["previous"]])
    forward.add_nodes_from(nodes)
    try:
        cycle = nx.find_cycle(forward)
    except nx.NetworkXNoCycle:
        cycle = None
    if cycle:
        path = " → ".join([u for u, _ in cycle] + [cycle[0][0]])
        first = nodes[cycle[0][1]]
        col.add(
            ("nodes", first.index, "inputs"),
            f"cycle {path}: mark one edge of it `previous: true` "
            "(a feedback edge with an initial value) to make it legal",
            "inputs",
        )
        col.raise_if_any()
    order = list(nx.lexicographical_topological_sort(forward, key=lambda n: nodes[n].index))

    # Stage 5: shapes, propagated in order; operators check what reaches them.
    shapes: dict[tuple[str, str], Shape] = {}
    for node_id in order:
        node = nodes[node_id]
        given = {}
        for port_name, edge in node.inputs.items():
            given[port_name] = shapes.get((edge.node, edge.port), UNKNOWN) if not edge.previous else UNKNOWN
        try:
            result = node.op.check(node.params, given, base_dir=file.parent if file else None)
        except UserError as exc:
            col.add(("nodes", node.index), "; ".join(p.message for p in exc.problems))
            continue
        for field_name, message in result.problems:
            col.add(
                ("nodes", node.index, "params", field_name)
                if field_name in node.op.Params.model_fields
                else ("nodes", node.index, field_name or "op"),
                message,
                field_name,
            )
        for port in node.op.outputs:
            if port.name in result.outputs:
                shapes[(node_id, port.name)] = result.outputs[port.name]
    for u, v, key, d in graph.edges(keys=True, data=True):
        if (u, d["port"]) not in shapes and not col.problems:
            col.add(
                ("nodes", nodes[v].index, "inputs", key),
                f"node '{u}' gives no '{d['port']}' with these parameters "
                f"(its model or settings do not produce it)",
                f"inputs.{key}",
            )
    col.raise_if_any()
    return CompiledGraph(spec, file, nodes, graph, order, shapes)


def compile_file(path: Path, overrides: Overrides | None = None) -> CompiledGraph:
    data, positions = load_yaml(path)
    return compile_data(data, positions, path, overrides)


def final_labels(compiled: CompiledGraph) -> str:
    """`node.port` of the pipeline's final label map: the last labels output in run order."""
    from jejunet.kinds import LABELS

    for node_id in reversed(compiled.order):
        for port in compiled.nodes[node_id].op.outputs:
            if port.kind == LABELS and (node_id, port.name) in compiled.shapes:
                return f"{node_id}.{port.name}"
    raise PipelineError(Problem("the pipeline produces no label map", file=str(compiled.file)))


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
