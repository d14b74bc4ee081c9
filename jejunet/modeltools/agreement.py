"""Agreement between models (same argmax label per pixel) and mIoU against ground truth, via TFLite."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from jejunet.eval.miou import NUM_CLASSES, Scores, confusion
from jejunet.models.registry import resolve_model
from jejunet.models.runtime import LoadedModel, decode_output, invoke, load_model, preprocess
from jejunet.ops.resize import resize_image


def open_model(
    ref: str | Path,
    threads: int = 1,
    delegate: str = "auto",
    mean: float | None = None,
    std: float | None = None,
) -> LoadedModel:
    """A registered name or a .tflite path, loaded with its registered (or the given) normalization."""
    path, entry = resolve_model(str(ref), download=False)
    return load_model(path, entry, threads, delegate, mean, std)  # type: ignore[arg-type]


def predict(model: LoadedModel, frame: np.ndarray, dither: np.random.Generator | None = None) -> np.ndarray:
    """Labels of a BGR frame, at the frame's own resolution (input stretched, labels nearest).

    `dither`: add ±1 (of 255) at random to every value of the resized image, an invisible change.
    """
    h, w = model.signature.input_size
    image = resize_image(frame, w, h, "stretch", "area")
    if dither is not None:
        step = dither.choice(np.array([-1, 1], np.int16), image.shape)
        image = np.clip(image.astype(np.int16) + step, 0, 255).astype(np.uint8)
    labels, _ = decode_output(model, invoke(model, preprocess(model, image)))
    if labels.shape != frame.shape[:2]:
        labels = cv2.resize(labels, (frame.shape[1], frame.shape[0]), interpolation=cv2.INTER_NEAREST)
    return labels


def agreement(a: Sequence[np.ndarray], b: Sequence[np.ndarray]) -> float:
    """Fraction of pixels with the same label over all frames."""
    same = sum(int(np.count_nonzero(x == y)) for x, y in zip(a, b, strict=True))
    return same / max(1, sum(x.size for x in a))


def noise_floor(
    model: LoadedModel,
    frames: Sequence[np.ndarray],
    labels: Sequence[np.ndarray] | None = None,
    seed: int = 0,
) -> float:
    """Agreement of a model with itself when its input changes by ±1 of 255 (dithered): how stable
    its labels are, hence the most any other model can be expected to agree with it on these frames.

    `labels`: the model's own labels of `frames`, when the caller has them already.
    """
    rng = np.random.default_rng(seed)
    clean = labels if labels is not None else [predict(model, f) for f in frames]
    return agreement(clean, [predict(model, f, rng) for f in frames])


@dataclass
class Comparison:
    agreement: float
    frames: int


def compare(reference: LoadedModel, model: LoadedModel, frames: Sequence[np.ndarray]) -> Comparison:
    ref = [predict(reference, f) for f in frames]
    out = [predict(model, f) for f in frames]
    return Comparison(agreement(ref, out), len(frames))


def miou(labels: Sequence[np.ndarray], truths: Sequence[np.ndarray]) -> float:
    """mIoU over a set (one confusion matrix), 255 in the ground truth ignored."""
    matrix = np.zeros((NUM_CLASSES, NUM_CLASSES), dtype=np.int64)
    for pred, gt in zip(labels, truths, strict=True):
        matrix += confusion(gt, pred.astype(np.uint8))
    return Scores(matrix).miou
