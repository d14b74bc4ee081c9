"""Values of an edge by frame, read for a later frame: feedback and delayed edges.

A reader asks for the value of frame `target`; when that frame's value was never written (it
was dropped upstream), the latest earlier one is carried forward; before any, SKIPPED (the
edge's initial value). Both executors read feedback through this one class; a delayed result
(a value arriving some frames after the frame it belongs to) is read the same way, and every
read says which frame the value belongs to (its *origin*, `FrameInfo.origins`). In realtime
mode a delayed edge reads `newest_after`: the newest value not yet delivered, whatever its frame
(`forget_upto` once delivered).
"""

from __future__ import annotations

from typing import Any

from jejunet.ops.base import SKIPPED

HISTORY = 256


class ValueHistory:
    """Written by the producer (`write`), read by the consumer (`read`); frames kept: `limit`."""

    def __init__(self, limit: int = HISTORY) -> None:
        self.values: dict[int, Any] = {}
        self.limit = limit
        #: the last frame written (-1: none yet)
        self.index = -1

    def write(self, index: int, value: Any) -> None:
        self.values[index] = value
        self.index = index
        if len(self.values) > self.limit:
            del self.values[next(iter(self.values))]

    def read(self, target: int) -> Any:
        """The value of frame `target`, else the latest before it, else SKIPPED; older ones are forgotten."""
        return self.read_at(target)[0]

    def read_at(self, target: int) -> tuple[Any, int | None]:
        """`read`, and the frame the value belongs to (None when the value is SKIPPED)."""
        if target < 0:
            return SKIPPED, None
        if target in self.values:
            origin: int | None = target
        else:
            origin = max((k for k in self.values if k <= target), default=None)
        value = SKIPPED if origin is None else self.values[origin]
        for k in [k for k in self.values if k < target]:
            del self.values[k]
        return value, None if value is SKIPPED else origin

    def newest_after(self, seen: int, upto: int) -> tuple[Any, int | None]:
        """The newest value (not SKIPPED) of a frame in (`seen`, `upto`], and its frame; else
        (SKIPPED, None). Nothing is forgotten: the reader does (`forget_upto`) once it used it."""
        found = [k for k, v in self.values.items() if seen < k <= upto and v is not SKIPPED]
        if not found:
            return SKIPPED, None
        origin = max(found)
        return self.values[origin], origin

    def forget_upto(self, seen: int, origin: int) -> int:
        """Forget the values up to `origin` (delivered: each value is delivered once); how many of
        them (not SKIPPED) after `seen` were never delivered (superseded by the one of `origin`)."""
        old = [k for k in self.values if k <= origin]
        superseded = sum(1 for k in old if seen < k < origin and self.values[k] is not SKIPPED)
        for k in old:
            del self.values[k]
        return superseded
