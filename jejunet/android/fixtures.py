"""`graph record`: golden fixtures for the Android parity tests, from a real run of the host graph.

Every node's outputs on every frame are saved (one compressed .npz per frame, entries
`node.port`), and `fixtures.json` says, per frame and node, whether the node ran and which
recorded values fed it. For model nodes the exact input tensor and the raw output tensor are
saved too (`node.@input`, `node.@output`), so the Java runtime replays the network call.
Host-only sinks (video and label writers) are left out: they have nothing to compare.

Each keyframe gate with the prediction-error policy is also replayed, on the same inputs, with
the settings of `GATE_VARIANTS` (its own, and with the occlusion signal on): `gate_variants` in
fixtures.json holds their keyframes and the integer prediction error of every frame, so the
Java gate is checked on settings the shipped pipelines leave off.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from jejunet.errors import UserError
from jejunet.graph.compiler import CompiledGraph, Overrides, compile_data, compile_file
from jejunet.graph.report import RunReport
from jejunet.graph.scheduler import run_graph
from jejunet.kinds import Probs
from jejunet.ops.base import SKIPPED, FrameInfo, Operator, RunContext

FIXTURES = "fixtures.json"
#: gate settings replayed beside each prediction-error gate (over its own parameters)
GATE_VARIANTS: tuple[dict[str, Any], ...] = (
    {},
    {"occlusion_units": 4},
    {"occlusion_units": 2, "prediction_threshold": 1.0, "motion_threshold": 30.0},
)


def without_host_sinks(compiled: CompiledGraph) -> CompiledGraph:
    """The pipeline without its video and label writers (the phone has its own outputs)."""
    data = compiled.spec.model_dump(by_alias=True)
    sinks = {node.id for node, _ in compiled.file_sinks()}
    data["nodes"] = [n for n in data["nodes"] if n["id"] not in sinks]
    return compile_data(data, {}, compiled.file)


def _arrays(key: str, value: Any) -> dict[str, np.ndarray]:
    if isinstance(value, Probs):
        return {f"{key}.data": value.data.astype(np.float32), f"{key}.class_ids": value.class_ids}
    if isinstance(value, np.ndarray):
        return {key: value}
    raise UserError(f"cannot record a value of type {type(value).__name__} for {key}")


class GateVariants:
    """Fresh keyframe gates with other settings, fed the inputs a recorded gate node was given."""

    def __init__(self, op: Operator) -> None:
        base = op.params.model_dump()
        self.gates = []
        for change in GATE_VARIANTS:
            gate = type(op)(type(op.params)(**{**base, **change}), op.node_id)
            gate.open(RunContext())
            self.gates.append(gate)
        self.keyframes: list[list[int]] = [[] for _ in self.gates]
        self.errors: list[list[list[int] | None]] = [[] for _ in self.gates]

    def feed(self, info: FrameInfo, number: int, inputs: dict[str, Any]) -> None:
        for k, gate in enumerate(self.gates):
            if gate.process(info, **inputs)["image"] is not SKIPPED:
                self.keyframes[k].append(number)
            error = gate.last_error
            self.errors[k].append(None if error is None else [error.num, error.den])

    def document(self) -> list[dict[str, Any]]:
        return [
            {"params": gate.params.model_dump(mode="json"), "keyframes": keys, "errors": errors}
            for gate, keys, errors in zip(self.gates, self.keyframes, self.errors, strict=True)
        ]


class Recorder:
    """A run hook: what every node gave on every frame, one .npz per frame in `work`; the index of
    which nodes ran (`frames`); the gate variants' decisions (`variants`)."""

    def __init__(self, work: Path) -> None:
        self.work = work
        self.frames: list[dict[str, Any]] = []
        self.arrays: dict[str, np.ndarray] = {}
        self.called: list[str] = []
        self.variants: dict[str, GateVariants] = {}

    def frame_started(self, **_: Any) -> None:
        self.arrays, self.called = {}, []

    def node_done(
        self,
        node: str,
        op: Operator,
        inputs: dict[str, Any],
        outputs: dict[str, Any],
        info: FrameInfo,
        **_: Any,
    ) -> None:
        if not op.is_source:
            self.called.append(node)
        if op.name == "keyframe_gate" and op.params.prediction_threshold is not None:  # type: ignore[attr-defined]
            self.variants.setdefault(node, GateVariants(op)).feed(info, len(self.frames), inputs)
        tensors = op.network_io(inputs)  # the network's exact input and raw output, for replay
        if tensors is not None:
            self.arrays[f"{node}.@output"], self.arrays[f"{node}.@input"] = tensors[1], tensors[0]
        for port, value in outputs.items():
            if value is not SKIPPED:  # a SKIPPED output is recorded by its absence
                self.arrays.update(_arrays(f"{node}.{port}", value))

    def frame_done(self, **_: Any) -> None:
        number = len(self.frames)
        np.savez_compressed(self.work / f"frame_{number:04d}.npz", **self.arrays)
        self.frames.append({"frame": number, "ran": list(self.called)})


def _document(
    compiled: CompiledGraph, file: Path, input: str | None, start: int, recorder: Recorder, report: RunReport
) -> dict[str, Any]:
    return {
        "pipeline": compiled.spec.name or file.stem,
        "input": str(input) if input else None,
        "start": start,
        "frames": recorder.frames,
        "nodes": [
            {
                "id": nid,
                "op": compiled.nodes[nid].op.name,
                "params": compiled.nodes[nid].params.model_dump(mode="json"),
                "inputs": {
                    port: {
                        "from": e.source,
                        "previous": e.previous,
                        **({"delay": e.delay} if e.delay > 1 else {}),
                    }
                    for port, e in compiled.nodes[nid].inputs.items()
                },
            }
            for nid in compiled.order
        ],
        "keyframes": report.keyframe_frames,
        "runtime": report.runtime,
        "gate_variants": {node: variants.document() for node, variants in recorder.variants.items()},
    }


def record_fixtures(
    file: Path, out: Path, frames: int, input: str | None, start: int = 0, sets: list[str] | None = None
) -> str:
    """Run the pipeline on `frames` frames of `input` and write fixtures into `out`; a summary line."""
    overrides = Overrides(
        sets=list(sets or []), input=input, source_params={"max_frames": frames, "start": start}
    )
    compiled = without_host_sinks(compile_file(file, overrides))
    work = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=_parent(out)))
    recorder = Recorder(work)
    try:
        report = run_graph(compiled, RunContext(pipeline_file=file), hooks=[recorder])
        document = _document(compiled, file, input, start, recorder, report)
        (work / FIXTURES).write_text(json.dumps(document, indent=1) + "\n")
        if out.exists():
            if not (out / FIXTURES).is_file():
                raise UserError(f"{out}: exists and holds no fixtures; give a new or empty folder")
            shutil.rmtree(out)
        work.rename(out)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return f"recorded {len(recorder.frames)} frames of {file} into {out} ({report.keyframes} keyframes)"


def _parent(out: Path) -> Path:
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"{out.parent}: cannot create the folder ({exc.strerror})") from None
    return out.parent
