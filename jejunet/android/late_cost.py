"""What a late result costs on the frame it arrives on, by its age (the flows it composes).

`late_result` is cheap on the frames it only carries nothing (SKIPPED), but on a frame a result
arrives it composes the flows of the `age` frames since the result's frame and reads the result
there once: a cost that grows with the age, which the realtime schedule decides on the phone. The
plan's run sees only the offline age (the edge's `delay`), so the kernel is timed here on the
run's own flows and result at several ages (CPU time, each call kept, no trimming); between
them the cost is interpolated, beyond the oldest extended by the last step's cost per flow.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from jejunet.kinds import Probs
from jejunet.ops.flow_compose import carry_result, shrink_flow

#: the operator whose cost on a result frame depends on the age of the result
LATE_OP = "late_result"
#: ages timed for the fit (frames), and calls per age
AGES = (1, 2, 4, 8, 12, 16)
REPEATS = 3
#: flows kept per node for the timing (the largest age)
KEEP = max(AGES)


@dataclass(frozen=True)
class LateCost:
    """Host CPU ms of one delivered result by its age: `measured`, interpolated; beyond the oldest
    age measured, `per_flow_ms` (the last step's) for each flow more."""

    node: str
    measured: dict[int, float]  # age → mean host ms of its calls
    per_flow_ms: float

    def host_ms(self, age: int) -> float:
        ages = list(self.measured)
        if age > ages[-1]:
            return self.measured[ages[-1]] + self.per_flow_ms * (age - ages[-1])
        return float(np.interp(age, ages, list(self.measured.values())))


class LateInputs:
    """A run hook: the last flows and one arriving result each late_result node saw (for `time_late`)."""

    def __init__(self) -> None:
        self.flows: dict[str, list[np.ndarray]] = {}
        self.results: dict[str, Any] = {}

    def node_done(self, node: str, op: Any, inputs: dict[str, Any], **_: Any) -> None:
        if getattr(op, "name", None) != LATE_OP:
            return
        flows = self.flows.setdefault(node, [])
        flows.append(shrink_flow(inputs["flow"], op.params.flow_width))  # kept as the node keeps them
        del flows[:-KEEP]
        for port in ("probs", "labels"):
            if isinstance(inputs.get(port), np.ndarray | Probs):
                self.results[node] = inputs[port]
                break


def time_late(node: str, flows: list[np.ndarray], result: Any) -> LateCost:
    """Time `carry_result` on these flows (reused in a cycle beyond the ones kept) and this result."""
    measured: dict[int, float] = {}
    carry_result(result, flows[-1:])  # warm the kernels
    for age in AGES:
        path = [flows[i % len(flows)] for i in range(age)]
        times = []
        for _ in range(REPEATS):
            t0 = time.process_time()
            carry_result(result, path)
            times.append(time.process_time() - t0)
        measured[age] = sum(times) / len(times) * 1000
    (a, ms_a), (b, ms_b) = list(measured.items())[-2:]
    return LateCost(node, measured, max(0.0, (ms_b - ms_a) / (b - a)))


def late_costs(seen: LateInputs) -> list[LateCost]:
    """A cost model per late_result node that saw a result and flows in the run."""
    return [
        time_late(node, seen.flows[node], seen.results[node]) for node in seen.results if seen.flows.get(node)
    ]
