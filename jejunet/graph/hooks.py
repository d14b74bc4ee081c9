"""Run hooks: what tools observe of a run, without touching its operators.

A hook is any object with some of these methods; each takes keyword arguments only and must
accept (and ignore) ones it does not know (`**_`), so new arguments can be added:

- `frame_started(frame, info, outputs, start)`: the source gave a frame (`outputs`: its ports);
  sent before the source's own `node_done`
- `node_started(node, frame, op, lane)`: a node is about to process a frame
- `node_done(node, frame, info, op, inputs, outputs, start, end, lane)`: a node processed a
  frame (the source too: its read of the frame); not sent for nodes skipped on SKIPPED inputs
- `frame_done(frame, info, start, end, keyframe, measured, report)`: a frame left the graph
- `frame_dropped(node, frame, edge)`: a frame of `node`'s output was dropped on `edge` (threaded)
- `run_done(report)`: the run ended well, its report complete

With the threaded executor hooks are called on the nodes' threads, possibly at once: keep them
short, and lock what they share. `frame_done` is called in frame order.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

EVENTS = ("frame_started", "node_started", "node_done", "frame_done", "frame_dropped", "run_done")


class Hooks:
    """A base class for hooks (optional: any object with some of the methods will do)."""

    def frame_started(self, **_: Any) -> None: ...

    def node_started(self, **_: Any) -> None: ...

    def node_done(self, **_: Any) -> None: ...

    def frame_done(self, **_: Any) -> None: ...

    def frame_dropped(self, **_: Any) -> None: ...

    def run_done(self, **_: Any) -> None: ...


class HookSet:
    """The hooks of one run, by event; `wants(event)` is false when no hook listens (nothing built)."""

    def __init__(self, hooks: Iterable[Any]) -> None:
        present = [h for h in hooks if h is not None]
        self._calls: dict[str, list[Callable[..., Any]]] = {
            event: [m for h in present if callable(m := getattr(h, event, None))] for event in EVENTS
        }

    def wants(self, event: str) -> bool:
        return bool(self._calls[event])

    def __call__(self, event: str, **kwargs: Any) -> None:
        for call in self._calls[event]:
            call(**kwargs)


Progress = Callable[[Any], None]


class ProgressHook:
    """Calls `progress(report)` when a frame is done, at most once per `interval` seconds."""

    def __init__(self, progress: Progress, interval: float = 0.0) -> None:
        self.progress, self.interval = progress, interval
        self._next = 0.0

    def frame_done(self, report: Any, **_: Any) -> None:
        now = time.perf_counter()
        if now >= self._next:
            self._next = now + self.interval
            self.progress(report)
