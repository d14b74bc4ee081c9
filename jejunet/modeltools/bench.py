"""Latency of several TFLite models in one run: alternating A B C A B C …, medians, ratios."""

from __future__ import annotations

import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from jejunet.models.runtime import LoadedModel, invoke, preprocess
from jejunet.modeltools.agreement import open_model
from jejunet.ops.resize import resize_image


@dataclass
class BenchRow:
    model: str
    threads: int
    delegate: str
    median_ms: float
    p90_ms: float
    ratio: float  # median of the first model / this model's median (> 1: faster than the first)


def _input(model: LoadedModel, frame: np.ndarray) -> np.ndarray:
    h, w = model.signature.input_size
    return preprocess(model, resize_image(frame, w, h, "stretch", "area"))


def bench(
    refs: Sequence[str], frame: np.ndarray, threads: Sequence[int] = (1, 2), rounds: int = 30, warmup: int = 3
) -> list[BenchRow]:  # the input's content does not change the time: normalization is not needed
    """Each thread count: load every model, warm up, then `rounds` rounds of one invoke per model in turn."""
    rows: list[BenchRow] = []
    for n in threads:
        models = [open_model(r, threads=n) for r in refs]
        inputs = [_input(m, frame) for m in models]
        for _ in range(warmup):
            for m, x in zip(models, inputs, strict=True):
                invoke(m, x)
        times: list[list[float]] = [[] for _ in models]
        for _ in range(rounds):
            for i, (m, x) in enumerate(zip(models, inputs, strict=True)):
                t0 = time.perf_counter()
                invoke(m, x)
                times[i].append((time.perf_counter() - t0) * 1000.0)
        medians = [statistics.median(t) for t in times]
        for ref, m, t, med in zip(refs, models, times, medians, strict=True):
            p90 = float(np.percentile(t, 90))
            rows.append(BenchRow(str(ref), n, m.delegate, med, p90, medians[0] / med))
    return rows
