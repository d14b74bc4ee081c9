"""`jejunet graph compile`, `graph plan` and `graph record`: the Android bundle, the phone's cost
model and the parity fixtures."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from jejunet.cli.options import add_set_option
from jejunet.errors import UserError
from jejunet.graph.compiler import Overrides, compile_file


def register(graph_actions: Any) -> None:
    """Add the Android actions to the `graph` command's sub-parsers."""
    p = graph_actions.add_parser("compile", help="compile a pipeline into an Android bundle")
    p.add_argument("file", type=Path)
    p.add_argument("--target", required=True, help="what to compile for (android)")
    p.add_argument("--out", type=Path, required=True, help="bundle folder (created or replaced)")
    add_set_option(p)
    p.set_defaults(handler=cmd_compile)

    p = graph_actions.add_parser("plan", help="predict a pipeline's frame rate on a phone")
    p.add_argument("file", type=Path)
    p.add_argument("--device", required=True, help="the phone to plan for (pixel2)")
    add_set_option(p)
    p.add_argument("--input", help="clip for the host micro-benchmarks (default: the pipeline's source)")
    p.add_argument("--frames", type=int, default=100, help="frames of the clip to benchmark (default 100)")
    p.add_argument("--factor", type=float, help="phone/host time factor for non-network operators")
    p.add_argument(
        "--json",
        nargs="?",
        const="-",
        help="print the plan as one JSON object instead of the text (--json PATH: the text, JSON to PATH)",
    )
    p.set_defaults(handler=cmd_plan)

    p = graph_actions.add_parser("record", help="record parity fixtures (every node's inputs and outputs)")
    p.add_argument("file", type=Path)
    p.add_argument("--input", help="video or images to run on (default: the pipeline's source)")
    p.add_argument("--frames", type=int, default=30, help="number of frames to record (default 30)")
    p.add_argument("--start", type=int, default=0, help="first frame of the input")
    p.add_argument("--out", type=Path, required=True, help="fixture folder (created or replaced)")
    add_set_option(p)
    p.set_defaults(handler=cmd_record)


def cmd_compile(args: argparse.Namespace) -> int:
    from jejunet.android.bundle import compile_bundle

    if args.target != "android":
        raise UserError(f"--target {args.target}: unknown target (known: android)")
    compiled = compile_file(args.file, Overrides(sets=list(args.set)))
    bundle = compile_bundle(compiled, args.out)
    for note in bundle.notes:
        print(f"note: {note}")
    total = sum((bundle.directory / rel).stat().st_size for rel in bundle.files)
    print(f"wrote {bundle.directory} ({len(bundle.files)} files + manifest.json, {total / 1e6:.1f} MB)")
    return 0


def cmd_plan(args: argparse.Namespace) -> int:
    from jejunet.android.plan import plan_pipeline

    plan = plan_pipeline(args.file, args.device, args.set, args.input, args.frames, args.factor)
    if args.json == "-":
        print(plan.to_json())
        return 0
    print(plan.render())
    if args.json is not None:
        from jejunet.media.atomic import write_bytes_atomic

        write_bytes_atomic(Path(args.json), plan.to_json().encode())
    return 0


def cmd_record(args: argparse.Namespace) -> int:
    from jejunet.android.fixtures import record_fixtures

    if args.frames < 1:
        raise UserError(f"--frames {args.frames}: must be at least 1")
    summary = record_fixtures(args.file, args.out, args.frames, args.input, args.start, args.set)
    print(summary)
    return 0
