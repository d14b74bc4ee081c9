"""`jejunet graph validate|run|bench|show`."""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, TextIO

from jejunet.cli import android_cmd
from jejunet.cli.options import add_set_option
from jejunet.errors import UserError
from jejunet.graph.compiler import CompiledGraph, Overrides, compile_file, with_label_writer
from jejunet.graph.execution import EXECUTORS, execute_graph, source_is_live
from jejunet.graph.report import RunReport, percentiles_ms
from jejunet.graph.trace import TraceRecorder
from jejunet.media.atomic import check_outputs
from jejunet.media.sources import emitted_count, locate
from jejunet.ops.base import RunContext


def register(commands: Any) -> None:
    graph = commands.add_parser("graph", help="validate, run and show pipelines")
    sub = graph.add_subparsers(dest="graph_command", required=True, metavar="ACTION")

    p = sub.add_parser("validate", help="check a pipeline file without running it")
    p.add_argument("file", type=Path)
    _add_overrides(p)
    p.set_defaults(handler=cmd_validate)

    p = sub.add_parser("run", help="run a pipeline")
    p.add_argument("file", type=Path)
    _add_overrides(p)
    p.add_argument("--labels-dir", type=Path, help="write every frame's final labels as VOC PNGs")
    p.add_argument("--report", type=Path, help="write the run report (JSON) here")
    p.add_argument("--max-frames", type=int, help="stop after N frames")
    p.add_argument("--quiet", action="store_true", help="print nothing but errors")
    _add_execution(p)
    p.add_argument("--trace", type=Path, help="write a Chrome-trace JSON of the run (open in Perfetto)")
    p.set_defaults(handler=cmd_run)

    p = sub.add_parser("bench", help="time a pipeline: warm-up, then per-node p50/p95 and throughput")
    p.add_argument("file", type=Path)
    _add_overrides(p)
    _add_execution(p)
    p.add_argument("--warmup", type=int, default=25, help="frames run first and left out (default 25)")
    p.add_argument("--frames", type=int, help="frames measured after the warm-up (default: to the end)")
    p.add_argument("--report", type=Path, help="write the run report (JSON) here")
    p.set_defaults(handler=cmd_bench)

    p = sub.add_parser("show", help="nodes, ports (kinds and shapes) and edges")
    p.add_argument("file", type=Path)
    _add_overrides(p)
    p.add_argument(
        "--format",
        choices=("text", "dot", "mermaid"),
        default="text",
        help="text (default), Graphviz dot, or a Mermaid flowchart; edges carry port kinds",
    )
    p.set_defaults(handler=cmd_show)

    android_cmd.register(sub)


def _add_overrides(p: argparse.ArgumentParser) -> None:
    p.add_argument("--input", help="replace the source of the decode node")
    p.add_argument("--output", help="replace the path of the video sink")
    add_set_option(p)


def _add_execution(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--executor",
        choices=EXECUTORS,
        default="threaded",
        help="threaded: one thread per node, bounded queues (default); sequential: one frame at a time",
    )
    p.add_argument(
        "--realtime",
        action="store_true",
        help="realtime mode: a file source is paced at its frame rate, queues drop to bound latency",
    )
    p.add_argument(
        "--stall-timeout",
        type=float,
        default=30.0,
        metavar="S",
        help="stop and name the stuck node when no frame moves for S seconds (default 30)",
    )


def execute(
    compiled: CompiledGraph,
    args: argparse.Namespace,
    progress: Any = None,
    trace: TraceRecorder | None = None,
    warmup: int = 0,
) -> RunReport:
    """Run with the executor, mode and pacing the command line asks for."""
    if args.stall_timeout <= 0:
        raise UserError(f"--stall-timeout: expected a positive number of seconds, got {args.stall_timeout}")
    return execute_graph(
        compiled,
        RunContext(pipeline_file=args.file),
        progress,
        executor=args.executor,
        realtime=args.realtime,
        stall_timeout=args.stall_timeout,
        trace=trace,
        warmup=warmup,
    )


def expected_frames(compiled: CompiledGraph) -> int | None:
    """How many frames a file source will give (for the progress bar), when it is known beforehand."""
    node = compiled.source
    if node.op.name != "decode" or source_is_live(compiled):
        return None
    p = node.params
    base = compiled.file.parent if compiled.file else None
    try:
        total = locate(p.source, base, download=False).frame_count()
    except Exception:  # noqa: BLE001 - only a hint for the progress bar; the run reports the problem
        return None
    return emitted_count(total or None, p.start, p.stride, p.max_frames)


class ProgressBar:
    """`[#####-----] 120/250 frames  48.2 fps` on one terminal line, redrawn at most 5 times a second."""

    def __init__(self, total: int | None, stream: TextIO = sys.stderr, width: int = 30) -> None:
        self.total, self.stream, self.width = total, stream, width
        self.last = 0.0
        self.drawn = False

    def __call__(self, report: RunReport) -> None:
        now = time.monotonic()
        if now - self.last < 0.2:
            return
        self.last = now
        self.draw(report)

    def draw(self, report: RunReport) -> None:
        done = report.frames + report.dropped
        if self.total:
            filled = min(self.width, self.width * done // self.total)
            bar = f"[{'#' * filled}{'-' * (self.width - filled)}] {report.frames}/{self.total} frames"
        else:
            bar = f"{report.frames} frames"
        dropped = f", {report.source_frames - report.frames} not shown" if report.mode == "realtime" else ""
        latency = percentiles_ms(report.latencies_s[-100:]) if report.latencies_s else None
        lat = f"  latency p50 {latency['p50']:.0f} / p95 {latency['p95']:.0f} ms" if latency else ""
        self.stream.write(f"\r{bar}  {report.fps:.1f} fps{lat}{dropped}\033[K")
        self.stream.flush()
        self.drawn = True

    def finish(self) -> None:
        if self.drawn:
            self.stream.write("\n")
            self.stream.flush()


def _compile(args: argparse.Namespace) -> CompiledGraph:
    max_frames = getattr(args, "max_frames", None)
    source_params = {"max_frames": max_frames} if max_frames is not None else {}
    overrides = Overrides(
        sets=list(args.set), input=args.input, output=args.output, source_params=source_params
    )
    return compile_file(args.file, overrides)


def cmd_validate(args: argparse.Namespace) -> int:
    compiled = _compile(args)
    print(f"{args.file}: ok ({len(compiled.nodes)} nodes, {compiled.graph.number_of_edges()} edges)")
    return 0


def _trace_recorder(compiled: CompiledGraph) -> TraceRecorder:
    return TraceRecorder(list(compiled.order), {nid: n.op.name for nid, n in compiled.nodes.items()})


def _check_outputs(compiled: CompiledGraph, args: argparse.Namespace) -> None:
    """Every path the run will write is writable, checked before it starts (one line per path)."""
    flags = [(getattr(args, f, None), False, f"--{f}") for f in ("report", "trace")]
    for node, path in compiled.file_sinks():
        flags.append((Path(path), node.op.path_role == "labels", f"node '{node.id}' ({node.op.name}):"))
    check_outputs(flags)


def cmd_run(args: argparse.Namespace) -> int:
    compiled = _compile(args)
    if args.labels_dir is not None:
        compiled = with_label_writer(compiled, str(args.labels_dir))
    _check_outputs(compiled, args)
    bar = ProgressBar(expected_frames(compiled)) if not args.quiet and sys.stderr.isatty() else None
    trace = _trace_recorder(compiled) if args.trace is not None else None
    try:
        report = execute(compiled, args, bar, trace)
    finally:
        if bar is not None:
            bar.finish()
    if trace is not None:
        trace.write(args.trace)
    if args.report is not None:
        report.write(args.report)
    if not args.quiet:
        _print_summary(compiled, report)
    return 0


def _print_summary(compiled: CompiledGraph, report: RunReport) -> None:
    """The run's summary line, its drops by edge, what its nodes report, and the files written."""
    print(report.summary_line())
    for name, edge in report.edges.items():
        if edge.dropped:
            print(f"  dropped {edge.dropped} on {name} ({edge.policy}, size {edge.size})")
    for node_id, info in report.runtime.items():
        details = ", ".join(f"{k}: {v}" for k, v in info.items())
        print(f"  {node_id}: {details}")
    for _, path in compiled.file_sinks():
        print(f"  wrote {path}")


def _redirect_outputs(compiled: CompiledGraph, args: argparse.Namespace, folder: Path) -> CompiledGraph:
    """The pipeline with its file outputs in `folder` (unless --output / --set chose them)."""
    chosen = {s.partition("=")[0] for s in args.set}
    sets = list(args.set)
    for node, path in compiled.file_sinks():
        param = node.op.path_param
        if f"{node.id}.{param}" in chosen or (node.op.path_role == "video" and args.output is not None):
            continue
        sets.append(f"{node.id}.{param}={folder / (Path(path).name or node.id)}")
    source_params = {"max_frames": args.warmup + args.frames} if args.frames is not None else {}
    overrides = Overrides(sets=sets, input=args.input, output=args.output, source_params=source_params)
    return compile_file(args.file, overrides)


def cmd_bench(args: argparse.Namespace) -> int:
    if args.warmup < 0:
        raise UserError(f"--warmup: expected 0 or more frames, got {args.warmup}")
    if args.frames is not None and args.frames < 1:
        raise UserError(f"--frames: expected 1 or more frames, got {args.frames}")
    compiled = _compile(args)
    check_outputs([(args.report, False, "--report")])
    with tempfile.TemporaryDirectory(prefix="jejunet-bench-") as tmp:
        compiled = _redirect_outputs(compiled, args, Path(tmp))
        report = execute(compiled, args, warmup=args.warmup)
    if report.frames == 0:
        raise UserError(
            f"{args.file}: no frame left to measure after a warm-up of {args.warmup} "
            f"(the source gave {report.source_frames}); lower --warmup"
        )
    if args.report is not None:
        report.write(args.report)
    latency = percentiles_ms(report.latencies_s)
    print(
        f"{compiled.spec.name or args.file}: {args.executor} executor, {report.mode} mode, "
        f"{report.warmup_frames} warm-up frames, {report.frames} measured"
    )
    print(f"{'node':<16} {'op':<14} {'calls':>6} {'p50 ms':>8} {'p95 ms':>8} {'mean ms':>8} {'fps':>8}")
    for node_id, times in report.nodes.items():
        row = times.summary()
        fps = 1000.0 / row["mean_ms"] if row["mean_ms"] else 0.0
        print(
            f"{node_id:<16} {row['op']:<14} {row['calls']:>6} {row['p50_ms']:>8.2f} "
            f"{row['p95_ms']:>8.2f} {row['mean_ms']:>8.2f} {fps:>8.1f}"
        )
    print(
        f"throughput {report.fps:.1f} fps; latency p50 {latency['p50']:.1f} ms, p95 {latency['p95']:.1f} ms; "
        f"{report.dropped} dropped"
    )
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    compiled = _compile(args)
    if args.format != "text":
        from jejunet.graph.render import to_dot, to_mermaid

        sys.stdout.write(to_dot(compiled) if args.format == "dot" else to_mermaid(compiled))
        return 0
    spec = compiled.spec
    print(f"pipeline {spec.name or args.file} (mode {spec.mode}): {spec.description}")
    print("nodes:")
    for node_id in compiled.order:
        node = compiled.nodes[node_id]
        print(f"  {node_id} [{node.op.name}] {node.params.model_dump(exclude_defaults=True)}")
        for port in node.op.inputs:
            edge = node.inputs.get(port.name)
            src = (
                f" ← {edge.source}{' (previous frame)' if edge.previous else ''}"
                if edge
                else " (not connected)"
            )
            print(f"    in  {port.name}: {port.kind}{src}")
        for port in node.op.outputs:
            shape = compiled.shapes.get((node_id, port.name))
            if shape is None:
                continue
            size = f" {shape[1] or '?'}×{shape[0] or '?'}"
            print(f"    out {port.name}: {port.kind}{size}")
    print("edges:")
    for u, v, key, d in compiled.graph.edges(keys=True, data=True):
        print(f"  {u}.{d['port']} → {v}.{key} [{d['kind']}]{' (feedback)' if d['previous'] else ''}")
    return 0
