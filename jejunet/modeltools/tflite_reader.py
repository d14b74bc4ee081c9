"""Read a .tflite flatbuffer: its ops in execution order, their options, and dequantized constants.

Uses the schema bundled with ai-edge-litert (and the `flatbuffers` package); no TensorFlow.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from jejunet.errors import ModelError

_DTYPES = {0: np.float32, 1: np.float16, 2: np.int32, 3: np.uint8, 4: np.int64, 7: np.int16, 9: np.int8}
#: fused activation codes of the TFLite schema
ACTIVATIONS = {0: "none", 1: "relu", 2: "relu_n1_to_1", 3: "relu6", 4: "tanh"}


@dataclass
class TensorInfo:
    """A tensor of the graph: name, shape, type, quantization and (for constants) its stored values."""

    index: int
    name: str
    shape: tuple[int, ...]
    dtype: np.dtype
    scale: np.ndarray | None
    zero_point: np.ndarray | None
    data: np.ndarray | None = None

    def dequantized(self) -> np.ndarray:
        """The constant's real values (float32): (q − zero point) × scale, per channel if so stored."""
        if self.data is None:
            raise ModelError(f"tensor '{self.name}' is not a constant")
        values = self.data.astype(np.float32)
        if self.scale is None or self.dtype.kind == "f":
            return values
        scale, zero = self.scale.astype(np.float32), self.zero_point.astype(np.float32)
        if scale.size > 1:  # per-channel, along the first axis in this file format
            shape = (-1,) + (1,) * (values.ndim - 1)
            return (values - zero.reshape(shape)) * scale.reshape(shape)
        return (values - zero[0]) * scale[0]

    @property
    def quant_range(self) -> tuple[float, float] | None:
        """The real range a quantized activation can hold, or None for float tensors."""
        if self.scale is None or self.dtype.kind == "f" or self.scale.size != 1:
            return None
        info = np.iinfo(self.dtype)
        s, z = float(self.scale[0]), float(self.zero_point[0])
        return (info.min - z) * s, (info.max - z) * s


@dataclass
class OpInfo:
    """One op: its builtin name, input/output tensors and its options as a dict."""

    index: int
    name: str
    inputs: list[TensorInfo]
    outputs: list[TensorInfo]
    options: dict[str, Any] = field(default_factory=dict)


@dataclass
class FlatModel:
    """The first subgraph of a .tflite file."""

    path: Path
    ops: list[OpInfo]
    inputs: list[TensorInfo]
    outputs: list[TensorInfo]


def _schema() -> Any:
    try:
        from ai_edge_litert import schema_py_generated
    except ImportError as exc:  # the schema needs the `flatbuffers` package
        raise ModelError(f"cannot read .tflite flatbuffers here ({exc}); pip install flatbuffers") from None
    return schema_py_generated


def read_tflite(path: Path) -> FlatModel:
    """Parse the file; raise ModelError if it is not a TFLite flatbuffer."""
    schema = _schema()
    try:
        buf = path.read_bytes()
    except OSError as exc:
        raise ModelError(f"{path}: cannot read ({exc.strerror})") from None
    if len(buf) < 8 or buf[4:8] != b"TFL3":
        raise ModelError(f"{path}: not a TFLite flatbuffer")
    try:
        model = schema.ModelT.InitFromPackedBuf(buf, 0)
    except Exception as exc:  # noqa: BLE001 - a corrupt buffer raises anything
        raise ModelError(f"{path}: corrupt TFLite flatbuffer ({exc})") from None
    names = {v: k for k, v in vars(schema.BuiltinOperator).items() if not k.startswith("_")}
    graph = model.subgraphs[0]
    tensors = [_tensor(i, t, model.buffers) for i, t in enumerate(graph.tensors)]
    ops = []
    for i, op in enumerate(graph.operators):
        code = model.operatorCodes[op.opcodeIndex]
        builtin = max(code.builtinCode, code.deprecatedBuiltinCode)
        options = dict(vars(op.builtinOptions)) if op.builtinOptions is not None else {}
        ops.append(
            OpInfo(
                i,
                names.get(builtin, f"OP_{builtin}"),
                [tensors[t] for t in op.inputs if t >= 0],
                [tensors[t] for t in op.outputs],
                options,
            )
        )
    return FlatModel(path, ops, [tensors[t] for t in graph.inputs], [tensors[t] for t in graph.outputs])


def _tensor(index: int, t: Any, buffers: list[Any]) -> TensorInfo:
    dtype = np.dtype(_DTYPES.get(t.type, np.uint8))
    shape = tuple(int(v) for v in t.shape) if t.shape is not None else ()
    q = t.quantization
    scale = zero = None
    if q is not None and q.scale is not None and len(q.scale):
        scale = np.asarray(q.scale, dtype=np.float64)
        zero = np.asarray(q.zeroPoint, dtype=np.int64)
    data = None
    buffer = buffers[t.buffer] if t.buffer < len(buffers) else None
    if buffer is not None and buffer.data is not None and len(buffer.data):
        data = np.frombuffer(np.asarray(buffer.data, dtype=np.uint8).tobytes(), dtype=dtype).reshape(shape)
    name = t.name.decode() if isinstance(t.name, bytes) else str(t.name)
    return TensorInfo(index, name, shape, dtype, scale, zero, data)
