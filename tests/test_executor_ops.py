"""Small real operators for executor tests (delays, failures, hangs, feedback, recording sinks).

They are registered like any plugin operator and run on real decoded frames of bikes.mp4.
"""

from __future__ import annotations

import threading
import time
import zlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from jejunet.graph.compiler import CompiledGraph, compile_data
from jejunet.kinds import FRAME, Shape
from jejunet.ops.base import SKIPPED, FrameInfo, Operator, Params, Port, ShapeCheck
from jejunet.ops.registry import register

#: what each recording sink saw, by its `key`: (frame index, checksum of every input)
RECORDS: dict[str, list[tuple[int, tuple[int, ...]]]] = {}
#: released by tests to let a hanging operator go
RELEASE = threading.Event()


def checksum(image: Any) -> int:
    return -1 if image is SKIPPED or image is None else zlib.crc32(np.ascontiguousarray(image).tobytes())


class DelayParams(Params):
    ms: float = 0.0
    jitter_ms: float = 0.0
    fail_at: int | None = None
    hang_at: int | None = None


@register
class Delay(Operator):
    """Pass the frame on after `ms` (+ a per-frame jitter); fail or hang at a given frame."""

    name = "xtest_delay"
    Params = DelayParams
    inputs = (Port("image", FRAME),)
    outputs = (Port("image", FRAME),)

    def process(self, info: FrameInfo, image: np.ndarray) -> dict[str, Any]:
        p = self.params
        if p.fail_at is not None and info.index == p.fail_at:
            raise RuntimeError(f"deliberate failure at frame {info.index}")
        if p.hang_at is not None and info.index == p.hang_at:
            RELEASE.wait(60)
        time.sleep((p.ms + p.jitter_ms * ((info.index * 7919) % 13) / 13) / 1e3)
        return {"image": image}


@register
class ParallelDelay(Delay):
    """A stateless Delay that counts how many of its instances work at once (`workers`)."""

    name = "xtest_parallel_delay"
    stateless = True
    busy = 0
    most_busy = 0
    lock = threading.Lock()

    def process(self, info: FrameInfo, image: np.ndarray) -> dict[str, Any]:
        cls = type(self)
        with cls.lock:
            cls.busy += 1
            cls.most_busy = max(cls.most_busy, cls.busy)
        try:
            return super().process(info, image)
        finally:
            with cls.lock:
                cls.busy -= 1


class RecordParams(Params):
    key: str = "default"
    ms: float = 0.0
    keep: bool = True


@register
class Record(Operator):
    """A sink that records the frames it receives (index and checksums), optionally slowly."""

    name = "xtest_record"
    Params = RecordParams
    inputs = (Port("image", FRAME), Port("extra", FRAME, optional=True))

    @classmethod
    def check(cls, params: Params, inputs: Mapping[str, Shape], base_dir: Path | None = None) -> ShapeCheck:
        return ShapeCheck()

    def open(self, ctx: Any) -> None:
        RECORDS[self.params.key] = []
        self.count = 0

    def process(self, info: FrameInfo, image: np.ndarray, extra: Any = None) -> dict[str, Any]:
        if self.params.ms:
            time.sleep(self.params.ms / 1e3)
        self.count += 1
        if self.params.keep:
            sums = (checksum(image),) if extra is None else (checksum(image), checksum(extra))
            RECORDS[self.params.key].append((info.index, sums))
        return {}


@register
class Blend(Operator):
    """out = (image + prev) / 2: a recurrence, so a wrong or late feedback value changes every frame."""

    name = "xtest_blend"
    inputs = (Port("image", FRAME), Port("prev", FRAME, "feedback", optional=True))
    outputs = (Port("image", FRAME),)
    accepts_skipped = True

    def process(self, info: FrameInfo, image: np.ndarray, prev: Any = None) -> dict[str, Any]:
        if prev is SKIPPED or prev is None:
            return {"image": image.copy()}
        return {"image": ((image.astype(np.uint16) + prev) // 2).astype(np.uint8)}


class FirstOnlyParams(Params):
    release_at: int = 0


#: set by xtest_first_only once it has handled frame `release_at`; xtest_wait waits for it
GATE_PASSED = threading.Event()


@register
class FirstOnly(Operator):
    """A gate that passes frame 0 only, reading back a feedback value it ignores."""

    name = "xtest_first_only"
    Params = FirstOnlyParams
    inputs = (Port("image", FRAME), Port("prev", FRAME, "feedback", optional=True))
    outputs = (Port("image", FRAME),)
    accepts_skipped = True

    def process(self, info: FrameInfo, image: np.ndarray, prev: Any = None) -> dict[str, Any]:
        if info.index == self.params.release_at:
            GATE_PASSED.set()
        return {"image": image if info.index == 0 else SKIPPED}


@register
class Wait(Operator):
    """A sink whose first call blocks until xtest_first_only has got far enough (at most 20 s)."""

    name = "xtest_wait"
    inputs = (Port("image", FRAME),)

    def process(self, info: FrameInfo, image: np.ndarray) -> dict[str, Any]:
        if not GATE_PASSED.wait(20):
            raise RuntimeError("the gate never got there")
        return {}


def graph(nodes: list[dict[str, Any]], mode: str = "offline") -> CompiledGraph:
    """Compile a pipeline given as a list of node mappings."""
    return compile_data({"version": 1, "name": "test", "mode": mode, "nodes": nodes}, {}, None)


def source(bikes: Path, frames: int, node_id: str = "source") -> dict[str, Any]:
    return {"id": node_id, "op": "decode", "params": {"source": str(bikes), "max_frames": frames}}


def test_recording_sink_sees_every_input(bikes: Path) -> None:
    from jejunet.graph.scheduler import run_graph

    compiled = graph(
        [
            source(bikes, 5),
            {"id": "d", "op": "xtest_delay", "inputs": {"image": "source.image"}},
            {"id": "r", "op": "xtest_record", "params": {"key": "ops"}, "inputs": {"image": "d.image"}},
        ]
    )
    run_graph(compiled)
    assert [i for i, _ in RECORDS["ops"]] == [0, 1, 2, 3, 4]
    assert len({sums for _, sums in RECORDS["ops"]}) == 5  # five different real frames


def test_delay_fails_where_asked(bikes: Path) -> None:
    from jejunet.errors import NodeError
    from jejunet.graph.scheduler import run_graph

    compiled = graph(
        [
            source(bikes, 5),
            {"id": "d", "op": "xtest_delay", "params": {"fail_at": 2}, "inputs": {"image": "source.image"}},
        ]
    )
    with pytest.raises(NodeError, match="node 'd' \\(xtest_delay\\): frame 2: RuntimeError"):
        run_graph(compiled)
