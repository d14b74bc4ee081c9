"""`jejunet graph plan --device pixel2`: the cost model's prediction and its stated assumptions."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from jejunet.android.macs import count_macs
from jejunet.android.plan import PIXEL2, thread_speedup
from tests.conftest import PIPELINES


def test_macs_of_the_seed_model(deeplab_model):
    # DeepLabv3-MNv2 (output stride 16, no ASPP branches) at 256×256: about 0.65 GMAC
    assert 0.6e9 < count_macs(deeplab_model) < 0.7e9


def test_thread_speedup_is_fitted_to_the_published_figures():
    speedup4 = (451 / 4) / (1000 / 18)
    assert thread_speedup(4, PIXEL2, speedup4) == pytest.approx(speedup4)
    assert thread_speedup(1, PIXEL2, speedup4) == pytest.approx(1.0)
    assert thread_speedup(8, PIXEL2, speedup4) == thread_speedup(4, PIXEL2, speedup4)


def test_plan_prints_the_prediction_and_every_assumption(cli, tmp_path, bikes, deeplab_model):
    report = tmp_path / "plan.json"
    result = cli(
        "graph", "plan", PIPELINES / "deeplab_seed_per_frame.yaml", "--device", "pixel2", "--input", bikes,
        "--frames", "4", "--json", report,
    )  # fmt: skip
    assert result.code == 0, result.err
    assert "predicted:" in result.out and "assumptions:" in result.out and "862" in result.out
    plan = json.loads(report.read_text())
    segment = next(n for n in plan["nodes"] if n["node"] == "segment")
    # the 2018 per-frame pipeline on 2 threads: the network alone is 1000/18 ms × 2.03 / 1.51
    assert segment["phone_ms"] == pytest.approx(1000 / 18 * 2.03 / 1.51, rel=0.02)
    assert plan["fps"] < 18


def test_unknown_device_is_a_user_error(cli):
    result = cli("graph", "plan", PIPELINES / "deeplab_per_frame.yaml", "--device", "iphone")
    assert result.code == 2 and "unknown device (known: pixel2)" in result.err


def test_plan_refuses_what_the_phone_cannot_run(cli, tmp_path: Path, deeplab_model):
    path = tmp_path / "p.yaml"
    path.write_text(
        "version: 1\nnodes:\n  - {id: s, op: decode}\n"
        "  - {id: r, op: resize, inputs: {image: s.image}, params: {interpolation: cubic}}\n"
    )
    result = cli("graph", "plan", path, "--device", "pixel2")
    assert result.code == 2 and "not supported on Android" in result.err


def test_timeline_synchronous_keyframes_stall_asynchronous_ones_do_not():
    from jejunet.android.timeline import simulate

    keys = [i % 10 == 0 for i in range(300)]  # a keyframe every 10 frames
    sync = simulate(15.0, 120.0, keys, 30.0, asynchronous=False)
    late = simulate(15.0, 120.0, keys, 30.0, asynchronous=True, delay=4)
    assert sync.frame_ms_p50 == pytest.approx(15.0) and sync.frame_ms_p95 == pytest.approx(135.0)
    assert sync.shown_fps < 27 and sync.delay_frames == 0
    assert late.shown_fps == pytest.approx(30.0, rel=0.01) and late.frame_ms_p95 == pytest.approx(15.0)
    # handed over at the end of its 15 ms frame, done at 135 ms: the frame starting at 166.7 ms takes it
    assert late.delay_frames == 5 == late.delay_frames_max and late.offline_delay == 4
    assert late.keyframes_per_s == pytest.approx(3.0, rel=0.02) and 0.3 < late.network_busy < 0.4
    assert late.keyframes_dropped == 0
    # reaching the network node 5 ms into the frame: done at 125 ms, taken by the frame at 133.3 ms
    early = simulate(15.0, 120.0, keys, 30.0, asynchronous=True, delay=4, submit_ms=5.0)
    assert early.delay_frames == 4


def test_timeline_charges_a_result_frame_by_its_age():
    from jejunet.android.timeline import simulate

    keys = [i % 10 == 0 for i in range(300)]
    per_age = lambda age: 1.0 + 2.0 * age  # noqa: E731  (fixed + per flow × age)
    quick = simulate(15.0, 120.0, keys, 30.0, asynchronous=True, delay=4, result_ms=per_age)
    slow = simulate(15.0, 300.0, keys, 30.0, asynchronous=True, delay=4, result_ms=per_age)
    assert quick.frame_ms_p50 == pytest.approx(15.0)  # a carried frame
    assert quick.delay_frames == 5 and quick.result_frame_ms == pytest.approx(15.0 + 1.0 + 2.0 * 5)
    assert slow.delay_frames > quick.delay_frames and slow.result_frame_ms > quick.result_frame_ms
    assert slow.result_frame_ms == pytest.approx(15.0 + per_age(slow.delay_frames))
    assert quick.result_ms_mean == pytest.approx(3 * per_age(5) / 30, rel=0.05)  # 3 results a second
    every = simulate(15.0, 120.0, [True] * 300, 30.0, asynchronous=True, result_ms=lambda age: 30.0)
    assert every.frame_ms_p95 == pytest.approx(45.0)  # results on more than 5 % of the frames: the p95 is one


def test_timeline_a_busy_network_drops_the_older_waiting_keyframe():
    from jejunet.android.timeline import simulate

    keys = [True] * 300  # a keyframe on every frame, the network three frames long
    t = simulate(10.0, 100.0, keys, 30.0, asynchronous=True, delay=4)
    assert t.shown_fps == pytest.approx(30.0, rel=0.01)  # the frame path never waits
    assert t.keyframes_per_s == pytest.approx(10.0, rel=0.05)  # one call at a time, back to back
    assert t.network_busy > 0.95
    calls = round(t.keyframes_per_s * t.frames / t.shown_fps)
    assert t.frames - 1 <= calls + t.keyframes_dropped <= t.frames  # each keyframe ran or was dropped
    assert 3 <= t.delay_frames <= t.delay_frames_max <= 7


def test_the_asynchronous_network_is_the_one_the_java_runtime_puts_on_its_own_thread(deeplab_model):
    from jejunet.android.timeline import asynchronous_networks
    from jejunet.graph.compiler import compile_file

    # GraphRunner.asynchronousNetworks, the same rule: every consumer reads it through a delayed edge
    assert asynchronous_networks(compile_file(PIPELINES / "keyframe_async.yaml")) == {"segment"}
    assert asynchronous_networks(compile_file(PIPELINES / "deeplab_keyframe.yaml")) == set()


@pytest.mark.slow
def test_plan_json_prints_the_timeline(cli, bikes):
    result = cli(
        "graph", "plan", PIPELINES / "keyframe_async.yaml", "--device", "pixel2", "--input", bikes,
        "--frames", "12", "--set", "segment.num_threads=4", "--json",
    )  # fmt: skip
    assert result.code == 0, result.err
    plan = json.loads(result.out)
    assert plan["asynchronous"] and plan["offline_delay"] == 4
    assert plan["frame_ms_p95"] < plan["network_ms"]  # the network is off the frame path
    assert plan["delay_frames"] >= plan["network_ms"] / (1000 / 30)  # at least the network's time in frames
    segment = next(n for n in plan["nodes"] if n["node"] == "segment")
    # 4 threads asked, 3 big cores left beside the frame path: priced at the 3-thread speed-up
    assert "(4 threads on 3 big cores beside the frame path)" in segment["how"]
    speedup4 = (451 / 4) / (1000 / 18)
    speed3 = thread_speedup(3, PIXEL2, speedup4)
    assert f"/ {speed3:.2f} (" in segment["how"] and speed3 < thread_speedup(4, PIXEL2, speedup4)
    gmac, ms_per_gmac = (
        float(x) for x in re.match(r"([\d.]+) GMAC × ([\d.]+) ms/GMAC", segment["how"]).groups()
    )
    assert segment["phone_ms"] == pytest.approx(gmac * ms_per_gmac / speed3, rel=0.01)
    # the frame a result reaches pays for composing its age's flows: dearer than a carried one
    (late,) = plan["late_cost"]
    assert late["node"] == "late" and late["measured"]["16"] > late["measured"]["4"] > late["measured"]["1"]
    assert plan["result_frame_ms"] > plan["frame_ms_p50"]
    assert any("realtime schedule: segment runs on its own thread" in a for a in plan["assumptions"])


TIMELINE_KEYS = ("shown_fps", "frame_ms_p50", "frame_ms_p95", "network_ms", "keyframes_per_s", "delay_frames")


@pytest.mark.slow
@pytest.mark.parametrize("pipeline", sorted(p.name for p in PIPELINES.glob("*.yaml")))
def test_every_shipped_pipeline_plans_the_timeline_keys(cli, tmp_path, bikes, pipeline):
    report = tmp_path / "plan.json"
    result = cli(
        "graph", "plan", PIPELINES / pipeline, "--device", "pixel2", "--input", bikes, "--frames", "3",
        "--json", report,
    )  # fmt: skip
    assert result.code == 0, result.err
    assert "timeline (network on " in result.out  # the text output stays
    plan = json.loads(report.read_text())
    for key in TIMELINE_KEYS:
        assert isinstance(plan[key], int | float) and plan[key] >= 0, key
    assert isinstance(plan["delay_frames"], int)
    assert plan["asynchronous"] == (pipeline == "keyframe_async.yaml")
