"""The unit of work: one video (or one chunk of one) run into a temporary folder, renamed into place.

A `VideoRunner` is what a worker holds: the pipeline validated once, then any number of tasks.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from jejunet.batch import graphrun, layout
from jejunet.batch.fetch import fetch, is_remote_file
from jejunet.batch.graphrun import FrameProgress, PipelineInfo
from jejunet.errors import JejunetError

Kind = Literal["video", "chunk", "reference"]


@dataclass(frozen=True)
class Task:
    """Run `source` (frames `start`… for `max_frames`, when given) for video `name` under `out`."""

    name: str
    source: str
    out: str
    kind: Kind = "video"
    chunk: int = 0
    start: int | None = None
    max_frames: int | None = None

    @property
    def key(self) -> tuple[str, str, int]:
        return (self.name, self.kind, self.chunk)

    def target(self) -> Path:
        """The folder this task's outputs are renamed onto."""
        out = Path(self.out)
        if self.kind == "video":
            return layout.final_dir(out, self.name)
        root = layout.chunk_root(out, self.name)
        return root / ("reference" if self.kind == "reference" else f"{self.chunk:05d}")


@dataclass
class Result:
    """What a task gives back; `row` is the video's summary row for whole-video tasks."""

    task: Task
    status: Literal["ok", "failed"]
    frames: int = 0
    keyframes: int = 0
    wall_s: float = 0.0
    error: str = ""
    keyframe_frames: list[int] = field(default_factory=list)
    attempts: int = 1
    #: more summary columns (a chunked video's chunks and agreement)
    extra: dict[str, Any] = field(default_factory=dict)

    def row(self) -> dict[str, Any]:
        fps = self.frames / self.wall_s if self.wall_s > 0 else 0.0
        return {
            "video": self.task.name,
            "status": self.status,
            "frames": self.frames,
            "keyframes": self.keyframes,
            "fps": round(fps, 2),
            "wall_s": round(self.wall_s, 3),
            "error": self.error,
            "source": self.task.source,
            "attempts": self.attempts,
        } | self.extra


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if isinstance(exc, JejunetError) else f"{type(exc).__name__}: {text}"


class VideoRunner:
    """Runs tasks of one pipeline; the pipeline is loaded (and its models checked) once, at the start."""

    def __init__(self, info: PipelineInfo) -> None:
        self.info = info
        graphrun.warm(info)

    def run(self, task: Task, progress: FrameProgress | None = None) -> Result:
        """Run the task; a failure is a failed result (nothing left at the target), never a raise."""
        target = task.target()
        folder = layout.temp_dir(target.parent, target.name)
        began = time.perf_counter()
        try:
            source = str(fetch(task.source, folder)) if is_remote_file(task.source) else task.source
            report = graphrun.run_video(
                self.info,
                source,
                folder,
                start=task.start,
                max_frames=task.max_frames,
                progress=progress,
            )
        except Exception as exc:  # noqa: BLE001 - a failed video is a row, not a failed batch
            layout.discard(folder)
            return Result(task, "failed", wall_s=time.perf_counter() - began, error=_one_line(exc))
        result = Result(
            task,
            "ok",
            frames=int(report["frames"]),
            keyframes=int(report["keyframes"]),
            keyframe_frames=list(report["keyframe_frames"]),
            wall_s=time.perf_counter() - began,
        )
        if source != task.source:
            Path(source).unlink(missing_ok=True)
        try:
            layout.commit(folder, target, marker=result.row())
        except OSError as exc:
            layout.discard(folder)
            return Result(task, "failed", wall_s=result.wall_s, error=f"{target}: cannot commit ({exc})")
        return result
