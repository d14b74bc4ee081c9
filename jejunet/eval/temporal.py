"""Agreement with per-frame output, and temporal consistency (flow-warped, Liu et al. ECCV 2020)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from jejunet.errors import UserError
from jejunet.eval.miou import NUM_CLASSES, Scores, confusion, pair_files
from jejunet.media.palette import read_label_png
from jejunet.ops.decode import video_frames
from jejunet.ops.warp import warp_labels


def frame_index(path: Path) -> int | None:
    return int(path.stem) if path.stem.isdigit() else None


def agreement(pred_dir: Path, ref_dir: Path, keyframes: Iterable[int] | None = None) -> dict[str, Any]:
    """mIoU and pixel agreement of predictions against the per-frame reference.

    Over all frames, and over non-keyframes only when the keyframe indices are known.
    """
    pairs, pairing = pair_files(pred_dir, ref_dir)
    keys = set(keyframes) if keyframes is not None else None
    total = np.zeros((NUM_CLASSES, NUM_CLASSES), dtype=np.int64)
    carried = np.zeros_like(total)
    carried_frames = 0
    for pred, ref in pairs:
        m = confusion(read_label_png(ref), read_label_png(pred))
        total += m
        index = frame_index(pred)
        if keys is not None and index is not None and index not in keys:
            carried += m
            carried_frames += 1
    out: dict[str, Any] = {"frames": len(pairs), "paired_by": pairing, "all": _summary(total)}
    if keys is not None:
        out["non_keyframes"] = {"frames": carried_frames, **_summary(carried)} if carried_frames else None
    return out


def _summary(matrix: np.ndarray) -> dict[str, float]:
    s = Scores(matrix)
    return {"miou": round(s.miou, 6), "pixel_agreement": round(s.pixel_accuracy, 6)}


def temporal_consistency(pred_dir: Path, video: Path | str, preset: str = "medium") -> dict[str, Any]:
    """Mean over consecutive pairs of mIoU(pred_t, warp(pred_t+1 → t)), flow from the frames."""
    preds = sorted(pred_dir.glob("*.png"))
    if len(preds) < 2:
        raise UserError(f"{pred_dir}: temporal consistency needs at least two label maps")
    presets = {"ultrafast": 0, "fast": 1, "medium": 2}
    dis = cv2.DISOpticalFlow_create(presets[preset])
    previous_grey = previous_labels = None
    ious: list[float] = []
    for (_, frame, _), pred in zip(video_frames(str(video)), preds, strict=False):
        grey = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
        labels = read_label_png(pred)
        if labels.shape != grey.shape:
            labels = cv2.resize(labels, grey.shape[::-1], interpolation=cv2.INTER_NEAREST)
        if previous_grey is not None:
            flow = dis.calc(previous_grey, grey, None)  # pixel of t → where it is in t+1
            warped = warp_labels(labels, flow)
            ious.append(Scores(confusion(previous_labels, warped)).miou)
        previous_grey, previous_labels = grey, labels
    return {"pairs": len(ious), "tc_miou": round(float(np.mean(ious)), 6) if ious else None}
