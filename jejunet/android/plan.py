"""`graph plan --device pixel2`: the phone's frame rate, predicted from a cost model.

Network: multiply-adds of the model × a per-MAC time calibrated on published Pixel 2 figures.
Other operators: their host times on real frames (the pipeline run here) × a phone/host factor.
Keyframe pipelines: the network's share is the keyframe rate the gate gives on the same frames.
Every figure and assumption is printed with the result.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from jejunet.android.bundle import check_capabilities, network_size
from jejunet.android.capabilities import phone_threads
from jejunet.android.fixtures import without_host_sinks
from jejunet.android.late_cost import LateCost, LateInputs, late_costs
from jejunet.android.macs import count_macs
from jejunet.android.timeline import Timeline, asynchronous_networks, network_delay, simulate
from jejunet.errors import UserError
from jejunet.graph.compiler import Overrides, compile_file
from jejunet.graph.scheduler import run_graph
from jejunet.models.registry import resolve_model
from jejunet.models.runtime import invoke, load_model, preprocess
from jejunet.ops.base import RunContext


@dataclass(frozen=True)
class Device:
    """Published figures for a phone, and the costs of what replaces the host's source and sink."""

    name: str
    #: (model, resolution, dtype, threads) → ms, as published
    published: dict[str, float]
    reference_fps_256_int8_4threads: float
    fp32_over_int8: float
    big_cores: int
    camera_fps: float
    camera_ms: float
    display_ms: float
    sources: tuple[str, ...]


PIXEL2 = Device(
    name="Google Pixel 2 (Snapdragon 835: 4 big Kryo 280 cores at 2.35 GHz)",
    published={
        "DeepLabv3-MNv2 512×512 fp32": 862.0,
        "DeepLabv3-MNv2 512×512 int8": 451.0,
    },
    reference_fps_256_int8_4threads=18.0,
    fp32_over_int8=862.0 / 451.0,
    big_cores=4,
    camera_fps=30.0,
    camera_ms=3.0,
    display_ms=1.0,
    sources=(
        "JejuNet README (tantara/JejuNet): Pixel 2, DeepLabv3-MobileNetV2 512×512 fp32 862 ms, int8 451 ms; "
        "≈ 18 fps at 256×256 int8 on 4 threads",
    ),
)
DEVICES = {"pixel2": PIXEL2}
#: the model the published figures were measured with (DeepLabv3-MNv2, the seed's own file)
REFERENCE_MODEL = "deeplabv3_mnv2_voc_256"
#: that model on one thread of the development host (2 cores, built-in kernels), as the team measured it
HOST_REFERENCE_MS = 14.0


@dataclass
class NodeCost:
    node: str
    op: str
    calls_per_frame: float
    host_ms: float
    phone_ms: float  # per call
    how: str


@dataclass
class Plan:
    pipeline: str
    device: Device
    frames: int
    factor: float
    factor_how: str
    costs: list[NodeCost] = field(default_factory=list)
    assumptions: list[str] = field(default_factory=list)
    #: the gate's decision on each measured frame, and the network's delayed edge (0: synchronous)
    keyframes: list[bool] = field(default_factory=list)
    delay: int = 0
    network_nodes: tuple[str, ...] = ()
    #: network nodes that run on their own thread on the phone (the Java runtime's realtime schedule)
    asynchronous_nodes: tuple[str, ...] = ()
    #: what delivering a late result costs, by its age (host ms; × `factor` on the phone)
    late: list[LateCost] = field(default_factory=list)

    def result_ms(self, age: int) -> float:
        """Phone ms a frame pays for the late results it delivers, `age` frames old."""
        return sum(cost.host_ms(age) for cost in self.late) * self.factor

    def timeline(self) -> Timeline:
        """The phone's frame timeline (jejunet.android.timeline) from these costs and decisions."""
        network = [c for c in self.costs if c.node in self.network_nodes]
        cheap = sum(c.phone_ms * c.calls_per_frame for c in self.costs if c.node not in self.network_nodes)
        first = next((i for i, c in enumerate(self.costs) if c.node in self.network_nodes), len(self.costs))
        before = sum(c.phone_ms * c.calls_per_frame for c in self.costs[:first])
        return simulate(
            cheap,
            sum(c.phone_ms for c in network),
            self.keyframes or [True] * self.frames,
            self.device.camera_fps,
            asynchronous=bool(self.asynchronous_nodes),
            delay=self.delay,
            submit_ms=before,
            result_ms=self.result_ms if self.late else None,
        )

    @property
    def frame_ms(self) -> float:
        """Mean phone ms per frame: every node, and the results delivered (as the timeline places them)."""
        static = sum(c.phone_ms * c.calls_per_frame for c in self.costs)
        return static + (self.timeline().result_ms_mean if self.late else 0.0)

    @property
    def keyframe_ms(self) -> float:
        return sum(c.phone_ms for c in self.costs)

    @property
    def fps(self) -> float:
        return 1000.0 / self.frame_ms

    @property
    def shown_fps(self) -> float:
        return min(self.fps, self.device.camera_fps)

    def render(self) -> str:
        lines = [
            f"plan for {self.pipeline} on {self.device.name}",
            "per node (phone ms per call × calls per frame):",
        ]
        for c in self.costs:
            lines.append(
                f"  {c.node:<10} {c.op:<13} {c.phone_ms:8.2f} ms × {c.calls_per_frame:4.2f}  ({c.how})"
            )
        lines.append(f"predicted: {self.frame_ms:.1f} ms per frame on average → {self.fps:.1f} fps")
        lines.append(
            f"shown: {self.shown_fps:.1f} fps (the camera delivers {self.device.camera_fps:g} fps); "
            f"a frame on which the network runs takes {self.keyframe_ms:.1f} ms"
        )
        t = self.timeline()
        where = "network on its own thread" if t.asynchronous else "network on the frame path"
        lines.append(
            f"timeline ({where}): shown {t.shown_fps:.1f} fps, frame {t.frame_ms_p50:.1f} ms p50 / "
            f"{t.frame_ms_p95:.1f} ms p95, network {t.network_ms:.1f} ms, {t.keyframes_per_s:.1f} keyframes/s"
            + (
                f", results {t.delay_frames} frames late (max {t.delay_frames_max}), network thread busy "
                f"{t.network_busy:.0%}, {t.keyframes_dropped} keyframes dropped"
                if t.asynchronous
                else ""
            )
        )
        lines.append("assumptions:")
        lines += [f"  - {a}" for a in self.assumptions]
        return "\n".join(lines)

    def to_json(self) -> str:
        return json.dumps(
            {
                "pipeline": self.pipeline,
                "device": self.device.name,
                "frames_measured": self.frames,
                "factor": self.factor,
                "frame_ms": self.frame_ms,
                "fps": self.fps,
                "keyframe_ms": self.keyframe_ms,
                **self.timeline().as_dict(),
                "nodes": [c.__dict__ for c in self.costs],
                "late_cost": [
                    {**c.__dict__, "phone_ms": {age: ms * self.factor for age, ms in c.measured.items()}}
                    for c in self.late
                ],
                "assumptions": self.assumptions,
            },
            indent=2,
        )


def _threads_assumption(asynchronous: tuple[str, ...], device: Device) -> str:
    """How the phone's runtime uses its threads for this pipeline (the Java GraphRunner's schedules)."""
    if not asynchronous:
        return (
            "nodes run one after the other on the frame path's thread (the camera's), the network among them "
            "(its outputs are read on the frame path); the interpreter's own threads are the only parallelism"
        )
    return (
        f"realtime schedule: {', '.join(asynchronous)} runs on its own thread (its outputs leave only "
        "through delayed edges); the frame path hands it each keyframe and never waits, one call at a "
        "time, the newest keyframe waiting in a one-slot mailbox (an older waiting one is dropped), a "
        "result delivered at the start of the first frame after it finished; its interpreter gets at "
        f"most {device.big_cores - 1} of the {device.big_cores} big cores (one is the frame path's); the "
        "frame path is assumed not slowed by it otherwise (memory bandwidth, thermal throttling not "
        "modelled); the gate's decisions are the host's offline ones (fixed delay), though realtime "
        "arrivals can move them"
    )


def _late_how(cost: LateCost) -> str:
    return (
        f"plus, on a frame a result arrives on, host {cost.host_ms(4):.2f} ms at age 4, "
        f"{cost.host_ms(12):.2f} at 12 (the timeline adds it at the age it gives)"
    )


def _late_assumption(cost: LateCost) -> str:
    ages = ", ".join(f"{age}: {ms:.1f}" for age, ms in cost.measured.items())
    return (
        f"{cost.node} (late_result): a delivered result composes the flows of its age (frames) and reads the "
        f"result once; its host CPU time, timed on this run's flows and result at each age, every call kept "
        f"(age: ms): {ages}, interpolated (beyond: {cost.per_flow_ms:.2f} ms a flow), × the factor, added to "
        "each frame a result reaches at the age the timeline gives it (the mean above leaves the rare result "
        "frames out)"
    )


def thread_speedup(threads: int, device: Device, four_thread_speedup: float) -> float:
    """Amdahl's law fitted to the published 4-thread speed-up; threads beyond the big cores do not help."""
    parallel = (1 - 1 / four_thread_speedup) / (1 - 1 / 4)
    n = max(1, min(threads, device.big_cores))
    return 1 / ((1 - parallel) + parallel / n)


class CpuTimes:
    """A run hook: each node's CPU time per call (all its threads); unlike wall time, it does not
    grow when other programs share the cores."""

    def __init__(self, nodes: list[str]) -> None:
        self.calls: dict[str, list[float]] = {nid: [] for nid in nodes}
        self._started: dict[str, float] = {}

    def node_started(self, node: str, **_: Any) -> None:
        self._started[node] = time.process_time()

    def node_done(self, node: str, **_: Any) -> None:
        started = self._started.pop(node, None)  # none for the source: it is not timed here
        if started is not None:
            self.calls[node].append(time.process_time() - started)


def _typical_ms(durations: list[float]) -> float:
    """Mean CPU time per call over the real mix of cheap and costly calls, the slowest 10 % left out."""
    kept = sorted(durations)[: max(1, int(len(durations) * 0.9))]
    return sum(kept) / len(kept) * 1000


def _host_single_thread_ms(path: Path, entry: Any, repeats: int = 10) -> float:
    model = load_model(path, entry, 1, "auto")
    h, w = model.signature.input_size
    tensor = preprocess(model, np.zeros((h, w, 3), np.uint8))
    invoke(model, tensor)
    times = []
    for _ in range(repeats):
        t0 = time.process_time()
        invoke(model, tensor)
        times.append(time.process_time() - t0)
    return min(times) * 1000


def plan_pipeline(
    file: Path,
    device_name: str,
    sets: list[str],
    input: str | None,
    frames: int,
    factor: float | None,
) -> Plan:
    """Measure the pipeline's operators here, price the network by MACs, predict the phone's frame rate."""
    device = DEVICES.get(device_name)
    if device is None:
        raise UserError(f"--device {device_name}: unknown device (known: {', '.join(DEVICES)})")
    if frames < 2:
        raise UserError(f"--frames {frames}: needs at least 2 frames")
    compiled = compile_file(
        file, Overrides(sets=list(sets), input=input, source_params={"max_frames": frames})
    )
    check_capabilities(compiled)
    source = compiled.source.id
    compiled = without_host_sinks(compiled)
    cpu_times = CpuTimes(list(compiled.nodes))
    seen = LateInputs()
    report = run_graph(compiled, RunContext(pipeline_file=file), hooks=[cpu_times, seen])
    cpu = cpu_times.calls
    n = report.frames

    ref_path, ref_entry = resolve_model(REFERENCE_MODEL, download=False)
    ref_macs = count_macs(ref_path)
    ms_256_4t = 1000.0 / device.reference_fps_256_int8_4threads
    one_thread_256 = device.published["DeepLabv3-MNv2 512×512 int8"] / 4
    speedup4 = one_thread_256 / ms_256_4t
    int8_ms_per_gmac_1t = one_thread_256 / (ref_macs / 1e9)
    host_ref_ms = _host_single_thread_ms(ref_path, ref_entry)
    measured = one_thread_256 / host_ref_ms
    how = (
        f"Pixel 2 single-thread DeepLabv3-MNv2 256×256 int8 {one_thread_256:.1f} ms / the same model's "
        f"single-thread CPU time here, measured in this run: {host_ref_ms:.1f} ms; operators and model are "
        f"timed under the same load, so a busy host cancels out (idle host: ~{HOST_REFERENCE_MS:g} ms, "
        f"{one_thread_256 / HOST_REFERENCE_MS:.1f}×)"
    )
    if factor is None:
        factor = measured
    else:
        how = f"given with --factor (measured: {measured:.1f}×)"

    plan = Plan(compiled.spec.name or file.stem, device, n, factor, how)
    plan.asynchronous_nodes = tuple(sorted(asynchronous_networks(compiled)))
    plan.late = late_costs(seen)
    late = {c.node: c for c in plan.late}
    plan.costs.append(NodeCost(source, "camera", 1.0, 0.0, device.camera_ms, "stated: YUV_420_888 → ARGB"))
    for nid in compiled.order:
        node = compiled.nodes[nid]
        if nid == source:
            continue
        durations = cpu[nid]
        if not durations:
            continue
        calls = len(durations) / n
        host_ms = _typical_ms(durations)
        if node.op.runs_network:
            size = network_size(compiled, nid)  # the export the bundle ships for the camera's frames
            path, entry = resolve_model(node.params.model, base_dir=file.parent, download=False, size=size)
            macs = count_macs(path)
            fp32 = load_model(path, entry, 1, node.params.delegate).signature.input_dtype == "float32"
            threads = phone_threads(node.params.num_threads, node.workers)  # as compiled for Android
            # on its own thread the network shares the big cores with the frame path: one is the frame path's
            cores = min(threads, device.big_cores - 1) if nid in plan.asynchronous_nodes else threads
            speed = thread_speedup(cores, device, speedup4)
            ms = macs / 1e9 * int8_ms_per_gmac_1t * (device.fp32_over_int8 if fp32 else 1.0) / speed
            detail = (
                f"{macs / 1e9:.3f} GMAC × {int8_ms_per_gmac_1t:.1f} ms/GMAC"
                f"{f' × fp32 {device.fp32_over_int8:.2f}' if fp32 else ''} / {speed:.2f} ({threads} threads"
                f"{f' on {cores} big cores beside the frame path' if cores != threads else ''})"
            )
            plan.costs.append(NodeCost(nid, node.op.name, calls, host_ms, ms, detail))
        else:
            detail = f"host {host_ms:.3f} ms × {factor:.1f}"
            if nid in late:
                detail += f"; {_late_how(late[nid])}"
            plan.costs.append(NodeCost(nid, node.op.name, calls, host_ms, host_ms * factor, detail))
    plan.costs.append(NodeCost("screen", "display", 1.0, 0.0, device.display_ms, "stated: Bitmap + draw"))
    plan.keyframes = [i in set(report.keyframe_frames) for i in range(n)]
    plan.delay = network_delay(compiled)
    plan.network_nodes = tuple(nid for nid, node in compiled.nodes.items() if node.op.runs_network)
    keyframes = report.keyframes
    plan.assumptions = [
        *[f"published: {s}" for s in device.sources],
        f"the 512×512 figures are single-thread: only then do they agree with 18 fps at 256×256 on 4 threads "
        f"(4-thread speed-up {speedup4:.2f}×, Amdahl fit; threads above {device.big_cores} do not help)",
        f"network cost ∝ multiply-adds: DeepLabv3-MNv2 256×256 = {ref_macs / 1e9:.3f} GMAC, so "
        f"{int8_ms_per_gmac_1t:.1f} ms/GMAC int8 on one thread; fp32 costs {device.fp32_over_int8:.2f}× int8 "
        "(862/451 ms)",
        f"other operators: mean host CPU time per call here over {n} frames (slowest 10 % left out) "
        f"× {factor:.1f} ({how})",
        f"keyframe rate measured here: the network ran on {keyframes} of {n} frames of "
        f"{input or 'the pipeline source'} ({keyframes / n:.0%})",
        f"camera frames {device.camera_ms:g} ms (YUV → ARGB), display {device.display_ms:g} ms "
        "(stated, not measured)",
        _threads_assumption(plan.asynchronous_nodes, device),
        *[_late_assumption(c) for c in plan.late],
        "not verified on a device: no phone is reachable from this machine",
    ]
    return plan
