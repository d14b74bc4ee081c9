"""`jejunet sweep`: a keyframe pipeline over a grid of settings, with per-frame and hold baselines."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from jejunet.eval.shots import clip_folder
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
    p.add_argument(
        "--clip",
        type=Path,
        help="a `jejunet synth` folder: its video.mp4 (--input, --video), gt/ (--gt), meta.json (--meta)",
    )
    p.add_argument("--gt", type=Path, help="ground-truth label PNGs (%%06d.png) of the clip (mIoU per case)")
    p.add_argument("--meta", type=Path, help="the clip's meta.json (jejunet synth): mIoU per shot too")
    p.add_argument("--gt-map", help="renumber ground-truth classes first, e.g. 1:7,2:255")
    p.add_argument("--video", type=Path, help="the clip, to measure temporal consistency per case")
    p.add_argument("--rounds", type=int, default=2, help="timing rounds over all cases (default 2)")
    p.add_argument("--out", type=Path, required=True, help="folder for sweep.csv, sweep.json, sweep.png")
    p.set_defaults(handler=cmd_sweep)


def apply_clip(args: argparse.Namespace) -> None:
    """--clip DIR stands for the clip's video, ground truth and meta.json (explicit flags win)."""
    if args.clip is None:
        return
    clip = clip_folder(args.clip)
    args.input = args.input or str(clip.video)
    args.gt = args.gt or clip.gt
    args.meta = args.meta or clip.meta
    args.video = args.video or clip.video


def cmd_sweep(args: argparse.Namespace) -> int:
    apply_clip(args)
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
        args.meta,
    )
    hidden = {"role", "frames", "keyframe_rate", "pixel_accuracy_gt", "miou_gt_shots", "tc_miou", "cuts"}
    if args.gt is None:
        hidden.add("miou_gt")
    shown = [c for c in COLUMNS if c not in hidden]
    print(" | ".join(shown))
    for c in cases:
        row = {"case": c.name, **c.result}
        print(" | ".join(str(row.get(k)) for k in shown))
    if args.meta is not None:
        print("mIoU against ground truth per shot:")
        for c in cases:
            shots = " | ".join("n/a" if v is None else f"{v:.4f}" for v in c.result["miou_gt_shots"])
            print(f"  {c.name}: {shots}")
    print(f"wrote {args.out / 'sweep.csv'}, {args.out / 'sweep.json'}, {args.out / 'sweep.png'}")
    return 0
