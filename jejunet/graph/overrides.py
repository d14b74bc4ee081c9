"""Stage 0 of the compiler: changes to the raw pipeline data before it is validated.

Two kinds: `NODE.PARAM=VALUE` settings, and values for the node of a path role (the one source,
the one video sink), whichever node that is. `Overrides` says them as a user does (`--set`,
`--input`, `--output`, source settings such as `--max-frames`); `apply_overrides` only knows
roles and remembers where each value came from, so that its problems name the flag, not the file.
Malformed data (a node that is not a mapping, a non-string id or op, params that are not a
mapping) is left as it is for the syntax stage to report.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from jejunet.errors import Problem
from jejunet.graph.problems import Collector
from jejunet.ops.base import Operator


@dataclass(frozen=True)
class RoleValue:
    """A parameter of the node that has `role` (`path_role`): its `param` (default: its path)."""

    role: str
    value: Any
    #: how the user gave it, for problems (e.g. "--input clip.mp4")
    origin: str
    param: str | None = None


@dataclass
class Overrides:
    """Command-line changes applied to the file before validation."""

    sets: list[str] = field(default_factory=list)  # NODE.PARAM=VALUE
    #: the source node's path (as `--input` gives it)
    input: str | None = None
    #: the video sink's path (as `--output` gives it)
    output: str | None = None
    #: parameters of the (single) source node, wherever it is: e.g. {"max_frames": 10}
    source_params: dict[str, Any] = field(default_factory=dict)

    def role_values(self) -> list[RoleValue]:
        values = []
        if self.input is not None:
            values.append(RoleValue("source", self.input, f"--input {self.input}"))
        if self.output is not None:
            values.append(RoleValue("video", self.output, f"--output {self.output}"))
        for param, value in self.source_params.items():
            values.append(RoleValue("source", value, f"--{param.replace('_', '-')} {value}", param))
        return values


def _nodes(data: Any) -> list[Any]:
    nodes = data.get("nodes") if isinstance(data, dict) else None
    return nodes if isinstance(nodes, list) else []


def _put(nodes: list[Any], index: int, param: str, value: Any, origin: str, col: Collector) -> None:
    node = nodes[index]
    if node.get("params") is None:
        node["params"] = {}
    if isinstance(node["params"], dict):  # else the syntax stage reports it, flags or not
        node["params"][param] = value
        col.origins[("nodes", index, "params", param)] = origin


def _parse_set(item: str, ids: dict[str, int], col: Collector) -> tuple[int, str, Any] | None:
    target, eq, raw = item.partition("=")
    node_id, dot, param = target.partition(".")
    origin = f"--set {item}"
    if not eq or not dot or not param:
        col.problems.append(Problem("expected NODE.PARAM=VALUE", file=origin))
        return None
    if node_id not in ids:
        col.problems.append(Problem(f"unknown node '{node_id}' (nodes: {', '.join(ids)})", file=origin))
        return None
    try:
        value = YAML(typ="safe").load(raw) if raw.strip() else raw
    except YAMLError as exc:
        reason = " ".join(str(getattr(exc, "problem", None) or exc).split())
        col.problems.append(Problem(f"malformed value ({reason})", file=origin))
        return None
    return ids[node_id], param, value


def _role_node(nodes: list[Any], role: str, operators: dict[str, type[Operator]]) -> list[int]:
    def op_of(node: Any) -> type[Operator] | None:
        op = node.get("op") if isinstance(node, dict) else None
        return operators.get(op) if isinstance(op, str) else None

    return [i for i, n in enumerate(nodes) if getattr(op_of(n), "path_role", None) == role]


def apply_overrides(
    data: Any, overrides: Overrides, col: Collector, operators: dict[str, type[Operator]]
) -> None:
    """Apply the settings and role values to the raw data, remembering where each value came from."""
    nodes = _nodes(data)
    ids = {n["id"]: i for i, n in enumerate(nodes) if isinstance(n, dict) and isinstance(n.get("id"), str)}
    for item in overrides.sets:
        if (parsed := _parse_set(item, ids, col)) is not None:
            _put(nodes, *parsed, f"--set {item}", col)
    reported: set[str] = set()
    for change in overrides.role_values():
        found = _role_node(nodes, change.role, operators)
        if len(found) != 1:
            flag = change.origin.split(" ", 1)[0]
            if flag not in reported:
                reported.add(flag)
                message = f"{flag} needs exactly one {change.role} node, the pipeline has {len(found)}"
                col.problems.append(Problem(message, file=flag))
            continue
        op = operators[nodes[found[0]]["op"]]
        param = change.param or op.path_param
        if param is not None:
            _put(nodes, found[0], param, change.value, change.origin, col)
