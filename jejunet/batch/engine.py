"""What an engine is, and the local engine: the same tasks one after the other, in this process."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Protocol

from jejunet.batch.graphrun import PipelineInfo
from jejunet.batch.task import Result, Task, VideoRunner

OnResult = Callable[[Result], None]
#: live frame counts of running tasks; None when nothing shows them (no polling then)
OnFrames = Callable[[Task, int], None] | None


class Engine(Protocol):
    """Runs tasks, handing each result to `on_result` as it finishes (in any order)."""

    workers: int

    def run(self, tasks: Iterable[Task], on_result: OnResult, on_frames: OnFrames) -> None: ...

    def close(self) -> None: ...


class LocalEngine:
    """One worker in this process: the pipeline validated once, then every task in turn."""

    workers = 1

    def __init__(self, info: PipelineInfo) -> None:
        self.runner = VideoRunner(info)

    def run(self, tasks: Iterable[Task], on_result: OnResult, on_frames: OnFrames) -> None:
        for task in tasks:
            hook = (lambda n, t=task: on_frames(t, n)) if on_frames is not None else None
            on_result(self.runner.run(task, progress=hook))

    def close(self) -> None:
        pass
