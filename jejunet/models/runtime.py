"""Running a TFLite model with ai-edge-litert: loading with delegate fallback, feeding, decoding.

XNNPACK is tried first; a model it cannot delegate (the 2018 JejuNet model's RESIZE_BILINEAR)
falls back to the built-in kernels, and the choice is recorded.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import cv2
import numpy as np
from ai_edge_litert import interpreter as litert

from jejunet.errors import ModelError
from jejunet.kinds import Probs
from jejunet.models.registry import ModelEntry

Delegate = Literal["auto", "xnnpack", "builtin"]
DEFAULT_FLOAT_NORMALIZATION = (127.5, 127.5)


@dataclass(frozen=True)
class ModelSignature:
    """What the graph needs to know about a model without running it."""

    input_size: tuple[int, int]  # (height, width)
    input_dtype: str
    output_shape: tuple[int, ...]
    output_dtype: str
    gives_probabilities: bool


_STDERR_LOCK = threading.Lock()
#: what the TFLite runtime prints on fd 2 when all is well (dropped); anything else is passed on
_NATIVE_NOISE = re.compile(
    rb"^INFO: (Created TensorFlow Lite XNNPACK delegate for CPU|Initialized TensorFlow Lite runtime)\.\s*$"
)


@contextmanager
def quiet_native_info() -> Iterator[None]:
    """Drop the TFLite runtime's INFO lines from fd 2 while the block runs; other lines still show."""
    with _STDERR_LOCK:
        sys.stderr.flush()
        try:
            saved = os.dup(2)
        except OSError:  # no stderr at all: nothing to filter
            yield
            return
        with tempfile.TemporaryFile() as sink:
            os.dup2(sink.fileno(), 2)
            try:
                yield
            finally:
                sys.stderr.flush()
                os.dup2(saved, 2)
                os.close(saved)
                sink.seek(0)
                kept = [
                    line for line in sink.read().splitlines(keepends=True) if not _NATIVE_NOISE.match(line)
                ]
                if kept:
                    os.write(2, b"".join(kept))


def _read_checked(path: Path) -> bytes:
    if not path.is_file():
        raise ModelError(f"{path}: model file not found")
    data = path.read_bytes()
    if len(data) < 8:
        raise ModelError(f"{path}: not a TFLite model (file is {len(data)} bytes)")
    return data


def _interpreter(data: bytes, path: Path, resolver: Any, threads: int) -> Any:
    try:
        return litert.Interpreter(
            model_content=data, num_threads=threads, experimental_op_resolver_type=resolver
        )
    except ValueError as exc:
        raise ModelError(f"{path}: not a valid TFLite model ({exc})") from None


@lru_cache(maxsize=32)
def _signature_cached(path: str, mtime_ns: int, size: int) -> ModelSignature:
    p = Path(path)
    interp = _interpreter(_read_checked(p), p, litert.OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES, 1)
    inp = interp.get_input_details()
    out = interp.get_output_details()
    if len(inp) != 1 or len(inp[0]["shape"]) != 4 or inp[0]["shape"][3] != 3:
        shapes = [tuple(int(v) for v in d["shape"]) for d in inp]
        raise ModelError(f"{p}: expected one 1×H×W×3 image input, got {shapes}")
    shape = tuple(int(v) for v in out[0]["shape"])
    dtype = np.dtype(out[0]["dtype"])
    return ModelSignature(
        input_size=(int(inp[0]["shape"][1]), int(inp[0]["shape"][2])),
        input_dtype=np.dtype(inp[0]["dtype"]).name,
        output_shape=shape,
        output_dtype=dtype.name,
        gives_probabilities=dtype.kind == "f" or len(shape) == 4,
    )


def model_signature(path: Path) -> ModelSignature:
    """Input size, output shape and whether probabilities come out; cached per file version."""
    try:
        stat = path.stat()
    except OSError:
        raise ModelError(f"{path}: model file not found") from None
    return _signature_cached(str(path), stat.st_mtime_ns, stat.st_size)


@dataclass
class LoadedModel:
    """An allocated interpreter plus how to feed it and read it."""

    path: Path
    interpreter: Any
    signature: ModelSignature
    delegate: str
    entry: ModelEntry | None
    fallback_reason: str | None = None
    input_index: int = 0
    output_index: int = 0
    input_quant: tuple[float, int] = (0.0, 0)
    output_quant: tuple[float, int] = (0.0, 0)
    normalization: tuple[float, float] | None = None
    info: dict[str, Any] = field(default_factory=dict)


def load_model(
    path: Path,
    entry: ModelEntry | None = None,
    num_threads: int = 1,
    delegate: Delegate = "auto",
    mean: float | None = None,
    std: float | None = None,
) -> LoadedModel:
    """Allocate an interpreter: XNNPACK first (unless `builtin`), built-in kernels as fallback."""
    data = _read_checked(path)
    signature = model_signature(path)
    tried: list[tuple[str, Any]] = []
    if delegate in ("auto", "xnnpack"):
        tried.append(("xnnpack", litert.OpResolverType.AUTO))
    if delegate in ("auto", "builtin"):
        tried.append(("builtin", litert.OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES))
    reason = None
    for name, resolver in tried:
        try:
            with quiet_native_info():
                interp = _interpreter(data, path, resolver, num_threads)
                interp.allocate_tensors()
        except RuntimeError as exc:
            reason = " ".join(str(exc).split())
            continue
        model = LoadedModel(path, interp, signature, name, entry, reason if name != tried[0][0] else None)
        _describe_io(model, mean, std)
        return model
    raise ModelError(f"{path}: no runtime can prepare this model ({reason})")


def _describe_io(model: LoadedModel, mean: float | None, std: float | None) -> None:
    inp = model.interpreter.get_input_details()[0]
    out = model.interpreter.get_output_details()[0]
    model.input_index, model.output_index = inp["index"], out["index"]
    model.input_quant = (float(inp["quantization"][0]), int(inp["quantization"][1]))
    model.output_quant = (float(out["quantization"][0]), int(out["quantization"][1]))
    entry = model.entry
    if mean is not None and std is not None:
        model.normalization = (mean, std)
    elif entry is not None and entry.mean is not None and entry.std is not None:
        model.normalization = (entry.mean, entry.std)
    elif np.dtype(inp["dtype"]).kind == "f" or np.dtype(inp["dtype"]) == np.int8:
        # float input, or int8 (pixels 0…255 cannot be int8 bytes): normalize, then quantize
        model.normalization = DEFAULT_FLOAT_NORMALIZATION
    else:
        model.normalization = None  # quantized input: the bytes are the model's own encoding


def preprocess(model: LoadedModel, image_bgr: np.ndarray) -> np.ndarray:
    """BGR frame at the model's input size → the input tensor (1×H×W×3, model dtype)."""
    rgb = cv2.cvtColor(image_bgr, cv2.COLOR_BGR2RGB)
    dtype = np.dtype(model.signature.input_dtype)
    if model.normalization is None:
        return rgb[np.newaxis].astype(dtype, copy=False)
    mean, std = model.normalization
    real = (rgb.astype(np.float32) - np.float32(mean)) * np.float32(1.0 / std)
    if dtype.kind == "f":
        return real[np.newaxis].astype(dtype, copy=False)
    scale, zero = model.input_quant
    info = np.iinfo(dtype)
    quantized = np.clip(np.round(real / scale) + zero, info.min, info.max)
    return quantized[np.newaxis].astype(dtype)


def invoke(model: LoadedModel, tensor: np.ndarray) -> np.ndarray:
    """Run the network on one input tensor; return a copy of the first output."""
    model.interpreter.set_tensor(model.input_index, tensor)
    model.interpreter.invoke()
    return model.interpreter.get_tensor(model.output_index)


def _softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=-1, keepdims=True)
    np.exp(shifted, out=shifted)
    shifted /= shifted.sum(axis=-1, keepdims=True)
    return shifted


def decode_output(model: LoadedModel, raw: np.ndarray) -> tuple[np.ndarray, Probs | None]:
    """Raw first output → (labels H×W uint8, probabilities or None), at the model's grid."""
    h, w = model.signature.input_size
    if raw.dtype.kind in "iu" and model.output_quant[0] == 0.0:
        if raw.size != h * w:
            raise ModelError(f"{model.path}: label output of {raw.size} values for a {h}×{w} input")
        return raw.reshape(h, w).astype(np.uint8), None
    values = raw.astype(np.float32)
    if model.output_quant[0]:
        scale, zero = model.output_quant
        values = (values - zero) * scale
    grid = values.reshape(values.shape[-3:]) if values.ndim == 4 else values.reshape(h, w, -1)
    meaning = model.entry.output if model.entry else ("probability" if grid.shape[-1] == 1 else "logits")
    if grid.shape[-1] == 1:
        positive = model.entry.positive_class if model.entry else 1
        p = np.clip(grid[..., 0], 0.0, 1.0)
        probs = Probs(np.stack([1.0 - p, p], axis=-1), np.array([0, positive], dtype=np.uint8))
    else:
        data = _softmax(grid) if meaning == "logits" else grid
        probs = Probs(data, np.arange(grid.shape[-1], dtype=np.uint8))
    return probs.argmax(), probs
