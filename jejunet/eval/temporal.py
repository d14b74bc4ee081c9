"""Agreement with per-frame output, and temporal consistency (flow-warped, Liu et al. ECCV 2020)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from jejunet.errors import UserError
from jejunet.eval.groundtruth import check_size
from jejunet.eval.miou import NUM_CLASSES, Scores, confusion, finite, pair_files, read_labels
from jejunet.media.video import video_frames
from jejunet.ops.optical_flow import PRESETS
from jejunet.ops.warp import warp_labels


def frame_index(path: Path) -> int | None:
    return int(path.stem) if path.stem.isdigit() else None


MOTION_PX = 1.0  # a pixel "moves" when its flow to the previous frame is longer than this


def clip_frames(video: Path | str, start: int = 0, stride: int = 1) -> Iterator[np.ndarray]:
    """The frames a decode node with this start and stride emits, in order."""
    for position, (_, frame, _) in enumerate(video_frames(str(video))):
        if position >= start and (position - start) % stride == 0:
            yield frame


def motion_masks(
    video: Path | str, start: int = 0, stride: int = 1, threshold_px: float = MOTION_PX
) -> dict[int, np.ndarray]:
    """Per emitted frame index: the pixels whose flow to the previous frame exceeds the threshold."""
    dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_FAST)
    masks: dict[int, np.ndarray] = {}
    previous = None
    for index, frame in enumerate(clip_frames(video, start, stride)):
        grey = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
        if previous is None:
            masks[index] = np.zeros(grey.shape, dtype=bool)
        else:
            flow = dis.calc(grey, previous, None)
            masks[index] = np.hypot(flow[..., 0], flow[..., 1]) > threshold_px
        previous = grey
    return masks


def agreement(
    pred_dir: Path,
    ref_dir: Path,
    keyframes: Iterable[int] | None = None,
    masks: dict[int, np.ndarray] | None = None,
) -> dict[str, Any]:
    """mIoU and pixel agreement of predictions against the per-frame reference.

    Over all frames, over non-keyframes only when the keyframe indices are known, and, given
    `motion_masks`, pixel agreement on moving content (non-keyframe pixels whose flow exceeds
    MOTION_PX).
    """
    pairs, pairing = pair_files(pred_dir, ref_dir)
    keys = set(keyframes) if keyframes is not None else None
    total = np.zeros((NUM_CLASSES, NUM_CLASSES), dtype=np.int64)
    carried = np.zeros_like(total)
    carried_frames = 0
    moving_same = moving_total = 0
    for pred, ref in pairs:
        truth, guess = read_labels(ref), read_labels(pred)
        check_size(pred, guess, ref, truth, "reference")  # another aspect ratio is refused
        m = confusion(truth, guess)
        total += m
        index = frame_index(pred)
        if keys is not None and index is not None and index in keys:
            continue
        if keys is not None:
            carried += m
            carried_frames += 1
        if masks is not None and index in masks and masks[index].shape == truth.shape:
            moving = masks[index]
            moving_same += int((truth[moving] == guess[moving]).sum())
            moving_total += int(moving.sum())
    out: dict[str, Any] = {"frames": len(pairs), "paired_by": pairing, "all": _summary(total)}
    if keys is not None:
        out["non_keyframes"] = {"frames": carried_frames, **_summary(carried)} if carried_frames else None
    if masks is not None:
        out["moving"] = {
            "pixels": moving_total,
            "pixel_agreement": round(moving_same / moving_total, 6) if moving_total else None,
            "threshold_px": MOTION_PX,
        }
    return out


def _summary(matrix: np.ndarray) -> dict[str, float | None]:
    s = Scores(matrix)
    return {"miou": finite(s.miou), "pixel_agreement": finite(s.pixel_accuracy)}


def temporal_consistency(
    pred_dir: Path, video: Path | str, preset: str = "medium", start: int = 0, stride: int = 1
) -> dict[str, Any]:
    """Mean over consecutive pairs of mIoU(pred_t, warp(pred_t+1 → t)), flow from the frames."""
    preds = sorted(pred_dir.glob("*.png"))
    if len(preds) < 2:
        raise UserError(f"{pred_dir}: temporal consistency needs at least two label maps")
    dis = cv2.DISOpticalFlow_create(PRESETS[preset])
    previous_grey = previous_labels = None
    ious: list[float] = []
    for frame, pred in zip(clip_frames(video, start, stride), preds, strict=False):
        grey = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
        labels = read_labels(pred)
        if labels.shape != grey.shape:
            labels = cv2.resize(labels, grey.shape[::-1], interpolation=cv2.INTER_NEAREST)
        if previous_grey is not None:
            flow = dis.calc(previous_grey, grey, None)  # pixel of t → where it is in t+1
            warped = warp_labels(labels, flow)
            ious.append(Scores(confusion(previous_labels, warped)).miou)
        previous_grey, previous_labels = grey, labels
    if not ious:
        raise UserError(f"{video}: no consecutive frames line up with {pred_dir} (temporal consistency)")
    return {"pairs": len(ious), "tc_miou": round(float(np.mean(ious)), 6)}
