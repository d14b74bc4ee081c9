"""Simulated (fake) quantization at any bit width: weights and activations, mIoU and agreement.

Weights: per-tensor asymmetric (the seed's 2018 scheme) or per-channel symmetric, dequantized back to
float. Activations: every tensor an integer runtime would store (conv outputs, residual sums, the
pooled features) passes a fake-quant with the min/max seen on calibration frames. The input image is
8 bits in every row (camera pixels). Biases stay 32-bit, as in integer kernels.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from jejunet.errors import UserError
from jejunet.media.atomic import write_bytes_atomic
from jejunet.modeltools import require_tensorflow
from jejunet.modeltools.agreement import agreement, miou
from jejunet.modeltools.frames import to_input
from jejunet.modeltools.keras_builder import build_keras, set_weights
from jejunet.modeltools.store import ModelFolder

FLOAT_BITS = 32


@dataclass(frozen=True)
class Bits:
    weights: int
    activations: int

    @property
    def label(self) -> str:
        return f"w{self.weights}a{self.activations}"


@dataclass
class LowbitRow:
    label: str
    weights: int
    activations: int
    miou: float
    agreement: float


def parse_bits(text: str) -> list[Bits]:
    """'w8a8,w6a4' → [Bits(8, 8), Bits(6, 4)]; 32 means float."""
    out = []
    for item in (t.strip().lower() for t in text.split(",") if t.strip()):
        m = re.fullmatch(r"w(\d+)a(\d+)", item)
        if not m:
            raise UserError(f"bits '{item}': expected wNaM, e.g. w8a8 or w6a4")
        w, a = int(m.group(1)), int(m.group(2))
        if not all(2 <= v <= 16 or v == FLOAT_BITS for v in (w, a)):
            raise UserError(f"bits '{item}': widths must be 2…16, or 32 for float")
        out.append(Bits(w, a))
    if not out:
        raise UserError("--bits is empty")
    return out


def quantize_weights(kernel: np.ndarray, bits: int, per_channel: bool, depthwise: bool) -> np.ndarray:
    """The kernel after a round trip through `bits`-bit integers."""
    if bits >= FLOAT_BITS:
        return kernel
    if per_channel:
        axis = 2 if depthwise else 3
        reduce = tuple(i for i in range(kernel.ndim) if i != axis)
        top = np.abs(kernel).max(axis=reduce, keepdims=True)
        scale = np.maximum(top, 1e-12) / (2 ** (bits - 1) - 1)
        limit = 2 ** (bits - 1) - 1
        return (np.clip(np.round(kernel / scale), -limit, limit) * scale).astype(np.float32)
    lo, hi = min(float(kernel.min()), 0.0), max(float(kernel.max()), 0.0)
    levels = 2**bits - 1
    scale = max(hi - lo, 1e-12) / levels
    zero = np.round(-lo / scale)
    q = np.clip(np.round(kernel / scale) + zero, 0, levels)
    return ((q - zero) * scale).astype(np.float32)


def _fake_quant_layer(lo: float, hi: float, bits: int, name: str) -> Any:
    tf = require_tensorflow()

    class FakeQuant(tf.keras.layers.Layer):
        def call(self, x: Any) -> Any:
            return tf.quantization.fake_quant_with_min_max_args(x, min=lo, max=hi, num_bits=bits)

    return FakeQuant(name=f"{name}_fq{bits}")


def activation_ranges(
    folder: ModelFolder, size: tuple[int, int], frames: Sequence[np.ndarray]
) -> dict[str, tuple[float, float]]:
    """min/max of every stored activation over the calibration frames (float model)."""
    tf = require_tensorflow()
    points: dict[str, Any] = {}

    def probe(name: str, x: Any) -> Any:
        if name != "input":
            points[name] = x
        return x

    model = build_keras(folder.spec, size, probe, folder.act_max)
    set_weights(model, folder.spec, folder.weights)
    names = list(points)
    prober = tf.keras.Model(model.inputs, [points[n] for n in names])
    lo = {n: 0.0 for n in names}
    hi = {n: 0.0 for n in names}
    for frame in frames:
        values = prober([to_input(frame, size, folder.mean, folder.std)], training=False)
        for n, v in zip(names, values, strict=True):
            lo[n] = min(lo[n], float(tf.reduce_min(v)))
            hi[n] = max(hi[n], float(tf.reduce_max(v)))
    return {n: (lo[n], hi[n]) for n in names}


def quantized_model(
    folder: ModelFolder,
    size: tuple[int, int],
    bits: Bits,
    ranges: dict[str, tuple[float, float]],
    per_channel: bool,
) -> Any:
    """The Keras network with fake-quantized weights and activations."""
    from jejunet.modeltools.spec import conv_plan

    def hook(name: str, x: Any) -> Any:
        if bits.activations >= FLOAT_BITS or name not in ranges:
            return x
        lo, hi = ranges[name]
        return _fake_quant_layer(lo, hi, bits.activations, name)(x)

    model = build_keras(folder.spec, size, hook, folder.act_max)
    depthwise = {c.name: c.depthwise for c in conv_plan(folder.spec)}
    weights = {
        name: {**d, "kernel": quantize_weights(d["kernel"], bits.weights, per_channel, depthwise[name])}
        for name, d in folder.weights.items()
    }
    set_weights(model, folder.spec, weights)
    return model


def _labels(model: Any, folder: ModelFolder, size: tuple[int, int], frame: np.ndarray) -> np.ndarray:
    logits = model([to_input(frame, size, folder.mean, folder.std)], training=False).numpy()[0]
    labels = logits.argmax(-1).astype(np.uint8)
    return cv2.resize(labels, (frame.shape[1], frame.shape[0]), interpolation=cv2.INTER_NEAREST)


def lowbit_study(
    folder: ModelFolder,
    size: tuple[int, int],
    bits: Sequence[Bits],
    data: Sequence[tuple[str, np.ndarray, np.ndarray]],
    calibration: Sequence[np.ndarray],
    per_channel: bool = False,
) -> list[LowbitRow]:
    """One row per bit setting: mIoU against the ground truth, agreement with the float model."""
    ranges = activation_ranges(folder, size, calibration)
    float_model = quantized_model(folder, size, Bits(FLOAT_BITS, FLOAT_BITS), ranges, per_channel)
    images = [d[1] for d in data]
    truths = [d[2] for d in data]
    reference = [_labels(float_model, folder, size, f) for f in images]
    rows = []
    for b in bits:
        model = quantized_model(folder, size, b, ranges, per_channel)
        labels = [_labels(model, folder, size, f) for f in images]
        score, agree = miou(labels, truths), agreement(labels, reference)
        rows.append(LowbitRow(b.label, b.weights, b.activations, score, agree))
    return rows


def write_csv(rows: Sequence[LowbitRow], path: Path, size: str, weights: str, images: int) -> None:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["bits", "weight_bits", "activation_bits", "miou", "agreement_with_float", "size",
                     "weight_scheme", "images"])  # fmt: skip
    for r in rows:
        values = [r.label, r.weights, r.activations, f"{r.miou:.4f}", f"{r.agreement:.4f}"]
        writer.writerow([*values, size, weights, images])
    write_bytes_atomic(path, buf.getvalue().encode())
