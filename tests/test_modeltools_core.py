"""Model tooling without TensorFlow: flatbuffer reader, importer, plan, export registry, bench, CLI errors."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from ai_edge_litert import interpreter as litert

from jejunet.cli.main import main
from jejunet.errors import ModelError, UserError
from jejunet.models.registry import register_model, resolve_model
from jejunet.modeltools.bench import bench
from jejunet.modeltools.frames import load_frames, parse_size
from jejunet.modeltools.importer import import_seed, infer_spec, pool_resize_gain
from jejunet.modeltools.lowbit import parse_bits, quantize_weights
from jejunet.modeltools.spec import SEED_SPEC, DeepLabSpec, conv_plan
from jejunet.modeltools.store import load, save
from jejunet.modeltools.tflite_reader import read_tflite

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
SEED = SHARED / "models" / "deeplabv3_mnv2_voc_256_uint8.tflite"
VIDEO = SHARED / "media" / "bikes.mp4"


@pytest.fixture(autouse=True)
def _private_registry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JEJUNET_MODEL_REGISTRY", str(tmp_path / "registry.json"))


def test_reader_finds_the_seed_graph() -> None:
    flat = read_tflite(SEED)
    names = [op.name for op in flat.ops]
    assert len(names) == 71 and names.count("CONV_2D") == 38 and names.count("DEPTHWISE_CONV_2D") == 17
    inp = flat.inputs[0]
    assert inp.shape == (1, 256, 256, 3) and inp.dtype == np.uint8
    assert inp.scale[0] == pytest.approx(1 / 127.5, rel=1e-4) and inp.zero_point[0] == 128


def test_reader_rejects_non_tflite(tmp_path: Path) -> None:
    bad = tmp_path / "x.tflite"
    bad.write_bytes(b"not a flatbuffer at all")
    with pytest.raises(ModelError):
        read_tflite(bad)


def test_inferred_architecture_is_the_seed_spec() -> None:
    flat = read_tflite(SEED)
    spec = infer_spec(flat)
    assert (spec.width, spec.output_stride, spec.num_classes, spec.atrous, spec.align_corners) == (
        1.0, 16, 21, False, True,
    )  # fmt: skip
    assert len(conv_plan(SEED_SPEC)) == 55
    # the seed's uint8 resize copies bytes between scales 0.0124 and 0.0317
    assert pool_resize_gain(flat) == pytest.approx(2.5588, abs=1e-3)


def test_plan_follows_width_and_output_stride() -> None:
    plan = {
        c.name: c for c in conv_plan(DeepLabSpec(width=0.5, output_stride=8, decoder=True, aspp_rates=(6,)))
    }
    assert plan["Conv"].cout == 16
    assert plan["expanded_conv_6_depthwise"].stride == 1  # stride 8 reached: dilate instead
    assert plan["expanded_conv_14_depthwise"].dilation == 4
    assert plan["aspp1_depthwise"].dilation == 12
    assert "decoder_conv1_pointwise" in plan and plan["logits"].cin == 256


def test_imported_weights_reproduce_the_seed_layers() -> None:
    """Teacher-forced: each 1×1 conv on the seed's own input tensor gives its output to within a step."""
    folder = import_seed(SEED, as_trained=True)
    flat = read_tflite(SEED)
    interp = litert.Interpreter(
        model_path=str(SEED),
        experimental_op_resolver_type=litert.OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES,
        experimental_preserve_all_tensors=True,
    )
    interp.allocate_tensors()
    frame = load_frames(VIDEO, 3)[1]
    import cv2

    rgb = cv2.cvtColor(cv2.resize(frame, (256, 256), interpolation=cv2.INTER_AREA), cv2.COLOR_BGR2RGB)
    interp.set_tensor(interp.get_input_details()[0]["index"], rgb[np.newaxis])
    interp.invoke()

    def real(t):  # noqa: ANN001, ANN202
        return (interp.get_tensor(t.index).astype(np.float32) - t.zero_point[0]) * t.scale[0]

    convs = [op for op in flat.ops if op.name in ("CONV_2D", "DEPTHWISE_CONV_2D")]
    checked = 0
    for op, conv in zip(convs, conv_plan(folder.spec), strict=True):
        if conv.depthwise or conv.kernel != 1 or conv.name == "image_pooling":
            continue
        w = folder.weights[conv.name]
        y = real(op.inputs[0]) @ w["kernel"][0, 0] + w["bias"]
        lo, hi = op.outputs[0].quant_range
        y = np.clip(y, lo, min(hi, 6.0) if conv.activation == "relu6" else hi)
        assert np.abs(y - real(op.outputs[0])).max() <= op.outputs[0].scale[0] * 1.01, conv.name
        checked += 1
    assert checked == 36  # every 1×1 conv but the image-pooling one


def test_store_round_trip(tmp_path: Path) -> None:
    folder = import_seed(SEED)
    save(folder, tmp_path / "m")
    again = load(tmp_path / "m")
    assert again.spec == folder.spec and again.trained
    assert again.mean == 128.0 and again.act_max == folder.act_max
    np.testing.assert_array_equal(again.weights["logits"]["kernel"], folder.weights["logits"]["kernel"])
    with pytest.raises(ModelError):
        load(tmp_path)


def test_registered_export_resolves_by_name_and_path(tmp_path: Path) -> None:
    model = tmp_path / "copy.tflite"
    model.write_bytes(SEED.read_bytes())
    register_model("my_export", model, "a copy", "labels", 128.0, 127.5)
    path, entry = resolve_model("my_export")
    assert path == model.resolve() and entry is not None and entry.mean == 128.0
    assert resolve_model(str(model))[1] is not None  # a path finds its registered normalization
    with pytest.raises(ModelError):
        register_model("deeplabv3_mnv2_voc_256", model, "x", "labels")
    model.write_bytes(SEED.read_bytes()[:-1] + b"\0")
    with pytest.raises(ModelError, match="changed"):
        resolve_model("my_export")


def test_bench_alternates_and_reports_ratios() -> None:
    rows = bench(["deeplabv3_mnv2_voc_256", str(SEED)], load_frames(VIDEO, 1)[0], threads=(1,), rounds=2)
    assert [r.threads for r in rows] == [1, 1] and rows[0].ratio == 1.0
    assert all(r.median_ms > 0 and r.delegate == "builtin" for r in rows)


def test_weight_quantization_levels() -> None:
    kernel = np.random.default_rng(0).normal(size=(1, 1, 8, 4)).astype(np.float32)
    assert len(np.unique(quantize_weights(kernel, 2, False, False))) <= 4
    per_channel = quantize_weights(kernel, 4, True, False)
    assert all(len(np.unique(per_channel[..., c])) <= 15 for c in range(4))
    np.testing.assert_allclose(quantize_weights(kernel, 16, True, False), kernel, atol=1e-3)


@pytest.mark.parametrize("text", ["w8", "a8w8", "w1a8", "w8a64", ""])
def test_bad_bits_are_user_errors(text: str) -> None:
    with pytest.raises(UserError):
        parse_bits(text)


def test_sizes() -> None:
    assert parse_size("512x288") == (288, 512) and parse_size("256") == (256, 256)
    for bad in ("512by288", "16x16", "0x5"):
        with pytest.raises(UserError):
            parse_size(bad)


def test_missing_tensorflow_is_a_clear_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "tensorflow", None)  # import tensorflow → ImportError
    code = main(["model", "import", str(SEED), "--out", str(tmp_path / "m")])
    err = capsys.readouterr().err
    assert code == 2 and 'pip install -e ".[model]"' in err and "Traceback" not in err


def test_cli_errors_are_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(["model", "export", str(tmp_path), "--size", "256x256", "--out", str(tmp_path / "x.tflite")])
        == 2
    )
    assert "not a model folder" in capsys.readouterr().err
    assert main(["model", "bench", "no_such_model", "--rounds", "1"]) == 2


def test_import_records_the_seed_logit_grid() -> None:
    grid = import_seed(SEED).info["logits_grid"]
    assert grid == {"scale": pytest.approx(0.216631, rel=1e-5), "zero_point": 32, "qmin": 0, "qmax": 255}


def test_noise_floor_shows_how_stable_the_seed_is() -> None:
    from jejunet.modeltools.agreement import noise_floor, open_model, predict

    seed = open_model("deeplabv3_mnv2_voc_256")
    frames = load_frames(VIDEO, 6)
    floor = noise_floor(seed, frames)
    assert 0.8 < floor < 1.0  # ±1/255 of input noise flips some labels of the 2018 uint8 model
    assert noise_floor(seed, frames) == floor  # seeded: the same dither every time
    assert noise_floor(seed, frames, [predict(seed, f) for f in frames]) == floor  # labels given


def test_compare_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import json

    out = tmp_path / "compare.json"
    args = ["model", "compare", "deeplabv3_mnv2_voc_256", str(SEED), "--video", str(VIDEO), "--frames", "3"]
    assert main([*args, "--json", str(out)]) == 0
    (row,) = json.loads(out.read_text())
    assert row["frames"] == 3 and row["agreement"] == {str(SEED): 1.0}  # the seed against its own file
    assert 0.8 < row["reference_noise_floor"] <= 1.0
    assert "noise floor" in capsys.readouterr().out
    assert main([*args, "--images", str(tmp_path / "none")]) == 2
    assert main([*args[:4], "--video", "", "--mean", "1"]) == 2
