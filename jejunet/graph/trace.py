"""Chrome-trace JSON of a run (opens in Perfetto and chrome://tracing): one row per node.

Every call of a node on a frame is a complete event ("X") on that node's row; every frame's
journey from the source to the end of the graph is an async span on a "frames" row; drops are
instant events on the row of the node whose output was dropped.

A recorder is a run hook (`jejunet.graph.hooks`): pass it as `trace=` or among `hooks=`.
"""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path
from typing import Any

from jejunet.media.atomic import write_bytes_atomic

PID = 1


class TraceRecorder:
    """Collects trace events (thread-safe); `write` saves them as Chrome-trace JSON, atomically."""

    def __init__(self, node_ids: list[str], ops: dict[str, str]) -> None:
        self._lock = threading.Lock()
        self._t0 = time.perf_counter()
        self._tid = {nid: i + 1 for i, nid in enumerate(node_ids)}
        self._ops = ops
        self.events: list[dict[str, Any]] = [
            {"ph": "M", "pid": PID, "name": "process_name", "args": {"name": "jejunet"}},
        ]
        self._lanes: dict[tuple[str, int], int] = {}
        for nid, tid in self._tid.items():
            self._row(tid, nid, tid * 100)

    def _row(self, tid: int, name: str, order: int) -> None:
        self.events.append({"ph": "M", "pid": PID, "tid": tid, "name": "thread_name", "args": {"name": name}})
        self.events.append(
            {"ph": "M", "pid": PID, "tid": tid, "name": "thread_sort_index", "args": {"sort_index": order}}
        )

    def _lane_tid(self, node_id: str, lane: int) -> int:
        """The row of a node's `lane`-th instance (`workers`), added below the node's own row (lock held)."""
        if lane == 0:
            return self._tid[node_id]
        tid = self._lanes.get((node_id, lane))
        if tid is None:
            tid = len(self._tid) + len(self._lanes) + 1
            self._lanes[(node_id, lane)] = tid
            self._row(tid, f"{node_id} [{lane + 1}]", self._tid[node_id] * 100 + lane)
        return tid

    def _us(self, t: float) -> float:
        return round((t - self._t0) * 1e6, 3)

    def span(
        self, node_id: str, frame: int, start: float, end: float, skipped: bool = False, lane: int = 0
    ) -> None:
        """A node's work on one frame, between two `time.perf_counter()` readings; `lane`: which of
        its instances did it, each on its own row."""
        event = {
            "ph": "X",
            "pid": PID,
            "name": node_id,
            "cat": self._ops[node_id],
            "ts": self._us(start),
            "dur": round((end - start) * 1e6, 3),
            "args": {"frame": frame, **({"skipped": True} if skipped else {})},
        }
        with self._lock:
            event["tid"] = self._lane_tid(node_id, lane)
            self.events.append(event)

    def frame(self, frame: int, start: float, end: float) -> None:
        """A frame's end-to-end latency, as an async span on the 'frames' row."""
        common = {"pid": PID, "cat": "frame", "name": f"frame {frame}", "id": frame}
        with self._lock:
            self.events.append({**common, "ph": "b", "ts": self._us(start)})
            self.events.append({**common, "ph": "e", "ts": self._us(end)})

    def drop(self, node_id: str, frame: int, edge: str) -> None:
        """A frame of `node_id`'s output dropped on `edge`."""
        event = {
            "ph": "i",
            "s": "t",
            "pid": PID,
            "tid": self._tid[node_id],
            "name": "drop",
            "ts": self._us(time.perf_counter()),
            "args": {"frame": frame, "edge": edge},
        }
        with self._lock:
            self.events.append(event)

    # --- run hooks -------------------------------------------------------------------------------
    def node_done(self, node: str, frame: int, start: float, end: float, lane: int = 0, **_: Any) -> None:
        self.span(node, frame, start, end, lane=lane)

    def frame_done(self, frame: int, start: float, end: float, **_: Any) -> None:
        self.frame(frame, start, end)

    def frame_dropped(self, node: str, frame: int, edge: str, **_: Any) -> None:
        self.drop(node, frame, edge)

    def to_dict(self) -> dict[str, Any]:
        with self._lock:
            return {
                "traceEvents": list(self.events),
                "displayTimeUnit": "ms",
                "otherData": {"pid": os.getpid()},
            }

    def write(self, path: Path) -> None:
        write_bytes_atomic(path, json.dumps(self.to_dict(), separators=(",", ":")).encode())
