"""`jejunet eval --pred DIR --gt DIR [--json PATH]`: mIoU of label PNG folders."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from jejunet.eval.miou import evaluate_dirs
from jejunet.media.atomic import write_bytes_atomic
from jejunet.models.registry import VOC_LABELS


def register(commands: Any) -> None:
    p = commands.add_parser("eval", help="mIoU of predicted label PNGs against ground truth")
    p.add_argument("--pred", type=Path, required=True, help="folder of predicted label PNGs")
    p.add_argument("--gt", type=Path, required=True, help="folder of ground-truth label PNGs")
    p.add_argument("--json", type=Path, help="write the scores as JSON")
    p.set_defaults(handler=cmd_eval)


def cmd_eval(args: argparse.Namespace) -> int:
    scores, pairing, count = evaluate_dirs(args.pred, args.gt, VOC_LABELS)
    result = {"images": count, "paired_by": pairing, **scores.to_dict()}
    if args.json is not None:
        write_bytes_atomic(args.json, (json.dumps(result, indent=2) + "\n").encode())
    print(
        f"mIoU {result['miou'] * 100:.2f} % over {count} images (paired by {pairing}), "
        f"pixel accuracy {result['pixel_accuracy'] * 100:.2f} %"
    )
    for name, iou in result["per_class_iou"].items():
        print(f"  {name:<12} {iou * 100:6.2f} %")
    return 0
