"""`graph show --format dot|mermaid`: every node and edge, port kinds on the edges."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from jejunet.graph.compiler import compile_file
from tests.conftest import PIPELINES


@pytest.mark.parametrize("pipeline", ["selfie_per_frame.yaml", "deeplab_keyframe.yaml"])
def test_dot_has_every_node_and_edge_with_kinds(cli, pipeline: str, shared: Path) -> None:
    result = cli("graph", "show", PIPELINES / pipeline, "--format", "dot")
    assert result.code == 0, result.err
    compiled = compile_file(PIPELINES / pipeline)
    dot = result.out
    assert dot.startswith("digraph ") and dot.rstrip().endswith("}")
    nodes = set(re.findall(r'^  "(\w+)" \[label=', dot, re.M))
    assert nodes == set(compiled.nodes)
    edges = re.findall(r'^  "(\w+)" -> "(\w+)" \[label="([^"]*)"(, style=dashed)?', dot, re.M)
    expected = {
        (u, v, f"{d['port']} [{d['kind']}]" if d["port"] == k else f"{d['port']} → {k} [{d['kind']}]")
        for u, v, k, d in compiled.graph.edges(keys=True, data=True)
    }
    assert {(u, v, label) for u, v, label, _ in edges} == expected
    feedback = {(u, v) for u, v, _, dashed in edges if dashed}
    assert feedback == {(u, v) for u, v, d in compiled.graph.edges(data=True) if d["previous"]}
    if shutil.which("dot"):
        subprocess.run(["dot", "-Tsvg"], input=dot, text=True, check=True, capture_output=True)


def test_mermaid_flowchart(cli, shared: Path) -> None:
    result = cli("graph", "show", PIPELINES / "deeplab_keyframe.yaml", "--format", "mermaid")
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[0] == "flowchart LR"
    compiled = compile_file(PIPELINES / "deeplab_keyframe.yaml")
    arrows = [line for line in lines if "-->" in line or "-.->" in line]
    assert len(arrows) == compiled.graph.number_of_edges()
    assert '  segment -->|"labels [labels.u8]"| warp' in lines
    assert any(re.fullmatch(r'  warp -\.->\|"labels → prev_labels \[labels\.u8\]"\| warp', a) for a in arrows)
    assert '  source[/"source<br/>decode"/]' in lines


def test_explicit_queue_shown(cli, bikes: Path, tmp_path: Path) -> None:
    pipeline = tmp_path / "q.yaml"
    pipeline.write_text(
        "nodes:\n"
        f"  - {{id: source, op: decode, params: {{source: {bikes}}}}}\n"
        "  - id: sink\n    op: encode\n    params: {path: out.mp4}\n"
        "    inputs: {image: {from: source.image, queue: {size: 2, policy: latest}}}\n"
    )
    result = cli("graph", "show", pipeline, "--format", "mermaid")
    assert '  source -->|"image [frame.bgr8] latest×2"| sink' in result.out.splitlines()
    result = cli("graph", "show", pipeline, "--format", "svg")
    assert result.code == 2 and "invalid choice: 'svg'" in result.err
