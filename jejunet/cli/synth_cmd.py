"""`jejunet synth`: a ground-truth video (frames, exact label PNGs, meta.json) from labelled photos."""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Any

from jejunet.errors import UserError
from jejunet.eval.miou import parse_class_map
from jejunet.synth import SynthSettings, synthesize
from jejunet.synth.camera import MOTIONS
from jejunet.synth.photos import load_photos
from jejunet.synth.writer import check_target

MAX_SIDE = 4096


def register(commands: Any) -> None:
    p = commands.add_parser(
        "synth", help="a video with exact ground truth: a virtual camera over labelled photos, with cut-outs"
    )
    p.add_argument(
        "--images",
        metavar="DIR",
        type=Path,
        required=True,
        help="folder of photos (e.g. a labelme JPEGImages/)",
    )
    p.add_argument(
        "--masks",
        metavar="DIR",
        type=Path,
        required=True,
        help="folder of label PNGs named after the photos (SegmentationClassPNG/)",
    )
    p.add_argument(
        "--out",
        metavar="DIR",
        type=Path,
        required=True,
        help="output folder: video.mp4, gt/%%06d.png, meta.json",
    )
    p.add_argument("--frames-per-shot", metavar="N", default="60", help="frames of each shot (default 60)")
    p.add_argument(
        "--size", metavar="WxH", default="640x360", help="frame size WxH, even numbers (default 640x360)"
    )
    p.add_argument("--fps", metavar="F", default="25", help="frame rate of the video (default 25)")
    p.add_argument("--objects", metavar="K", default="2", help="cut-outs moving over each shot (default 2)")
    p.add_argument(
        "--seed", metavar="S", default="0", help="random seed: the same seed gives the same clip (default 0)"
    )
    p.add_argument("--shots", metavar="N", help="number of shots (default: one per photo, in a seeded order)")
    p.add_argument(
        "--motion",
        metavar="NAME",
        default="normal",
        help=f"camera and object motion: {', '.join(MOTIONS)} (default normal)",
    )
    p.add_argument(
        "--class-map",
        metavar="FROM:TO,...",
        help="renumber mask classes first, e.g. 1:7,2:255 (video_labelme's car → VOC car, truck ignored)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress line")
    p.set_defaults(handler=cmd_synth)


def parse_size(text: str) -> tuple[int, int]:
    match = re.fullmatch(r"\s*(\d+)\s*[xX×]\s*(\d+)\s*", text)
    if not match:
        raise UserError(f"--size {text}: expected WIDTHxHEIGHT, e.g. 640x360")
    w, h = int(match[1]), int(match[2])
    if not (16 <= w <= MAX_SIDE and 16 <= h <= MAX_SIDE) or w % 2 or h % 2:
        raise UserError(
            f"--size {text}: width and height must be even numbers from 16 to {MAX_SIDE} (H.264 4:2:0)"
        )
    return w, h


def parse_int(flag: str, text: str, low: int, high: int) -> int:
    try:
        value = int(text)
    except ValueError:
        raise UserError(f"{flag} {text}: expected a whole number") from None
    if not low <= value <= high:
        raise UserError(f"{flag} {text}: expected {low} to {high}")
    return value


def settings_of(args: argparse.Namespace) -> SynthSettings:
    try:
        fps = float(args.fps)
    except ValueError:
        fps = float("nan")
    if not 1 <= fps <= 240:
        raise UserError(f"--fps {args.fps}: expected a frame rate from 1 to 240")
    if args.motion not in MOTIONS:
        raise UserError(f"--motion {args.motion}: expected one of {', '.join(MOTIONS)}")
    return SynthSettings(
        size=parse_size(args.size),
        frames_per_shot=parse_int("--frames-per-shot", args.frames_per_shot, 1, 100_000),
        fps=fps,
        objects=parse_int("--objects", args.objects, 0, 32),
        seed=parse_int("--seed", args.seed, 0, 2**63 - 1),
        shots=parse_int("--shots", args.shots, 1, 100_000) if args.shots is not None else None,
        motion=args.motion,
    )


def cmd_synth(args: argparse.Namespace) -> int:
    settings = settings_of(args)
    class_map = parse_class_map(args.class_map) if args.class_map else None
    photos = load_photos(args.images, args.masks, class_map)
    check_target(args.out)

    def progress(done: int, total: int) -> None:
        if not args.quiet and sys.stderr.isatty():
            print(f"\rframe {done}/{total}", end="" if done < total else "\n", file=sys.stderr, flush=True)

    sources = {"images": str(args.images), "masks": str(args.masks), "class_map": args.class_map or ""}
    meta = synthesize(photos, args.out, settings, sources, progress)
    objects = sum(len(s["objects"]) for s in meta["shots"])
    w, h = settings.size
    print(
        f"wrote {args.out}: {meta['frames']} frames in {len(meta['shots'])} shots "
        f"({w}×{h}, {settings.fps:g} fps, {objects} object paths): video.mp4, gt/%06d.png, meta.json"
    )
    if settings.objects and not objects:
        print("note: no cut-outs: no other photo has labelled objects (labels other than 0 and 255)")
    return 0
