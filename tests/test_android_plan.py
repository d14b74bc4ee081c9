"""`jejunet graph plan --device pixel2`: the cost model's prediction and its stated assumptions."""

from __future__ import annotations

import json
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
