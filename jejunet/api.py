"""The Python API: load a pipeline, run it on any source, get every frame's labels back.

```python
import jejunet

pipe = jejunet.load("pipelines/deeplab_keyframe.yaml", overrides={"gate.max_gap": 30})
for r in pipe.run("video.mp4"):      # or a camera index, URL, image folder, any iterable of frames
    r.index, r.frame, r.labels, r.probs, r.keyframe
pipe.report                          # the run report, as `graph run --report` writes it
with pipe.open() as session:         # push mode: frames from the caller's own loop
    r = session.process(frame_bgr)
```

Pull mode (`run`) runs the graph as `jejunet graph run` does (threaded executor by default, the
same realtime rule and pacing) and hands each frame's result over as the frame leaves the graph;
push mode (`open`) runs one frame through the whole graph per `process` call. Labels are the
pipeline's final label map at the frame's size: the map `graph run --labels-dir` writes. Sinks in
the pipeline write as usual; a pipeline without sinks is fine. Errors are the CLI's: `UserError`
with the same one-line messages.
"""

from __future__ import annotations

import copy
import json
import queue
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np

from jejunet.errors import UserError
from jejunet.graph.compiler import CompiledGraph, Overrides, compile_data, last_output
from jejunet.graph.execution import EXECUTORS, execute_graph
from jejunet.graph.loader import Positions, load_yaml, parse_yaml
from jejunet.graph.report import RunReport
from jejunet.kinds import LABELS, PROBS
from jejunet.media.sources import attach, check_frame, detach
from jejunet.ops.base import SKIPPED, FrameInfo, RunContext
from jejunet.ops.decode import STOP
from jejunet.ops.upsample import upsample_labels

#: what `Pipeline.run` takes: a path, URL, camera index, or Python frames (see `jejunet ops show decode`)
SourceLike = str | int | Path | Iterable[np.ndarray] | Callable[[], np.ndarray | None]
#: pull mode: how far (in frames) the source may run ahead of the result the caller took last;
#: enough for the frames in flight in the graph, bounded so a slow caller holds back the source
AHEAD = 32


@dataclass(frozen=True)
class Result:
    """One frame's result."""

    #: the frame's index in the stream the source gave (after start / stride)
    index: int
    #: the frame, BGR uint8 H×W×3, as decoded
    frame: np.ndarray
    #: the pipeline's final label map, H×W uint8 at the frame's size (None if it makes none)
    labels: np.ndarray | None
    #: the last class probabilities of the graph on this frame, H×W×C float32 at the model's grid;
    #: None when the model gives none or did not run on this frame (not a keyframe)
    probs: np.ndarray | None
    #: the class id of each channel of `probs` (None with it)
    class_ids: np.ndarray | None
    #: the network ran on this frame
    keyframe: bool
    #: seconds since the start of the stream
    timestamp: float
    #: frames of the source dropped since the previous result (realtime mode drops to keep up)
    dropped: int = 0
    #: the first frame after a live stream's gap (its lost frames are in the report's `gap_frames`)
    gap: bool = False
    #: seconds from capture (the source reading the frame) to this result
    latency_s: float = 0.0
    #: every output of every node on this frame, by "node.port" (SKIPPED ones left out)
    outputs: dict[str, Any] = field(default_factory=dict, repr=False)


def _is_yaml_text(text: str) -> bool:
    return "\n" in text or text.lstrip().startswith("{")


def _override_sets(overrides: Mapping[str, Any] | None) -> list[str]:
    """`{"gate.max_gap": 30}` as the CLI's `--set gate.max_gap=30` (JSON values are YAML)."""
    sets = []
    for key, value in (overrides or {}).items():
        text = value if isinstance(value, str) else json.dumps(value, default=str)
        sets.append(f"{key}={text}")
    return sets


class _Collector:
    """A run hook that turns each finished frame's node outputs into a `Result` for `deliver`."""

    def __init__(self, compiled: CompiledGraph, deliver: Callable[[Result], None]) -> None:
        self.source = compiled.source.id
        self.image = compiled.source.op.outputs[0].name
        self.labels = last_output(compiled, LABELS)  # the map `graph run --labels-dir` writes
        self.probs = last_output(compiled, PROBS)
        self.deliver = deliver
        self.values: dict[int, dict[str, dict[str, Any]]] = {}
        self.lock = threading.Lock()
        self.last_index = -1

    def node_done(self, node: str, frame: int, outputs: dict[str, Any], **_: Any) -> None:
        with self.lock:
            self.values.setdefault(frame, {})[node] = outputs

    def frame_done(
        self, frame: int, info: FrameInfo, start: float, end: float, keyframe: bool, **_: Any
    ) -> None:
        with self.lock:
            values = self.values.pop(frame, {})
            for older in [k for k in self.values if k < frame]:  # dropped frames' partial values
                del self.values[older]
        dropped, self.last_index = frame - self.last_index - 1, frame
        self.deliver(self._result(info, values, keyframe, start, end, dropped))

    def _value(self, values: dict[str, dict[str, Any]], where: tuple[str, str] | None) -> Any:
        if where is None:
            return None
        value = values.get(where[0], {}).get(where[1])
        return None if value is SKIPPED else value

    def _result(
        self,
        info: FrameInfo,
        values: dict[str, dict[str, Any]],
        keyframe: bool,
        start: float,
        end: float,
        dropped: int,
    ) -> Result:
        frame = values[self.source][self.image]
        labels = self._value(values, self.labels)
        if labels is not None:
            labels = upsample_labels(labels, *frame.shape[:2])  # as label_writer does with `like`
        probs = self._value(values, self.probs)
        outputs = {f"{n}.{p}": v for n, ports in values.items() for p, v in ports.items() if v is not SKIPPED}
        return Result(
            index=info.index,
            frame=frame,
            labels=labels,
            probs=None if probs is None else probs.data,
            class_ids=None if probs is None else probs.class_ids,
            keyframe=keyframe,
            timestamp=info.timestamp,
            dropped=dropped,
            gap=info.gap,
            latency_s=end - (info.captured if info.captured is not None else start),
            outputs=outputs,
        )


class _PullRun:
    """A run on its own thread, its results handed to the caller's thread through a queue.

    Back-pressure is at the source (its `frame_started` hook waits while it is `AHEAD` frames
    ahead of the caller), never where the executor holds its lock (`frame_done`).
    """

    def __init__(self, compiled: CompiledGraph, ctx: RunContext, executor: str, realtime: bool) -> None:
        self.compiled, self.ctx, self.executor, self.realtime = compiled, ctx, executor, realtime
        self.stop = ctx.extras[STOP] = threading.Event()
        self.queue: queue.Queue[Result | BaseException | None] = queue.Queue()
        self.report: RunReport | None = None
        self._taken = -1  # index of the latest result the caller took
        self._cond = threading.Condition()

    def frame_started(self, frame: int, **_: Any) -> None:
        """Hook: hold the source back while the caller is far behind."""
        with self._cond:
            while frame - self._taken > AHEAD and not self.stop.is_set():
                self._cond.wait(0.1)

    def _took(self, index: int) -> None:
        with self._cond:
            self._taken = index
            self._cond.notify_all()

    def _body(self) -> None:
        hooks = [self, _Collector(self.compiled, self.queue.put)]
        try:
            self.report = execute_graph(
                self.compiled, self.ctx, executor=self.executor, realtime=self.realtime, hooks=hooks
            )
            self.queue.put(None)
        except BaseException as exc:  # noqa: BLE001 - raised on the caller's thread
            self.queue.put(exc)

    def results(self) -> Iterator[Result]:
        thread = threading.Thread(target=self._body, name="jejunet-run", daemon=True)
        thread.start()
        try:
            while (item := self.queue.get()) is not None:
                if isinstance(item, BaseException):
                    raise item
                self._took(item.index)
                yield item
        finally:
            self.stop.set()  # the caller left early (or the run ended): the source ends its stream
            self._took(self._taken)  # wake the source
            self._drain(thread)

    def _drain(self, thread: threading.Thread) -> None:
        """Let the run finish the frames in flight (their results are dropped); raise its error."""
        error = None
        while thread.is_alive() or not self.queue.empty():
            try:
                item = self.queue.get(timeout=0.1)
            except queue.Empty:
                continue
            error = item if isinstance(item, BaseException) else error
        thread.join()
        if error is not None:
            raise error


class Pipeline:
    """A validated pipeline, ready to run on any source (made by `load`)."""

    def __init__(self, data: Any, positions: Positions, file: Path | None, sets: list[str]) -> None:
        self._data, self._positions, self.file, self._sets = data, positions, file, sets
        self.compiled = self._compile()
        #: the report of the latest run (`run` or `open`), None before the first
        self.report: RunReport | None = None

    @property
    def name(self) -> str:
        return self.compiled.spec.name or str(self.file or "<pipeline>")

    def __repr__(self) -> str:
        return f"<jejunet.Pipeline {self.name!r}: {len(self.compiled.nodes)} nodes>"

    def _compile(self, source: Any = None, source_params: dict[str, Any] | None = None) -> CompiledGraph:
        overrides = Overrides(sets=list(self._sets), input=source, source_params=source_params or {})
        return compile_data(copy.deepcopy(self._data), self._positions, self.file, overrides)

    def _context(self) -> RunContext:
        return RunContext(pipeline_file=self.file)

    def run(
        self,
        source: SourceLike | None = None,
        *,
        realtime: bool | None = None,
        executor: str = "threaded",
        max_frames: int | None = None,
    ) -> Iterator[Result]:
        """Run on `source` (default: the pipeline's own): an iterator of each frame's `Result`, in order.

        `source`: a video file or URL, an image folder or glob, a camera index, or Python frames (an
        iterable of BGR uint8 H×W×3 arrays, a callable returning the next one or None, an object
        with `read() -> (ok, frame)`). Realtime as in `graph run`: asked for (`realtime=True`, a file
        is then paced at its frame rate), or a live source, or `mode: realtime` in the file; frames
        are then dropped to keep up and `Result.dropped` says how many. Leaving the loop early ends
        the source: the frames in flight finish and sinks commit, as with `--max-frames`.
        """
        if executor not in EXECUTORS:
            raise UserError(f"executor: expected one of {', '.join(EXECUTORS)}, got {executor!r}")
        token = None
        if source is not None and not isinstance(source, str | int | Path):
            token = source = attach(source)
        try:
            params = {"max_frames": max_frames} if max_frames is not None else {}
            compiled = self._compile(str(source) if isinstance(source, Path) else source, params)
        except BaseException:
            if token is not None:
                detach(token)
            raise
        results = self._pull(compiled, realtime, executor, token)
        if token is not None:  # a run never iterated does not keep the caller's frames attached
            weakref.finalize(results, detach, token)
        return results

    def _pull(
        self, compiled: CompiledGraph, realtime: bool | None, executor: str, token: str | None
    ) -> Iterator[Result]:
        run = _PullRun(compiled, self._context(), executor, bool(realtime))  # as `graph run --realtime`
        try:
            yield from run.results()
        finally:
            self.report = run.report
            if token is not None:
                detach(token)

    def open(self, *, fps: float = 25.0) -> Session:
        """A push-mode session: `with pipe.open() as s: r = s.process(frame)` (see `Session`)."""
        return Session(self, fps)


class Session:
    """Push mode: each `process(frame)` runs one frame through the whole graph and returns its result.

    The pipeline's source is replaced by the frames given; `fps` stamps their timestamps when none
    is given. Sinks commit when the `with` block ends normally and are removed when it ends with an
    error; an error inside `process` ends the session (as it ends a run).
    """

    def __init__(self, pipeline: Pipeline, fps: float) -> None:
        if not fps > 0:
            raise UserError(f"fps: expected a positive number, got {fps}")
        self.pipeline, self.fps = pipeline, fps
        self._token = ""  # the source's value, attached while the session is open
        self._index = 0
        self._result: Result | None = None
        self._session: Any = None

    def __enter__(self) -> Session:
        from jejunet.graph.session import RunSession

        self._token = attach(())
        try:
            compiled = self.pipeline._compile(self._token, {"fps": self.fps})
            session = RunSession(compiled, self.pipeline._context(), hooks=[_Collector(compiled, self._keep)])
            self._image = compiled.source.op.outputs[0].name
            session.open()
        except BaseException:
            detach(self._token)
            raise
        self._session = session
        return self

    def _keep(self, result: Result) -> None:
        self._result = result

    def process(self, frame: np.ndarray, timestamp: float | None = None) -> Result:
        """Run `frame` (BGR uint8 H×W×3) through the graph; its result."""
        if self._session is None:
            raise UserError("session: not open (use `with pipeline.open() as session:`)")
        check_frame(frame, self._index, "process")
        index = self._index
        when = index / self.fps if timestamp is None else float(timestamp)
        info = FrameInfo(index, when, captured=time.perf_counter())
        self._result = None
        try:
            self._session.step(info, {self._image: frame})
        except BaseException:
            self._session = None  # the run session aborted itself
            raise
        self._index += 1
        assert self._result is not None
        return self._result

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        session, self._session = self._session, None
        try:
            if session is not None:
                if exc is None:
                    self.pipeline.report = session.close()
                else:
                    session.abort()
        finally:
            detach(self._token)


def load(pipeline: str | Path | Mapping[str, Any], overrides: Mapping[str, Any] | None = None) -> Pipeline:
    """A validated pipeline from a file path, YAML text or a dict; `overrides` as `--set` does.

    `overrides={"gate.max_gap": 30}` is `--set gate.max_gap=30`. Problems raise `UserError` with
    the CLI's one-line messages (file, line, node, field).
    """
    file: Path | None = None
    if isinstance(pipeline, Mapping):
        data, positions = copy.deepcopy(dict(pipeline)), {}
    elif isinstance(pipeline, str) and _is_yaml_text(pipeline):
        data, positions = parse_yaml(pipeline, "<yaml>")
    elif isinstance(pipeline, str | Path):
        file = Path(pipeline)
        data, positions = load_yaml(file)
    else:
        raise UserError(f"jejunet.load: expected a path, YAML text or a dict, got {type(pipeline).__name__}")
    return Pipeline(data, positions, file, _override_sets(overrides))
