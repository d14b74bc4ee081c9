"""late_result: a result that arrives some frames after its frame, aligned to the current frame.

Fed by a delayed edge (`labels: {from: segment.labels, delay: 4}`), the node sees on frame t a
network output of an earlier frame, the *origin*, which the executor gives in
`info.origins['labels']` (offline t − delay; realtime whichever frame the network finished
last), SKIPPED where none arrives. It keeps the flows of the last `max_age` frames by frame
index, composes those of the frames after the origin into one displacement from frame t back to
the origin (`flow_compose.FlowLog`, `carry_result`; the flows kept and composed `flow_width`
wide, the displacement resized once to the result's size), and outputs the result carried there: on
the frames a result arrives, SKIPPED on the others (a `warp` downstream carries it on, as it
does a fresh result). Refused (counted, SKIPPED): a result older than the flows kept, and one
from before the last scene cut. Before the first result arrives, and on a scene cut (the gate's
`cut` output, when connected), it outputs background labels: nothing carried from before is
valid there. Offline runs are deterministic and identical between the sequential and the
threaded executor, while the network runs concurrently with `delay` frames of the cheap path.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from pydantic import Field, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from jejunet.kinds import FLOW, FRAME, LABELS, PROBS, Probs
from jejunet.ops.base import SKIPPED, FrameInfo, Operator, Params, Port, RunContext
from jejunet.ops.flow_compose import FlowLog, carry_result, shrink_flow
from jejunet.ops.registry import register

RESULTS = ("labels", "probs")


class LateResultParams(Params):
    delay: int = Field(
        4,
        ge=1,
        le=128,
        description="frames between a result's frame and the frame it arrives on offline: the "
        "`delay` of the edge feeding 'labels' or 'probs' (checked); the origin when the executor "
        "gives none",
    )
    max_age: int = Field(
        64,
        ge=1,
        le=512,
        description="flows kept (frames): a result whose frame is older is refused (realtime: a "
        "network slower than this many frames)",
    )

    flow_width: int | None = Field(
        128,
        ge=16,
        le=4096,
        description="width the flows are kept and composed at (height keeps the aspect), the displacement "
        "then resized to the result's size: the optical flow's working width (a finer grid costs more "
        "and adds no detail); None: the flows as they come",
    )

    @field_validator("max_age")
    @classmethod
    def _keeps_the_delay(cls, max_age: int, info: ValidationInfo) -> int:
        delay = info.data.get("delay")
        if delay is not None and max_age < delay:
            raise PydanticCustomError(
                "max_age_below_delay",
                "must be at least delay ({delay}): the flows of a result's frame are kept",
                {"delay": delay},
            )
        return max_age


@register
class LateResult(Operator):
    name = "late_result"
    summary = "Deliver a late result, carried from its own frame to the current one by the composed flows."
    Params = LateResultParams
    inputs = (
        Port(
            "labels",
            LABELS,
            "labels of an earlier frame (a delayed edge; SKIPPED mostly)",
            optional=True,
            skippable=True,
        ),
        Port(
            "probs",
            PROBS,
            "probabilities of an earlier frame (a delayed edge)",
            optional=True,
            skippable=True,
        ),
        Port("flow", FLOW, "this frame's flow back to the previous frame"),
        Port(
            "cut",
            FRAME,
            "the gate's cut output: from a scene cut until its own result arrives, background labels "
            "(a result from before the cut belongs to the shot before, and is refused)",
            optional=True,
            skippable=True,
        ),
    )
    outputs = (
        Port("labels", LABELS, "the late result carried to this frame; SKIPPED when none arrives"),
        Port("probs", PROBS, "the same as probabilities (when 'probs' is connected)"),
    )

    @classmethod
    def check_delays(cls, params: Params, delays: Mapping[str, int], mode: str) -> list[tuple[str, str]]:
        """A result comes through a delayed edge; offline its delay is `delay` (the flows kept);
        realtime at least 2 (`previous: true` would keep the network on the frame path)."""
        assert isinstance(params, LateResultParams)
        problems = []
        for name in RESULTS:
            edge = delays.get(name)
            if edge is None:
                continue
            if edge == 0:
                problems.append((name, f"'{name}' must come through a delayed edge ({{from: …, delay: N}})"))
            elif mode == "realtime" and edge == 1:
                message = (
                    f"'{name}' must come through a delayed edge ({{from: …, delay: N}}, N >= 2) in realtime"
                )
                problems.append((name, f"{message}: `previous: true` keeps the network on the frame path"))
            elif mode == "offline" and edge != params.delay:
                message = f"delay {params.delay} differs from the delay of the edge feeding '{name}' ({edge})"
                problems.append(("delay", f"{message}: set both to the same number of frames"))
        return problems

    def open(self, ctx: RunContext) -> None:
        self.flows = FlowLog(self.params.max_age)
        self.delivered = False
        self.ages: list[int] = []
        self.refused = {"too_old": 0, "before_cut": 0}
        self.last_cut = -1

    def _origin_flows(self, info: FrameInfo, name: str) -> list[np.ndarray] | None:
        """The flows carrying the arriving result to this frame; None when it is refused."""
        origin = info.origins.get(name, info.index - self.params.delay)
        if origin < self.last_cut:
            self.refused["before_cut"] += 1
            return None
        flows = self.flows.since(origin)
        if flows is None:
            self.refused["too_old"] += 1
            return None
        self.ages.append(info.index - origin)
        return flows

    def process(
        self, info: FrameInfo, flow: np.ndarray, labels: Any = None, probs: Any = None, cut: Any = None
    ) -> dict[str, Any]:
        self.flows.add(info.index, shrink_flow(flow, self.params.flow_width))
        is_cut = isinstance(cut, np.ndarray)
        if is_cut:
            self.last_cut = info.index
        name = "probs" if isinstance(probs, Probs) else "labels"
        result = probs if name == "probs" else labels if isinstance(labels, np.ndarray) else None
        flows = None if result is None else self._origin_flows(info, name)
        if flows is None:
            if self.delivered and not is_cut:
                return {"labels": SKIPPED, "probs": SKIPPED}
            return {"labels": np.zeros(flow.shape[:2], np.uint8), "probs": SKIPPED}  # nothing known (yet)
        self.delivered = True
        carried = carry_result(result, flows)
        if isinstance(carried, Probs):
            return {"labels": carried.argmax(), "probs": carried}
        return {"labels": carried, "probs": SKIPPED}

    def run_info(self) -> dict[str, Any]:
        ages = sorted(self.ages)
        info: dict[str, Any] = {"late_results": len(ages), "delay_frames": self.params.delay}
        if ages:
            info["late_age_frames"] = {"p50": ages[len(ages) // 2], "max": ages[-1]}
        if any(self.refused.values()):
            info["late_refused"] = dict(self.refused)
        return info
