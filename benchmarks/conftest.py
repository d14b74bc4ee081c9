"""Benchmark fixtures: real frames of bikes.mp4 at 640×360 and 1280×720, real model outputs.

`bench_*.py` files are collected as test modules here (pytest-benchmark functions are `test_*`).
Run them all with `make bench`; see docs/benchmarks.md for the saved baseline.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest

from jejunet.media.video import video_frames
from jejunet.ops.base import FrameInfo, Operator, RunContext
from jejunet.ops.registry import get_operator
from jejunet.ops.resize import resize_image

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
CLIP = SHARED / "media" / "bikes.mp4"
SIZES = {"640x360": (640, 360), "1280x720": (1280, 720)}
NETWORK = 256
FRAMES = 8  # consecutive real frames per size


def pytest_collect_file(file_path: Path, parent: Any) -> Any:
    named = file_path.suffix == ".py" and file_path.name.startswith("bench_")
    if named and not parent.session.isinitpath(file_path):  # a path given explicitly is collected anyway
        return pytest.Module.from_parent(parent, path=file_path)
    return None


def _need(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"{path} is not available (benchmarks read models and media from ../shared)")
    return path


@pytest.fixture(scope="session")
def clip() -> Path:
    return _need(CLIP)


@pytest.fixture(scope="session")
def real_frames(clip: Path) -> list[np.ndarray]:
    """The first frames of bikes.mp4 (640×272) after its first scene cut settles (frames 40…)."""
    frames = [image for i, (_, image, _) in enumerate(video_frames(str(clip))) if 40 <= i < 40 + FRAMES]
    return frames


@pytest.fixture(scope="session")
def frames_at(real_frames: list[np.ndarray]) -> dict[str, list[np.ndarray]]:
    """The real frames resized to each benchmark size, and to the network input (256×256)."""
    out = {
        name: [resize_image(f, w, h, "stretch", "area") for f in real_frames]
        for name, (w, h) in SIZES.items()
    }
    out["256x256"] = [resize_image(f, NETWORK, NETWORK, "stretch", "area") for f in real_frames]
    return out


@pytest.fixture(scope="session")
def clips_at(
    frames_at: dict[str, list[np.ndarray]], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Path]:
    """Short H.264 clips (30 frames) at each benchmark size, for the decoder."""
    folder = tmp_path_factory.mktemp("clips")
    paths = {}
    for name, (w, h) in SIZES.items():
        path = folder / f"{name}.mp4"
        with av.open(str(path), "w", format="mp4") as out:
            stream = out.add_stream("libx264", rate=25, options={"preset": "veryfast", "crf": "23"})
            stream.width, stream.height, stream.pix_fmt = w, h, "yuv420p"
            for i in range(30):
                image = frames_at[name][i % FRAMES]
                for packet in stream.encode(av.VideoFrame.from_ndarray(image, format="bgr24")):
                    out.mux(packet)
            for packet in stream.encode():
                out.mux(packet)
        paths[name] = path
    return paths


def make_op(name: str, ctx: RunContext | None = None, **params: Any) -> Operator:
    """An opened operator, as the graph would open it."""
    cls = get_operator(name)
    op = cls(cls.Params(**params), name)
    op.open(ctx or RunContext(fps=25.0))
    return op


class Cycle:
    """Calls `op.process` on a cycle of prepared inputs, one frame per call."""

    def __init__(self, op: Operator, inputs: list[dict[str, Any]]) -> None:
        self.op, self.inputs, self.index = op, inputs, 0

    def __call__(self) -> dict[str, Any]:
        kwargs = self.inputs[self.index % len(self.inputs)]
        out = self.op.process(FrameInfo(self.index, self.index / 25), **kwargs)
        self.index += 1
        return out
