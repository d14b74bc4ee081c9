"""The one place the batch calls into the graph package: compile a pipeline and run one video.

Everything else in `jejunet.batch` goes through this module, so a change of the graph's run API
(compile, overrides, executor) is adapted here alone. A video runs exactly as
`jejunet graph run PIPELINE --input SRC --output .../overlay.mp4 --labels-dir .../labels` would:
the same overrides, the same label writer, the same default (threaded) executor.
"""

from __future__ import annotations

import typing
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jejunet.graph.compiler import CompiledGraph, Overrides, compile_file, with_label_writer
from jejunet.graph.execution import execute_graph
from jejunet.ops.base import RunContext

#: called with the number of frames done so far in the running video
FrameProgress = Callable[[int], None]


@dataclass(frozen=True)
class Gate:
    """A keyframe gate's policies, as far as chunking cares."""

    interval: int | None
    max_gap: int
    content_policies: bool  # motion, object motion, scene cut or a time budget can fire

    def period(self) -> int | None:
        """Keyframes every `period` frames whatever the content, or None when content decides."""
        if self.content_policies:
            return None
        return min(self.interval, self.max_gap) if self.interval else self.max_gap


@dataclass(frozen=True)
class PipelineInfo:
    """What the batch needs to know about a validated pipeline."""

    file: Path
    sets: tuple[str, ...]
    video_sinks: tuple[str, ...]  # node ids of the video sinks, the first is overlay.mp4
    label_sinks: tuple[str, ...]  # node ids of label writers already in the pipeline
    start: int
    stride: int
    max_frames: int | None
    gates: tuple[Gate, ...]
    stateful: bool  # a node other than sources, sinks and gates keeps state between frames

    def chunks_exact(self, chunk_frames: int) -> bool:
        """Chunks of `chunk_frames` give the unchunked labels (every chunk start is a keyframe anyway)."""
        if not self.gates:
            return not self.stateful
        periods = [g.period() for g in self.gates]
        return all(p is not None and chunk_frames % p == 0 for p in periods)


def _switched_on(params: Any) -> bool:
    """A content policy of the gate is on: a `bool` that is true, or an optional setting (`None`:
    off, the gate's convention) that is set, other than `interval`. Read from the parameters'
    fields, so a policy added to the gate later counts without a change here."""
    for name, info in type(params).model_fields.items():
        value = getattr(params, name)
        if name == "interval":
            continue
        if isinstance(value, bool):
            if value:
                return True
        elif value is not None and type(None) in typing.get_args(info.annotation):
            return True
    return False


def _gate(params: Any) -> Gate:
    return Gate(params.interval, params.max_gap, _switched_on(params))


def inspect(file: Path, sets: list[str]) -> PipelineInfo:
    """Compile (validate) the pipeline with the user's --set values; UserError when it is bad."""
    compiled = compile_file(file, Overrides(sets=list(sets)))
    nodes = [compiled.nodes[n] for n in compiled.order]
    source = compiled.source.params
    gates = tuple(_gate(n.params) for n in nodes if n.op.name == "keyframe_gate")
    stateful = any(
        not (n.op.stateless or n.op.is_source or n.op.path_role or n.op.name == "keyframe_gate")
        for n in nodes
    )
    return PipelineInfo(
        file=file,
        sets=tuple(sets),
        video_sinks=tuple(n.id for n in nodes if n.op.path_role == "video"),
        label_sinks=tuple(n.id for n in nodes if n.op.path_role == "labels"),
        start=int(getattr(source, "start", 0)),
        stride=int(getattr(source, "stride", 1)),
        max_frames=getattr(source, "max_frames", None),
        gates=gates,
        stateful=stateful,
    )


def warm(info: PipelineInfo) -> None:
    """Load what every video needs once per worker: operator modules, the pipeline, model signatures."""
    compile_file(info.file, Overrides(sets=list(info.sets)))


def _compile_for(
    info: PipelineInfo, source: str, folder: Path, start: int | None, max_frames: int | None
) -> CompiledGraph:
    """The pipeline on `source`, every file output inside `folder`, plus the labels writer."""
    sets = list(info.sets)
    for i, node_id in enumerate(info.video_sinks):
        sets.append(f"{node_id}.path={folder / ('overlay.mp4' if i == 0 else node_id + '.mp4')}")
    for node_id in info.label_sinks:
        sets.append(f"{node_id}.dir={folder / ('labels_' + node_id)}")
    source_params: dict[str, Any] = {}
    if start is not None:
        source_params["start"] = start
    if max_frames is not None:
        source_params["max_frames"] = max_frames
    overrides = Overrides(sets=sets, input=source, source_params=source_params)
    return with_label_writer(compile_file(info.file, overrides), str(folder / "labels"))


def run_video(
    info: PipelineInfo,
    source: str,
    folder: Path,
    *,
    start: int | None = None,
    max_frames: int | None = None,
    progress: FrameProgress | None = None,
) -> dict[str, Any]:
    """Run one video (or a chunk of one) with the default executor; returns the run report's dict.

    Writes `folder/labels/`, `folder/overlay.mp4` (when the pipeline has a video sink) and
    `folder/report.json`. Raises UserError (e.g. MediaError for a corrupt video) on failure.
    """
    compiled = _compile_for(info, source, folder, start, max_frames)
    hook = (lambda report: progress(report.frames)) if progress is not None else None
    report = execute_graph(compiled, RunContext(pipeline_file=info.file), hook)
    report.write(folder / "report.json")
    return report.to_dict()
