"""The run report: throughput, latency, keyframes, drops (per edge) and per-node timings, as JSON.

It says what ran: the JejuNet version, and per model node its model file and that file's SHA-256.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from jejunet import __version__
from jejunet.assets import sha256_of
from jejunet.media.atomic import write_bytes_atomic

if TYPE_CHECKING:
    from jejunet.ops.base import Operator


@dataclass
class NodeTimes:
    op: str
    durations_s: list[float] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        ms = np.asarray(self.durations_s, dtype=np.float64) * 1e3
        if ms.size == 0:
            return {
                "op": self.op,
                "calls": 0,
                "total_ms": 0.0,
                "mean_ms": 0.0,
                "p50_ms": 0.0,
                "p95_ms": 0.0,
            }
        return {
            "op": self.op,
            "calls": int(ms.size),
            "total_ms": round(float(ms.sum()), 3),
            "mean_ms": round(float(ms.mean()), 3),
            "p50_ms": round(float(np.percentile(ms, 50)), 3),
            "p95_ms": round(float(np.percentile(ms, 95)), 3),
        }


def percentiles_ms(durations_s: list[float]) -> dict[str, float]:
    """p50, p95 and max of durations in seconds, as milliseconds (zeros when empty)."""
    ms = np.asarray(durations_s, dtype=np.float64) * 1e3
    if ms.size == 0:
        return {"p50": 0.0, "p95": 0.0, "max": 0.0}
    return {
        "p50": round(float(np.percentile(ms, 50)), 3),
        "p95": round(float(np.percentile(ms, 95)), 3),
        "max": round(float(ms.max()), 3),
    }


@dataclass
class EdgeStats:
    """An edge's queue: its settings, the frames dropped on it and the deepest it got."""

    policy: str
    size: int
    dropped: int = 0
    max_depth: int = 0

    def summary(self) -> dict[str, Any]:
        return {
            "policy": self.policy,
            "size": self.size,
            "dropped": self.dropped,
            "max_depth": self.max_depth,
        }


@dataclass
class RunReport:
    pipeline: str
    frames: int = 0
    wall_s: float = 0.0
    keyframes: int = 0
    keyframe_frames: list[int] = field(default_factory=list)
    #: why each keyframe was one (frame index → reason), from the keyframe gate if there is one
    keyframe_reasons: dict[int, str] = field(default_factory=dict)
    #: frames handed to a network node off the frame path but dropped from its mailbox before it
    #: ran (a newer keyframe came first): the gate's decision is in `keyframe_reasons`, no result
    keyframe_frames_dropped: list[int] = field(default_factory=list)
    dropped: int = 0
    nodes: dict[str, NodeTimes] = field(default_factory=dict)
    runtime: dict[str, dict[str, Any]] = field(default_factory=dict)
    executor: str = "sequential"
    mode: str = "offline"
    #: frames the source produced (frames + dropped)
    source_frames: int = 0
    #: end-to-end latency of every finished frame: source read to the last node done with it
    latencies_s: list[float] = field(default_factory=list)
    #: forward edges by `src.port->dst.input` (threaded executor); realtime also each delayed
    #: edge (policy `newest`): `dropped` counts results superseded by a newer one before a read
    edges: dict[str, EdgeStats] = field(default_factory=dict)
    #: frames left out of the timings at the start (warm-up)
    warmup_frames: int = 0
    #: nodes run off the frame path (threaded, realtime: outputs only through delayed edges)
    offpath: list[str] = field(default_factory=list)

    @property
    def fps(self) -> float:
        return self.frames / self.wall_s if self.wall_s > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "jejunet_version": __version__,
            "pipeline": self.pipeline,
            "frames": self.frames,
            "wall_s": round(self.wall_s, 4),
            "fps": round(self.fps, 2),
            "keyframes": self.keyframes,
            "keyframe_frames": self.keyframe_frames,
            "keyframe_reasons": {str(k): v for k, v in self.keyframe_reasons.items()},
            "keyframes_dropped": len(self.keyframe_frames_dropped),
            "keyframe_frames_dropped": self.keyframe_frames_dropped,
            "dropped": self.dropped,
            "nodes": {node_id: t.summary() for node_id, t in self.nodes.items()},
            "runtime": self.runtime,
            "executor": self.executor,
            "mode": self.mode,
            "source_frames": self.source_frames,
            "warmup_frames": self.warmup_frames,
            "latency_ms": percentiles_ms(self.latencies_s),
            "edges": {name: e.summary() for name, e in self.edges.items()},
            "offpath": self.offpath,
        }

    def write(self, path: Path) -> None:
        write_bytes_atomic(path, (json.dumps(self.to_dict(), indent=2) + "\n").encode())

    def summary_line(self) -> str:
        latency = percentiles_ms(self.latencies_s)
        return (
            f"{self.frames} frames in {self.wall_s:.2f} s ({self.fps:.1f} fps), "
            f"{self.keyframes} keyframes, {self.dropped} dropped, "
            f"latency p50 {latency['p50']:.1f} ms / p95 {latency['p95']:.1f} ms"
        )


@lru_cache(maxsize=32)
def _sha256(path: str, mtime_ns: int, size: int) -> str:
    return sha256_of(Path(path))  # the file's version (mtime, size) is the cache key


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file, hex (cached per file version)."""
    stat = path.stat()
    return _sha256(str(path), stat.st_mtime_ns, stat.st_size)


def collect_run_info(report: RunReport, ops: Mapping[str, Operator]) -> None:
    """Add what operators tell about their run (model and its SHA-256, delegate, keyframe reasons)."""
    for nid, op in ops.items():
        info = dict(op.run_info())
        report.keyframe_reasons.update(info.pop("keyframe_reasons", {}))
        model = op.model_file()
        if model is not None:
            info.setdefault("model", str(model))
            info["sha256"] = file_sha256(model)
        if info:
            report.runtime[nid] = info
