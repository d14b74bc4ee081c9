"""The keyframe gate's cost per frame: the shared-sample kernels against the plain definitions.

    .venv/bin/python benchmarks/bench_gate.py [--frames N] [--rounds R] [--width 512 --height 288]
        [--set PARAM=VALUE ...] [--json OUT]

Real frames of ../shared/media/bikes.mp4 resized to the default model's input (512×288), the
optical flow node's flow (DIS `fast` at width 128, as pipelines/deeplab_keyframe.yaml), and the
shipped gate's parameters (prediction error 2.0, cuts, max gap 60; `--set` changes them). Each
round runs the gate over all frames twice, in turn: `new` is `KeyframeGate.process`, `old` the
same frame work done with the plain definitions of jejunet/ops/gate_reference.py as the gate
did before (a 32² thumbnail, four histograms, the 64² grid, the keyframe's texture every
frame). Both must take the same decisions (checked). Reported: median per-frame cost of each,
the median of per-round ratios, and the new path's cost per part.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path
from typing import Any

import numpy as np

from jejunet.media.video import video_frames
from jejunet.ops import gate_features as gf
from jejunet.ops import gate_prediction as gp
from jejunet.ops import gate_reference as ref
from jejunet.ops.base import SKIPPED, FrameInfo, RunContext
from jejunet.ops.keyframe_gate import (
    HIST_STEP,
    GateState,
    KeyframeGate,
    KeyframeGateParams,
    colour_histograms,
    decide,
    grey_thumbnail,
    object_cells,
    sample_step,
)
from jejunet.ops.optical_flow import OpticalFlow, OpticalFlowParams
from jejunet.ops.resize import resize_image

CLIP = Path(__file__).resolve().parents[2] / "shared" / "media" / "bikes.mp4"
SHIPPED = {"prediction_threshold": 2.0, "motion_threshold": None, "scene_cut": True, "max_gap": 60}


def load(frames: int, width: int, height: int) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Frames at the gate's size and the flow node's flow for each."""
    images = [
        resize_image(f, width, height, "stretch", "linear")
        for i, (_, f, _) in zip(range(frames), video_frames(str(CLIP)), strict=False)
    ]
    flow = OpticalFlow(OpticalFlowParams(preset="fast", width=128), "flow")
    flow.open(RunContext())
    return images, [flow.process(FrameInfo(i, i / 25), im)["flow"] for i, im in enumerate(images)]


def labels_for(image: np.ndarray) -> np.ndarray:
    """A fixed object mask at the image's size (the network's labels after a keyframe)."""
    labels = np.zeros(image.shape[:2], np.uint8)
    h, w = labels.shape
    labels[h // 3 : 2 * h // 3, w // 3 : w // 2] = 15
    return labels


def run_new(params: KeyframeGateParams, images: list, flows: list) -> tuple[list[float], list[int]]:
    gate = KeyframeGate(params, "gate")
    gate.open(RunContext())
    costs, keys, labels = [], [], None
    for i, (image, flow) in enumerate(zip(images, flows, strict=True)):
        start = time.perf_counter()
        out = gate.process(FrameInfo(i, i / 25), image, labels, flow)
        costs.append(time.perf_counter() - start)
        labels = SKIPPED if out["image"] is SKIPPED else labels_for(image)
        if out["image"] is not SKIPPED:
            keys.append(i)
    return costs, keys


def old_frame(p: KeyframeGateParams, s: GateState, image: np.ndarray, labels: Any, flow: np.ndarray) -> bool:
    """One frame as the gate computed it before: every feature from its own pass over the frame."""
    s.index += 1
    thumb = ref.grey_thumbnail(image, p.thumb_size)
    hist = ref.colour_histograms(image)
    if p.object_weight and labels is not None and labels is not SKIPPED:
        s.pred_objects = object_cells(labels, p.predict_size)
    grid = ref.grey_thumbnail(image, p.predict_size)
    error = None
    if s.key_grid is not None and s.displacement is not None:
        s.displacement = ref.compose(s.displacement, ref.flow_on_grid(flow, p.predict_size))
        error = ref.prediction_error(
            s.key_grid, s.displacement, grid, s.pred_objects, p.object_weight, p.occlusion_units
        )
    reason = decide(p, s, thumb, hist, None, error)
    s.prev_hist = hist
    if reason is None:
        return False
    s.last_key, s.key_thumb = s.index, thumb
    s.key_grid, s.displacement = grid, np.zeros((*grid.shape, 2), np.int64)
    return True


def run_old(params: KeyframeGateParams, images: list, flows: list) -> tuple[list[float], list[int]]:
    state = GateState()
    costs, keys, labels = [], [], None
    for i, (image, flow) in enumerate(zip(images, flows, strict=True)):
        start = time.perf_counter()
        key = old_frame(params, state, image, labels, flow)
        costs.append(time.perf_counter() - start)
        labels = labels_for(image) if key else SKIPPED
        if key:
            keys.append(i)
    return costs, keys


def parts(params: KeyframeGateParams, images: list, flows: list) -> dict[str, float]:
    """Median ms per frame of each part of the new path (carried frames, keyframe = frame 0)."""
    size = params.predict_size
    key = grey_thumbnail(images[0], size)
    tex = gp.texture(key)
    times: dict[str, list[float]] = {}

    def timed(name: str, fn: Any, *args: Any) -> Any:
        start = time.perf_counter()
        value = fn(*args)
        times.setdefault(name, []).append(1e3 * (time.perf_counter() - start))
        return value

    displacement = np.zeros((size, size, 2), np.int64)
    for image, flow in zip(images[1:], flows[1:], strict=True):
        sample = gf.Sample(image)
        timed("sample planes (step 2)", sample.planes, min(HIST_STEP, sample_step(image, size)))
        timed("histograms", colour_histograms, image, 2, 5, 2, sample)
        grid = timed(f"grey grid {size}²", grey_thumbnail, image, size, sample)
        timed(f"thumbnail {params.thumb_size}² (motion policies only)", grey_thumbnail, image, 32, sample)
        step = timed("flow on grid", gp.flow_on_grid, flow, size)
        displacement = timed("compose", gp.compose, displacement, step)
        timed("prediction error", gp.prediction_error, key, displacement, grid, None, 3, tex, 0)
        timed("… with occlusion", gp.prediction_error, key, displacement, grid, None, 3, tex, 1)
    return {name: statistics.median(v) for name, v in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=120)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--width", type=int, default=512)
    parser.add_argument("--height", type=int, default=288)
    parser.add_argument("--set", action="append", default=[], help="a gate parameter, PARAM=VALUE (JSON)")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    settings = dict(SHIPPED)
    for item in args.set:
        name, _, value = item.partition("=")
        settings[name] = json.loads(value)
    params = KeyframeGateParams(**settings)
    images, flows = load(args.frames, args.width, args.height)
    per = {"old": [], "new": []}
    ratios = []
    for r in range(args.rounds):
        old, old_keys = run_old(params, images, flows)
        new, new_keys = run_new(params, images, flows)
        if old_keys != new_keys:
            raise SystemExit(f"decisions differ: old {old_keys}, new {new_keys}")
        per["old"].append(1e3 * statistics.median(old))
        per["new"].append(1e3 * statistics.median(new))
        ratios.append(per["old"][-1] / per["new"][-1])
        print(f"round {r + 1}: old {per['old'][-1]:.3f} ms, new {per['new'][-1]:.3f} ms a frame", flush=True)
    result = {
        "size": f"{args.width}x{args.height}",
        "frames": len(images),
        "keyframes": len(new_keys),
        "old_ms": statistics.median(per["old"]),
        "new_ms": statistics.median(per["new"]),
        "ratio": statistics.median(ratios),
        "parts_ms": parts(params, images, flows),
    }
    print(
        f"gate per frame at {result['size']} ({result['keyframes']} keyframes in {result['frames']} frames, "
        f"same decisions): old {result['old_ms']:.3f} ms, new {result['new_ms']:.3f} ms, "
        f"{result['ratio']:.2f}× cheaper (median of {args.rounds} rounds)"
    )
    for name, ms in result["parts_ms"].items():
        print(f"  {name:45s} {ms:.3f} ms")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
