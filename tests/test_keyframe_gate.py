"""The keyframe gate: each policy alone and combined, cut detection on real footage, the budget."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from jejunet.ops import gate_features as gf
from jejunet.ops import gate_prediction as gp
from jejunet.ops import gate_reference as ref
from jejunet.ops.base import SKIPPED, FrameInfo, RunContext
from jejunet.ops.decode import video_frames
from jejunet.ops.keyframe_gate import (
    Budget,
    GateState,
    KeyframeGate,
    KeyframeGateParams,
    colour_histograms,
    decide,
    grey_thumbnail,
    histogram_distance,
    object_cells,
)
from jejunet.ops.resize import resize_image

BIKES_CUTS = [30, 76, 137, 187, 242]  # ../shared/media/README.md


def run_gate(frames: list[np.ndarray], labels: list | None = None, **params) -> KeyframeGate:
    gate = KeyframeGate(KeyframeGateParams(**params), "gate")
    gate.open(RunContext())
    for i, frame in enumerate(frames):
        out = gate.process(FrameInfo(i, i / 25), frame, labels[i] if labels else None)
        assert (out["image"] is SKIPPED) == (i not in gate.reasons)
    return gate


@pytest.fixture(scope="module")
def bikes_small(bikes: Path) -> list[np.ndarray]:
    return [resize_image(f, 256, 256, "stretch", "area") for _, f, _ in video_frames(str(bikes))]


def still(n: int, value: int = 90) -> list[np.ndarray]:
    return [np.full((64, 64, 3), value, np.uint8) for _ in range(n)]


def test_interval_only() -> None:
    gate = run_gate(still(12), interval=4, motion_threshold=None, scene_cut=False, max_gap=100)
    assert gate.reasons == {0: "first", 4: "interval", 8: "interval"}


def test_max_gap_forces_keyframes_on_still_footage() -> None:
    gate = run_gate(still(25), motion_threshold=None, max_gap=10)
    assert gate.reasons == {0: "first", 10: "max_gap", 20: "max_gap"}


def test_motion_accumulates_against_the_last_keyframe() -> None:
    """A slow brightening: each step is small, the change since the keyframe is what counts."""
    frames = [np.full((64, 64, 3), 50 + 2 * i, np.uint8) for i in range(12)]
    gate = run_gate(frames, motion_threshold=5.0, scene_cut=False, max_gap=100)
    assert gate.reasons == {0: "first", 3: "motion", 6: "motion", 9: "motion"}


def test_scene_cut_on_synthetic_cut() -> None:
    rng = np.random.default_rng(0)
    a = rng.integers(0, 128, (64, 64, 3), dtype=np.uint8)
    b = rng.integers(128, 256, (64, 64, 3), dtype=np.uint8)
    gate = run_gate([a] * 5 + [b] * 5, motion_threshold=None, max_gap=100)
    assert gate.reasons == {0: "first", 5: "cut"} and gate.cuts == [5]
    gate = run_gate([a] * 5 + [b] * 5, motion_threshold=None, scene_cut=False, max_gap=100)
    assert gate.reasons == {0: "first"}


def test_every_cut_of_bikes_detected_and_nothing_else(bikes_small) -> None:
    gate = run_gate(bikes_small, motion_threshold=None, max_gap=1000)
    assert gate.cuts == BIKES_CUTS
    assert set(gate.reasons) == {0, *BIKES_CUTS}


def test_no_keyframe_storm_on_smooth_footage(bikes_small) -> None:
    """Within the first shot (a road from above), the default gate keeps most frames carried."""
    gate = run_gate(bikes_small[:30], max_gap=30)
    assert len(gate.reasons) <= 10, gate.reasons


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize(("key_ms", "low", "high"), [(60, 0.45, 0.7), (20, 0.95, 1.0), (400, 0.05, 0.15)])
def test_budget_adapts_keyframe_rate_to_the_cost(key_ms: float, low: float, high: float) -> None:
    """A 25 fps target: carried frames cost 5 ms, keyframes `key_ms`; the rate follows the budget."""
    gate = KeyframeGate(KeyframeGateParams(target_fps=25, motion_threshold=None, max_gap=1000), "gate")
    gate.open(RunContext())
    clock = FakeClock()
    gate.budget = Budget(25, clock)
    frame = np.full((32, 32, 3), 7, np.uint8)
    n = 500
    for i in range(n):
        key = gate.process(FrameInfo(i, i / 25), frame)["image"] is not SKIPPED
        clock.now += (key_ms if key else 5) / 1000
    rate = len(gate.reasons) / n
    assert low <= rate <= high, rate
    assert set(gate.reasons.values()) <= {"first", "budget"}
    if key_ms < 400:  # whenever a keyframe fits at all, the target frame rate holds
        assert n / clock.now >= 25 * 0.97


def test_budget_defers_interval_but_never_a_cut() -> None:
    params = KeyframeGateParams(interval=1, motion_threshold=None)
    state = GateState(index=5, last_key=4, key_thumb=np.zeros((4, 4), np.int64))
    thumb = np.zeros((4, 4), np.int64)
    hist = colour_histograms(np.zeros((8, 8, 3), np.uint8))
    state.prev_hist = hist
    assert decide(params, state, thumb, hist, budget_ok=False) is None
    assert decide(params, state, thumb, hist, budget_ok=True) == "interval"
    state.prev_hist = colour_histograms(np.full((8, 8, 3), 255, np.uint8))
    assert decide(params, state, thumb, hist, budget_ok=False) == "cut"


def test_features_are_integer_and_deterministic() -> None:
    img = np.random.default_rng(3).integers(0, 256, (100, 130, 3), dtype=np.uint8)
    thumb = grey_thumbnail(img, 8)
    assert thumb.dtype.kind == "i" and thumb.shape == (8, 8)
    hist = colour_histograms(img)
    assert hist.shape == (4, 512) and hist.sum() == 50 * 65
    assert histogram_distance(hist, hist) == 0.0


def moving_square(n: int, x0: int, step: int, background: int = 90) -> list[np.ndarray]:
    """A bright 16×16 square moving right by `step` pixels a frame over a flat 64×64 frame."""
    frames = []
    for i in range(n):
        frame = np.full((64, 64, 3), background, np.uint8)
        frame[24:40, x0 + step * i : x0 + step * i + 16] = 230
        frames.append(frame)
    return frames


def square_labels(frames: list[np.ndarray]) -> list[np.ndarray]:
    return [np.where(f[..., 0] > 200, 15, 0).astype(np.uint8) for f in frames]


def test_object_cells_mark_labelled_cells_and_their_neighbours() -> None:
    labels = np.zeros((256, 256), np.uint8)
    labels[100:110, 200] = 15  # rows 100-109 → cells 12-13, column 200 → cell 25
    cells = object_cells(labels, 32)
    assert cells.dtype == bool and cells.shape == (32, 32)
    assert np.argwhere(cells).tolist() == [[y, x] for y in range(11, 15) for x in range(24, 27)]
    odd = np.zeros((100, 70), np.uint8)  # sizes that do not divide: the general path
    odd[0, 0] = 1
    assert np.argwhere(object_cells(odd, 8)).tolist() == [[0, 0], [0, 1], [1, 0], [1, 1]]
    assert not object_cells(np.zeros((256, 256), np.uint8), 32).any()


def test_object_motion_counts_only_where_the_labels_show_objects() -> None:
    """A moving object forces keyframes; the same change where nothing is labelled does not."""
    frames = moving_square(12, 4, 3)
    params = dict(object_motion_threshold=3.0, motion_threshold=None, scene_cut=False, max_gap=100)
    gate = run_gate(frames, square_labels(frames), **params)
    assert set(gate.reasons.values()) == {"first", "object_motion"} and len(gate.reasons) >= 3
    empty = [np.zeros((64, 64), np.uint8)] * len(frames)
    assert run_gate(frames, empty, **params).reasons == {0: "first"}


def test_object_motion_uses_the_latest_labels_it_was_given() -> None:
    """Labels fed back from the network arrive on keyframes only (SKIPPED between): the gate keeps them."""
    frames = moving_square(12, 4, 3)
    labels = [lbl if i == 0 else SKIPPED for i, lbl in enumerate(square_labels(frames))]
    params = dict(object_motion_threshold=3.0, motion_threshold=None, scene_cut=False, max_gap=100)
    assert len(run_gate(frames, labels, **params).reasons) >= 3
    assert run_gate(frames, [SKIPPED] * len(frames), **params).reasons == {0: "first"}


def test_object_motion_needs_the_labels_input(tmp_path: Path) -> None:
    from jejunet.errors import PipelineError
    from jejunet.graph.compiler import compile_file

    pipeline = tmp_path / "p.yaml"
    pipeline.write_text(
        "version: 1\nname: p\nnodes:\n"
        "  - {id: source, op: decode, params: {source: x.mp4}}\n"
        "  - id: gate\n    op: keyframe_gate\n    inputs: {image: source.image}\n"
        "    params: {object_motion_threshold: 5}\n"
    )
    with pytest.raises(PipelineError) as err:
        compile_file(pipeline)
    message = str(err.value)
    assert "p.yaml:8:" in message and "node 'gate'" in message and "object_motion_threshold" in message
    assert "connect 'labels'" in message


def test_object_motion_above_whole_frame_motion_is_refused(tmp_path: Path) -> None:
    """The object score is a part of the whole-frame score: at or above its threshold it never fires."""
    from jejunet.errors import PipelineError
    from jejunet.graph.compiler import compile_file

    pipeline = tmp_path / "p.yaml"
    pipeline.write_text(
        "version: 1\nname: p\nnodes:\n"
        "  - {id: source, op: decode, params: {source: x.mp4}}\n"
        "  - {id: net, op: tflite_infer, inputs: {image: gate.image},\n"
        "     params: {model: deeplabv3_mnv2_voc_256}}\n"
        "  - id: gate\n    op: keyframe_gate\n"
        "    inputs: {image: source.image, labels: {from: net.labels, previous: true}}\n"
        "    params: {object_motion_threshold: 10}\n"
    )
    with pytest.raises(PipelineError, match=r"p.yaml:10:.*node 'gate'.*object_motion_threshold.*never fire"):
        compile_file(pipeline)


def test_a_skipped_image_passes_through_without_counting(bikes: Path) -> None:
    """Behind another gate the image can be SKIPPED: the gate is then not called (only its labels
    input may carry SKIPPED), so it counts the frames the first gate passed, on either executor."""
    from jejunet.graph.scheduler import run_graph
    from jejunet.graph.threaded import run_threaded
    from tests.test_executor_ops import RECORDS, graph, source

    frame = np.full((64, 64, 3), 90, np.uint8)
    assert not KeyframeGate.called_on({"image": SKIPPED, "labels": SKIPPED})
    assert KeyframeGate.called_on({"image": frame, "labels": SKIPPED})
    every_2nd = {"interval": 2, "motion_threshold": None, "scene_cut": False}
    nodes = [
        source(bikes, 9),
        {"id": "g1", "op": "keyframe_gate", "params": every_2nd, "inputs": {"image": "source.image"}},
        {"id": "g2", "op": "keyframe_gate", "params": every_2nd, "inputs": {"image": "g1.image"}},
        {"id": "sink", "op": "xtest_record", "params": {"key": "g2"}, "inputs": {"image": "g2.image"}},
    ]
    for run in (run_graph, run_threaded):
        run(graph(nodes))
        passed = [i for i, _ in RECORDS["g2"]]
        assert passed == [0, 4, 8]


# --- the prediction error (gate_prediction.py) --------------------------------------------


def textured(size: int = 400, seed: int = 0) -> np.ndarray:
    """A smooth random texture (blobs a few cells wide on a 64 grid of a 256 crop)."""
    rng = np.random.default_rng(seed)
    noise = rng.integers(0, 256, (size, size, 3), dtype=np.uint8)
    blurred = cv2.GaussianBlur(noise, (0, 0), 8)
    return cv2.normalize(blurred, None, 0, 255, cv2.NORM_MINMAX)


def pan(n: int, dx: int, dy: int = 0) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """A 256×256 window panning over a texture, with its exact backward flow (current → previous)."""
    big = textured()
    frames = [
        np.ascontiguousarray(big[60 + dy * i : 316 + dy * i, 60 + dx * i : 316 + dx * i]) for i in range(n)
    ]
    flow = np.zeros((256, 256, 2), np.float32)
    flow[..., 0], flow[..., 1] = dx, dy  # current pixel x shows what the previous one had at x + d
    flows = [np.zeros_like(flow)] + [flow] * (n - 1)
    return frames, flows


def run_flow_gate(frames, flows, labels=None, **params) -> KeyframeGate:
    gate = KeyframeGate(KeyframeGateParams(**params), "gate")
    gate.open(RunContext())
    for i, frame in enumerate(frames):
        gate.process(FrameInfo(i, i / 25), frame, labels[i] if labels else None, flows[i] if flows else None)
    return gate


def test_flow_on_grid_quantises_to_sixteenths_of_a_cell() -> None:
    flow = np.zeros((256, 256, 2), np.float32)
    flow[..., 0], flow[..., 1] = 4.0, -2.03  # 4 px = one cell of a 64 grid; −2.03 px → floor
    q = gp.flow_on_grid(flow, 64)
    assert q.dtype == np.int64 and q.shape == (64, 64, 2)
    assert (q[..., 0] == 16).all() and (q[..., 1] == (np.floor(-2.03 * 16) * 64) // 256).all()


def test_composed_flows_add_up_on_a_translation() -> None:
    step = np.zeros((16, 16, 2), np.int64)
    step[..., 0] = 8  # half a cell a frame
    displacement = np.zeros_like(step)
    for _ in range(6):
        displacement = gp.compose(displacement, step)
    assert (displacement[:, :10, 0] == 48).all()  # away from the border: exactly 6 × 8


def test_a_pan_the_flow_explains_costs_few_keyframes_a_held_one_many() -> None:
    """Camera motion over a still scene: motion alone fires every few frames, the carried prediction
    rarely; without the flow (held keyframe) the same threshold fires as often as motion does."""
    frames, flows = pan(40, 2)
    params = dict(prediction_threshold=0.5, motion_threshold=None, scene_cut=False, max_gap=100)
    carried = run_flow_gate(frames, flows, **params)
    held = run_flow_gate(frames, None, **params)
    motion = run_flow_gate(frames, None, motion_threshold=8.0, scene_cut=False, max_gap=100)
    assert set(carried.reasons.values()) == {"first", "prediction"}
    assert len(carried.reasons) <= 5, carried.reasons  # entering content at the border only
    assert len(held.reasons) >= 3 * len(carried.reasons), held.reasons
    assert len(motion.reasons) >= 3 * len(carried.reasons), motion.reasons
    assert carried.run_info()["prediction_score"]["p50"] < 0.25


def test_content_entering_at_the_border_counts() -> None:
    """A pan of 8 px a frame carries well inside the frame; what enters at the border forces keyframes."""
    frames, flows = pan(30, 8)
    gate = run_flow_gate(
        frames, flows, prediction_threshold=0.3, motion_threshold=None, scene_cut=False, max_gap=100
    )
    errors = []
    state = gp.Error(0, 1, 0)
    key = grey_thumbnail(frames[0], 64)
    displacement = np.zeros((64, 64, 2), np.int64)
    for i in range(1, 6):
        displacement = gp.compose(displacement, gp.flow_on_grid(flows[i], 64))
        state = gp.prediction_error(key, displacement, grey_thumbnail(frames[i], 64), None, 0)
        errors.append(state.entering)
    assert errors == [2 * 64 * i for i in range(1, 6)]  # two columns of cells a frame
    assert len(gate.reasons) >= 4


def test_object_cells_weigh_more() -> None:
    """The same misprediction weighs more where the labels show objects."""
    key = np.full((16, 16), 100, np.int64)
    key[:, ::2] = 120  # texture: 10 grey levels a cell on average
    current = key.copy()
    current[4:8, 4:8] += 30
    zero = np.zeros((16, 16, 2), np.int64)
    objects = np.zeros((16, 16), bool)
    objects[4:8, 4:8] = True
    plain = gp.prediction_error(key, zero, current, None, 3)
    weighted = gp.prediction_error(key, zero, current, objects, 3)
    assert weighted.score > 2.5 * plain.score > 0
    assert gp.exceeds(weighted, weighted.score * 0.99) and not gp.exceeds(weighted, weighted.score * 1.01)


def test_prediction_threshold_is_decided_in_integers() -> None:
    error = gp.Error(num=1500, den=1000, entering=0)  # exactly 1.5
    assert not gp.exceeds(error, 1.5) and gp.exceeds(error, 1.499) and not gp.exceeds(error, 1.5004)
    assert gp.milli(0.0005) == 1 and gp.milli(1.2345) == 1235


# --- the cheap path: shared-sample kernels equal the plain definitions (gate_reference.py) ----


@pytest.fixture(scope="module")
def bikes_gate(bikes: Path) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """60 frames of bikes.mp4 at the default model's input (512×288) and the flow node's flow."""
    from jejunet.ops.optical_flow import OpticalFlow, OpticalFlowParams

    frames = [
        resize_image(f, 512, 288, "stretch", "linear")
        for _, (_, f, _) in zip(range(60), video_frames(str(bikes)), strict=False)
    ]
    flow = OpticalFlow(OpticalFlowParams(preset="fast", width=128), "flow")
    flow.open(RunContext())
    return frames, [flow.process(FrameInfo(i, i / 25), f)["flow"] for i, f in enumerate(frames)]


@pytest.mark.parametrize("shape", [(288, 512), (100, 130), (37, 61), (5, 9), (720, 1280)])
def test_shared_sample_features_equal_the_plain_definitions(shape: tuple[int, int]) -> None:
    """Grids of every size (more cells than samples included) and histograms, read from one sample."""
    image = np.random.default_rng(shape[0]).integers(0, 256, (*shape, 3), dtype=np.uint8)
    image[: shape[0] // 2] //= 3  # not uniform: blocks differ
    sample = gf.Sample(image)
    sample.planes(1)  # a finer stride first: every grid below reads it
    for size in (4, 7, 32, 64):
        expected = ref.grey_thumbnail(image, size)
        assert np.array_equal(grey_thumbnail(image, size), expected), size
        assert np.array_equal(grey_thumbnail(image, size, sample), expected), size
    for grid, shift, step in ((2, 5, 2), (3, 4, 1), (2, 3, 3)):  # the last: codes beyond uint16
        expected = ref.colour_histograms(image, grid, shift, step)
        assert np.array_equal(colour_histograms(image, grid, shift, step, sample), expected)


def test_grey_sample_is_exact_up_to_white() -> None:
    """(29 B + 150 G + 77 R + 128) >> 8 in uint16 arithmetic (at most 65408 before the shift)."""
    levels = np.array([*range(0, 256, 5), 254, 255], np.uint8)
    b, g, r = np.meshgrid(levels, levels, levels, indexing="ij")
    image = np.stack([b, g, r], -1).reshape(len(levels), -1, 3)
    wide = image.astype(np.int32)
    expected = (29 * wide[..., 0] + 150 * wide[..., 1] + 77 * wide[..., 2] + 128) >> 8
    assert np.array_equal(gf.Sample(image).grey(1), expected) and expected.max() == 255


def test_prediction_kernels_equal_the_plain_definitions() -> None:
    rng = np.random.default_rng(5)
    for size, (h, w) in ((64, (288, 512)), (16, (50, 70)), (5, (40, 40))):
        flow = rng.normal(0, 6, (h, w, 2)).astype(np.float32)
        assert np.array_equal(gp.flow_on_grid(flow, size), ref.flow_on_grid(flow, size))
        displacement = rng.integers(-80, 80, (size, size, 2)).astype(np.int64)
        step = gp.flow_on_grid(flow, size)
        assert np.array_equal(gp.compose(displacement, step), ref.compose(displacement, step))
        key = rng.integers(0, 256, (size, size)).astype(np.int32)
        current = rng.integers(0, 256, (size, size)).astype(np.int32)
        objects = rng.random((size, size)) < 0.3
        fast_predict, plain_predict = gp.predict(key, displacement), ref.predict(key, displacement)
        for value, expected in zip(fast_predict, plain_predict, strict=True):
            assert np.array_equal(value, expected)
        for units in (0, 1, 4):
            fast = gp.prediction_error(key, displacement, current, objects, 3, gp.texture(key), units)
            assert fast == ref.prediction_error(key, displacement, current, objects, 3, units)
        assert fast.occluded > 0 or size < 16  # random displacements fold the field everywhere


BIKES_PRED_KEYS = [0, 6, 13, 18, 22, 26, 30, 34, 38, 42, 46, 51, 57]  # recorded before the cheap path
BIKES_MIX_KEYS = [0, 12, 19, 24, 30, 38, 44, 49, 59]


def test_cheap_gate_takes_the_decisions_recorded_before_it(bikes_gate) -> None:
    """bikes.mp4 at 512×288 with the flow node's flow: the keyframes the gate took before its
    features shared one sample (recorded then), with the prediction error alone and mixed with
    the thumbnail policies (object labels fed back on keyframes)."""
    frames, flows = bikes_gate
    cases = {
        "pred": (dict(prediction_threshold=1.0, motion_threshold=None, max_gap=60), BIKES_PRED_KEYS),
        "mix": (
            dict(prediction_threshold=1.5, motion_threshold=30.0, object_motion_threshold=4.0, max_gap=40),
            BIKES_MIX_KEYS,
        ),
    }
    for name, (params, expected) in cases.items():
        gate = KeyframeGate(KeyframeGateParams(**params), "gate")
        gate.open(RunContext())
        labels = None
        for i, (frame, flow) in enumerate(zip(frames, flows, strict=True)):
            out = gate.process(FrameInfo(i, i / 25), frame, labels, flow)
            labels = None
            if out["image"] is not SKIPPED:
                labels = np.zeros((288, 512), np.uint8)
                labels[(i * 7) % 200 : (i * 7) % 200 + 80, (i * 13) % 400 : (i * 13) % 400 + 100] = 15
        assert sorted(gate.reasons) == expected, name


# --- flow reliability: occlusion boundaries from the composed displacement ------------------


def object_over_background(n: int, dx: int) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """A textured 64×64 patch moving right `dx` px a frame over a still textured 256×256 scene,
    with the exact backward flow (the patch's pixels came from dx to their left, the rest stay)."""
    scene, patch = textured(256, 1), textured(64, 2)
    frames, flows = [], []
    for i in range(n):
        frame = scene.copy()
        frame[96:160, 40 + dx * i : 104 + dx * i] = patch
        flow = np.zeros((256, 256, 2), np.float32)
        if i:
            flow[96:160, 40 + dx * i : 104 + dx * i, 0] = -dx
        frames.append(frame)
        flows.append(flow)
    return frames, flows


def test_occlusion_cells_behind_a_moving_object_and_none_on_a_pan() -> None:
    """Where the patch was at the keyframe, the uncovered background (still) and the patch (moved)
    both land on the same keyframe cells: occlusion cells there, growing with the gap; a pan
    of the whole frame moves every cell alike and marks none."""
    params = dict(
        prediction_threshold=100.0, occlusion_units=4, motion_threshold=None, scene_cut=False, max_gap=100
    )
    frames, flows = object_over_background(8, 4)  # a cell a frame
    moving = run_flow_gate(frames, flows, **params)
    occluded = moving.occluded  # one cell apart: not yet; from two cells on, more each frame
    assert occluded[0] == 0 < occluded[1] < occluded[3] < occluded[6], occluded
    assert run_flow_gate(*pan(8, 4), **params).occluded == [0] * 7
    # where: the patch's rows, from its left edge at the keyframe to its left edge now (4 px cells)
    key = grey_thumbnail(frames[0], 64)
    displacement = np.zeros((64, 64, 2), np.int64)
    for flow in flows[1:]:
        displacement = gp.compose(displacement, gp.flow_on_grid(flow, 64))
    py, px = gp.source(displacement)
    _, entering = gp.predict(key, displacement)
    rows, cols = np.nonzero(gp.occluded(displacement, py, px, entering))
    assert rows.min() == 96 // 4 and rows.max() == 160 // 4 - 1
    assert cols.min() == 40 // 4 and cols.max() == (40 + 7 * 4) // 4


def test_occlusion_counts_where_the_residual_sees_nothing() -> None:
    """A patch of the background's own grey moving over it leaves no photometric residual; its
    motion boundary still costs keyframes once occlusion_units is on, and none while it is off."""
    frames, flows = object_over_background(12, 3)
    flat = [np.full_like(f, 120) for f in frames]
    params = dict(prediction_threshold=0.5, motion_threshold=None, scene_cut=False, max_gap=100)
    assert run_flow_gate(flat, flows, **params).reasons == {0: "first"}
    with_occlusion = run_flow_gate(flat, flows, occlusion_units=64, **params)
    assert set(with_occlusion.reasons.values()) == {"first", "prediction"}
    assert with_occlusion.run_info()["occluded_cells"]["max"] > 0
