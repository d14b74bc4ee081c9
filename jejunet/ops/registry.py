"""The operator registry: built-in operators and plugins (entry-point group `jejunet.ops`).

Built-ins are imported lazily on first use, so `import jejunet` stays cheap.
"""

from __future__ import annotations

import difflib
import importlib
from importlib.metadata import entry_points

from jejunet.errors import UserError
from jejunet.ops.base import Operator

BUILTIN_MODULES = (
    "decode",
    "resize",
    "tflite_infer",
    "upsample",
    "overlay",
    "encode",
    "label_writer",
    "probs_writer",
    "keyframe_gate",
    "optical_flow",
    "warp",
    "late_result",
)
ENTRY_POINT_GROUP = "jejunet.ops"

_registry: dict[str, type[Operator]] = {}
_origin: dict[str, str] = {}
_loaded = False


def register(cls: type[Operator]) -> type[Operator]:
    """Class decorator: add an operator to the registry (duplicate names are refused)."""
    origin = f"{cls.__module__}.{cls.__qualname__}"
    if cls.name in _registry and _origin[cls.name] != origin:
        raise UserError(f"operator '{cls.name}' is registered twice: by {_origin[cls.name]} and by {origin}")
    _registry[cls.name] = cls
    _origin[cls.name] = origin
    return cls


def _load() -> None:
    global _loaded
    if _loaded:
        return
    _loaded = True
    for module in BUILTIN_MODULES:
        importlib.import_module(f"jejunet.ops.{module}")
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        obj = ep.load()
        if isinstance(obj, type) and issubclass(obj, Operator):
            register(obj)


def all_operators() -> dict[str, type[Operator]]:
    """Every registered operator by name, sorted."""
    _load()
    return dict(sorted(_registry.items()))


def get_operator(name: str) -> type[Operator]:
    """The operator class called `name`; a UserError listing the known ones otherwise."""
    _load()
    if name in _registry:
        return _registry[name]
    raise UserError(unknown_operator_message(name))


def unknown_operator_message(name: str) -> str:
    """`unknown op 'x'; did you mean 'y'? (known: ...)`"""
    known = sorted(_registry)
    close = difflib.get_close_matches(name.replace("-", "_"), known, n=1)
    hint = f"; did you mean '{close[0]}'?" if close else ""
    return f"unknown op '{name}'{hint} (known: {', '.join(known)})"
