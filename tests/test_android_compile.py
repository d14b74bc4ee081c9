"""`jejunet graph compile --target android`: the bundle, its manifest, refusals and path safety."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from jejunet.android.capabilities import CAPABILITIES, CAPABILITIES_VERSION
from jejunet.android.schema import as_json, validate
from jejunet.models.registry import resolve_model
from tests.conftest import PIPELINES, REPO


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _pipeline(tmp_path: Path, text: str, name: str = "p.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


BASE = """
version: 1
name: t
nodes:
  - {id: source, op: decode, params: {source: sample}}
  - id: resize
    op: resize
    inputs: {image: source.image}
    params: {width: 256, height: 256, interpolation: INTERP}
  - id: segment
    op: tflite_infer
    inputs: {image: resize.image}
    params: {model: MODEL, num_threads: THREADS}
  - {id: upsample, op: upsample, inputs: {labels: segment.labels, like: source.image}}
EXTRA
"""


WARP = "  - id: warp\n    op: warp\n"
FUSED = WARP + "    params: {fuse: 0.3}\n"


def _base(
    interp: str = "area", threads: int = 2, model: str = "deeplabv3_mnv2_voc_256", extra: str = ""
) -> str:
    return (
        BASE.replace("INTERP", interp)
        .replace("THREADS", str(threads))
        .replace("MODEL", model)
        .replace("EXTRA", extra)
    )


def test_keyframe_pipeline_compiles_into_a_verified_bundle(cli, tmp_path, deeplab_model):
    out = tmp_path / "bundle"
    result = cli("graph", "compile", PIPELINES / "deeplab_keyframe.yaml", "--target", "android", "--out", out)
    assert result.code == 0, result.err
    manifest = json.loads((out / "manifest.json").read_text())
    files = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()} - {"manifest.json"}
    assert set(manifest["files"]) == files
    for rel, entry in manifest["files"].items():
        assert entry["sha256"] == _sha(out / rel)
        assert entry["size"] == (out / rel).stat().st_size
    graph = json.loads((out / "graph.json").read_text())
    assert validate(graph) == []
    ops = {n["id"]: n["op"] for n in graph["nodes"]}
    assert ops == {
        "source": "camera",
        "resize": "resize",
        "gate": "keyframe_gate",
        "segment": "tflite_infer",
        "flow": "optical_flow",
        "warp": "warp",
        "upsample": "upsample",
        "overlay": "overlay",
        "sink": "display",
    }
    segment = next(n for n in graph["nodes"] if n["id"] == "segment")
    # the camera's 640×480 frames: `resize mode: aspect` → a stretch to 512×384, and that size's export
    shipped = resolve_model("jejunet_mnv2_voc_int8", size=(384, 512))[0]
    assert _sha(out / segment["model"]["file"]) == _sha(shipped)
    assert segment["model"]["input"]["width"] == 512 and segment["model"]["input"]["height"] == 384
    resize = next(n for n in graph["nodes"] if n["id"] == "resize")["params"]
    assert resize == {"width": 512, "height": 384, "mode": "stretch", "interpolation": "linear"}
    assert segment["model"]["output"]["meaning"] == "labels"
    warp = next(n for n in graph["nodes"] if n["id"] == "warp")
    assert warp["inputs"]["prev_labels"] == {"from": "warp.labels", "previous": True}
    assert (out / segment["model"]["labels_file"]).read_text().splitlines()[15] == "person"
    assert "path" not in next(n for n in graph["nodes"] if n["id"] == "sink")["params"]
    gate = next(n for n in graph["nodes"] if n["id"] == "gate")
    assert gate["inputs"]["labels"] == {"from": "segment.labels", "previous": True}
    assert gate["params"]["prediction_threshold"] == 2.0 and gate["inputs"]["flow"]["from"] == "flow.flow"
    assert graph["capabilities_version"] == CAPABILITIES_VERSION


def test_workers_become_threads_of_the_phones_one_interpreter(cli, tmp_path, deeplab_model):
    out = tmp_path / "bundle"
    result = cli(
        "graph", "compile", PIPELINES / "deeplab_per_frame.yaml", "--target", "android", "--out", out
    )
    assert result.code == 0, result.err
    segment = next(n for n in json.loads((out / "graph.json").read_text())["nodes"] if n["id"] == "segment")
    # `workers: 2` × 1 thread on the host: the phone runs one interpreter per node, with 2 threads
    assert segment["params"]["num_threads"] == 2
    assert "workers 2 × 1 thread(s) on the host → one interpreter with 2 threads" in result.out


def test_selfie_bundle_records_how_to_feed_the_float_model(cli, tmp_path, selfie_model):
    out = tmp_path / "b"
    assert (
        cli("graph", "compile", PIPELINES / "selfie_keyframe.yaml", "--target", "android", "--out", out).code
        == 0
    )
    graph = json.loads((out / "graph.json").read_text())
    model = next(n for n in graph["nodes"] if n["op"] == "tflite_infer")["model"]
    assert model["input"]["dtype"] == "float32"
    assert model["input"]["normalization"] == [0.0, 255.0]
    assert model["output"]["meaning"] == "probability" and model["output"]["positive_class"] == 15


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (_base(interp="cubic"), "field 'interpolation': value 'cubic' is not supported on Android"),
        (_base(threads=16), "field 'num_threads': value 16 is above the Android runtime's limit"),
        (
            _base(
                extra="  - {id: w, op: label_writer, inputs: {labels: upsample.labels, like: source.image}, "
                "params: {dir: out/x}}"
            ),
            "node 'w': op 'label_writer' cannot run on Android: the phone writes no label files",
        ),
        (
            (PIPELINES / "selfie_keyframe.yaml").read_text().replace(WARP, FUSED),
            "field 'fuse': value 0.3 is not supported on Android (supported: 0.0)",
        ),
    ],
)
def test_what_the_phone_cannot_run_is_refused(cli, tmp_path, deeplab_model, text, expected):
    out = tmp_path / "b"
    result = cli("graph", "compile", _pipeline(tmp_path, text), "--target", "android", "--out", out)
    assert result.code == 2
    assert len(result.err_lines) == 1 and expected in result.err, result.err
    assert "Traceback" not in result.err
    assert not out.exists() and [p.name for p in tmp_path.iterdir()] == ["p.yaml"]


def test_every_refusal_is_reported_at_once(cli, tmp_path, deeplab_model):
    result = cli(
        "graph",
        "compile",
        _pipeline(tmp_path, _base("cubic", 16)),
        "--target",
        "android",
        "--out",
        tmp_path / "b",
    )
    assert result.code == 2 and len(result.err_lines) == 2


def test_unknown_target_is_a_user_error(cli, tmp_path):
    result = cli(
        "graph", "compile", PIPELINES / "deeplab_per_frame.yaml", "--target", "ios", "--out", tmp_path / "b"
    )
    assert result.code == 2 and "unknown target (known: android)" in result.err


def test_nothing_lands_outside_the_bundle_folder(cli, tmp_path, deeplab_model):
    models = tmp_path / "weird dir"
    models.mkdir()
    shutil.copyfile(deeplab_model, models / "..evil name$.tflite")
    pipeline = _pipeline(tmp_path / "weird dir", _base(model="'../weird dir/..evil name$.tflite'"))
    work = tmp_path / "work"
    work.mkdir()
    before = sorted(p for p in tmp_path.rglob("*") if not p.is_relative_to(work))
    result = cli("graph", "compile", pipeline, "--target", "android", "--out", work / "bundle")
    assert result.code == 0, result.err
    after = sorted(p for p in tmp_path.rglob("*") if not p.is_relative_to(work))
    assert before == after
    written = sorted(p.relative_to(work).as_posix() for p in work.rglob("*") if p.is_file())
    assert written == [
        "bundle/graph.json",
        "bundle/labels/evil_name_.txt",
        "bundle/manifest.json",
        "bundle/models/evil_name_.tflite",
    ]


def test_a_folder_that_is_not_a_bundle_is_not_replaced(cli, tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    result = cli(
        "graph", "compile", PIPELINES / "deeplab_per_frame.yaml", "--target", "android", "--out", out
    )
    assert result.code == 2 and "holds no bundle" in result.err
    assert [p.name for p in out.iterdir()] == ["notes.txt"]
    target = tmp_path / "file"
    target.write_text("x")
    result = cli(
        "graph", "compile", PIPELINES / "deeplab_per_frame.yaml", "--target", "android", "--out", target
    )
    assert result.code == 2 and "is not a folder" in result.err


def test_compiling_again_replaces_the_bundle(cli, tmp_path, deeplab_model, selfie_model):
    out = tmp_path / "b"
    assert (
        cli(
            "graph", "compile", PIPELINES / "deeplab_per_frame.yaml", "--target", "android", "--out", out
        ).code
        == 0
    )
    assert (
        cli("graph", "compile", PIPELINES / "selfie_per_frame.yaml", "--target", "android", "--out", out).code
        == 0
    )
    assert sorted(p.name for p in (out / "models").iterdir()) == ["selfie_segmentation_256.tflite"]
    assert [p.name for p in tmp_path.iterdir()] == ["b"]


def test_the_committed_schema_is_the_compilers():
    assert (REPO / "android_bridge" / "schema" / "graph.schema.json").read_text() == as_json()


def test_capabilities_cover_every_parameter_of_the_operators_they_allow():
    from jejunet.ops.registry import all_operators

    ops = all_operators()
    for name, cap in CAPABILITIES.items():
        assert set(cap.params) == set(ops[name].Params.model_fields), name


def test_record_writes_every_nodes_outputs(cli, tmp_path, bikes, deeplab_model):
    out = tmp_path / "fx"
    result = cli(
        "graph",
        "record",
        PIPELINES / "deeplab_keyframe.yaml",
        "--input",
        bikes,
        "--frames",
        "3",
        "--out",
        out,
    )
    assert result.code == 0, result.err
    index = json.loads((out / "fixtures.json").read_text())
    assert len(index["frames"]) == 3 and index["keyframes"][0] == 0
    frame = np.load(out / "frame_0000.npz")
    assert {
        "source.image",
        "resize.image",
        "gate.image",
        "segment.@input",
        "segment.@output",
        "flow.flow",
    } <= set(frame.files)
    assert frame["source.image"].shape == (272, 640, 3)
    assert "sink" not in index["frames"][0]["ran"]
