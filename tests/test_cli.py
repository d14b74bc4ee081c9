"""The command line: operators, models, show, run with overrides and report."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import PIPELINES


def test_ops_list_is_generated_from_the_registry(cli) -> None:
    from jejunet.ops.registry import all_operators

    result = cli("ops", "list")
    assert result.code == 0
    listed = [line.split()[0] for line in result.out.splitlines()]
    assert listed == list(all_operators())
    assert {"decode", "resize", "tflite_infer", "upsample", "overlay", "encode", "label_writer"} <= set(
        listed
    )


def test_ops_show(cli) -> None:
    result = cli("ops", "show", "resize")
    assert result.code == 0
    assert "mode: one of: stretch|crop|pad|aspect (default 'stretch')" in result.out
    assert "image: frame.bgr8" in result.out
    result = cli("ops", "show", "tflite_infer", "--json")
    info = json.loads(result.out)
    assert {p["name"] for p in info["outputs"]} == {"labels", "probs", "confidence"}
    result = cli("ops", "show", "flow-warpp")
    assert result.code == 2 and "unknown op 'flow-warpp'" in result.err


def test_models_list_and_fetch_from_dir(cli, shared: Path, tmp_path: Path, monkeypatch) -> None:
    result = cli("models", "list", "--json")
    rows = {r["name"]: r for r in json.loads(result.out)}
    assert rows["deeplabv3_mnv2_voc_256"]["file"].endswith("deeplabv3_mnv2_voc_256_uint8.tflite")
    assert "mediapipe==0.10.14" in rows["selfie_segmentation_256"]["source"]
    monkeypatch.setenv("JEJUNET_CACHE", str(tmp_path / "cache"))
    result = cli("models", "fetch", "--from", shared / "models", "selfie_segmentation_256")
    assert result.code == 0 and "sha256 ok" in result.out
    assert (tmp_path / "cache" / "selfie_segmentation_256.tflite").is_file()  # copied into the cache
    result = cli("models", "fetch", "nosuch")
    assert result.code == 2 and "unknown model nosuch" in result.err


def test_model_inspect(cli, deeplab_model: Path, selfie_model: Path, tmp_path: Path) -> None:
    result = cli("model", "inspect", deeplab_model, "--json")
    info = json.loads(result.out)
    assert info["inputs"][0]["shape"] == [1, 256, 256, 3] and info["inputs"][0]["dtype"] == "uint8"
    assert info["inputs"][0]["quantization"]["zero_point"] == 128
    assert info["outputs"][0]["dtype"] == "int64"
    assert info["xnnpack"]["accepted"] is False and "RESIZE_BILINEAR" in info["xnnpack"]["reason"]
    assert info["ops"]["CONV_2D"] > 30
    result = cli("model", "inspect", selfie_model)
    assert "XNNPACK delegate: accepts it" in result.out
    assert "built-in kernels: refuses it" in result.out
    bad = tmp_path / "bad.tflite"
    bad.write_bytes(b"\0" * 64)
    result = cli("model", "inspect", bad)
    assert result.code == 2 and "bad.tflite" in result.err and "Traceback" not in result.err


def test_graph_show(cli, shared) -> None:
    result = cli("graph", "show", PIPELINES / "deeplab_seed_per_frame.yaml")
    assert result.code == 0
    assert "out labels: labels.u8 256×256" in result.out
    assert "segment.labels → upsample.labels [labels.u8]" in result.out
    result = cli("graph", "show", PIPELINES / "deeplab_per_frame.yaml")  # the size follows the frame
    assert result.code == 0 and "{'mode': 'aspect', 'snap_to': 'jejunet_mnv2_voc_int8'}" in result.out


def test_run_selfie_with_overrides_and_report(cli, tmp_path: Path, bikes: Path) -> None:
    out = tmp_path / "o.mp4"
    result = cli(
        "graph",
        "run",
        PIPELINES / "selfie_per_frame.yaml",
        "--input",
        bikes,
        "--output",
        out,
        "--max-frames",
        "8",
        "--set",
        "resize.interpolation=linear",
        "--set",
        "overlay.legend=true",
        "--report",
        tmp_path / "r.json",
        "--labels-dir",
        tmp_path / "labels",
    )
    assert result.code == 0, result.err
    assert out.stat().st_size > 1000
    report = json.loads((tmp_path / "r.json").read_text())
    assert {"frames", "wall_s", "fps", "keyframes", "dropped", "nodes"} <= set(report)
    assert report["frames"] == 8 and report["keyframes"] == 8 and report["dropped"] == 0
    seg = report["nodes"]["segment"]
    assert set(seg) == {"op", "calls", "total_ms", "mean_ms", "p50_ms", "p95_ms"} and seg["calls"] == 8
    assert report["runtime"]["segment"]["delegate"] == "xnnpack"
    labels = sorted((tmp_path / "labels").glob("*.png"))
    assert [p.name for p in labels] == [f"{i:06d}.png" for i in range(8)]
    from jejunet.media.palette import read_label_png

    frame_labels = read_label_png(labels[0])
    assert frame_labels.shape == (272, 640) and set(frame_labels.flat) <= {0, 15}
