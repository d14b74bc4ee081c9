"""Values of an edge by frame, read for a later frame: feedback edges (`previous: true`).

A reader asks for the value of frame `target`; when that frame's value was never written (it
was dropped upstream), the latest earlier one is carried forward; before any, SKIPPED (the
edge's initial value). Both executors read feedback through this one class; a delayed result
(a value arriving some frames after the frame it belongs to) is read the same way.
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
        if target < 0:
            return SKIPPED
        if target in self.values:
            value = self.values[target]
        else:
            earlier = [k for k in self.values if k <= target]
            value = self.values[max(earlier)] if earlier else SKIPPED
        for k in [k for k in self.values if k < target]:
            del self.values[k]
        return value
