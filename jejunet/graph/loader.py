"""YAML loading that keeps the line and column of every key and item, and refuses what a pipeline is not.

The file is read as a stream of parser events (libyaml when present) and built into plain dicts,
lists and scalars here, so that every rule lives in one place and fails in one located line:
explicit tags other than the core scalar ones (`!!python/...`, `!foo`) are refused; aliases are
expanded within a budget (a "billion laughs" file stops at once, in bounded memory); merge keys
(`<<: *defaults`) follow the YAML merge rule; scalars resolve by the YAML 1.2 core schema
(`yes` stays a string) and a core tag that cannot convert its value (`!!int Z`) is an error.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from jejunet.errors import PipelineError, Problem

Loc = tuple[str | int, ...]
Positions = dict[Loc, tuple[int, int]]

#: YAML nodes a pipeline file may hold; reading stops there (a pipeline is a small hand-written file).
MAX_NODES = 100_000
#: values the document may expand to through aliases, beyond the nodes written out.
ALIAS_BUDGET = 10_000
MAX_DEPTH = 64
CORE = "tag:yaml.org,2002:"
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_INT = re.compile(r"^[-+]?[0-9]+$")
_INT_BASE = re.compile(r"^0o[0-7]+$|^0x[0-9a-fA-F]+$")
_FLOAT = re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$")
_INF = re.compile(r"^[-+]?\.(?:inf|Inf|INF)$")
_NAN = re.compile(r"^\.(?:nan|NaN|NAN)$")


class _Node:
    """One YAML node as written: a scalar (value str), a sequence (items) or a mapping (pairs)."""

    __slots__ = ("kind", "line", "col", "tag", "value", "plain", "items", "pairs", "anchor")

    def __init__(self, kind: str, line: int, col: int, tag: str | None, value: str = "", plain: bool = False):
        self.kind, self.line, self.col, self.tag = kind, line, col, tag  # kind: "scalar", "seq" or "map"
        self.value, self.plain = value, plain
        self.items: list[_Node] = []
        self.pairs: list[tuple[_Node, _Node]] = []
        self.anchor: str | None = None


def _short(tag: str) -> str:
    return "!!" + tag[len(CORE) :] if tag.startswith(CORE) else tag


class _Reader:
    """Builds the node tree from parser events, then plain data from the tree."""

    def __init__(self, filename: str) -> None:
        self.filename = filename
        self.anchors: dict[str, _Node] = {}
        self.count = 0
        self.budget = 0
        self.walking: set[int] = set()
        self.positions: Positions = {(): (1, 1)}

    def fail(self, message: str, line: int | None = None, col: int | None = None) -> PipelineError:
        return PipelineError(Problem(message, file=self.filename, line=line, col=col))

    # -- events → tree -------------------------------------------------------------------------
    def tree(self, events: Iterator[Any]) -> _Node | None:
        """The document's root node (None for an empty file); aliases point at their anchor's node."""
        root: _Node | None = None
        documents = 0
        stack: list[_Node] = []
        keys: list[_Node | None] = []
        for event in events:
            if isinstance(event, yaml.DocumentStartEvent):
                documents += 1
                if documents > 1:
                    raise self.fail("a pipeline file holds one YAML document, found a second", *_mark(event))
            elif isinstance(event, yaml.CollectionEndEvent):
                stack.pop()
                keys.pop()
            elif isinstance(event, yaml.AliasEvent | yaml.NodeEvent):
                node = self.node(event, len(stack))
                if stack:
                    _attach(stack[-1], keys, node)
                else:
                    root = node
                if isinstance(event, yaml.CollectionStartEvent):
                    stack.append(node)
                    keys.append(None)
        return root

    def node(self, event: Any, depth: int) -> _Node:
        if isinstance(event, yaml.AliasEvent):
            found = self.anchors.get(event.anchor)
            if found is None:
                raise self.fail(f"undefined alias '*{event.anchor}'", *_mark(event))
            return found
        return self.start(event, depth)

    def start(self, event: Any, depth: int) -> _Node:
        line, col = _mark(event)
        self.count += 1
        if self.count > MAX_NODES:
            raise self.fail(f"more than {MAX_NODES} YAML values: too large for a pipeline file", line, col)
        if depth >= MAX_DEPTH:
            raise self.fail(f"nested deeper than {MAX_DEPTH} levels", line, col)
        tag = event.tag
        if isinstance(event, yaml.ScalarEvent):
            node = _Node("scalar", line, col, tag, event.value, plain=event.implicit[0] and tag is None)
            self.check_scalar_tag(node)
        else:
            node = _Node("seq" if isinstance(event, yaml.SequenceStartEvent) else "map", line, col, tag)
            expected = CORE + ("seq" if node.kind == "seq" else "map")
            if tag not in (None, "!", expected):
                raise self.fail(_tag_message(tag), line, col)
        if event.anchor is not None:
            node.anchor = event.anchor
            self.anchors[event.anchor] = node
        return node

    def check_scalar_tag(self, node: _Node) -> None:
        tag = node.tag
        if tag in (None, "!"):
            return
        name = tag[len(CORE) :] if tag.startswith(CORE) else None
        if name not in ("str", "int", "float", "bool", "null"):
            raise self.fail(_tag_message(tag), node.line, node.col)
        try:
            _convert(node)
        except ValueError:
            raise self.fail(f"cannot read {node.value!r} as {_short(tag)}", node.line, node.col) from None

    # -- tree → plain data ---------------------------------------------------------------------
    def plain(self, node: _Node, loc: Loc, depth: int = 0) -> Any:
        self.budget -= 1
        if self.budget < 0:
            raise self.fail(_BOMB, node.line, node.col)
        if node.kind == "scalar":
            return _convert(node)
        if id(node) in self.walking or depth > MAX_DEPTH:
            raise self.fail(f"recursive alias '&{node.anchor}'", node.line, node.col)
        self.walking.add(id(node))
        try:
            if node.kind == "seq":
                out_list = []
                for index, item in enumerate(node.items):
                    self.positions[loc + (index,)] = (item.line, item.col)
                    out_list.append(self.plain(item, loc + (index,), depth + 1))
                return out_list
            return self.mapping(node, loc, depth)
        finally:
            self.walking.discard(id(node))

    def mapping(self, node: _Node, loc: Loc, depth: int) -> dict[str, Any]:
        """A mapping's own keys, then merged keys (`<<`) it does not set; the first merged one wins."""
        own: list[tuple[_Node, _Node]] = []
        merged: list[tuple[_Node, _Node]] = []
        seen: dict[str, _Node] = {}
        for key_node, value in node.pairs:
            self.check_key(key_node)
            if _is_merge(key_node):
                merged += self.merge_pairs(value, key_node)
                continue
            if key_node.value in seen:
                first = seen[key_node.value].line
                message = f"duplicate key '{key_node.value}' (first at line {first})"
                raise self.fail(message, key_node.line, key_node.col)
            seen[key_node.value] = key_node
            own.append((key_node, value))
        out: dict[str, Any] = {}
        for key_node, value in merged:
            if key_node.value not in seen and key_node.value not in out:
                self.put(out, loc, key_node, value, depth)
        for key_node, value in own:
            self.put(out, loc, key_node, value, depth)
        return out

    def check_key(self, key_node: _Node) -> None:
        if key_node.kind != "scalar":
            raise self.fail(
                "a key must be a plain name, not a list or a mapping", key_node.line, key_node.col
            )

    def put(self, out: dict[str, Any], loc: Loc, key_node: _Node, value: _Node, depth: int) -> None:
        key = key_node.value
        at = (value.line, value.col) if value.kind == "scalar" else (key_node.line, key_node.col)
        self.positions[loc + (key,)] = at
        self.positions[loc + (key, "<key>")] = (key_node.line, key_node.col)
        out[key] = self.plain(value, loc + (key,), depth + 1)

    def merge_pairs(self, value: _Node, key_node: _Node) -> list[tuple[_Node, _Node]]:
        """The pairs a merge key brings in: each mapping's own pairs before those it merges itself."""
        sources = value.items if value.kind == "seq" else [value]
        pairs: list[tuple[_Node, _Node]] = []
        for source in sources:
            if source.kind != "map":
                message = "a merge key '<<' takes a mapping or a list of mappings"
                raise self.fail(message, key_node.line, key_node.col)
            if id(source) in self.walking:
                raise self.fail(f"recursive alias '&{source.anchor}'", key_node.line, key_node.col)
            self.budget -= len(source.pairs)
            if self.budget < 0:
                raise self.fail(_BOMB, key_node.line, key_node.col)
            nested: list[tuple[_Node, _Node]] = []
            self.walking.add(id(source))
            try:
                for k, v in source.pairs:
                    self.check_key(k)
                    if _is_merge(k):
                        nested += self.merge_pairs(v, k)
                    else:
                        pairs.append((k, v))
            finally:
                self.walking.discard(id(source))
            pairs += nested
        return pairs


def _attach(parent: _Node, keys: list[_Node | None], node: _Node) -> None:
    """Add `node` to its parent: an item, a key, or the value of the pending key."""
    if parent.kind == "seq":
        parent.items.append(node)
    elif keys[-1] is None:
        keys[-1] = node
    else:
        parent.pairs.append((keys[-1], node))
        keys[-1] = None


def _mark(event: Any) -> tuple[int, int]:
    mark = event.start_mark
    return mark.line + 1, mark.column + 1


def _tag_message(tag: str) -> str:
    return (
        f"YAML tag '{_short(tag)}' is not allowed (a pipeline holds plain values: strings, numbers, "
        "booleans, lists and mappings)"
    )


def _convert(node: _Node) -> Any:
    """The value of a scalar: the YAML 1.2 core schema for plain ones, or its core tag."""
    text = node.value
    if node.tag in (None, "!"):
        if not node.plain:
            return text
        kinds: tuple[str, ...] = ("null", "bool", "int", "float")
        strict = False
    else:
        kinds = (node.tag[len(CORE) :],)
        strict = True
    for kind in kinds:
        value = _SCALARS[kind](text)
        if value is not _NO:
            return value
    if strict and kinds != ("str",):
        raise ValueError(text)
    return text


_NO = object()
_BOMB = "aliases expand this document past a sane size (an alias bomb?)"


def _is_merge(key_node: _Node) -> bool:
    return key_node.plain and key_node.value == "<<"


def _null(text: str) -> Any:
    return None if _NULL.match(text) else _NO


def _bool(text: str) -> Any:
    return _BOOL.get(text, _NO)


def _int(text: str) -> Any:
    if _INT.match(text):
        return int(text)
    if _INT_BASE.match(text):
        return int(text, 0)
    return _NO


def _float(text: str) -> Any:
    if _FLOAT.match(text):
        return float(text)
    if _INF.match(text):
        return -math.inf if text.startswith("-") else math.inf
    if _NAN.match(text):
        return math.nan
    return _NO


_SCALARS = {"null": _null, "bool": _bool, "int": _int, "float": _float, "str": lambda text: text}


def load_yaml(path: Path) -> tuple[Any, Positions]:
    """Parse a YAML file into plain Python data plus the position of each value."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PipelineError(Problem("no such pipeline file", file=str(path))) from None
    except IsADirectoryError:
        raise PipelineError(Problem("is a folder, expected a pipeline file", file=str(path))) from None
    except UnicodeDecodeError as exc:
        raise PipelineError(Problem(f"not UTF-8 text (byte {exc.start})", file=str(path))) from None
    except OSError as exc:
        reason = str(exc.strerror or exc).lower()
        raise PipelineError(Problem(f"cannot read ({reason})", file=str(path))) from None
    return parse_yaml(text, str(path))


def parse_yaml(text: str, filename: str) -> tuple[Any, Positions]:
    """Parse YAML text (see the module docstring for what is refused)."""
    reader = _Reader(filename)
    try:
        root = reader.tree(yaml.parse(text, Loader=_Loader))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        reason = " ".join(str(exc.problem or exc.context).split())
        line, col = (mark.line + 1, mark.column + 1) if mark else (None, None)
        raise reader.fail(f"malformed YAML: {reason}", line, col) from None
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        reason = (
            f"unacceptable character #x{exc.character:04x}" if isinstance(exc.character, int) else exc.reason
        )
        raise reader.fail(f"malformed YAML: {reason}", line) from None
    except yaml.YAMLError as exc:
        raise reader.fail(f"malformed YAML: {' '.join(str(exc).split())}") from None
    if root is None:
        return None, reader.positions
    reader.budget = reader.count + ALIAS_BUDGET
    return reader.plain(root, ()), reader.positions


def position_of(positions: Positions, loc: Loc) -> tuple[int | None, int | None]:
    """Position of `loc`, or of its nearest recorded ancestor."""
    for end in range(len(loc), -1, -1):
        if loc[:end] in positions:
            return positions[loc[:end]]
    return None, None
