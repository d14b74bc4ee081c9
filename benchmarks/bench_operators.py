"""One benchmark per operator, through its `process` (as the graph calls it), at realistic sizes.

Frames: real frames of bikes.mp4 at 640×360 and 1280×720; network input 256×256. One call is
one frame (decode: one 30-frame clip per call). Groups: one per operator.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from benchmarks.conftest import SHARED, SIZES, Cycle, make_op
from jejunet.ops.base import SKIPPED, FrameInfo, RunContext

FRAME_SIZES = list(SIZES)
MODELS = {
    "deeplab": ("deeplabv3_mnv2_voc_256", SHARED / "models" / "deeplabv3_mnv2_voc_256_uint8.tflite"),
    "selfie": ("selfie_segmentation_256", SHARED / "models" / "selfie_segmentation_256.tflite"),
}


@pytest.fixture(scope="module")
def network_outputs(frames_at: dict[str, list[np.ndarray]]) -> dict[str, list[dict[str, Any]]]:
    """Real outputs of both models on the 256×256 frames (labels; selfie also probabilities)."""
    out = {}
    for name, (model, path) in MODELS.items():
        if not path.exists():
            pytest.skip(f"{path} is not available")
        op = make_op("tflite_infer", model=model, num_threads=2)
        out[name] = [op.process(FrameInfo(i, 0.0), image=f) for i, f in enumerate(frames_at["256x256"])]
    return out


@pytest.mark.parametrize("size", FRAME_SIZES)
def test_decode(benchmark, clips_at: dict[str, Path], size: str) -> None:
    benchmark.group = "decode (30 frames)"

    def decode_clip() -> int:
        op = make_op("decode", source=str(clips_at[size]))
        return sum(1 for _ in op.frames())

    assert benchmark(decode_clip) == 30


@pytest.mark.parametrize("size", FRAME_SIZES)
def test_resize(benchmark, frames_at: dict[str, list[np.ndarray]], size: str) -> None:
    benchmark.group = "resize to 256x256"
    op = make_op("resize", width=256, height=256, mode="stretch", interpolation="area")
    out = benchmark(Cycle(op, [{"image": f} for f in frames_at[size]]))
    assert out["image"].shape == (256, 256, 3)


@pytest.mark.parametrize("model", list(MODELS))
def test_tflite_infer(benchmark, frames_at: dict[str, list[np.ndarray]], model: str) -> None:
    benchmark.group = "tflite_infer 256x256"
    name, path = MODELS[model]
    if not path.exists():
        pytest.skip(f"{path} is not available")
    op = make_op("tflite_infer", model=name, num_threads=2)
    out = benchmark(Cycle(op, [{"image": f} for f in frames_at["256x256"]]))
    assert out["labels"].shape == (256, 256)


@pytest.mark.parametrize("size", FRAME_SIZES)
@pytest.mark.parametrize("source", ["labels", "probs"])
def test_upsample(benchmark, frames_at, network_outputs, size: str, source: str) -> None:
    benchmark.group = f"upsample {source}"
    outputs = network_outputs["deeplab" if source == "labels" else "selfie"]
    op = make_op("upsample")
    inputs = [{source: o[source], "like": f} for o, f in zip(outputs, frames_at[size], strict=True)]
    out = benchmark(Cycle(op, inputs))
    assert out["labels"].shape == frames_at[size][0].shape[:2]


@pytest.fixture(scope="module")
def labels_at(frames_at, network_outputs) -> dict[str, list[np.ndarray]]:
    """DeepLab's labels of each frame, at each frame size."""
    op = make_op("upsample")
    return {
        size: [
            op.process(FrameInfo(i, 0.0), labels=o["labels"], like=f)["labels"]
            for i, (o, f) in enumerate(zip(network_outputs["deeplab"], frames_at[size], strict=True))
        ]
        for size in FRAME_SIZES
    }


@pytest.mark.parametrize("size", FRAME_SIZES)
def test_overlay(benchmark, frames_at, labels_at, size: str) -> None:
    benchmark.group = "overlay (with legend)"
    op = make_op("overlay", alpha=0.5, legend=True)
    inputs = [{"image": f, "labels": la} for f, la in zip(frames_at[size], labels_at[size], strict=True)]
    out = benchmark(Cycle(op, inputs))
    assert out["image"].shape == frames_at[size][0].shape


@pytest.mark.parametrize("size", FRAME_SIZES)
def test_encode(benchmark, frames_at, tmp_path: Path, size: str) -> None:
    benchmark.group = "encode h264 veryfast"
    op = make_op("encode", path=str(tmp_path / f"{size}.mp4"))
    try:
        benchmark(Cycle(op, [{"image": f} for f in frames_at[size]]))
        op.close()
    except BaseException:
        op.abort()
        raise
    assert (tmp_path / f"{size}.mp4").stat().st_size > 0


@pytest.mark.parametrize("size", FRAME_SIZES)
def test_label_writer(benchmark, frames_at, network_outputs, tmp_path: Path, size: str) -> None:
    benchmark.group = "label_writer (VOC PNG)"
    op = make_op("label_writer", dir=str(tmp_path / size))
    small = [o["labels"] for o in network_outputs["deeplab"]]
    cycle = Cycle(op, [{"labels": la, "like": f} for la, f in zip(small, frames_at[size], strict=True)])
    benchmark(cycle)
    from jejunet.media.palette import read_label_png

    assert len(list((tmp_path / size).glob("*.png"))) == cycle.index
    assert read_label_png(tmp_path / size / "000000.png").shape == frames_at[size][0].shape[:2]


def test_keyframe_gate(benchmark, frames_at) -> None:
    benchmark.group = "keyframe_gate 256x256"
    op = make_op("keyframe_gate", motion_threshold=8.0, scene_cut=True, max_gap=30)
    benchmark(Cycle(op, [{"image": f} for f in frames_at["256x256"]]))


@pytest.mark.parametrize("preset", ["ultrafast", "fast", "medium"])
def test_optical_flow(benchmark, frames_at, preset: str) -> None:
    benchmark.group = "optical_flow 256x256"
    op = make_op("optical_flow", preset=preset)
    out = benchmark(Cycle(op, [{"image": f} for f in frames_at["256x256"]]))
    assert out["flow"].shape == (256, 256, 2)


@pytest.fixture(scope="module")
def flows(frames_at) -> list[np.ndarray]:
    """Real DIS flows between consecutive 256×256 frames."""
    op = make_op("optical_flow", preset="fast")
    result = [op.process(FrameInfo(i, 0.0), image=f)["flow"] for i, f in enumerate(frames_at["256x256"])]
    return result[1:]


@pytest.mark.parametrize("carried", ["labels", "probs"])
def test_warp(benchmark, network_outputs, flows, carried: str) -> None:
    benchmark.group = "warp 256x256"
    outputs = network_outputs["deeplab" if carried == "labels" else "selfie"]
    op = make_op("warp", RunContext())
    inputs = [
        {carried: SKIPPED, f"prev_{carried}": o[carried], "flow": fl}
        for o, fl in zip(outputs, flows, strict=False)
    ]
    out = benchmark(Cycle(op, inputs))
    assert out["labels"].shape == (256, 256)
