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


def test_argparse_errors_are_one_line_naming_the_flag(cli) -> None:
    result = cli("graph", "run", PIPELINES / "selfie_per_frame.yaml", "--max-frames", "many")
    assert result.code == 2 and result.out == ""
    assert result.err_lines == [
        "error: jejunet graph run: argument --max-frames: invalid int value: 'many' "
        "(see jejunet graph run --help)"
    ]
    result = cli("ops", "show")
    assert result.code == 2 and len(result.err_lines) == 1 and "see jejunet ops show --help" in result.err


def test_a_bug_is_exit_1_with_its_traceback_and_a_request_to_report(cli, monkeypatch) -> None:
    from jejunet.cli import graph_cmd

    def broken(*_args: object) -> None:
        return {}["missing"]  # a real KeyError, as a bug would raise

    monkeypatch.setattr(graph_cmd, "compile_file", broken)
    result = cli("graph", "validate", PIPELINES / "selfie_per_frame.yaml")
    assert result.code == 1
    assert "Traceback" in result.err and "KeyError: 'missing'" in result.err
    assert (
        result.err_lines[-1].startswith("internal error in jejunet ")
        and "please report it" in result.err_lines[-1]
    )


def test_interrupt_is_exit_130(cli, monkeypatch) -> None:
    from jejunet.cli import graph_cmd

    def interrupted(*_args: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(graph_cmd, "compile_file", interrupted)
    result = cli("graph", "validate", PIPELINES / "selfie_per_frame.yaml")
    assert result.code == 130 and result.err_lines == ["interrupted: partial outputs removed"]


def test_native_info_lines_dropped_other_native_lines_kept(capfd, selfie_model: Path) -> None:
    import os

    from jejunet.models.runtime import load_model, quiet_native_info

    capfd.readouterr()
    with quiet_native_info():
        os.write(2, b"INFO: Created TensorFlow Lite XNNPACK delegate for CPU.\n")
        os.write(2, b"ERROR: a real native problem\n")
    model = load_model(selfie_model)  # XNNPACK: the runtime prints its INFO line here
    assert model.delegate == "xnnpack"
    err = capfd.readouterr().err
    assert err == "ERROR: a real native problem\n"
