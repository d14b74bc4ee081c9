"""YAML loading that keeps the line and column of every key and item."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from jejunet.errors import PipelineError, Problem

Loc = tuple[str | int, ...]
Positions = dict[Loc, tuple[int, int]]


def _plain(node: Any, loc: Loc, positions: Positions) -> Any:
    """Convert ruamel containers to dict/list, recording 1-based (line, col) of every value."""
    if isinstance(node, CommentedMap):
        out = {}
        for key, value in node.items():
            line, col = (
                node.lc.value(key) if not isinstance(value, CommentedMap | CommentedSeq) else node.lc.key(key)
            )
            key_line, key_col = node.lc.key(key)
            positions[loc + (str(key),)] = (line + 1, col + 1)
            positions[loc + (str(key), "<key>")] = (key_line + 1, key_col + 1)
            out[str(key)] = _plain(value, loc + (str(key),), positions)
        return out
    if isinstance(node, CommentedSeq):
        out_list = []
        for index, value in enumerate(node):
            line, col = node.lc.item(index)
            positions[loc + (index,)] = (line + 1, col + 1)
            out_list.append(_plain(value, loc + (index,), positions))
        return out_list
    return node


def load_yaml(path: Path) -> tuple[Any, Positions]:
    """Parse a YAML file into plain Python data plus the position of each value."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PipelineError(Problem("no such pipeline file", file=str(path))) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise PipelineError(Problem(f"cannot read: {exc}", file=str(path))) from None
    return parse_yaml(text, str(path))


def parse_yaml(text: str, filename: str) -> tuple[Any, Positions]:
    yaml = YAML(typ="rt")
    try:
        data = yaml.load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        message = f"malformed YAML: {exc.problem or exc.context}"
        line, col = (mark.line + 1, mark.column + 1) if mark else (None, None)
        raise PipelineError(Problem(message, file=filename, line=line, col=col)) from None
    except YAMLError as exc:
        raise PipelineError(Problem(f"malformed YAML: {exc}", file=filename)) from None
    positions: Positions = {(): (1, 1)}
    return _plain(data, (), positions), positions


def position_of(positions: Positions, loc: Loc) -> tuple[int | None, int | None]:
    """Position of `loc`, or of its nearest recorded ancestor."""
    for end in range(len(loc), -1, -1):
        if loc[:end] in positions:
            return positions[loc[:end]]
    return None, None
