"""Live sources: streams that reconnect when they drop, and a reader that keeps only the newest frame.

A stream URL (HTTP, RTSP, TCP/UDP MPEG-TS, anything FFmpeg opens) is read connection after
connection: when one ends or fails, the reader waits (backoff from 0.1 s, doubling, at most 1 s)
and opens it again, for at most `reconnect_max_s` without a frame. The first frame after a gap is
marked (`Captured.gap`) so a keyframe gate runs the network on it, and the frames the gap cost
are estimated from the wall time it lasted and the stream's frame rate.

`LatestFrame` reads a live source on its own thread and keeps one frame: the consumer always gets
the newest one, so a slow pipeline never works through a backlog of old frames.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import av
import numpy as np

from jejunet.errors import MediaError
from jejunet.media.video import open_video, reason, to_bgr

FIRST_DELAY_S = 0.1
MAX_DELAY_S = 1.0
#: a live connection that delivers nothing for this long counts as dropped
READ_TIMEOUT_S = 3.0
#: FFmpeg probes a stream for up to 5 s (some 20 frames to guess the frame rate) before the first
#: frame; half a second is enough to find the codec and makes a reconnect that much shorter
LIVE_OPTIONS = {"analyzeduration": "500000"}


@dataclass
class Captured:
    """One frame as a source read it."""

    timestamp: float
    image: np.ndarray
    name: str | None = None
    #: the first frame after frames were lost (a reconnect): downstream should treat it as a cut
    gap: bool = False
    #: time.perf_counter() when the frame was read (the start of its end-to-end latency)
    captured: float = field(default_factory=time.perf_counter)


@dataclass
class LiveStats:
    """What a live source counts: reconnects, frames lost in gaps, stale frames skipped."""

    reconnects: int = 0
    gap_frames: int = 0
    #: frames read but replaced by a newer one before the pipeline took them (latest-frame mode)
    stale_frames: int = 0
    gaps_s: list[float] = field(default_factory=list)
    ended: str = ""

    def to_dict(self) -> dict[str, object]:
        info: dict[str, object] = {
            "reconnects": self.reconnects,
            "gap_frames": self.gap_frames,
            "stale_frames": self.stale_frames,
            "longest_gap_s": round(max(self.gaps_s, default=0.0), 3),
        }
        if self.ended:
            info["ended"] = self.ended
        return info


@dataclass(frozen=True)
class ReconnectPolicy:
    enabled: bool = False
    max_s: float = 30.0


def connect(url: str, quick: bool = False) -> Any:
    """An open connection to a stream (a PyAV container) with live read timeouts.

    `quick`: skip FFmpeg's frame-rate probe (some 20 frames, 0.8 s at 25 fps) when reconnecting:
    the rate is known from the first connection.
    """
    options = {**LIVE_OPTIONS, "fpsprobesize": "0"} if quick else LIVE_OPTIONS
    return open_video(url, timeout=(READ_TIMEOUT_S * 3, READ_TIMEOUT_S), options=options)


def stream_rate(container: Any, default: float = 25.0) -> float:
    """A stream's frame rate, `default` when it does not say (or was not probed)."""
    rate = container.streams.video[0].average_rate
    return float(rate) if rate else default


def _connection(url: str, container: Any | None, quick: bool) -> Iterator[tuple[np.ndarray, Any]]:
    """(frame, container) of one connection, until it ends; MediaError when it fails."""
    with container if container is not None else connect(url, quick) as opened:
        stream = opened.streams.video[0]
        try:
            for frame in opened.decode(stream):
                yield to_bgr(frame), opened
        except av.FFmpegError as exc:
            raise MediaError(f"{url}: stream failed ({reason(exc)})") from None


@dataclass
class _Link:
    """A stream's state across connections: when the last frame came, since when it is lost."""

    start: float
    last_frame: float | None = None
    lost_since: float = 0.0
    delay: float = FIRST_DELAY_S
    rate: float | None = None  # the stream's frame rate, from its first connection that says

    def arrived(self, now: float, stats: LiveStats) -> bool:
        """Record a frame; True when it ends a gap (the gap is counted in `stats`)."""
        gap = self.last_frame is not None and self.lost_since > self.last_frame
        if gap:
            assert self.last_frame is not None
            stats.reconnects += 1
            stats.gaps_s.append(now - self.last_frame)
            stats.gap_frames += max(0, round((now - self.last_frame) * (self.rate or 25.0)) - 1)
        self.last_frame, self.delay = now, FIRST_DELAY_S
        return gap

    def lost(self, now: float) -> float:
        """Record a failed or ended connection; how long the stream has been lost."""
        if self.last_frame is not None and self.lost_since <= self.last_frame:
            self.lost_since = now  # the stream was up until now
        return now - self.lost_since


def _give_up(url: str, link: _Link, policy: ReconnectPolicy, failure: str, stats: LiveStats) -> None:
    if link.last_frame is None:
        raise MediaError(f"{url}: not reachable within reconnect_max_s={policy.max_s:g} ({failure})")
    stats.ended = f"stream lost, not back within {policy.max_s:g} s ({failure})"


def stream_frames(
    url: str,
    policy: ReconnectPolicy,
    stats: LiveStats,
    stopped: Callable[[], bool] = lambda: False,
    first: Any | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> Iterator[Captured]:
    """Frames of a stream URL, reconnecting per `policy`; timestamps are wall time since the start.

    `first` is a connection already open (from `connect`), read before any new one is opened.
    """
    link = _Link(start=clock())
    link.lost_since = link.start
    while not stopped():
        failure = "ended"
        try:
            connection, first = _connection(url, first, quick=link.rate is not None), None
            for image, container in connection:
                now = clock()
                link.rate = link.rate or stream_rate(container, 0.0) or None
                yield Captured(now - link.start, image, gap=link.arrived(now, stats))
                if stopped():
                    return
        except MediaError as exc:
            if not policy.enabled:
                raise
            failure = exc.problems[0].message
        if not policy.enabled:
            return
        if (lost_s := link.lost(clock())) >= policy.max_s:
            _give_up(url, link, policy, failure, stats)
            return
        time.sleep(min(link.delay, policy.max_s - lost_s))
        link.delay = min(link.delay * 2, MAX_DELAY_S)


class LatestFrame:
    """Runs a frame iterator on a thread and hands out only the newest frame.

    A frame replaced before it was taken counts in `stats.stale_frames`; its gap mark moves to the
    newer frame. An error on the reader thread is raised to the consumer. `close` stops the thread.
    """

    def __init__(self, frames: Callable[[Callable[[], bool]], Iterator[Captured]], stats: LiveStats) -> None:
        self.stats = stats
        self._cond = threading.Condition()
        self._slot: Captured | None = None
        self._done = False
        self._error: BaseException | None = None
        self._stop = False
        self._thread = threading.Thread(target=self._read, args=(frames,), name="live-source", daemon=True)
        self._thread.start()

    def _read(self, frames: Callable[[Callable[[], bool]], Iterator[Captured]]) -> None:
        try:
            for item in frames(lambda: self._stop):
                with self._cond:
                    if self._slot is not None:
                        self.stats.stale_frames += 1
                        item.gap = item.gap or self._slot.gap
                    self._slot = item
                    self._cond.notify_all()
                if self._stop:
                    return
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer
            self._error = exc
        finally:
            with self._cond:
                self._done = True
                self._cond.notify_all()

    def __iter__(self) -> Iterator[Captured]:
        while True:
            with self._cond:
                while self._slot is None and not self._done:
                    self._cond.wait(0.5)
                item, self._slot = self._slot, None
                if item is None:
                    if self._error is not None:
                        raise self._error
                    return
            yield item

    def close(self) -> None:
        self._stop = True
        self._thread.join(timeout=READ_TIMEOUT_S + 1)
