"""`graph record`: golden fixtures for the Android parity tests, from a real run of the host graph.

Every node's outputs on every frame are saved (one compressed .npz per frame, entries
`node.port`), and `fixtures.json` says, per frame and node, whether the node ran and which
recorded values fed it. For model nodes the exact input tensor and the raw output tensor are
saved too (`node.@input`, `node.@output`), so the Java runtime replays the network call.
Host-only sinks (video and label writers) are left out: they have nothing to compare.
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
from jejunet.graph.scheduler import run_graph
from jejunet.kinds import Probs
from jejunet.models.runtime import preprocess
from jejunet.ops.base import SKIPPED, Operator, RunContext

FIXTURES = "fixtures.json"


def _without_host_sinks(compiled: CompiledGraph) -> CompiledGraph:
    data = compiled.spec.model_dump(by_alias=True)
    sinks = {nid for nid, n in compiled.nodes.items() if n.op.path_role in ("video", "labels")}
    data["nodes"] = [n for n in data["nodes"] if n["id"] not in sinks]
    return compile_data(data, {}, compiled.file)


def _arrays(key: str, value: Any) -> dict[str, np.ndarray]:
    if isinstance(value, Probs):
        return {f"{key}.data": value.data.astype(np.float32), f"{key}.class_ids": value.class_ids}
    if isinstance(value, np.ndarray):
        return {key: value}
    raise UserError(f"cannot record a value of type {type(value).__name__} for {key}")


class _Recorder:
    """Collects what the recording operators see, frame by frame."""

    def __init__(self) -> None:
        self.arrays: dict[str, np.ndarray] = {}
        self.called: list[str] = []

    def start_frame(self) -> None:
        self.arrays, self.called = {}, []


def _recording(op: type[Operator], recorder: _Recorder) -> type[Operator]:
    def process(self: Operator, info: Any, **inputs: Any) -> dict[str, Any]:
        outputs = op.process(self, info, **inputs)
        recorder.called.append(self.node_id)
        if op.runs_network and hasattr(self, "model"):
            # the op's own call just ran: its output tensor is still in the interpreter
            interpreter = self.model.interpreter
            recorder.arrays[f"{self.node_id}.@output"] = interpreter.get_tensor(
                self.model.output_index
            ).copy()
            recorder.arrays[f"{self.node_id}.@input"] = preprocess(self.model, inputs["image"])
        for port, value in outputs.items():
            if value is not SKIPPED:  # a SKIPPED output is recorded by its absence
                recorder.arrays.update(_arrays(f"{self.node_id}.{port}", value))
        return outputs

    return type(f"Recording{op.__name__}", (op,), {"process": process})


def _recording_source(op: type[Operator], recorder: _Recorder) -> type[Operator]:
    def frames(self: Operator) -> Any:
        for info, outputs in op.frames(self):
            recorder.start_frame()
            for port, value in outputs.items():
                recorder.arrays.update(_arrays(f"{self.node_id}.{port}", value))
            yield info, outputs

    return type(f"Recording{op.__name__}", (op,), {"frames": frames})


def record_fixtures(
    file: Path, out: Path, frames: int, input: str | None, start: int = 0, sets: list[str] | None = None
) -> str:
    """Run the pipeline on `frames` frames of `input` and write fixtures into `out`; a summary line."""
    overrides = Overrides(
        sets=list(sets or []), input=input, source_params={"max_frames": frames, "start": start}
    )
    compiled = _without_host_sinks(compile_file(file, overrides))
    recorder = _Recorder()
    for node in compiled.nodes.values():
        wrap = _recording_source if node.op.is_source else _recording
        node.op = wrap(node.op, recorder)
    work = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=_parent(out)))
    index: list[dict[str, Any]] = []

    def on_frame(report: Any) -> None:
        number = len(index)
        np.savez_compressed(work / f"frame_{number:04d}.npz", **recorder.arrays)
        index.append({"frame": number, "ran": list(recorder.called)})

    try:
        report = run_graph(compiled, RunContext(pipeline_file=file), on_frame)
        document = {
            "pipeline": compiled.spec.name or file.stem,
            "input": str(input) if input else None,
            "start": start,
            "frames": index,
            "nodes": [
                {
                    "id": nid,
                    "op": compiled.nodes[nid].op.name,
                    "params": compiled.nodes[nid].params.model_dump(mode="json"),
                    "inputs": {
                        port: {"from": e.source, "previous": e.previous}
                        for port, e in compiled.nodes[nid].inputs.items()
                    },
                }
                for nid in compiled.order
            ],
            "keyframes": report.keyframe_frames,
            "runtime": report.runtime,
        }
        (work / FIXTURES).write_text(json.dumps(document, indent=1) + "\n")
        if out.exists():
            if not (out / FIXTURES).is_file():
                raise UserError(f"{out}: exists and holds no fixtures; give a new or empty folder")
            shutil.rmtree(out)
        work.rename(out)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return f"recorded {len(index)} frames of {file} into {out} ({report.keyframes} keyframes)"


def _parent(out: Path) -> Path:
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"{out.parent}: cannot create the folder ({exc.strerror})") from None
    return out.parent
