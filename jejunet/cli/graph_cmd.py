"""`jejunet graph validate|run|show`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from jejunet.cli import android_cmd
from jejunet.graph.compiler import CompiledGraph, Overrides, compile_file, with_label_writer
from jejunet.graph.report import RunReport
from jejunet.graph.scheduler import run_graph
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
    p.set_defaults(handler=cmd_run)

    p = sub.add_parser("show", help="nodes, ports (kinds and shapes) and edges")
    p.add_argument("file", type=Path)
    _add_overrides(p)
    p.set_defaults(handler=cmd_show)

    android_cmd.register(sub)


def _add_overrides(p: argparse.ArgumentParser) -> None:
    p.add_argument("--input", help="replace the source of the decode node")
    p.add_argument("--output", help="replace the path of the video sink")
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NODE.PARAM=VALUE",
        help="override an operator parameter (repeatable)",
    )


def _compile(args: argparse.Namespace) -> CompiledGraph:
    overrides = Overrides(sets=list(args.set), input=args.input, output=args.output)
    compiled = compile_file(args.file, overrides)
    if getattr(args, "max_frames", None) is not None:
        overrides.sets.append(f"{compiled.source.id}.max_frames={args.max_frames}")
        compiled = compile_file(args.file, overrides)
    return compiled


def cmd_validate(args: argparse.Namespace) -> int:
    compiled = _compile(args)
    print(f"{args.file}: ok ({len(compiled.nodes)} nodes, {compiled.graph.number_of_edges()} edges)")
    return 0


def _progress(report: RunReport) -> None:
    if report.frames % 25 == 0:
        print(f"\r{report.frames} frames, {report.fps:.1f} fps", end="", file=sys.stderr, flush=True)


def cmd_run(args: argparse.Namespace) -> int:
    compiled = _compile(args)
    if args.labels_dir is not None:
        compiled = with_label_writer(compiled, str(args.labels_dir))
    show = not args.quiet and sys.stderr.isatty()
    report = run_graph(compiled, RunContext(pipeline_file=args.file), _progress if show else None)
    if show:
        print(file=sys.stderr)
    if args.report is not None:
        report.write(args.report)
    if not args.quiet:
        print(report.summary_line())
        for node_id, info in report.runtime.items():
            details = ", ".join(f"{k}: {v}" for k, v in info.items())
            print(f"  {node_id}: {details}")
        for node in compiled.nodes.values():
            if node.op.path_role in ("video", "labels"):
                print(f"  wrote {getattr(node.params, node.op.path_param)}")
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    compiled = _compile(args)
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
