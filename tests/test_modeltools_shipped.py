"""The int8 exports shipped in the package: provenance, registry, the aspect rule, the default pipeline."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from jejunet.assets import sha256_of
from jejunet.models.registry import (
    DATA_DIR,
    DEFAULT_FAMILY,
    ModelError,
    family_sizes,
    find_family,
    resolve_model,
)
from jejunet.models.runtime import decode_output, invoke, load_model, preprocess
from jejunet.ops.resize import ResizeParams, aspect_size, nearest_aspect, resize_image, target_size
from tests.conftest import PIPELINES

RECORD = DATA_DIR / f"{DEFAULT_FAMILY}.json"


def test_provenance_record_matches_the_shipped_files() -> None:
    record = json.loads(RECORD.read_text())
    assert record["seed"]["sha256"] == "49ca4f3a6cd42d8fdf07b307db98881057a893027666b1464c797bdf1a057b63"
    assert record["calibration"]["file"] == "bikes.mp4" and record["calibration"]["frames"] == 64
    assert record["tools"]["tensorflow-cpu"] == "2.20.0" and record["tools"]["ai-edge-litert"]
    assert record["command"].startswith("jejunet model ship ")
    assert len(record["commands"]) == 1 + len(record["files"])
    for item in record["files"]:
        path = DATA_DIR / item["file"]
        assert sha256_of(path) == item["sha256"] and path.stat().st_size == item["bytes"]
        assert f"--size {item['width']}x{item['height']} --precision int8" in " ".join(record["commands"])


def test_the_family_resolves_to_packaged_files_under_xnnpack(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("JEJUNET_CACHE", str(tmp_path / "empty-cache"))  # nothing fetched, nothing cached
    sizes = family_sizes(DEFAULT_FAMILY)
    assert sizes == [(288, 512), (384, 512), (512, 512), (224, 512)]
    for size in sizes:
        path, entry = resolve_model(DEFAULT_FAMILY, size=size, download=False)
        assert path.parent == DATA_DIR and entry is not None and entry.input_size == size
        model = load_model(path, entry, 1, "auto")
        assert model.delegate == "xnnpack" and model.signature.input_size == size
        assert model.signature.input_dtype == "int8"
    assert resolve_model(DEFAULT_FAMILY)[1].input_size == (288, 512)  # size unknown: 16:9
    with pytest.raises(ModelError, match="no export for 512×336"):
        resolve_model(DEFAULT_FAMILY, size=(336, 512))


@pytest.mark.parametrize(
    ("frame", "expected"),
    [
        ((360, 640), (288, 512)),  # 16:9
        ((563, 1000), (288, 512)),  # video_labelme's frames
        ((480, 640), (384, 512)),  # 4:3
        ((272, 640), (224, 512)),  # bikes.mp4, 2.35:1
        ((500, 500), (512, 512)),
        ((640, 360), (512, 288)),  # portrait keeps its orientation
        ((10, 4000), (16, 512)),  # never below one multiple
    ],
)
def test_aspect_rule(frame: tuple[int, int], expected: tuple[int, int]) -> None:
    assert aspect_size(*frame, long_side=512, multiple=16) == expected


def test_snap_to_takes_the_nearest_aspect_of_the_family() -> None:
    sizes = family_sizes(DEFAULT_FAMILY)
    assert nearest_aspect(338, 500, sizes) == (384, 512)  # 3:2-ish VOC photo → 4:3, not 16:9
    assert nearest_aspect(272, 640, sizes) == (224, 512)
    assert nearest_aspect(1280, 720, sizes) == (512, 512)  # portrait: the square member
    params = ResizeParams(mode="aspect", snap_to=DEFAULT_FAMILY)
    for frame in [(360, 640), (563, 1000), (480, 640), (272, 640)]:
        assert target_size(params, *frame) == aspect_size(*frame)  # the shipped aspects: exact rule


def test_aspect_resize_then_nearest_upsample_covers_every_pixel() -> None:
    """Labels made at the network size map back onto the whole frame, aligned: exact GT comparison."""
    h, w = 272, 640
    ys, xs = np.mgrid[0:h, 0:w]
    truth = ((xs // 80) + 8 * (ys // 68)).astype(np.uint8)  # 8×4 blocks
    nh, nw = aspect_size(h, w)
    small = resize_image(truth, nw, nh, "aspect", "nearest")
    back = cv2.resize(small, (w, h), interpolation=cv2.INTER_NEAREST)
    assert back.shape == truth.shape and (back == truth).mean() > 0.97  # only block edges move


def test_default_pipeline_runs_the_member_for_the_frame(cli, tmp_path: Path, bikes: Path) -> None:
    report = tmp_path / "r.json"
    pred = tmp_path / "pred"
    result = cli(
        "graph", "run", PIPELINES / "deeplab_per_frame.yaml", "--input", bikes, "--max-frames", "4",
        "--output", tmp_path / "o.mp4", "--labels-dir", pred, "--report", report, "--quiet",
    )  # fmt: skip
    assert result.code == 0, result.err
    text = report.read_text()
    assert f"{DEFAULT_FAMILY}_512x224.tflite" in text
    labels = cv2.imread(str(sorted(pred.glob("*.png"))[0]), cv2.IMREAD_UNCHANGED)
    assert labels.shape[:2] == (272, 640)


def test_default_model_equals_a_direct_call(voc_dir: Path) -> None:
    """What the family member computes on a photo, written out by hand (int8 input, XNNPACK)."""
    image_path = sorted((voc_dir / "JPEGImages").glob("*.jpg"))[0]
    bgr = cv2.imread(str(image_path))
    size = target_size(ResizeParams(mode="aspect", snap_to=DEFAULT_FAMILY), *bgr.shape[:2])
    path, entry = resolve_model(DEFAULT_FAMILY, size=size)
    model = load_model(path, entry, 1, "auto")
    small = cv2.resize(bgr, (size[1], size[0]), interpolation=cv2.INTER_LINEAR)
    labels, _ = decode_output(model, invoke(model, preprocess(model, small)))
    rgb = cv2.cvtColor(small, cv2.COLOR_BGR2RGB).astype(np.float32)
    scale, zero = model.input_quant
    real = (rgb - np.float32(entry.mean)) * np.float32(1.0 / entry.std)  # the seed's uint8 input range
    tensor = np.clip(np.round(real / scale) + zero, -128, 127).astype(np.int8)
    assert (labels == invoke(model, tensor[np.newaxis]).reshape(size)).all()
    assert find_family(DEFAULT_FAMILY) is not None and len(np.unique(labels)) > 1


@pytest.mark.slow
def test_regenerated_exports_are_the_shipped_bytes(tmp_path: Path, shared: Path) -> None:
    """CI has the [model] extra: `jejunet model ship` again gives byte-identical files."""
    pytest.importorskip("tensorflow")
    from jejunet.modeltools.shipped import ship

    seed = shared / "models" / "deeplabv3_mnv2_voc_256_uint8.tflite"
    record = ship(seed, shared / "media" / "bikes.mp4", tmp_path, log=None)
    shipped = json.loads(RECORD.read_text())
    assert [f["sha256"] for f in record["files"]] == [f["sha256"] for f in shipped["files"]]
    for item in shipped["files"]:
        assert (tmp_path / item["file"]).read_bytes() == (DATA_DIR / item["file"]).read_bytes()


def test_phone_plan_costs_the_export_the_bundle_ships(cli, tmp_path: Path, bikes: Path) -> None:
    """`graph plan` prices the member for the camera's 640×480 frames (512×384), by its multiply-adds."""
    from jejunet.android.macs import count_macs

    plans = {}
    for name in ("deeplab_seed_per_frame", "deeplab_per_frame"):
        report = tmp_path / f"{name}.json"
        result = cli(
            "graph", "plan", PIPELINES / f"{name}.yaml", "--device", "pixel2", "--input", bikes,
            "--frames", "3", "--json", report,
        )  # fmt: skip
        assert result.code == 0, result.err
        plans[name] = next(n for n in json.loads(report.read_text())["nodes"] if n["node"] == "segment")
    seed = resolve_model("deeplabv3_mnv2_voc_256")[0]
    member = resolve_model(DEFAULT_FAMILY, size=(384, 512))[0]
    ratio = count_macs(member) / count_macs(seed)
    assert 2.5 < ratio < 3.5
    got = plans["deeplab_per_frame"]["phone_ms"] / plans["deeplab_seed_per_frame"]["phone_ms"]
    assert got == pytest.approx(ratio, rel=0.02)


def test_unknown_family_is_one_located_line(cli, tmp_path: Path) -> None:
    text = (
        (PIPELINES / "deeplab_per_frame.yaml")
        .read_text()
        .replace("snap_to: jejunet_mnv2_voc_int8", "snap_to: nosuch")
    )
    bad = tmp_path / "bad.yaml"
    bad.write_text(text)
    result = cli("graph", "validate", bad)
    assert result.code == 2 and len(result.err_lines) == 1
    assert "snap_to" in result.err and "'nosuch' is not a model family" in result.err
