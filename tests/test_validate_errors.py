"""Each malformed pipeline gets one clear line: FILE:LINE:COL: node: field: message; exit 2."""

from __future__ import annotations

import re

import pytest

from tests.conftest import BAD, PIPELINES

LINE = re.compile(r"^error: (?P<file>[^:]+\.yaml):(?P<line>\d+):(?P<col>\d+): (?P<rest>.*)$")

CASES = {
    "malformed.yaml": ("5", None, None, "malformed YAML"),
    "unknown_op.yaml": ("5", "seg", "op", "unknown op 'tflite-infer'; did you mean 'tflite_infer'?"),
    "unknown_param.yaml": ("7", "resize", "heigth", "did you mean 'height'? (allowed: width, height, mode"),
    "mistyped_param.yaml": ("8", "resize", "width", "expected int, got 'wide'"),
    "missing_node.yaml": ("6", "resize", "inputs.image", "edge from unknown node 'sauce'"),
    "missing_port.yaml": ("6", "resize", "inputs.image", "has no output 'frame' (outputs: image)"),
    "kind_mismatch.yaml": ("12", "overlay", "inputs.image", "expected frame.bgr8, got labels.u8"),
    "cycle.yaml": ("6", "up", "inputs", "cycle over → up → over"),
    "missing_model.yaml": ("10", "seg", "model", "neither a registered model"),
    "corrupt_model.yaml": ("10", "seg", "model", "not a valid TFLite model"),
    "size_mismatch.yaml": ("11", "seg", "model", "expected 256×256, got 320×240"),
    "unconnected.yaml": ("6", "over", "inputs.labels", "input 'labels' (labels.u8) is not connected"),
    "no_probs.yaml": ("12", "up", "inputs.probs", "node 'seg' gives no 'probs'"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_pipeline_reports_one_located_line(cli, name: str, shared) -> None:
    line, node, field, fragment = CASES[name]
    result = cli("graph", "validate", BAD / name)
    assert result.code == 2
    assert "Traceback" not in result.err
    assert len(result.err_lines) == 1, result.err
    match = LINE.match(result.err_lines[0])
    assert match, result.err
    assert match["file"].endswith(name) and match["line"] == line
    if node:
        assert f"node '{node}'" in match["rest"]
    if field:
        assert f"field '{field}'" in match["rest"]
    assert fragment in match["rest"]


def test_all_problems_reported_at_once(cli, tmp_path) -> None:
    bad = tmp_path / "two.yaml"
    bad.write_text(
        "nodes:\n"
        "  - {id: source, op: decode, params: {stride: 0}}\n"
        "  - {id: r, op: resize, inputs: {image: source.image}, params: {width: -1}}\n"
    )
    result = cli("graph", "validate", bad)
    assert result.code == 2
    assert len(result.err_lines) == 2
    assert "field 'stride'" in result.err_lines[0] and ":2:" in result.err_lines[0]
    assert "field 'width'" in result.err_lines[1] and ":3:" in result.err_lines[1]


def test_missing_pipeline_file(cli, tmp_path) -> None:
    result = cli("graph", "validate", tmp_path / "nope.yaml")
    assert result.code == 2 and "no such pipeline file" in result.err


def test_not_a_mapping(cli, tmp_path) -> None:
    bad = tmp_path / "list.yaml"
    bad.write_text("- a\n- b\n")
    result = cli("graph", "validate", bad)
    assert result.code == 2 and "a pipeline is a mapping" in result.err


def test_duplicate_node_id(cli, tmp_path) -> None:
    bad = tmp_path / "dup.yaml"
    bad.write_text("nodes:\n  - {id: a, op: decode}\n  - {id: a, op: decode}\n")
    result = cli("graph", "validate", bad)
    assert result.code == 2 and "duplicate node id" in result.err and ":3:" in result.err


def test_feedback_edge_makes_a_cycle_legal(cli, tmp_path, shared) -> None:
    ok = tmp_path / "loop.yaml"
    ok.write_text(
        "nodes:\n"
        "  - {id: source, op: decode}\n"
        "  - id: up\n"
        "    op: upsample\n"
        "    inputs:\n"
        "      labels: {from: up.labels, previous: true}\n"
        "      like: source.image\n"
    )
    result = cli("graph", "validate", ok)
    assert result.code == 0, result.err


def test_set_override_is_validated_and_named(cli, shared) -> None:
    result = cli("graph", "validate", PIPELINES / "deeplab_per_frame.yaml", "--set", "resize.width=abc")
    assert result.code == 2
    assert result.err_lines[0].startswith("error: --set resize.width=abc: node 'resize': field 'width'")
    result = cli("graph", "validate", PIPELINES / "deeplab_per_frame.yaml", "--set", "nosuch.width=3")
    assert result.code == 2 and "unknown node 'nosuch'" in result.err


def test_set_override_changes_shapes(cli, shared) -> None:
    result = cli("graph", "validate", PIPELINES / "deeplab_seed_per_frame.yaml", "--set", "resize.width=128")
    assert result.code == 2 and "expected 256×256, got 128×256" in result.err


@pytest.mark.parametrize("name", ["deeplab_per_frame.yaml", "selfie_per_frame.yaml"])
def test_shipped_pipelines_validate(cli, name: str, shared) -> None:
    result = cli("graph", "validate", PIPELINES / name)
    assert result.code == 0, result.err
    assert "ok" in result.out


def test_malformed_or_infinite_set_values(cli, shared) -> None:
    result = cli("graph", "validate", PIPELINES / "deeplab_per_frame.yaml", "--set", "resize.width=[1")
    assert result.code == 2 and "--set resize.width=[1: malformed value" in result.err
    result = cli("graph", "validate", PIPELINES / "deeplab_per_frame.yaml", "--set", "sink.fps=.inf")
    assert result.code == 2 and "field 'fps'" in result.err and "finite" in result.err


def test_empty_node_list_names_the_field(cli, tmp_path) -> None:
    bad = tmp_path / "n0.yaml"
    bad.write_text("nodes: []\n")
    result = cli("graph", "validate", bad)
    assert result.code == 2 and "field 'nodes'" in result.err


def test_max_frames_reaches_the_source_wherever_it_is(cli, shared) -> None:
    from jejunet.graph.compiler import Overrides, compile_file

    compiled = compile_file(PIPELINES / "deeplab_per_frame.yaml", Overrides(source_params={"max_frames": 7}))
    assert compiled.source.params.max_frames == 7
    result = cli("graph", "run", PIPELINES / "deeplab_per_frame.yaml", "--max-frames", "0")
    assert result.code == 2
    assert result.err_lines[0].startswith("error: --max-frames 0: node 'source': field 'max_frames'")


def test_merge_keys_follow_the_yaml_rule() -> None:
    """Own keys win over merged ones, the first of several merged mappings wins, merges nest."""
    from jejunet.graph.loader import parse_yaml

    text = (
        "base: &base {a: 1, b: 1}\n"
        "more: &more {b: 2, c: 2, <<: *base}\n"
        "x:\n"
        "  <<: [*more, {c: 3, d: 3}]\n"
        "  a: own\n"
    )
    data, positions = parse_yaml(text, "m.yaml")
    assert data["x"] == {"b": 2, "c": 2, "d": 3, "a": "own"}
    assert data["more"] == {"b": 2, "c": 2, "a": 1}
    assert positions[("x", "a")] == (5, 6)
    assert positions[("x", "b")] == (2, 17)  # a merged value is located where it is written


def test_scalars_follow_the_yaml_1_2_core_schema() -> None:
    from jejunet.graph.loader import parse_yaml

    data, _ = parse_yaml(
        "a: [yes, no, on, 'true', true, FALSE, ~, '', 010, 0o10, 0x10, 1_000, 1e3, -.inf, '5', !!str 5, "
        "1:30]\n",
        "s.yaml",
    )
    assert data["a"][:8] == ["yes", "no", "on", "true", True, False, None, ""]
    assert data["a"][8:13] == [10, 8, 16, "1_000", 1000.0]
    assert data["a"][13] == float("-inf") and data["a"][14:] == ["5", "5", "1:30"]


def test_an_alias_bomb_stops_early_in_bounded_memory() -> None:
    """A billion-laughs file (10^9 strings if expanded) is refused after a few thousand values."""
    import tracemalloc

    from jejunet.errors import PipelineError
    from jejunet.graph.loader import parse_yaml

    text = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
        f"{c}: &{c} [{', '.join([f'*{p}'] * 9)}]\n" for p, c in zip("abcdefgh", "bcdefghi", strict=True)
    )
    tracemalloc.start()
    try:
        with pytest.raises(PipelineError, match="aliases expand this document past a sane size"):
            parse_yaml(text, "bomb.yaml")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 20 * 2**20


def test_a_second_document_tag_or_bad_scalar_is_one_located_line(cli, tmp_path) -> None:
    cases = {
        "doc.yaml": ("nodes: []\n---\nnodes: []\n", ":2:1: a pipeline file holds one YAML document"),
        "tag.yaml": (
            "nodes:\n  - !!python/object/new:os.system [ls]\n",
            ":2:5: YAML tag '!!python/object/new:os.system'",
        ),
        "int.yaml": ("version: !!int one\nnodes: []\n", ":1:10: cannot read 'one' as !!int"),
    }
    for name, (text, expected) in cases.items():
        (tmp_path / name).write_text(text)
        result = cli("graph", "validate", tmp_path / name)
        assert result.code == 2 and len(result.err_lines) == 1, result.err
        assert f"{name}{expected}" in result.err_lines[0]
