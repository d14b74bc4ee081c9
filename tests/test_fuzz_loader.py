"""Property-based fuzz of the pipeline loader and compiler: only the project's UserError may escape.

Three generators: YAML-ish text from fragments (tags, anchors, aliases, merge keys, flow and block
syntax, odd characters), pipeline-shaped structures with values of every type dumped as YAML, and
command-line overrides (--set, --input, --output) on those. Examples are bounded and derandomized,
so the run is the same in CI and takes a few seconds.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jejunet.errors import UserError
from jejunet.graph.compiler import Overrides, compile_data
from jejunet.graph.loader import parse_yaml
from jejunet.ops.registry import all_operators

FUZZ = settings(
    max_examples=250,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
OPS = sorted(all_operators())
PARAMS = sorted({name for op in all_operators().values() for name in op.Params.model_fields})
PORTS = sorted({p.name for op in all_operators().values() for p in (*op.inputs, *op.outputs)})

FRAGMENTS = [
    "nodes:",
    "\n",
    "\n  ",
    "\n  - ",
    "- ",
    ": ",
    ", ",
    "{",
    "}",
    "[",
    "]",
    "id: ",
    "op: ",
    "params: ",
    "inputs: ",
    "workers: ",
    "version: 1",
    "mode: ",
    "&a ",
    "*a",
    "&b ",
    "*b",
    "<<: ",
    "<<: *a",
    "!!int ",
    "!!str ",
    "!!float ",
    "!!bool ",
    "!!null ",
    "!!python/object:os.system ",
    "!x ",
    "!!map ",
    "!!seq ",
    "!!binary ",
    "? ",
    "---\n",
    "...\n",
    "'",
    '"',
    "#",
    "|\n  ",
    ">\n  ",
    "~",
    "null",
    "true",
    "yes",
    "0x1F",
    "1e3",
    ".inf",
    ".nan",
    "-1",
    "0",
    "99999999999999999999",
    "source.image",
    "a.b",
    "source",
    "\t",
    "\x07",
    "é",
    "\ufeff",
    "%YAML 1.2\n",
    "%TAG ! tag:x,2000:\n",
    "previous: true",
    "queue: {size: 0}",
    *(f"{op}" for op in OPS),
    *(f"{p}: " for p in PARAMS[:20]),
    *(f"{p}" for p in PORTS),
]
yaml_text = st.lists(st.sampled_from(FRAGMENTS) | st.text(max_size=4), max_size=40).map("".join)

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**20), max_value=10**20)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=12)
    | st.sampled_from([*OPS, *PARAMS, *PORTS, "source.image", "sample", "a.b.c", ".", ""])
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=8,
)
node = st.fixed_dictionaries(
    {"id": st.sampled_from(["source", "a", "b", "sink"]) | values, "op": st.sampled_from(OPS) | values},
    optional={
        "params": st.dictionaries(st.sampled_from(PARAMS) | st.text(max_size=5), values, max_size=4) | values,
        "inputs": st.dictionaries(
            st.sampled_from(PORTS) | st.text(max_size=5),
            st.sampled_from(["source.image", "a.labels", "b.probs", "a.image", "x"])
            | st.fixed_dictionaries({"from": values}, optional={"previous": values, "queue": values})
            | values,
            max_size=3,
        )
        | values,
        "workers": values,
        "extra": values,
    },
)
pipeline = (
    st.fixed_dictionaries(
        {"nodes": st.lists(node, max_size=5) | values},
        optional={
            "version": values,
            "name": values,
            "mode": st.sampled_from(["offline", "realtime"]) | values,
        },
    )
    | values
)
overrides = st.builds(
    Overrides,
    sets=st.lists(
        st.tuples(
            st.sampled_from(["source", "a", "b", "sink", ""]), st.sampled_from(PARAMS), st.text(max_size=10)
        ).map(lambda t: f"{t[0]}.{t[1]}={t[2]}")
        | st.text(max_size=10),
        max_size=3,
    ),
    input=st.none() | st.text(max_size=10),
    output=st.none() | st.text(max_size=10),
)


def _compile(text: str, extra: Overrides | None = None) -> None:
    try:
        data, positions = parse_yaml(text, "fuzz.yaml")
        compile_data(data, positions, Path("fuzz.yaml"), extra)
    except UserError as exc:
        assert exc.problems and all(str(p) for p in exc.problems)


@FUZZ
@given(yaml_text)
def test_yaml_text_gives_data_or_a_user_error(text: str) -> None:
    _compile(text)


@FUZZ
@given(pipeline)
def test_pipeline_structures_give_a_graph_or_a_user_error(data: Any) -> None:
    _compile(yaml.safe_dump(data, allow_unicode=True))


@FUZZ
@given(pipeline, overrides)
def test_overrides_on_any_structure_give_a_graph_or_a_user_error(data: Any, extra: Overrides) -> None:
    _compile(yaml.safe_dump(data, allow_unicode=True), extra)
