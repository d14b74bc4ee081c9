"""Collecting a pipeline's problems, each located at file, line, column, node and field."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from jejunet.errors import PipelineError, Problem
from jejunet.graph.loader import Loc, Positions, position_of


class Collector:
    """The problems found so far in one pipeline's data; `raise_if_any` raises them sorted by position.

    `origins` maps a location to where its value came from when not from the file (`--set …`).
    """

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


def describe_pydantic(error: dict[str, Any], model: type[BaseModel] | None) -> str:
    """One pydantic error as a sentence: what was expected and what was given."""
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
