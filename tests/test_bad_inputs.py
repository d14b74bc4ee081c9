"""The bad-input catalogue: ONE table of cases, each run through the real CLI.

A case is: files to create in a fresh folder, the command line, the exit code, and a regex for the
first line on stderr. The runner checks, for every case: the exit code; the first stderr line; that
every stderr line is an `error: ` line (one line per problem and nothing else: no traceback, no
native noise); for a failed command, that nothing was left behind in the folder (no half file, no
`.part`, no empty output folder); and a generous time bound (a hang guard, not a speed test).
Cases marked `proc` run as a subprocess (`python -m jejunet`), where native code writes to fd 2.

Placeholders in arguments and file texts: {tmp} the case's folder, {bikes} the sample clip,
{shared} ../shared, {repo} the repository.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from jejunet.cli.main import main
from tests.conftest import REPO, SHARED

FileMaker = Callable[[Path], bytes]


@dataclass(frozen=True)
class Case:
    """One bad input: files to create, argv, expected exit code and first stderr line (regex)."""

    argv: tuple[str, ...]
    code: int
    first: str = ""
    files: dict[str, str | bytes | FileMaker] = field(default_factory=dict)
    proc: bool = False  # run as a subprocess (checks native noise on fd 2)
    limit_s: float = 60.0
    xfail: str = ""  # owner and reason, while a teammate's part is not in yet
    #: run as a non-root user (`nobody` via setpriv when we are root), in a folder it can read, where
    #: "ro/" is a folder it cannot write, "rw/" one it can, and files named in `modes` get those modes
    user: bool = False
    modes: dict[str, int] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)  # for subprocess cases; placeholders filled


def _bikes_half(_: Path) -> bytes:
    data = (SHARED / "media" / "bikes.mp4").read_bytes()
    return data[: len(data) // 2]


def _bikes_head(_: Path) -> bytes:
    return (SHARED / "media" / "bikes.mp4").read_bytes()[:4096]


def _voc_jpeg(index: int) -> FileMaker:
    def make(_: Path) -> bytes:
        return sorted((SHARED / "media" / "voc_labelme" / "JPEGImages").glob("*.jpg"))[index].read_bytes()

    return make


def _bikes_corrupt_middle(_: Path) -> bytes:
    data = bytearray((SHARED / "media" / "bikes.mp4").read_bytes())
    third = len(data) // 3
    data[third : third + 20_000] = bytes((i * 131 + 7) % 256 for i in range(20_000))
    return bytes(data)


def _noise(_: Path) -> bytes:
    return bytes(range(256)) * 64


def _png(size: tuple[int, int], value: int = 0) -> FileMaker:
    def make(_: Path) -> bytes:
        import io

        import numpy as np
        from PIL import Image

        buffer = io.BytesIO()
        Image.fromarray(np.full(size[::-1], value, np.uint8), mode="L").save(buffer, format="PNG")
        return buffer.getvalue()

    return make


# A small valid pipeline that runs without a model (two frames of the sample clip).
MINI = """\
version: 1
name: mini
nodes:
  - id: source
    op: decode
    params: {source: "{bikes}", max_frames: 2}
  - id: resize
    op: resize
    inputs: {image: source.image}
    params: {width: 64, height: 64}
  - id: sink
    op: encode
    inputs: {image: resize.image}
    params: {path: "{tmp}/out/v.mp4"}
"""
SELFIE = "{repo}/pipelines/selfie_per_frame.yaml"
DEEPLAB = "{repo}/pipelines/deeplab_per_frame.yaml"


def _mini(old: str = "", new: str = "") -> str:
    """MINI with one piece of text replaced."""
    assert old in MINI, old
    return MINI.replace(old, new) if old else MINI


def _nodes(*lines: str) -> str:
    return "version: 1\nnodes:\n" + "".join(f"  {line}\n" for line in lines)


LAUGHS = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + "".join(
    f"{c}: &{c} [{', '.join([f'*{p}'] * 9)}]\n" for p, c in zip("abcdefgh", "bcdefghi", strict=True)
)
VALIDATE = ("graph", "validate", "{tmp}/p.yaml")
RUN = ("graph", "run", "{tmp}/p.yaml", "--quiet")
LOC = r"^error: .*p\.yaml:\d+:\d+: "

CASES: dict[str, Case] = {
    # --- YAML: tags --------------------------------------------------------------------------
    "tag_python_object": Case(
        VALIDATE,
        2,
        LOC + r"YAML tag '!!python/object/apply:os.system' is not allowed",
        {"p.yaml": "version: 1\nname: !!python/object/apply:os.system [ls]\nnodes: []\n"},
    ),
    "tag_python_name_in_params": Case(
        VALIDATE,
        2,
        r"^error: .*p\.yaml:10:21: YAML tag '!!python/name:os.system'",
        {"p.yaml": _mini("{width: 64, height: 64}", "{width: !!python/name:os.system '', height: 64}")},
    ),
    "tag_local_on_list": Case(
        VALIDATE, 2, LOC + r"YAML tag '!foo' is not allowed", {"p.yaml": "version: 1\nnodes: !foo [a]\n"}
    ),
    "tag_on_root": Case(VALIDATE, 2, LOC + r"YAML tag '!pipeline'", {"p.yaml": "--- !pipeline\nnodes: []\n"}),
    "tag_set_on_mapping": Case(
        VALIDATE, 2, LOC + r"YAML tag '!!set'", {"p.yaml": "version: 1\nnodes: !!set {a, b}\n"}
    ),
    "tag_binary": Case(VALIDATE, 2, LOC + r"YAML tag '!!binary'", {"p.yaml": "name: !!binary aGVsbG8=\n"}),
    "tag_timestamp": Case(
        VALIDATE, 2, LOC + r"YAML tag '!!timestamp'", {"p.yaml": "name: !!timestamp 2001-12-14\n"}
    ),
    "tag_omap": Case(VALIDATE, 2, LOC + r"YAML tag '!!omap'", {"p.yaml": "nodes: !!omap [a: 1]\n"}),
    "tag_verbatim": Case(
        VALIDATE,
        2,
        LOC + r"YAML tag 'tag:example.com,2000:x'",
        {"p.yaml": "name: !<tag:example.com,2000:x> a\n"},
    ),
    "tag_str_on_number_is_fine": Case(VALIDATE, 0, "", {"p.yaml": _mini("name: mini", "name: !!str 2024")}),
    # --- YAML: scalars a core tag cannot convert ---------------------------------------------
    "int_tag_bad_value": Case(
        VALIDATE,
        2,
        r"^error: .*p\.yaml:10:33: cannot read 'Z' as !!int",
        {"p.yaml": _mini("{width: 64, height: 64}", "{width: 64, height: !!int Z}")},
    ),
    "float_tag_bad_value": Case(
        VALIDATE, 2, LOC + r"cannot read 'abc' as !!float", {"p.yaml": "name: !!float abc\n"}
    ),
    "bool_tag_bad_value": Case(
        VALIDATE, 2, LOC + r"cannot read 'maybe' as !!bool", {"p.yaml": "name: !!bool maybe\n"}
    ),
    "null_tag_bad_value": Case(
        VALIDATE, 2, LOC + r"cannot read 'x' as !!null", {"p.yaml": "name: !!null x\n"}
    ),
    # --- YAML: aliases and merge keys -----------------------------------------------------------
    "billion_laughs": Case(
        VALIDATE, 2, LOC + r"aliases expand this document past a sane size", {"p.yaml": LAUGHS}, limit_s=5
    ),
    "billion_laughs_subprocess": Case(
        VALIDATE, 2, LOC + r"aliases expand", {"p.yaml": LAUGHS}, proc=True, limit_s=20
    ),
    "merge_bomb": Case(
        VALIDATE,
        2,
        LOC + r"aliases expand",
        {
            "p.yaml": "a: &a {x: 1, y: 2, z: 3}\n"
            + "".join(
                f"{c}: &{c} {{<<: [{', '.join([f'*{p}'] * 9)}]}}\n"
                for p, c in zip("abcdefgh", "bcdefghi", strict=True)
            )
        },
        limit_s=5,
    ),
    "recursive_alias": Case(VALIDATE, 2, LOC + r"recursive alias '&x'", {"p.yaml": "nodes: &x [*x]\n"}),
    "recursive_merge": Case(VALIDATE, 2, LOC + r"recursive alias '&x'", {"p.yaml": "nodes: [&x {<<: *x}]\n"}),
    "undefined_alias": Case(VALIDATE, 2, LOC + r"undefined alias '\*nope'", {"p.yaml": "nodes: *nope\n"}),
    "merge_key_supported": Case(
        VALIDATE,
        0,
        "",
        {
            "p.yaml": _mini(
                "    params: {width: 64, height: 64}",
                "    params:\n      <<: &size {width: 64, height: 64}\n      mode: stretch",
            )
        },
    ),
    "merge_key_bad_value_located_at_anchor": Case(
        VALIDATE,
        2,
        r"^error: .*p\.yaml:11:25: node 'resize': field 'width': .*expected int, got 'wide'",
        {
            "p.yaml": _mini(
                "    params: {width: 64, height: 64}",
                "    params:\n      <<: &size {width: wide, height: 64}",
            )
        },
    ),
    "merge_key_scalar": Case(
        VALIDATE, 2, LOC + r"a merge key '<<' takes a mapping", {"p.yaml": "a: &a 5\nb: {<<: *a}\n"}
    ),
    # --- YAML: syntax ---------------------------------------------------------------------------
    "unclosed_flow_mapping": Case(
        VALIDATE, 2, LOC + r"malformed YAML", {"p.yaml": "nodes:\n  - {id: a, op: decode\n"}
    ),
    "tab_indentation": Case(VALIDATE, 2, LOC + r"malformed YAML", {"p.yaml": "nodes:\n\t- id: a\n"}),
    "duplicate_key": Case(
        VALIDATE,
        2,
        r"^error: .*p\.yaml:3:1: duplicate key 'name' \(first at line 2\)",
        {"p.yaml": "version: 1\nname: a\nname: b\n"},
    ),
    "complex_key": Case(VALIDATE, 2, LOC + r"a key must be a plain name", {"p.yaml": "? [a, b]\n: 1\n"}),
    "two_documents": Case(
        VALIDATE,
        2,
        LOC + r"a pipeline file holds one YAML document, found a second",
        {"p.yaml": MINI.replace("{tmp}", "x") + "---\nb: 1\n"},
    ),
    "deep_nesting": Case(
        VALIDATE, 2, LOC + r"nested deeper than 64 levels", {"p.yaml": "a: " + "[" * 100 + "]" * 100 + "\n"}
    ),
    "very_deep_nesting": Case(
        VALIDATE,
        2,
        LOC + r"malformed YAML: exceeded maximum nesting depth|nested deeper",
        {"p.yaml": "a: " + "[" * 50_000 + "]" * 50_000 + "\n"},
    ),
    "control_character": Case(
        VALIDATE,
        2,
        r"^error: .*p\.yaml:2: malformed YAML: unacceptable character",
        {"p.yaml": "version: 1\nname: a\x07b\n"},
    ),
    "not_utf8": Case(VALIDATE, 2, r"^error: .*p\.yaml: not UTF-8 text", {"p.yaml": b"name: caf\xe9\n"}),
    "too_many_values": Case(
        VALIDATE,
        2,
        LOC + r"more than 100000 YAML values",
        {"p.yaml": "a: [" + ",".join(["1"] * 110_000) + "]\n"},
        limit_s=30,
    ),
    "long_comment_file_is_fine": Case(
        VALIDATE, 0, "", {"p.yaml": _mini() + "".join(f"# {'x' * 70}\n" for _ in range(60_000))}, limit_s=30
    ),
    "crlf_and_bom_file_is_fine": Case(VALIDATE, 0, "", {"p.yaml": ("\ufeff" + MINI).replace("\n", "\r\n")}),
    "norway_is_a_string": Case(VALIDATE, 0, "", {"p.yaml": _mini("name: mini", "name: no")}),
    # --- the pipeline's structure -------------------------------------------------------------------
    "empty_file": Case(VALIDATE, 2, r"^error: .*p\.yaml:1:1: a pipeline is a mapping", {"p.yaml": ""}),
    "root_is_list": Case(VALIDATE, 2, r"^error: .*p\.yaml:1:1: a pipeline is a mapping", {"p.yaml": "- a\n"}),
    "root_is_scalar": Case(
        VALIDATE, 2, r"^error: .*p\.yaml:1:1: a pipeline is a mapping", {"p.yaml": "hello\n"}
    ),
    "nodes_not_a_list": Case(VALIDATE, 2, LOC + r"field 'nodes'", {"p.yaml": "version: 1\nnodes: 5\n"}),
    "nodes_empty": Case(VALIDATE, 2, LOC + r"field 'nodes'", {"p.yaml": "version: 1\nnodes: []\n"}),
    "node_not_a_mapping": Case(VALIDATE, 2, LOC, {"p.yaml": "version: 1\nnodes:\n  - 5\n"}),
    "node_id_a_list": Case(
        VALIDATE, 2, LOC + r"node 'nodes\[0\]': field 'id'", {"p.yaml": _nodes("- {id: [a], op: decode}")}
    ),
    "node_op_a_mapping": Case(
        VALIDATE, 2, LOC + r"node 'a': field 'op'", {"p.yaml": _nodes("- {id: a, op: {}}")}
    ),
    "node_id_bad_pattern": Case(
        VALIDATE, 2, LOC + r"node 'a b': field 'id'", {"p.yaml": _nodes("- {id: a b, op: decode}")}
    ),
    "node_missing_op": Case(
        VALIDATE, 2, LOC + r"node 'a': field 'op': missing required field", {"p.yaml": _nodes("- {id: a}")}
    ),
    "unknown_op": Case(
        VALIDATE,
        2,
        LOC + r"node 'a': field 'op': unknown op 'decod'; did you mean 'decode'",
        {"p.yaml": _nodes("- {id: a, op: decod}")},
    ),
    "unknown_node_field": Case(
        VALIDATE,
        2,
        LOC + r"node 'resize': field 'inptus': unknown field",
        {
            "p.yaml": _mini(
                "    inputs: {image: source.image}\n    params: {width",
                "    inptus: {image: source.image}\n    params: {width",
            )
        },
    ),
    "unknown_top_field": Case(
        VALIDATE,
        2,
        r"^error: .*p\.yaml:3:1: field 'nmae': unknown field",
        {"p.yaml": _mini("name: mini", "name: mini\nnmae: x")},
    ),
    "version_2": Case(VALIDATE, 2, LOC + r"field 'version'", {"p.yaml": _mini("version: 1", "version: 2")}),
    "mode_unknown": Case(
        VALIDATE, 2, LOC + r"field 'mode'", {"p.yaml": _mini("name: mini", "name: mini\nmode: fast")}
    ),
    "params_a_list": Case(
        VALIDATE,
        2,
        LOC + r"node 'resize': field 'params'",
        {"p.yaml": _mini("{width: 64, height: 64}", "[64, 64]")},
    ),
    "unknown_param": Case(
        VALIDATE,
        2,
        LOC + r"node 'resize': field 'widht': unknown parameter; did you mean 'width'",
        {"p.yaml": _mini("{width: 64,", "{widht: 64,")},
    ),
    "mistyped_param": Case(
        VALIDATE,
        2,
        LOC + r"node 'resize': field 'width': .*got 'wide'",
        {"p.yaml": _mini("{width: 64,", "{width: wide,")},
    ),
    "negative_param": Case(
        VALIDATE, 2, LOC + r"node 'resize': field 'width'", {"p.yaml": _mini("{width: 64,", "{width: -5,")}
    ),
    "path_a_list": Case(
        VALIDATE,
        2,
        LOC + r"node 'sink': field 'path'",
        {"p.yaml": _mini('{path: "{tmp}/out/v.mp4"}', "{path: [a]}")},
    ),
    "edge_from_unknown_node": Case(
        VALIDATE,
        2,
        LOC + r"node 'resize': field 'inputs.image': edge from unknown node 'sauce'",
        {"p.yaml": _mini("{image: source.image}", "{image: sauce.image}")},
    ),
    "edge_unknown_port": Case(
        VALIDATE,
        2,
        LOC + r"node 'resize': field 'inputs.image': node 'source' \(op 'decode'\) has no output 'frame'",
        {"p.yaml": _mini("{image: source.image}", "{image: source.frame}")},
    ),
    "edge_without_dot": Case(
        VALIDATE,
        2,
        LOC + r"node 'resize': field 'inputs.image.from': .*expected 'node.port', got 'source'",
        {"p.yaml": _mini("{image: source.image}", "{image: source}")},
    ),
    "unknown_input_port": Case(
        VALIDATE,
        2,
        LOC + r"node 'resize': field 'inputs.picture': op 'resize' has no input 'picture'",
        {"p.yaml": _mini("{image: source.image}", "{image: source.image, picture: source.image}")},
    ),
    "cycle": Case(
        VALIDATE,
        2,
        LOC + r"node 'b': field 'inputs': cycle a → b → a",
        {
            "p.yaml": _nodes(
                "- {id: source, op: decode}",
                "- {id: a, op: overlay, inputs: {image: source.image, labels: b.labels}}",
                "- {id: b, op: upsample, inputs: {labels: c.labels, like: a.image}}",
                "- {id: c, op: tflite_infer, inputs: {image: a.image}}",
            )
        },
    ),
    "duplicate_node_id": Case(
        VALIDATE,
        2,
        LOC + r"node 'source': field 'id': duplicate node id \(first at nodes\[0\]\)",
        {"p.yaml": _mini("  - id: resize", "  - id: source")},
    ),
    "workers_zero": Case(
        VALIDATE,
        2,
        LOC + r"node 'resize': field 'workers'",
        {"p.yaml": _mini("    op: resize", "    op: resize\n    workers: 0")},
    ),
    "queue_size_zero": Case(
        VALIDATE,
        2,
        LOC + r"node 'resize': field 'inputs.image.queue.size'",
        {"p.yaml": _mini("{image: source.image}", "{image: {from: source.image, queue: {size: 0}}}")},
    ),
    "missing_pipeline_file": Case(VALIDATE, 2, r"^error: .*p\.yaml: no such pipeline file"),
    "pipeline_is_a_folder": Case(
        ("graph", "validate", "{tmp}"), 2, r"^error: .*: is a folder, expected a pipeline file"
    ),
    "missing_model_file": Case(
        ("graph", "validate", SELFIE, "--set", "segment.model={tmp}/none.tflite"),
        2,
        r"^error: .*field 'model'.*none\.tflite",
    ),
    "corrupt_model_file": Case(
        ("graph", "validate", SELFIE, "--set", "segment.model={tmp}/bad.tflite"),
        2,
        r"^error: .*field 'model'.*bad\.tflite",
        {"bad.tflite": _noise},
    ),
    "show_bad_file": Case(
        ("graph", "show", "{tmp}/p.yaml"), 2, LOC + r"YAML tag", {"p.yaml": "nodes: !x []\n"}
    ),
    # --- command-line overrides -----------------------------------------------------------------
    "set_without_equals": Case(
        (*VALIDATE, "--set", "resize.width"),
        2,
        r"^error: --set resize\.width: expected NODE\.PARAM=VALUE",
        {"p.yaml": MINI},
    ),
    "set_unknown_node": Case(
        (*VALIDATE, "--set", "rezise.width=3"),
        2,
        r"^error: --set rezise\.width=3: unknown node 'rezise'",
        {"p.yaml": MINI},
    ),
    "set_wrong_type": Case(
        (*VALIDATE, "--set", "resize.width=abc"),
        2,
        r"^error: --set resize\.width=abc: node 'resize': field 'width'",
        {"p.yaml": MINI},
    ),
    "set_max_age_below_delay": Case(
        ("graph", "validate", "{repo}/pipelines/keyframe_async.yaml", "--set", "late.max_age=2"),
        2,
        r"^error: --set late\.max_age=2: node 'late': field 'max_age': must be at least delay \(4\)",
    ),
    "set_malformed_value": Case(
        (*VALIDATE, "--set", "resize.width=[1"),
        2,
        r"^error: --set resize\.width=\[1: malformed value",
        {"p.yaml": MINI},
    ),
    "set_python_tag_value": Case(
        (*VALIDATE, "--set", "resize.width=!!python/object/apply:os.system [ls]"),
        2,
        r"^error: --set resize\.width=.*",
        {"p.yaml": MINI},
    ),
    "set_with_list_id_in_file": Case(
        (*VALIDATE, "--set", "resize.width=3"),
        2,
        LOC + r"node 'nodes\[\d\]': field 'id': Input should be a valid string",
        {"p.yaml": _mini("  - id: sink", "  - id: [sink]")},
    ),
    "set_on_node_with_list_params": Case(
        (*VALIDATE, "--set", "resize.width=3"),
        2,
        LOC + r"node 'resize': field 'params'",
        {"p.yaml": _mini("{width: 64, height: 64}", "[64, 64]")},
    ),
    "list_id_same_error_with_or_without_flags": Case(
        (*VALIDATE, "--output", "{tmp}/o.mp4"),
        2,
        LOC + r"node 'nodes\[\d\]': field 'id': Input should be a valid string",
        {"p.yaml": _mini("  - id: resize", "  - id: {a: 1}")},
    ),
    # --- graph run: sources -------------------------------------------------------------------------
    "input_missing_file": Case(
        (*RUN, "--input", "{tmp}/none.mp4"),
        2,
        r"^error: node 'source' \(decode\): .*none\.mp4: no such file",
        {"p.yaml": MINI},
    ),
    "input_noise_bytes": Case(
        (*RUN, "--input", "{tmp}/noise.mp4"),
        2,
        r"^error: node 'source' \(decode\): .*noise\.mp4",
        {"p.yaml": MINI, "noise.mp4": _noise},
        proc=True,
    ),
    "input_empty_file": Case(
        (*RUN, "--input", "{tmp}/empty.mp4"),
        2,
        r"^error: node 'source' \(decode\): .*empty\.mp4",
        {"p.yaml": MINI, "empty.mp4": b""},
    ),
    "input_truncated_mp4": Case(
        (*RUN, "--input", "{tmp}/half.mp4"),
        2,
        r"^error: node 'source' \(decode\): .*half\.mp4",
        {"p.yaml": MINI, "half.mp4": _bikes_half},
        proc=True,
    ),
    "input_mp4_header_only": Case(
        (*RUN, "--input", "{tmp}/head.mp4"),
        2,
        r"^error: node 'source' \(decode\): .*head\.mp4",
        {"p.yaml": MINI, "head.mp4": _bikes_head},
    ),
    "input_text_file": Case(
        (*RUN, "--input", "{tmp}/notes.mp4"),
        2,
        r"^error: node 'source' \(decode\): .*notes\.mp4",
        {"p.yaml": MINI, "notes.mp4": "just text\n"},
    ),
    "input_corrupt_mid_stream": Case(
        (*RUN, "--input", "{tmp}/mid.mp4", "--max-frames", "250"),
        2,
        r"^error: node 'source' \(decode\): .*mid\.mp4: corrupt video after \d+ frames",
        {"p.yaml": MINI, "mid.mp4": _bikes_corrupt_middle},
        proc=True,
    ),
    "input_missing_camera": Case(
        (*RUN, "--input", "97"),
        2,
        r"^error: node 'source' \(decode\): camera 97",
        {"p.yaml": MINI},
        proc=True,
    ),
    # --- graph run: outputs ---------------------------------------------------------------------------
    "output_under_a_file": Case(
        (*RUN, "--output", "{tmp}/blocker/v.mp4"),
        2,
        r"^error: node 'sink' \(encode\): .*blocker/v\.mp4: "
        r"cannot create the output folder \(.*blocker is a file\)",
        {"p.yaml": MINI, "blocker": "x"},
    ),
    "output_is_a_folder": Case(
        (*RUN, "--output", "{tmp}/dir"),
        2,
        r"^error: node 'sink' \(encode\): .*dir: is a folder, expected a file path",
        {"p.yaml": MINI, "dir/keep": "x"},
    ),
    "report_under_a_file": Case(
        (*RUN, "--report", "{tmp}/blocker/r.json"),
        2,
        r"^error: --report .*blocker/r\.json: cannot create the output folder",
        {"p.yaml": MINI, "blocker": "x"},
    ),
    "report_is_a_folder": Case(
        (*RUN, "--report", "{tmp}/dir"),
        2,
        r"^error: --report .*dir: is a folder",
        {"p.yaml": MINI, "dir/keep": "x"},
    ),
    "trace_under_a_file": Case(
        (*RUN, "--trace", "{tmp}/blocker/t.json"),
        2,
        r"^error: --trace .*blocker/t\.json: cannot create",
        {"p.yaml": MINI, "blocker": "x"},
    ),
    "labels_dir_is_a_file": Case(
        ("graph", "run", SELFIE, "--labels-dir", "{tmp}/blocker", "--output", "{tmp}/out/v.mp4"),
        2,
        r"^error: node 'labels_dir' \(label_writer\): .*blocker: is a file, expected a folder",
        {"blocker": "x"},
    ),
    "all_bad_outputs_one_line_each": Case(
        (*RUN, "--report", "{tmp}/blocker/r.json", "--trace", "{tmp}/dir"),
        2,
        r"^error: --report .*blocker/r\.json",
        {"p.yaml": MINI, "blocker": "x", "dir/keep": "x"},
    ),
    "failed_source_leaves_no_folders": Case(
        (
            *("graph", "run", SELFIE, "--quiet"),
            "--input",
            "{tmp}/none.mp4",
            "--output",
            "{tmp}/new/deep/v.mp4",
            "--labels-dir",
            "{tmp}/labels/x",
        ),
        2,
        r"^error: node 'source' \(decode\): .*none\.mp4",
        {"p.yaml": MINI},
        proc=True,
    ),
    "labels_dir_under_a_file": Case(
        ("graph", "run", SELFIE, "--labels-dir", "{tmp}/blocker/l", "--output", "{tmp}/out/v.mp4"),
        2,
        r"^error: node 'labels_dir' \(label_writer\): .*blocker/l: cannot create the output folder",
        {"blocker": "x"},
    ),
    "report_in_a_read_only_folder": Case(
        (*RUN, "--report", "{tmp}/ro/r.json"),
        2,
        r"^error: --report .*/ro/r\.json: the output folder is not writable$",
        {"p.yaml": MINI},
        user=True,
    ),
    "output_below_a_read_only_folder": Case(
        (*RUN, "--output", "{tmp}/ro/new/v.mp4"),
        2,
        r"^error: node 'sink' \(encode\): .*/ro/new/v\.mp4: "
        r"cannot create the output folder \(.*/ro is not writable\)$",
        {"p.yaml": MINI},
        user=True,
    ),
    "labels_dir_in_a_read_only_folder": Case(
        ("graph", "run", SELFIE, "--labels-dir", "{tmp}/ro/labels", "--output", "{tmp}/rw/v.mp4", "--quiet"),
        2,
        r"^error: node 'labels_dir' \(label_writer\): .*/ro/labels: cannot create the output folder",
        user=True,
    ),
    "pipeline_not_readable": Case(
        VALIDATE,
        2,
        r"^error: .*p\.yaml: cannot read \(permission denied\)$",
        {"p.yaml": MINI},
        user=True,
        modes={"p.yaml": 0o000},
    ),
    "model_registry_not_readable": Case(
        ("graph", "validate", SELFIE),
        2,
        r"^error: .*reg\.json: cannot read",
        {"reg.json": "{}"},
        user=True,
        modes={"reg.json": 0o000},
        env={"JEJUNET_MODEL_REGISTRY": "{tmp}/reg.json"},
    ),
    "report_to_a_device": Case(
        (*RUN, "--report", "/dev/null"),
        2,
        r"^error: --report /dev/null: is not a regular file",
        {"p.yaml": MINI},
    ),
    "labels_dir_holding_other_files": Case(
        ("graph", "run", SELFIE, "--labels-dir", "{tmp}/mine", "--output", "{tmp}/out/v.mp4", "--quiet"),
        2,
        r"^error: node 'labels_dir' \(label_writer\): .*mine: the folder holds other files \(notes\.txt\)",
        {"mine/notes.txt": "keep me"},
    ),
    "failure_mid_run_leaves_no_labels_nor_video": Case(
        (
            "graph",
            "run",
            SELFIE,
            "--input",
            "{tmp}/frames",
            "--labels-dir",
            "{tmp}/new/labels",
            "--output",
            "{tmp}/new/v.mp4",
            "--quiet",
            "--executor",
            "sequential",
        ),
        2,
        r"^error: node 'source' \(decode\): .*1b\.jpg",
        {
            "frames/0a.jpg": _voc_jpeg(0),
            "frames/1b.jpg": b"\xff\xd8 broken jpeg",
            "frames/2c.jpg": _voc_jpeg(1),
        },
    ),
    "set_unknown_param": Case(
        (*VALIDATE, "--set", "resize.widht=3"),
        2,
        r"^error: --set resize\.widht=3: node 'resize': field 'widht': "
        r"unknown parameter; did you mean 'width'",
        {"p.yaml": MINI},
    ),
    "corrupt_model_at_run": Case(
        ("graph", "run", SELFIE, "--input", "{bikes}", "--set", "segment.model={tmp}/bad.tflite", "--quiet"),
        2,
        r"^error: .*field 'model'.*bad\.tflite",
        {"bad.tflite": _noise},
        proc=True,
    ),
    # --- graph run / bench: flags --------------------------------------------------------------------
    "max_frames_not_a_number": Case(
        (*RUN, "--max-frames", "x"),
        2,
        r"^error: jejunet graph run: argument --max-frames: invalid int value: 'x' "
        r"\(see jejunet graph run --help\)$",
        {"p.yaml": MINI},
    ),
    "executor_unknown": Case(
        (*RUN, "--executor", "gpu"),
        2,
        r"^error: jejunet graph run: argument --executor: invalid choice",
        {"p.yaml": MINI},
    ),
    "stall_timeout_zero": Case(
        (*RUN, "--stall-timeout", "0"),
        2,
        r"^error: --stall-timeout: expected a positive number",
        {"p.yaml": MINI},
    ),
    "bench_negative_warmup": Case(
        ("graph", "bench", "{tmp}/p.yaml", "--warmup", "-1"), 2, r"^error: --warmup", {"p.yaml": MINI}
    ),
    "bench_zero_frames": Case(
        ("graph", "bench", "{tmp}/p.yaml", "--frames", "0"), 2, r"^error: --frames", {"p.yaml": MINI}
    ),
    "bench_report_under_a_file": Case(
        ("graph", "bench", "{tmp}/p.yaml", "--report", "{tmp}/blocker/r.json"),
        2,
        r"^error: --report .*blocker",
        {"p.yaml": MINI, "blocker": "x"},
    ),
    "show_format_unknown": Case(
        ("graph", "show", "{tmp}/p.yaml", "--format", "svg"),
        2,
        r"^error: jejunet graph show: argument --format: invalid choice",
        {"p.yaml": MINI},
    ),
    "graph_without_action": Case(
        ("graph",),
        2,
        r"^error: jejunet graph: the following arguments are required: ACTION \(see jejunet graph --help\)",
    ),
    "no_command": Case((), 2, r"^error: jejunet: the following arguments are required: COMMAND"),
    "unknown_command": Case(
        ("frobnicate",), 2, r"^error: jejunet: argument COMMAND: invalid choice: 'frobnicate'"
    ),
    "unknown_flag": Case(
        (*VALIDATE, "--bogus"), 2, r"^error: jejunet: unrecognized arguments: --bogus", {"p.yaml": MINI}
    ),
    "argparse_error_subprocess": Case(
        (*RUN, "--max-frames", "-"),
        2,
        r"^error: jejunet graph run: argument --max-frames",
        {"p.yaml": MINI},
        proc=True,
    ),
    # --- a good run prints nothing on stderr (no XNNPACK INFO, no OpenCV warning) ----------------------
    "good_run_is_quiet": Case(
        (
            "graph",
            "run",
            SELFIE,
            "--input",
            "{bikes}",
            "--max-frames",
            "2",
            "--output",
            "{tmp}/out/s.mp4",
            "--quiet",
        ),
        0,
        "",
        proc=True,
    ),
    # --- models ----------------------------------------------------------------------------------------
    "fetch_from_missing_dir": Case(
        ("models", "fetch", "--from", "{tmp}/nowhere"), 2, r"^error: --from .*nowhere: no such folder$"
    ),
    "fetch_from_a_file": Case(
        ("models", "fetch", "--from", "{tmp}/blocker"),
        2,
        r"^error: --from .*blocker: is not a folder$",
        {"blocker": "x"},
    ),
    "fetch_from_dir_without_models": Case(
        ("models", "fetch", "--from", "{tmp}/empty"),
        2,
        r"^error: --from .*empty: has no ",
        {"empty/keep": "x"},
    ),
    "fetch_unknown_model": Case(("models", "fetch", "nosuchmodel"), 2, r"^error: unknown model nosuchmodel"),
    "inspect_missing_file": Case(
        ("model", "inspect", "{tmp}/none.tflite"), 2, r"^error: .*none\.tflite: model file not found"
    ),
    "inspect_noise_file": Case(
        ("model", "inspect", "{tmp}/bad.tflite"),
        2,
        r"^error: .*bad\.tflite: not a valid TFLite model",
        {"bad.tflite": _noise},
        proc=True,
    ),
    "inspect_tiny_file": Case(
        ("model", "inspect", "{tmp}/tiny.tflite"),
        2,
        r"^error: .*tiny\.tflite: not a TFLite model",
        {"tiny.tflite": b"TFL3"},
    ),
    "inspect_good_model_is_quiet": Case(
        ("model", "inspect", "{shared}/models/selfie_segmentation_256.tflite"),
        0,
        "",
        proc=True,
    ),
    "ops_show_unknown": Case(
        ("ops", "show", "decod"), 2, r"^error: unknown op 'decod'; did you mean 'decode'"
    ),
    # --- batch / synth ------------------------------------------------------------------------------
    "batch_missing_input": Case(
        ("batch", SELFIE, "--out", "{tmp}/b", "{tmp}/none.mp4"),
        2,
        r"^error: .*none\.mp4: no such file, folder, glob or manifest",
    ),
    "batch_bad_pipeline": Case(
        ("batch", "{tmp}/p.yaml", "--out", "{tmp}/b", "{bikes}"),
        2,
        LOC + r"YAML tag '!x'",
        {"p.yaml": "nodes: !x []\n"},
    ),
    "batch_engine_unknown": Case(
        ("batch", SELFIE, "--out", "{tmp}/b", "--engine", "spark", "{bikes}"),
        2,
        r"^error: jejunet batch: argument --engine: invalid choice: 'spark'",
    ),
    "synth_missing_masks_flag": Case(
        ("synth", "--images", "{tmp}", "--out", "{tmp}/s"),
        2,
        r"^error: jejunet synth: the following arguments are required: --masks \(see jejunet synth --help\)$",
    ),
    # --- eval / sweep ------------------------------------------------------------------------------------
    "eval_missing_pred_flag": Case(
        ("eval", "--gt", "{tmp}"), 2, r"^error: jejunet eval: the following arguments are required: --pred"
    ),
    "eval_missing_pred_dir": Case(
        ("eval", "--pred", "{tmp}/none", "--gt", "{tmp}/gt"),
        2,
        r"^error: .*none",
        {"gt/000000.png": _png((8, 8))},
    ),
    "eval_size_mismatch": Case(
        ("eval", "--pred", "{tmp}/pred", "--gt", "{tmp}/gt"),
        2,
        r"^error: .*pred/000000\.png: prediction is 8×8, its ground truth .*gt/000000\.png is 16×12",
        {"pred/000000.png": _png((8, 8)), "gt/000000.png": _png((16, 12))},
    ),
    "eval_json_under_a_file": Case(
        ("eval", "--pred", "{tmp}/pred", "--gt", "{tmp}/gt", "--json", "{tmp}/blocker/s.json"),
        2,
        r"^error: .*blocker/s\.json: cannot write --json",
        {"pred/000000.png": _png((8, 8)), "gt/000000.png": _png((8, 8)), "blocker": "x"},
    ),
    "sweep_missing_out_flag": Case(
        ("sweep", "{tmp}/p.yaml"),
        2,
        r"^error: jejunet sweep: the following arguments are required: --out",
        {"p.yaml": MINI},
    ),
    "sweep_bad_pipeline": Case(
        ("sweep", "{tmp}/p.yaml", "--out", "{tmp}/sw"), 2, LOC + r"YAML tag", {"p.yaml": "nodes: !x []\n"}
    ),
    "sweep_rounds_not_a_number": Case(
        ("sweep", "{tmp}/p.yaml", "--out", "{tmp}/sw", "--rounds", "two"),
        2,
        r"^error: jejunet sweep: argument --rounds",
        {"p.yaml": MINI},
    ),
}


def _fill(text: str, tmp: Path) -> str:
    return (
        text.replace("{tmp}", str(tmp))
        .replace("{bikes}", str(SHARED / "media" / "bikes.mp4"))
        .replace("{shared}", str(SHARED))
        .replace("{repo}", str(REPO))
    )


def _make_files(case: Case, tmp: Path) -> None:
    for name, content in case.files.items():
        path = tmp / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if callable(content):
            path.write_bytes(content(tmp))
        elif isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(_fill(content, tmp), encoding="utf-8")


def _tree(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


def _non_root() -> list[str]:
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("root without setpriv: cannot run a case as a non-root user")
    return [setpriv, "--reuid=nobody", "--regid=nogroup", "--clear-groups"]


@pytest.fixture
def folder(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Path]:
    """The case's folder: tmp_path, or for `user` cases a folder `nobody` can read, with `ro/`."""
    case = CASES[request.node.callspec.params["name"]]
    if not case.user:
        yield tmp_path
        return
    base = Path(tempfile.mkdtemp(prefix="jejunet-bad-input-"))
    base.chmod(0o755)
    (base / "ro").mkdir(mode=0o555)
    (base / "ro").chmod(0o555)
    (base / "rw").mkdir()
    (base / "rw").chmod(0o777)
    try:
        yield base
    finally:
        for path in (base, *base.rglob("*")):
            if path.is_dir():
                path.chmod(0o755)
        shutil.rmtree(base, ignore_errors=True)


def _run(case: Case, argv: list[str], tmp: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    if case.proc or case.user:
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        env.pop("JEJUNET_DEBUG", None)
        if case.user:  # its own home: the user's cache, not ours
            env["HOME"] = str(tmp)
            for name in ("JEJUNET_CACHE", "JEJUNET_MODEL_REGISTRY"):
                env.pop(name, None)
        env.update({k: _fill(v, tmp) for k, v in case.env.items()})
        prefix = _non_root() if case.user else []
        done = subprocess.run(
            [*prefix, sys.executable, "-m", "jejunet", *argv],
            cwd=tmp,
            env=env,
            capture_output=True,
            text=True,
            timeout=case.limit_s * 2,
            check=False,
        )
        return done.returncode, done.stderr
    capsys.readouterr()
    cwd = Path.cwd()
    os.chdir(tmp)
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse
        code = int(exc.code or 0)
    finally:
        os.chdir(cwd)
    return code, capsys.readouterr().err


def _params() -> list[object]:
    out = []
    for name, case in CASES.items():
        marks = [pytest.mark.xfail(reason=case.xfail, strict=False)] if case.xfail else []
        out.append(pytest.param(name, marks=marks, id=name))
    return out


def test_catalogue_is_large_and_covers_every_command() -> None:
    assert len(CASES) >= 60
    commands = {c.argv[0] for c in CASES.values() if c.argv} | {" ".join(c.argv[:2]) for c in CASES.values()}
    for needed in (
        "graph validate",
        "graph run",
        "graph show",
        "graph bench",
        "eval",
        "sweep",
        "models fetch",
        "model inspect",
        "ops show",
    ):
        assert needed in commands, needed


@pytest.mark.parametrize("name", _params())
def test_bad_input(name: str, folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    if not (SHARED / "media" / "bikes.mp4").exists():
        pytest.skip("tests read models and media from ../shared")
    case = CASES[name]
    tmp_path = folder
    _make_files(case, tmp_path)
    for relative, mode in case.modes.items():
        (tmp_path / relative).chmod(mode)
    before = _tree(tmp_path)
    argv = [_fill(a, tmp_path) for a in case.argv]
    start = time.monotonic()
    code, err = _run(case, argv, tmp_path, capsys)
    elapsed = time.monotonic() - start
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == case.code, err
    assert "Traceback" not in err, err
    if case.code == 0:
        assert lines == [], err
    else:
        assert lines, "a failed command says why"
        assert re.search(case.first, lines[0]), lines[0]
        assert all(line.startswith("error: ") for line in lines), err  # one line per problem, nothing else
        assert _tree(tmp_path) == before, f"left behind: {sorted(_tree(tmp_path) - before)}"
    assert elapsed < case.limit_s, f"took {elapsed:.1f} s (bound {case.limit_s} s)"


def test_video_write_failure_names_the_target_and_a_plain_reason(tmp_path: Path) -> None:
    """The output folder vanishing mid-run: the message names the user's path, not our .part file."""
    import numpy as np

    from jejunet.errors import MediaError
    from jejunet.ops.encode import VideoWriter

    target = tmp_path / "sub" / "x.mp4"
    writer = VideoWriter(target, 25.0, "libx264", {"preset": "ultrafast"})
    assert not (tmp_path / "sub").exists()  # nothing is made before the first frame
    writer.write(np.zeros((64, 64, 3), np.uint8))
    assert [p.name.endswith(".mp4.part") for p in (tmp_path / "sub").iterdir()] == [True]
    shutil.rmtree(tmp_path / "sub")
    with pytest.raises(MediaError) as info:
        writer.finish()
    message = str(info.value)
    assert message == f"{target}: cannot write the video (no such file or directory)"
    assert not (tmp_path / "sub").exists()
