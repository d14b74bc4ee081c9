"""`jejunet batch`: plan the tasks (resume, chunks), run them on an engine, stitch, write the summary."""

from __future__ import annotations

import importlib.util
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jejunet.batch import chunks, graphrun, layout
from jejunet.batch.engine import Engine, LocalEngine
from jejunet.batch.inputs import Video, expand_inputs
from jejunet.batch.probe import count_frames
from jejunet.batch.progress import BatchProgress
from jejunet.batch.summary import totals, write_summary
from jejunet.batch.task import Result, Task
from jejunet.errors import UserError
from jejunet.media.atomic import prepare_output_dir
from jejunet.media.sources import emitted_count

ENGINES = ("local", "ray")


@dataclass
class BatchOptions:
    pipeline: Path
    inputs: list[str]
    out: Path
    engine: str = "local"
    address: str | None = None
    workers: int | None = None
    sets: list[str] = field(default_factory=list)
    resume: bool = False
    chunk_frames: int | None = None
    quiet: bool = False
    retries: int = 2


@dataclass
class Plan:
    """Every task of the batch, and per video the chunks it waits for before it is stitched."""

    videos: list[Video]
    tasks: list[Task] = field(default_factory=list)
    chunked: dict[str, int] = field(default_factory=dict)  # video → tasks it waits for
    done: dict[str, list[Result]] = field(default_factory=dict)  # video → chunks already complete
    rows: dict[str, dict[str, Any]] = field(default_factory=dict)  # videos already settled
    frames: int = 0  # expected frames, for the progress bar


def _check(opts: BatchOptions) -> None:
    problems = []
    if opts.engine not in ENGINES:
        problems.append(f"--engine: expected one of {', '.join(ENGINES)}, got {opts.engine!r}")
    if opts.workers is not None and opts.workers < 1:
        problems.append(f"--workers: expected 1 or more, got {opts.workers}")
    if opts.chunk_frames is not None and opts.chunk_frames < 1:
        problems.append(f"--chunk-frames: expected 1 or more frames, got {opts.chunk_frames}")
    if opts.engine == "ray" and importlib.util.find_spec("ray") is None:
        problems.append("--engine ray needs Ray: pip install 'jejunet[ray]'")
    if opts.address and opts.engine != "ray":
        problems.append("--address: only with --engine ray")
    if opts.workers is not None and opts.engine != "ray":
        problems.append("--workers: only with --engine ray (the local engine runs one video after another)")
    if problems:
        raise UserError(*problems)


def _clean(out: Path, name: str, keep_chunks: bool) -> None:
    """Remove what an interrupted earlier run left of this video (never a complete folder)."""
    for stale in out.glob(f".{name}.partial-*"):
        layout.discard(stale)
    root = layout.chunk_root(out, name)
    if root.is_dir():
        if keep_chunks:
            for stale in root.glob(".*.partial-*"):
                layout.discard(stale)
        else:
            layout.discard(root)
    target = layout.final_dir(out, name)
    if target.is_dir() and not layout.is_complete(out, name):
        layout.discard(target)


def _chunk_tasks(video: Task, emitted: int, opts: BatchOptions, info: graphrun.PipelineInfo) -> list[Task]:
    """The chunks of a video (with the unchunked reference when chunks are not exact); [] if short."""
    if opts.chunk_frames is None or emitted <= opts.chunk_frames:
        return []
    tasks = chunks.plan(video, emitted, opts.chunk_frames, info)
    if not info.chunks_exact(opts.chunk_frames):
        tasks.append(Task(video.name, video.source, video.out, "reference", max_frames=info.max_frames))
    return tasks


def _done_chunk(task: Task) -> Result | None:
    """A chunk an earlier, interrupted run left complete (--resume), or None."""
    row = layout.read_marker(task.target().parent, task.target().name)
    if row is None:
        return None
    return Result(task, "ok", row.get("frames", 0), row.get("keyframes", 0), row.get("wall_s", 0.0))


def plan(opts: BatchOptions, videos: list[Video], info: graphrun.PipelineInfo) -> Plan:
    """The tasks still to run: complete videos skipped (--resume), long ones split in chunks."""
    result = Plan(videos)
    for video in videos:
        if opts.resume and (row := layout.read_marker(opts.out, video.name)) is not None:
            result.rows[video.name] = row | {"status": "skipped"}
            continue
        _clean(opts.out, video.name, keep_chunks=opts.resume)
        task = Task(video.name, video.source, str(opts.out))
        total = count_frames(video.source)
        emitted = emitted_count(total, info.start, info.stride, info.max_frames) or 0
        result.frames += emitted
        parts = _chunk_tasks(task, emitted, opts, info)
        if not parts:
            result.tasks.append(task)
            continue
        result.chunked[video.name] = len(parts)
        result.done[video.name] = []
        for part in parts:
            done = _done_chunk(part) if opts.resume else None
            if done is None:
                result.tasks.append(part)
            else:
                result.done[video.name].append(done)
    return result


class Collector:
    """Takes the engine's results: settles whole videos, stitches chunked ones when all are in."""

    def __init__(self, opts: BatchOptions, info: graphrun.PipelineInfo, work: Plan, bar: BatchProgress):
        self.opts, self.info, self.work, self.bar = opts, info, work, bar
        self.waiting: dict[str, list[Result]] = {name: list(work.done[name]) for name in work.chunked}

    def stitch_ready(self) -> None:
        """Stitch the chunked videos whose every chunk an earlier run left complete (--resume)."""
        for name, parts in self.waiting.items():
            if len(parts) == self.work.chunked[name]:
                self._settle(self._stitch(parts[0].task, parts))

    def on_frames(self, task: Task, frames: int) -> None:
        if task.kind != "reference":  # the unchunked check run's frames are not the batch's
            self.bar.frames_of(task.key, frames)

    def on_result(self, result: Result) -> None:
        task = result.task
        self.bar.task_done(task.key, result.frames if task.kind != "reference" else 0)
        if task.kind == "video":
            self._settle(result.row())
            return
        parts = self.waiting[task.name]
        parts.append(result)
        if len(parts) == self.work.chunked[task.name]:
            self._settle(self._stitch(task, parts))

    def _stitch(self, task: Task, parts: list[Result]) -> dict[str, Any]:
        video = Task(task.name, task.source, task.out)
        failed = [p for p in parts if p.status == "failed"]
        if failed:
            first = min(failed, key=lambda p: (p.task.kind != "chunk", p.task.chunk))
            where = f"chunk {first.task.chunk}" if first.task.kind == "chunk" else "unchunked reference run"
            return Result(
                video, "failed", error=f"{where}: {first.error}", extra={"chunks": len(parts)}
            ).row()
        try:
            return chunks.stitch(video, parts, self.info, self.opts.chunk_frames or 0).row()
        except Exception as exc:  # noqa: BLE001 - a failed video is a row, not a failed batch
            return Result(video, "failed", error=f"stitching the chunks: {exc}").row()

    def _settle(self, row: dict[str, Any]) -> None:
        self.work.rows[row["video"]] = row
        self.bar.video_done(row)


EngineFactory = Callable[[BatchOptions, graphrun.PipelineInfo], Engine]


def make_engine(opts: BatchOptions, info: graphrun.PipelineInfo) -> Engine:
    if opts.engine == "ray":
        from jejunet.batch.ray_engine import RayEngine

        return RayEngine(info, opts.address, opts.workers, opts.retries)
    return LocalEngine(info)


def _start(factory: EngineFactory, opts: BatchOptions, info: graphrun.PipelineInfo, created: bool) -> Engine:
    """The engine; when it cannot start, an output folder this run created is removed again."""
    try:
        return factory(opts, info)
    except UserError:
        if created and not any(opts.out.iterdir()):
            opts.out.rmdir()
        raise


def run_batch(opts: BatchOptions, engine_factory: EngineFactory = make_engine) -> tuple[int, dict[str, Any]]:
    """Run the batch; returns the exit code (0 all done, 1 some failed) and the summary's JSON."""
    _check(opts)
    info = graphrun.inspect(opts.pipeline, opts.sets)
    videos = expand_inputs(opts.inputs, exclude=opts.out)
    created = not opts.out.exists()
    prepare_output_dir(opts.out)
    began = time.perf_counter()
    work = plan(opts, videos, info)
    bar = BatchProgress(len(videos), work.frames or None, quiet=opts.quiet)
    for row in work.rows.values():
        bar.video_done(row)
    collector = Collector(opts, info, work, bar)
    collector.stitch_ready()
    workers, engine_start = 0, 0.0
    if work.tasks:
        started = time.perf_counter()
        engine = _start(engine_factory, opts, info, created)
        workers, engine_start = engine.workers, time.perf_counter() - started
        bar.began = time.monotonic()  # frames per second of the videos, not of the engine's start
        try:
            engine.run(work.tasks, collector.on_result, collector.on_frames if bar.shown else None)
        except BaseException:  # interrupted: complete videos stay, partial ones go
            for video in videos:
                _clean(opts.out, video.name, keep_chunks=True)
            raise
        finally:
            engine.close()
            bar.finish()
    rows = [work.rows[v.name] for v in videos]
    for video in videos:  # partial folders go; a failed chunked video keeps its complete chunks
        _clean(opts.out, video.name, keep_chunks=True)
    meta = {
        "pipeline": str(opts.pipeline),
        "engine": opts.engine,
        "workers": workers,
        "chunk_frames": opts.chunk_frames,
        "sets": list(opts.sets),
        "totals": totals(rows, time.perf_counter() - began) | {"engine_start_s": round(engine_start, 3)},
    }
    write_summary(opts.out, rows, meta)
    return (1 if any(r["status"] == "failed" for r in rows) else 0), meta | {"videos": rows}
