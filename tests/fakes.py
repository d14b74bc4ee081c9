"""Fake operators for executor tests, registered when this module is imported (tests only).

A synthetic source (`xtest_frames`: frames made in memory, no media needed), delays, failures,
hangs, feedback, a gate, recording sinks and an operator that breaks the output contract.
Test files import them from here, never from one another.
"""

from __future__ import annotations

import threading
import time
import zlib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from jejunet.graph.compiler import CompiledGraph, compile_data
from jejunet.kinds import FRAME, Shape
from jejunet.ops.base import SKIPPED, FrameInfo, Operator, Params, Port, RunContext, ShapeCheck
from jejunet.ops.registry import register


def synthetic_frame(index: int, height: int, width: int) -> np.ndarray:
    """A frame of noise seeded by its index: every frame different, every run the same."""
    return np.random.default_rng(index).integers(0, 256, (height, width, 3), dtype=np.uint8)


class FramesParams(Params):
    frames: int = 20
    width: int = 64
    height: int = 48
    fps: float = 25.0
    #: time to make each frame, as a decoder would take (milliseconds)
    ms: float = 0.0
    #: raise in frames() instead of giving this frame
    fail_at: int | None = None


@register
class Frames(Operator):
    """A source of synthetic frames (`synthetic_frame`), `ms` each, at `fps` (for pacing)."""

    name = "xtest_frames"
    Params = FramesParams
    outputs = (Port("image", FRAME),)
    is_source = True

    @classmethod
    def check(cls, params: Params, inputs: Mapping[str, Shape], base_dir: Path | None = None) -> ShapeCheck:
        assert isinstance(params, FramesParams)
        result = ShapeCheck()
        result.outputs["image"] = (params.height, params.width)
        return result

    def open(self, ctx: RunContext) -> None:
        ctx.fps = self.params.fps

    def frames(self) -> Iterator[tuple[FrameInfo, dict[str, Any]]]:
        p = self.params
        for index in range(p.frames):
            if index == p.fail_at:
                raise RuntimeError(f"deliberate source failure at frame {index}")
            time.sleep(p.ms / 1e3)
            yield FrameInfo(index, index / p.fps), {"image": synthetic_frame(index, p.height, p.width)}


class TypoParams(Params):
    key: str = "imgae"


@register
class Typo(Operator):
    """Returns its frame under a port it does not declare (`key`): a broken output contract."""

    name = "xtest_typo"
    Params = TypoParams
    inputs = (Port("image", FRAME),)
    outputs = (Port("image", FRAME),)

    def process(self, info: FrameInfo, image: np.ndarray) -> dict[str, Any]:
        return {self.params.key: image}


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


def source(frames: int, node_id: str = "source", **params: Any) -> dict[str, Any]:
    """A synthetic source node of `frames` frames (see `Frames`)."""
    return {"id": node_id, "op": "xtest_frames", "params": {"frames": frames, **params}}


def decode_source(path: Path, frames: int, node_id: str = "source") -> dict[str, Any]:
    """A real decode node reading `frames` frames of a clip."""
    return {"id": node_id, "op": "decode", "params": {"source": str(path), "max_frames": frames}}
