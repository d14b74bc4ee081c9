"""mIoU of label maps: one confusion matrix over the whole set, 255 ignored, per-class IoU."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from jejunet.errors import UserError
from jejunet.media.palette import IGNORE, read_label_png

NUM_CLASSES = 256


def confusion(gt: np.ndarray, pred: np.ndarray, num_classes: int = NUM_CLASSES) -> np.ndarray:
    """num_classes² matrix, rows = ground truth, columns = prediction; 255 in gt is skipped."""
    if pred.shape != gt.shape:
        pred = cv2.resize(pred, (gt.shape[1], gt.shape[0]), interpolation=cv2.INTER_NEAREST)
    keep = gt != IGNORE
    index = gt[keep].astype(np.int64) * num_classes + pred[keep].astype(np.int64)
    return np.bincount(index, minlength=num_classes * num_classes).reshape(num_classes, num_classes)


def finite(value: float, digits: int = 6) -> float | None:
    """Rounded value, or None where it is undefined (NaN: JSON has no NaN)."""
    return None if value != value else round(value, digits)


@dataclass
class Scores:
    matrix: np.ndarray
    names: tuple[str, ...] | None = None

    def per_class(self) -> dict[int, float]:
        """IoU of every class that appears in the ground truth or the prediction."""
        m = self.matrix
        tp = np.diag(m).astype(np.float64)
        gt_total, pred_total = m.sum(axis=1), m.sum(axis=0)
        present = (gt_total + pred_total) > 0
        present[IGNORE] = False
        union = gt_total + pred_total - tp
        return {int(c): float(tp[c] / union[c]) for c in np.flatnonzero(present)}

    @property
    def miou(self) -> float:
        ious = self.per_class()
        return float(np.mean(list(ious.values()))) if ious else float("nan")

    @property
    def pixel_accuracy(self) -> float:
        total = self.matrix.sum()
        return float(np.trace(self.matrix) / total) if total else float("nan")

    def to_dict(self) -> dict[str, Any]:
        def name(c: int) -> str:
            return self.names[c] if self.names and c < len(self.names) else str(c)

        return {
            "miou": finite(self.miou),
            "pixel_accuracy": finite(self.pixel_accuracy),
            "pixels": int(self.matrix.sum()),
            "per_class_iou": {name(c): round(v, 6) for c, v in self.per_class().items()},
        }


def label_files(directory: Path, role: str) -> list[Path]:
    """The label PNGs of a folder, sorted; a missing or empty folder is the user's error."""
    if not directory.is_dir():
        raise UserError(f"{directory}: {role} is not a folder")
    files = sorted(directory.glob("*.png"))
    if not files:
        raise UserError(f"{directory}: no .png label maps")
    return files


def pair_files(pred_dir: Path, gt_dir: Path) -> tuple[list[tuple[Path, Path]], str]:
    """Pair label PNGs by file name; when no name matches, by sorted order (counts must match)."""
    preds, gts = label_files(pred_dir, "--pred"), label_files(gt_dir, "--gt")
    gt_by_name = {p.name: p for p in gts}
    if all(p.name in gt_by_name for p in preds):
        return [(p, gt_by_name[p.name]) for p in preds], "name"
    if any(p.name in gt_by_name for p in preds):
        missing = [p.name for p in preds if p.name not in gt_by_name][:3]
        raise UserError(f"{gt_dir}: no ground truth for {', '.join(missing)}")
    if len(preds) != len(gts):
        raise UserError(f"no file names in common and {len(preds)} predictions for {len(gts)} ground truths")
    return list(zip(preds, gts, strict=True)), "order"


def parse_class_map(text: str) -> np.ndarray:
    """`1:7,2:255` → a 256-entry lookup table (other ids map to themselves)."""
    lut = np.arange(256, dtype=np.uint8)
    for item in filter(None, (part.strip() for part in text.split(","))):
        src, colon, dst = item.partition(":")
        if not colon or not src.isdigit() or not dst.isdigit() or int(src) > 255 or int(dst) > 255:
            raise UserError(f"class map item '{item}': expected FROM:TO with ids 0..255 (e.g. 1:7,2:255)")
        lut[int(src)] = int(dst)
    return lut


def read_labels(path: Path) -> np.ndarray:
    """A label PNG's class ids; an unreadable file is the user's error, named."""
    try:
        return read_label_png(path)
    except (OSError, ValueError) as exc:
        raise UserError(f"cannot read label map: {exc}") from None
