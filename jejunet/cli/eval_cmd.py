"""`jejunet eval`: mIoU against ground truth (per shot too), agreement with per-frame output,
temporal consistency."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from jejunet.errors import UserError
from jejunet.eval.groundtruth import evaluate_gt
from jejunet.eval.miou import parse_class_map
from jejunet.eval.paths import check_output_file
from jejunet.eval.shots import clip_folder, load_shots
from jejunet.eval.temporal import agreement, motion_masks, temporal_consistency
from jejunet.media.atomic import write_bytes_atomic
from jejunet.models.registry import VOC_LABELS


def register(commands: Any) -> None:
    p = commands.add_parser(
        "eval", help="mIoU against ground truth, agreement with per-frame output, temporal consistency"
    )
    p.add_argument("--pred", type=Path, required=True, help="folder of predicted label PNGs")
    p.add_argument("--gt", type=Path, help="folder of ground-truth label PNGs")
    p.add_argument("--gt-map", help="renumber ground-truth classes first, e.g. 1:7,2:255 (255 = ignore)")
    p.add_argument("--meta", type=Path, help="the clip's meta.json (jejunet synth): mIoU per shot too")
    p.add_argument(
        "--clip", type=Path, help="a `jejunet synth` folder: its gt/ (--gt) and meta.json (--meta)"
    )
    p.add_argument(
        "--start", type=int, default=0, help="the run began at this frame of the clip (decode start)"
    )
    p.add_argument("--stride", type=int, default=1, help="the run took every N-th frame (decode stride)")
    p.add_argument("--reference", type=Path, help="folder of per-frame label PNGs (agreement)")
    p.add_argument("--report", type=Path, help="run report of the predictions (its keyframes)")
    p.add_argument("--video", type=Path, help="the frames, for temporal consistency")
    p.add_argument("--json", type=Path, help="write the scores as JSON")
    p.set_defaults(handler=cmd_eval)


def keyframes_of(report: Path) -> list[int]:
    try:
        data = json.loads(report.read_text())
        return [int(i) for i in data["keyframe_frames"]]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise UserError(f"{report}: not a run report with 'keyframe_frames' ({exc})") from None


def check_args(args: argparse.Namespace) -> None:
    """Everything that can be checked before any label map is read."""
    if args.clip is not None:
        clip = clip_folder(args.clip)
        args.gt, args.meta = args.gt or clip.gt, args.meta or clip.meta
    if not (args.gt or args.reference or args.video):
        raise UserError("give --gt DIR, --reference DIR and/or --video PATH")
    if args.meta and not args.gt:
        raise UserError("--meta scores the shots against ground truth: give --gt DIR too")
    if args.start < 0 or args.stride < 1:
        raise UserError(f"--start {args.start} --stride {args.stride}: expected start ≥ 0 and stride ≥ 1")
    if args.json is not None:
        check_output_file(args.json, "--json")


def evaluate(args: argparse.Namespace) -> dict[str, Any]:
    check_args(args)
    result: dict[str, Any] = {}
    keys = keyframes_of(args.report) if args.report else None
    if args.gt:
        gt_map = parse_class_map(args.gt_map) if args.gt_map else None
        shots = load_shots(args.meta) if args.meta else None
        gt = evaluate_gt(args.pred, args.gt, VOC_LABELS, gt_map, shots, args.start, args.stride)
        if gt.resized:
            print(f"warning: {gt.resized.warning()}", file=sys.stderr)
        result["ground_truth"] = gt.to_dict()
    if args.reference:
        masks = (
            motion_masks(args.video, args.start, args.stride) if args.video and args.video.is_file() else None
        )
        result["agreement"] = agreement(args.pred, args.reference, keys, masks)
    if args.video:
        if not args.video.is_file():
            raise UserError(f"{args.video}: no such video")
        result["temporal_consistency"] = temporal_consistency(
            args.pred, args.video, start=args.start, stride=args.stride
        )
    if keys is not None:
        result["keyframes"] = {"count": len(keys), "frames": keys}
    return result


def pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 100:.2f} %"


def print_ground_truth(gt: dict[str, Any]) -> None:
    print(
        f"mIoU {pct(gt['miou'])} over {gt['images']} images (paired by {gt['paired_by']}), "
        f"pixel accuracy {pct(gt['pixel_accuracy'])}"
    )
    for name, iou in gt["per_class_iou"].items():
        print(f"  {name:<12} {pct(iou):>8}")
    for shot in gt.get("shots", []):
        first, end = shot["frames"]
        photo = f" ({shot['photo']})" if shot["photo"] else ""
        print(
            f"  shot {shot['shot']}{photo}, frames {first}–{end - 1}: mIoU {pct(shot['miou'])} "
            f"over {shot['scored']} frames"
        )


def print_agreement(ag: dict[str, Any]) -> None:
    a = ag["all"]
    print(
        f"agreement with per-frame output over {ag['frames']} frames: "
        f"pixels {pct(a['pixel_agreement'])}, mIoU {pct(a['miou'])}"
    )
    if nk := ag.get("non_keyframes"):
        print(
            f"  non-keyframes only ({nk['frames']} frames): pixels {pct(nk['pixel_agreement'])}, "
            f"mIoU {pct(nk['miou'])}"
        )
    if (mv := ag.get("moving")) and mv["pixel_agreement"] is not None:
        print(
            f"  on moving content ({mv['pixels']} pixels of carried frames, "
            f"flow > {mv['threshold_px']} px): pixels {pct(mv['pixel_agreement'])}"
        )


def cmd_eval(args: argparse.Namespace) -> int:
    result = evaluate(args)
    if args.json is not None:
        write_bytes_atomic(args.json, (json.dumps(result, indent=2, allow_nan=False) + "\n").encode())
    if gt := result.get("ground_truth"):
        print_ground_truth(gt)
    if ag := result.get("agreement"):
        print_agreement(ag)
    if tc := result.get("temporal_consistency"):
        print(
            f"temporal consistency (flow-warped mIoU of consecutive frames): {pct(tc['tc_miou'])} "
            f"over {tc['pairs']} pairs"
        )
    if keys := result.get("keyframes"):
        print(f"keyframes: {keys['count']}")
    return 0
