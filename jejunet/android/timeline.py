"""The phone's frame timeline: per-frame times from the plan's node costs and the gate's decisions.

It replays what the Java runtime (`org.jejunet.core.GraphRunner`) does on the phone:

- The camera delivers a frame every `1 / camera_fps`; the frame path (the camera's thread) takes
  the newest one when it is free (`acquireLatestImage`: older ones are dropped) and shows it when done.
- Synchronous pipelines run the network on the frame path: a keyframe is one long frame.
- A network whose outputs leave only through delayed edges (`late_result`) runs on its own
  thread (the realtime schedule): the frame path hands it the keyframe when it reaches the
  network node and goes on. One call at a time; the newest keyframe waits in a one-slot mailbox
  and an older waiting one is dropped. A finished result is taken at the start of the next frame,
  so `delay_frames` is the number of frames between a keyframe and the frame its result reaches.
- The frame a result reaches pays for delivering it (`result_ms(age)`: late_result composes the
  flows of the `age` frames since the keyframe), on top of its cheap cost.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from jejunet.graph.compiler import CompiledGraph


def asynchronous_networks(compiled: CompiledGraph) -> set[str]:
    """Network nodes whose every consumer reads them through a delayed edge (delay above 1): the
    ones the Java runtime's realtime schedule runs on their own thread (GraphRunner.asynchronousNetworks)."""
    network = {nid for nid, node in compiled.nodes.items() if node.op.runs_network}
    late: set[str] = set()
    direct: set[str] = set()
    for node in compiled.nodes.values():
        for edge in node.inputs.values():
            if edge.node in network:
                (late if edge.delay > 1 else direct).add(edge.node)
    return late - direct


def network_delay(compiled: CompiledGraph) -> int:
    """The largest `delay` (above 1) of an edge leaving a network node; 0 when there is none."""
    network = {nid for nid, node in compiled.nodes.items() if node.op.runs_network}
    delays = [
        edge.delay
        for node in compiled.nodes.values()
        for edge in node.inputs.values()
        if edge.node in network and edge.delay > 1
    ]
    return max(delays, default=0)


@dataclass(frozen=True)
class Timeline:
    """What a user sees on the phone."""

    shown_fps: float
    frame_ms_p50: float  # time the frame path spends on a shown frame
    frame_ms_p95: float
    result_frame_ms: float  # a frame a result reaches (median; 0: none reached one)
    result_ms_mean: float  # delivering results, per frame on average
    network_ms: float  # one network call
    keyframes_per_s: float  # network calls run per second
    delay_frames: int  # frames between a keyframe and the frame its result reaches (median; 0: synchronous)
    delay_frames_max: int
    keyframes_dropped: int  # keyframes a newer one replaced in the mailbox (asynchronous)
    offline_delay: int  # the delayed edge's `delay` (offline runs on the host)
    asynchronous: bool
    network_busy: float  # share of the time the network thread works (asynchronous)
    frames: int  # frames the frame path ran in the simulation

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class _NetworkThread:
    """The realtime schedule's network thread: one call running, a one-slot mailbox, a result slot."""

    network_ms: float
    running: tuple[int, float] | None = None  # (origin frame, end time)
    waiting: int | None = None
    finished: int | None = None
    started: int = 0
    dropped: int = 0
    busy_ms: float = 0.0
    delays: list[int] = field(default_factory=list)

    def advance(self, t: float) -> None:
        """Finish every call that ends by `t`, starting the waiting keyframe after each."""
        while self.running is not None and self.running[1] <= t:
            origin, end = self.running
            self.finished = origin  # a result not taken yet is superseded
            self.running = None
            if self.waiting is not None:
                self._start(self.waiting, end)
                self.waiting = None

    def _start(self, origin: int, t: float) -> None:
        self.running = (origin, t + self.network_ms)
        self.started += 1
        self.busy_ms += self.network_ms

    def submit(self, origin: int, t: float) -> None:
        self.advance(t)
        if self.running is None:
            self._start(origin, t)
            return
        if self.waiting is not None:
            self.dropped += 1
        self.waiting = origin

    def take(self, frame: int, t: float) -> int | None:
        """The age (frames) of the result this frame takes; None when none is done."""
        self.advance(t)
        if self.finished is None:
            return None
        age = frame - self.finished
        self.delays.append(age)
        self.finished = None
        return age


def _expected_delay(submit_ms: float, network_ms: float, period: float, asynchronous: bool) -> int:
    """Frames until a result arrives when the simulation saw none arrive (a short clip)."""
    return math.ceil((submit_ms + network_ms) / period) if asynchronous else 0


def simulate(
    cheap_ms: float,
    network_ms: float,
    keyframes: Sequence[bool],
    camera_fps: float,
    asynchronous: bool,
    delay: int = 0,
    submit_ms: float | None = None,
    result_ms: Callable[[int], float] | None = None,
) -> Timeline:
    """Run the camera, the frame path and (asynchronous) the network thread over the gate's decisions.

    `cheap_ms`: a frame's cost without the network; `keyframes[i]`: the gate's decision on the
    i-th frame the frame path takes (the host's decisions, in order); `submit_ms`: how far into
    its frame the frame path reaches the network node (default: at the frame's end); `result_ms(age)`:
    what delivering a result `age` frames old adds to the frame it reaches (asynchronous).
    """
    period = 1000.0 / camera_fps
    submit_at = cheap_ms if submit_ms is None else min(submit_ms, cheap_ms)
    thread = _NetworkThread(network_ms)
    now = 0.0
    last_camera = -1
    durations: list[float] = []
    result_frames: list[float] = []
    result_total = 0.0
    for i, key in enumerate(keyframes):
        newest = math.floor(now / period + 1e-9)  # the newest camera frame delivered by now
        if newest > last_camera:
            last_camera = newest
        else:
            last_camera += 1
            now = last_camera * period
        cost = cheap_ms
        if asynchronous:
            age = thread.take(i, now)
            if age is not None:
                extra = result_ms(age) if result_ms is not None else 0.0
                cost += extra
                result_total += extra
                result_frames.append(cost)
            if key:
                thread.submit(i, now + submit_at)
        elif key:
            cost += network_ms
        durations.append(cost)
        now += cost
    total_s = now / 1000.0
    n = len(durations)
    calls = thread.started if asynchronous else sum(keyframes)
    delays = sorted(thread.delays)
    return Timeline(
        shown_fps=min(n / total_s, camera_fps) if total_s else 0.0,
        frame_ms_p50=float(np.percentile(durations, 50)) if durations else 0.0,
        frame_ms_p95=float(np.percentile(durations, 95)) if durations else 0.0,
        result_frame_ms=float(np.median(result_frames)) if result_frames else 0.0,
        result_ms_mean=result_total / n if n else 0.0,
        network_ms=network_ms,
        keyframes_per_s=calls / total_s if total_s else 0.0,
        delay_frames=delays[len(delays) // 2]
        if delays
        else _expected_delay(submit_at, network_ms, period, asynchronous),
        delay_frames_max=delays[-1] if delays else 0,
        keyframes_dropped=thread.dropped,
        offline_delay=delay,
        asynchronous=asynchronous,
        network_busy=min(1.0, thread.busy_ms / (total_s * 1000.0)) if total_s and asynchronous else 0.0,
        frames=n,
    )
