"""The batch's progress on stderr: a bar over videos and frames on a terminal, else a line a video."""

from __future__ import annotations

import sys
import time
from typing import Any, TextIO


class BatchProgress:
    """`[####------] 3/8 videos  1200/2400 frames  45.1 fps  1 failed`, redrawn at most 5 times a second."""

    def __init__(self, videos: int, frames: int | None, stream: TextIO = sys.stderr, quiet: bool = False):
        self.videos, self.frames_total, self.stream = videos, frames, stream
        self.quiet = quiet
        self.tty = stream.isatty()
        self.done = self.failed = 0
        self.running: dict[Any, int] = {}  # frames of the tasks in flight
        self.finished_frames = 0
        self.began = time.monotonic()
        self.last = 0.0
        self.width = 24

    @property
    def shown(self) -> bool:
        """Frames are drawn (a terminal, not quiet): only then are running tasks asked for them."""
        return self.tty and not self.quiet

    @property
    def frames(self) -> int:
        return self.finished_frames + sum(self.running.values())

    def frames_of(self, key: Any, count: int) -> None:
        self.running[key] = count
        self.draw()

    def task_done(self, key: Any, frames: int) -> None:
        self.running.pop(key, None)
        self.finished_frames += frames
        self.draw()

    def video_done(self, row: dict[str, Any]) -> None:
        self.done += 1
        self.failed += row["status"] == "failed"
        if self.quiet:
            return
        if not self.tty:
            detail = (
                row["error"] if row["status"] == "failed" else f"{row['frames']} frames, {row['wall_s']} s"
            )
            self.stream.write(f"[{self.done}/{self.videos}] {row['video']}: {row['status']} ({detail})\n")
            self.stream.flush()
        self.draw(force=True)

    def draw(self, force: bool = False) -> None:
        now = time.monotonic()
        if self.quiet or not self.tty or (not force and now - self.last < 0.2):
            return
        self.last = now
        filled = self.width * self.done // max(self.videos, 1)
        frames = f"{self.frames}/{self.frames_total}" if self.frames_total else f"{self.frames}"
        fps = self.frames / max(now - self.began, 1e-9)
        failed = f"  {self.failed} failed" if self.failed else ""
        bar = f"[{'#' * filled}{'-' * (self.width - filled)}] {self.done}/{self.videos} videos"
        self.stream.write(f"\r{bar}  {frames} frames  {fps:.1f} fps{failed}\033[K")
        self.stream.flush()

    def finish(self) -> None:
        if self.tty and not self.quiet:
            self.stream.write("\n")
            self.stream.flush()
