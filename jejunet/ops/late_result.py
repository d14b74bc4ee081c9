"""late_result: a result that arrives `delay` frames after its frame, aligned to the current frame.

Fed by a delayed edge (`labels: {from: segment.labels, delay: 4}`), the node sees on frame t the
network's output of frame t − delay (SKIPPED where the network did not run). It keeps the flows
of the last `delay` frames, composes them into one displacement from frame t back to frame
t − delay, and outputs the result carried there: on the frames a result arrives, SKIPPED on the
others (a `warp` downstream carries it on, as it does a fresh result). Before the first result
arrives, and on a scene cut (the gate's `cut` output, when connected), it outputs background
labels: nothing carried from before is valid there. The executors never run the consumer ahead of the
producer's value `delay` frames back, so offline runs are deterministic and identical between the
sequential and the threaded executor, while the network runs concurrently with `delay` frames of
the cheap path.
"""

from __future__ import annotations

from collections import deque
from typing import Any

import numpy as np
from pydantic import Field

from jejunet.kinds import FLOW, FRAME, LABELS, PROBS, Probs
from jejunet.ops.base import SKIPPED, FrameInfo, Operator, Params, Port, RunContext
from jejunet.ops.flow_compose import carry_labels, carry_probs, compose_flows
from jejunet.ops.registry import register


class LateResultParams(Params):
    delay: int = Field(
        4,
        ge=1,
        le=128,
        description="frames between a result's frame and the frame it arrives on: the same as the "
        "`delay` of the edge feeding 'labels' or 'probs'",
    )


@register
class LateResult(Operator):
    name = "late_result"
    summary = "Deliver a result `delay` frames late, carried to the current frame by the composed flows."
    Params = LateResultParams
    inputs = (
        Port(
            "labels",
            LABELS,
            "labels of frame t − delay (a delayed edge; SKIPPED mostly)",
            optional=True,
            skippable=True,
        ),
        Port(
            "probs", PROBS, "probabilities of frame t − delay (a delayed edge)", optional=True, skippable=True
        ),
        Port("flow", FLOW, "this frame's flow back to the previous frame"),
        Port(
            "cut",
            FRAME,
            "the gate's cut output: from a scene cut until its own result arrives, background labels "
            "(the carried result belongs to the shot before)",
            optional=True,
            skippable=True,
        ),
    )
    outputs = (
        Port("labels", LABELS, "the late result carried to this frame; SKIPPED when none arrives"),
        Port("probs", PROBS, "the same as probabilities (when 'probs' is connected)"),
    )

    def open(self, ctx: RunContext) -> None:
        self.flows: deque[np.ndarray] = deque(maxlen=self.params.delay)
        self.delivered = False
        self.arrivals: list[int] = []

    def process(
        self, info: FrameInfo, flow: np.ndarray, labels: Any = None, probs: Any = None, cut: Any = None
    ) -> dict[str, Any]:
        self.flows.append(flow)
        result = probs if isinstance(probs, Probs) else labels if isinstance(labels, np.ndarray) else None
        if result is None:
            if self.delivered and not isinstance(cut, np.ndarray):
                return {"labels": SKIPPED, "probs": SKIPPED}
            return {"labels": np.zeros(flow.shape[:2], np.uint8), "probs": SKIPPED}  # nothing known (yet)
        self.delivered = True
        self.arrivals.append(info.index)
        if isinstance(result, Probs):
            displacement = compose_flows(list(self.flows), result.data.shape[:2])
            carried = carry_probs(result, displacement)
            return {"labels": carried.argmax(), "probs": carried}
        displacement = compose_flows(list(self.flows), result.shape[:2])
        return {"labels": carry_labels(result, displacement), "probs": SKIPPED}

    def run_info(self) -> dict[str, Any]:
        return {"late_results": len(self.arrivals), "delay_frames": self.params.delay}
