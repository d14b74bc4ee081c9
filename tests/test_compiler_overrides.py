"""The compiler's override stage: flags never crash on malformed data, nor change its field errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from jejunet.errors import PipelineError
from jejunet.graph.compiler import Overrides, compile_file

HEAD = "version: 1\nnodes:\n"
SOURCE = "  - {id: source, op: decode, params: {source: clip.mp4}}\n"
SINK = "  - {id: sink, op: encode, inputs: {image: source.image}, params: {path: o.mp4}}\n"
FLAGS = Overrides(
    sets=["sink.fps=10", "source.stride=2"], input="x.mp4", output="y.mp4", source_params={"max_frames": 3}
)


def _problems(path: Path, overrides: Overrides | None) -> list[str]:
    with pytest.raises(PipelineError) as info:
        compile_file(path, overrides)
    return [str(p) for p in info.value.problems]


@pytest.mark.parametrize(
    ("node", "field"),
    [
        ("  - {id: [a], op: resize}\n", "id"),
        ("  - {id: 7, op: resize}\n", "id"),
        ("  - {id: odd, op: {}}\n", "op"),
        ("  - {id: odd, op: [resize]}\n", "op"),
        ("  - {id: odd, op: resize, params: [1, 2]}\n", "params"),
        ("  - {id: odd, op: resize, params: text}\n", "params"),
        ("  - just a string\n", None),
    ],
    ids=["id-list", "id-int", "op-map", "op-list", "params-list", "params-str", "node-str"],
)
def test_malformed_nodes_give_the_same_field_errors_with_flags(
    tmp_path: Path, node: str, field: str | None
) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(HEAD + SOURCE + node + SINK)
    plain = _problems(path, None)
    flagged = _problems(path, FLAGS)
    assert plain and flagged == plain
    assert all(p.startswith(f"{path}:4:") for p in plain), plain
    if field is not None:
        assert any(f"field '{field}'" in p for p in plain), plain


def test_params_that_are_not_a_mapping_are_reported_even_when_a_flag_sets_them(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(HEAD + "  - {id: source, op: decode, params: [1]}\n" + SINK)
    assert _problems(path, FLAGS) == _problems(path, None)


def test_a_set_on_an_unknown_node_names_the_flag(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(HEAD + SOURCE + SINK)
    problems = _problems(path, Overrides(sets=["nope.x=1", "sink"]))
    assert problems == [
        "--set nope.x=1: unknown node 'nope' (nodes: source, sink)",
        "--set sink: expected NODE.PARAM=VALUE",
    ]


def test_role_flags_need_exactly_one_node_of_the_role(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(HEAD + SOURCE)
    assert _problems(path, Overrides(output="y.mp4")) == [
        "--output: --output needs exactly one video node, the pipeline has 0"
    ]
