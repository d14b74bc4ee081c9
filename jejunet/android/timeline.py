"""The phone's frame timeline: per-frame times from the plan's node costs and the gate's decisions.

The camera delivers a frame every `1 / camera_fps`; the frame path takes one at a time (the
newest, as a camera preview does) and shows it when done. Synchronous pipelines run the network
on the frame path, so a keyframe is a long frame (frames are dropped meanwhile). Pipelines whose
network result reaches the frame path through a delayed edge (`late_result`) run the network on
its own thread: the frame path never waits for it, and a keyframe's result is shown
`delay_frames` later (on the phone in realtime: the frames the network takes, rounded up).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from jejunet.graph.compiler import CompiledGraph


def network_delay(compiled: CompiledGraph) -> int:
    """The largest `delay` (above 1) of an edge leaving a network node; 0: the network is synchronous."""
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
    frame_ms_p50: float
    frame_ms_p95: float
    network_ms: float
    keyframes_per_s: float
    delay_frames: int  # frames between a keyframe and its result on the screen (realtime, phone)
    offline_delay: int  # the delayed edge's `delay` (offline runs on the host)
    asynchronous: bool
    network_busy: float  # share of the time the network thread works (asynchronous)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def simulate(
    cheap_ms: float,
    network_ms: float,
    keyframes: Sequence[bool],
    camera_fps: float,
    asynchronous: bool,
    delay: int = 0,
) -> Timeline:
    """Run the camera, the frame path and (asynchronous) the network thread over the gate's decisions.

    `cheap_ms`: a frame's cost without the network; `keyframes[i]`: the gate's decision on the
    i-th frame the frame path takes (the host's decisions, in order).
    """
    period = 1000.0 / camera_fps
    now = 0.0
    network_free = 0.0
    durations: list[float] = []
    busy = 0.0
    for key in keyframes:
        arrival = math.ceil(now / period - 1e-9) * period  # the next camera frame
        now = max(now, arrival)
        cost = cheap_ms
        if key and asynchronous:
            network_free = max(network_free, now) + network_ms  # queued behind the one running
            busy += network_ms
        elif key:
            cost += network_ms
        durations.append(cost)
        now += cost
    total_s = max(now, network_free if asynchronous else now) / 1000.0
    n = len(durations)
    realtime_delay = math.ceil(network_ms / period) if asynchronous else 0
    return Timeline(
        shown_fps=min(n / total_s, camera_fps) if total_s else 0.0,
        frame_ms_p50=float(np.percentile(durations, 50)),
        frame_ms_p95=float(np.percentile(durations, 95)),
        network_ms=network_ms,
        keyframes_per_s=sum(keyframes) / total_s if total_s else 0.0,
        delay_frames=realtime_delay,
        offline_delay=delay,
        asynchronous=asynchronous,
        network_busy=busy / (total_s * 1000.0) if total_s else 0.0,
    )
