"""Predictions against ground truth: pairing by frame, the size rule, whole-set and per-shot scores."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from jejunet.errors import UserError
from jejunet.eval.miou import NUM_CLASSES, Scores, confusion, finite, label_files, pair_files, read_labels
from jejunet.eval.shots import ShotRange, shot_of

ASPECT_TOLERANCE = 0.02  # relative; 256×144 against 640×360 is the same picture, 256×256 is not
SIZE_RULE = (
    "a prediction of another size but the same aspect ratio is resized to the ground truth's size with "
    "nearest neighbour (as the ground truth's resolution decides); another aspect ratio is refused"
)


@dataclass(frozen=True)
class Resized:
    """The first prediction that was resized, and how many were."""

    file: str
    size: tuple[int, int]
    gt_size: tuple[int, int]
    count: int = 1

    def counted(self) -> Resized:
        """The same first prediction, one more resized."""
        return replace(self, count=self.count + 1)

    def to_dict(self) -> dict[str, Any]:
        return {"images": self.count, "first": self.file, "from": list(self.size), "to": list(self.gt_size)}

    def warning(self) -> str:
        return (
            f"{self.file}: prediction {self.size[0]}×{self.size[1]}, ground truth {self.gt_size[0]}×"
            f"{self.gt_size[1]}: {self.count} prediction(s) resized to the ground truth's size "
            "(nearest neighbour, same aspect ratio) before scoring"
        )


@dataclass
class GtResult:
    scores: Scores
    pairing: str
    count: int
    shots: list[tuple[ShotRange, Scores, int]] = field(default_factory=list)  # (shot, scores, frames)
    resized: Resized | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"images": self.count, "paired_by": self.pairing, **self.scores.to_dict()}
        out["resized"] = self.resized.to_dict() if self.resized else None
        if self.shots:
            out["shots"] = [
                {
                    "shot": s.shot,
                    "photo": s.photo,
                    "frames": [s.start, s.end],
                    "scored": n,
                    "miou": finite(sc.miou) if n else None,
                    "pixel_accuracy": finite(sc.pixel_accuracy) if n else None,
                    "pixels": int(sc.matrix.sum()),
                }
                for s, sc, n in self.shots
            ]
        return out


def size_of(labels: np.ndarray) -> tuple[int, int]:
    return labels.shape[1], labels.shape[0]


def check_size(
    pred: Path, labels: np.ndarray, gt: Path, truth: np.ndarray, role: str = "ground truth"
) -> bool:
    """True when the prediction must be resized; a different aspect ratio is the user's error."""
    if labels.shape == truth.shape:
        return False
    (w, h), (gw, gh) = size_of(labels), size_of(truth)
    if abs((w / h) / (gw / gh) - 1) > ASPECT_TOLERANCE:
        raise UserError(
            f"{pred}: prediction is {w}×{h}, its {role} {gt} is {gw}×{gh}: different aspect ratios, "
            "not compared (predictions of another clip or size? write labels at the frame's size)"
        )
    return True


def frame_number(path: Path) -> int | None:
    return int(path.stem) if path.stem.isdigit() else None


def pair_frames(
    pred_dir: Path, gt_dir: Path, start: int = 0, stride: int = 1
) -> tuple[list[tuple[Path, Path]], str]:
    """Pairs of (prediction, ground truth). Predictions of a run that began at frame `start` and
    took every `stride`-th frame: prediction k is frame start + k·stride (numbered files)."""
    if start == 0 and stride == 1:
        return pair_files(pred_dir, gt_dir)
    preds, gts = label_files(pred_dir, "--pred"), label_files(gt_dir, "--gt")
    gt_by_frame = {frame_number(p): p for p in gts if frame_number(p) is not None}
    out = []
    for pred in preds:
        k = frame_number(pred)
        if k is None:
            raise UserError(f"{pred}: --start/--stride pair numbered files (000000.png …) only")
        frame = start + k * stride
        gt = gt_by_frame.get(frame)
        if gt is None:
            raise UserError(f"{gt_dir}: no ground truth for frame {frame} (prediction {pred.name})")
        out.append((pred, gt))
    return out, f"frame (start {start}, stride {stride})"


def evaluate_gt(
    pred_dir: Path,
    gt_dir: Path,
    names: tuple[str, ...] | None = None,
    gt_map: np.ndarray | None = None,
    shots: list[ShotRange] | None = None,
    start: int = 0,
    stride: int = 1,
) -> GtResult:
    """One confusion matrix over the set (and one per shot, given the shots), 255 ignored."""
    pairs, pairing = pair_frames(pred_dir, gt_dir, start, stride)
    total = np.zeros((NUM_CLASSES, NUM_CLASSES), dtype=np.int64)
    per_shot = [np.zeros_like(total) for _ in shots or []]
    counts = [0] * len(per_shot)
    resized: Resized | None = None
    for pred, gt in pairs:
        truth, labels = read_labels(gt), read_labels(pred)
        if gt_map is not None:
            truth = gt_map[truth]
        if check_size(pred, labels, gt, truth):
            resized = resized.counted() if resized else Resized(pred.name, size_of(labels), size_of(truth))
        m = confusion(truth, labels)
        total += m
        if shots:
            frame = frame_number(gt)
            if frame is None:
                raise UserError(f"{gt}: scores per shot need frame-numbered ground truth (000000.png …)")
            position = shot_of(frame, shots)
            if position is not None:
                per_shot[position] += m
                counts[position] += 1
    result = GtResult(Scores(total, names), pairing, len(pairs), resized=resized)
    result.shots = [(s, Scores(m, names), n) for s, m, n in zip(shots or [], per_shot, counts, strict=True)]
    return result
