"""`jejunet batch PIPELINE INPUT... --out DIR`: a pipeline over many videos, locally or on Ray."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from jejunet.batch.driver import ENGINES, BatchOptions, run_batch
from jejunet.cli.options import add_set_option


def register(commands: Any) -> None:
    p = commands.add_parser(
        "batch",
        help="run a pipeline over many videos (local or Ray), one output folder per video",
        description="Run PIPELINE on every video of the INPUTs; DIR/<name>/ per video "
        "(labels/, overlay.mp4, report.json) and DIR/summary.csv + summary.json. "
        "Exit 0: every video done; 1: some failed (the rest are done); 2: bad input, nothing run.",
    )
    p.add_argument("pipeline", type=Path, metavar="PIPELINE", help="pipeline file (YAML)")
    p.add_argument(
        "inputs",
        nargs="+",
        metavar="INPUT",
        help="video files, folders, globs or manifests (.txt: a path or URL a line)",
    )
    p.add_argument("--out", type=Path, required=True, metavar="DIR", help="output folder")
    p.add_argument("--engine", choices=ENGINES, default="local", help="local: in this process (default); ray")
    p.add_argument(
        "--address", metavar="ADDR", help="Ray cluster to join ('auto', host:port); default: a local instance"
    )
    p.add_argument(
        "--workers", type=int, metavar="N", help="Ray actors (default: one per CPU of the cluster)"
    )
    add_set_option(p)
    p.add_argument(
        "--resume", action="store_true", help="skip videos already complete in DIR, redo partial ones"
    )
    p.add_argument(
        "--chunk-frames",
        type=int,
        metavar="N",
        help="split videos longer than N frames into chunks run in parallel (each starts on a keyframe)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress, only errors and the summary line")
    p.set_defaults(handler=cmd_batch)


def cmd_batch(args: argparse.Namespace) -> int:
    opts = BatchOptions(
        pipeline=args.pipeline,
        inputs=list(args.inputs),
        out=args.out,
        engine=args.engine,
        address=args.address,
        workers=args.workers,
        sets=list(args.set),
        resume=args.resume,
        chunk_frames=args.chunk_frames,
        quiet=args.quiet,
    )
    code, summary = run_batch(opts)
    t = summary["totals"]
    print(
        f"{t['videos']} videos: {t['ok']} done, {t['skipped']} already complete, {t['failed']} failed; "
        f"{t['frames']} frames in {t['wall_s']:.1f} s ({t['fps']:.1f} fps); "
        f"summary: {args.out / 'summary.csv'}"
    )
    for row in summary["videos"]:
        if row["status"] == "failed":
            print(f"  failed {row['video']}: {row['error']}")
    return code
