"""The operator contract: parameters (pydantic), ports (data) and open / process / close.

The contract is read by the validator, the CLI and the Android compiler without running anything;
the work of an operator lives in a pure kernel function next to it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

from jejunet.kinds import UNKNOWN, Kind, Shape


@dataclass(frozen=True)
class Port:
    """A named input or output of an operator, with the kind of data it carries."""

    name: str
    kind: Kind
    doc: str = ""
    optional: bool = False
    #: inputs only: the operator is called even when this input carries SKIPPED
    skippable: bool = False


@dataclass(frozen=True)
class FrameInfo:
    """What travels with every frame: its index in the stream and its timestamp in seconds."""

    index: int
    timestamp: float
    #: the source file's stem for image sequences (e.g. "2011_000003"), else None
    name: str | None = None
    #: the first frame after a live source lost frames (a reconnect): gates make it a keyframe (API, issue 15)
    gap: bool = False
    #: time.perf_counter() when the source captured the frame, for capture-to-output latency (API, issue 15)
    captured: float | None = None
    #: for a node's feedback and delayed inputs (`previous: true`, `delay: N`): input name → the
    #: frame the value it gets on this frame belongs to (absent when it gets none: SKIPPED).
    #: Offline that is t − delay; realtime, whichever frame the producer finished last.
    origins: Mapping[str, int] = field(default_factory=dict, compare=False)


class Skipped:
    """Marker on a stream for a frame on which an upstream node did not produce data.

    The scheduler passes it on: an operator that does not accept it is not called, and its
    outputs carry the marker, so a gated-off frame still flows through the whole graph.
    """

    _instance: ClassVar[Skipped | None] = None

    def __new__(cls) -> Skipped:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "SKIPPED"

    def __bool__(self) -> bool:
        return False


SKIPPED = Skipped()


class Params(BaseModel):
    """Base of every operator's parameters: unknown fields are errors, values are immutable and finite."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


@dataclass
class RunContext:
    """What a running graph tells its operators when they open.

    The run session opens the nodes in run order, the source first, so a node sees what the nodes
    before it set here (`fps`, set by the source); nothing else is written during a run.
    """

    pipeline_file: Path | None = None
    realtime: bool = False
    #: frames per second of the source, set by the source when it opens
    fps: float | None = None
    extras: dict[str, Any] = field(default_factory=dict)


class ShapeCheck:
    """Outcome of an operator's static check: output shapes, and problems by field."""

    def __init__(self) -> None:
        self.outputs: dict[str, Shape] = {}
        self.problems: list[tuple[str | None, str]] = []

    def problem(self, field_name: str | None, message: str) -> None:
        self.problems.append((field_name, message))


class Operator:
    """Base class of operators. Subclasses declare `name`, `Params`, `inputs`, `outputs`."""

    name: ClassVar[str]
    summary: ClassVar[str] = ""
    Params: ClassVar[type[Params]] = Params
    inputs: ClassVar[tuple[Port, ...]] = ()
    outputs: ClassVar[tuple[Port, ...]] = ()
    #: the node produces frames (it has no inputs and implements `frames`)
    is_source: ClassVar[bool] = False
    #: the parameter holding the node's file or folder, and its role: "source" (`--input`
    #: replaces it), "video" (`--output` replaces it) or "labels"
    path_param: ClassVar[str | None] = None
    path_role: ClassVar[str | None] = None
    #: the node runs the neural network (counted as a keyframe in the run report)
    runs_network: ClassVar[bool] = False
    #: the operator is called even when any input carries SKIPPED (per input: `Port.skippable`)
    accepts_skipped: ClassVar[bool] = False
    #: process() depends only on the frame's inputs (nothing kept between frames), so the threaded
    #: executor may run several instances of the node on different frames at once (`workers`)
    stateless: ClassVar[bool] = False

    @classmethod
    def called_on(cls, inputs: Mapping[str, Any]) -> bool:
        """The scheduling rule: not called when an input it does not take SKIPPED on carries SKIPPED."""
        if cls.accepts_skipped:
            return True
        skippable = {port.name for port in cls.inputs if port.skippable}
        return not any(value is SKIPPED for name, value in inputs.items() if name not in skippable)

    def __init__(self, params: Params, node_id: str = "") -> None:
        self.params = params
        self.node_id = node_id

    # --- static contract -------------------------------------------------------------------
    @classmethod
    def check_delays(cls, params: Params, delays: Mapping[str, int], mode: str) -> list[tuple[str, str]]:
        """Problems (field, message) with how late the node's inputs arrive, without running.

        `delays`: every connected input → its edge's delay (0 forward, 1 `previous: true`, N
        `delay: N`); `mode`: the file's (`offline` / `realtime`). Default: none.
        """
        return []

    @classmethod
    def check(cls, params: Params, inputs: Mapping[str, Shape], base_dir: Path | None = None) -> ShapeCheck:
        """Propagate shapes from inputs to outputs and report inconsistencies, without running.

        `base_dir` is the pipeline file's folder, for parameters that name files.

        Default: every spatial output has the shape of the first connected spatial input.
        """
        result = ShapeCheck()
        shape = next((s for s in inputs.values()), UNKNOWN)
        for port in cls.outputs:
            result.outputs[port.name] = shape if port.kind.spatial else UNKNOWN
        return result

    # --- life cycle --------------------------------------------------------------------------
    def open(self, ctx: RunContext) -> None:
        """Acquire resources (files, models). Called once before the first frame."""

    def frames(self) -> Iterator[tuple[FrameInfo, dict[str, Any]]]:
        """Sources only: yield (frame info, outputs) until the end of the stream."""
        raise NotImplementedError

    def process(self, info: FrameInfo, **inputs: Any) -> dict[str, Any]:
        """Consume one frame's inputs and return its outputs by port name."""
        raise NotImplementedError

    def close(self) -> None:
        """End of stream after success: flush and commit outputs."""

    # --- what a run reports and records (read after `open`) -----------------------------------
    def run_info(self) -> dict[str, Any]:
        """What the run report says about this node (e.g. its delegate); `keyframe_reasons` is lifted
        into the report's own key."""
        return {}

    def model_file(self) -> Path | None:
        """The model file this node runs (its SHA-256 goes into the run report), if it runs one."""
        return None

    def network_io(self, inputs: Mapping[str, Any]) -> tuple[Any, Any] | None:
        """Network nodes, right after `process(inputs)`: (the input tensor it fed, the raw output
        tensor), for replay fixtures; None for other nodes."""
        return None

    def abort(self) -> None:
        """End of stream after a failure: release resources, remove partial outputs."""
        self.close()
