"""`jejunet sweep`: a keyframe pipeline over a grid of settings, with per-frame and hold baselines."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from jejunet.sweep import COLUMNS, run_sweep


def register(commands: Any) -> None:
    p = commands.add_parser("sweep", help="throughput against accuracy over a grid of --set values")
    p.add_argument("file", type=Path, help="a pipeline with a keyframe_gate and a warp node")
    p.add_argument(
        "--grid",
        action="append",
        default=[],
        metavar="NODE.PARAM=V1,V2,...",
        help="one axis of the grid (repeatable; the cases are their cartesian product)",
    )
    p.add_argument(
        "--case",
        action="append",
        default=[],
        metavar="NODE.PARAM=V;NODE.PARAM=V",
        help="one more case, settings separated by ';' (repeatable)",
    )
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NODE.PARAM=VALUE",
        help="a setting applied to every case (repeatable)",
    )
    p.add_argument("--input", help="replace the pipeline's source")
    p.add_argument("--max-frames", type=int, help="stop each run after N frames")
    p.add_argument("--gt", type=Path, help="ground-truth label PNGs (mIoU per case)")
    p.add_argument("--gt-map", help="renumber ground-truth classes first, e.g. 1:7,2:255")
    p.add_argument("--video", type=Path, help="the clip, to measure temporal consistency per case")
    p.add_argument("--rounds", type=int, default=2, help="timing rounds over all cases (default 2)")
    p.add_argument("--out", type=Path, required=True, help="folder for sweep.csv, sweep.json, sweep.png")
    p.set_defaults(handler=cmd_sweep)


def cmd_sweep(args: argparse.Namespace) -> int:
    cases = run_sweep(
        args.file,
        args.grid,
        args.case,
        args.out,
        args.input,
        args.max_frames,
        args.gt,
        args.video,
        args.set,
        args.gt_map,
        args.rounds,
    )
    shown = [c for c in COLUMNS if c not in ("role", "frames", "keyframe_rate", "miou_gt", "tc_miou", "cuts")]
    print(" | ".join(shown))
    for c in cases:
        row = {"case": c.name, **c.result}
        print(" | ".join(str(row.get(k)) for k in shown))
    print(f"wrote {args.out / 'sweep.csv'}, {args.out / 'sweep.json'}, {args.out / 'sweep.png'}")
    return 0
