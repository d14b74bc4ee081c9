"""Multiply-adds of a TFLite model, counted from its graph (convolutions and fully connected layers)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from ai_edge_litert import interpreter as litert

from jejunet.errors import ModelError


def _shape(details: dict[int, dict], index: int) -> tuple[int, ...]:
    return tuple(int(v) for v in details[index]["shape"])


def count_macs(path: Path) -> int:
    """Multiply-adds of one inference: CONV_2D, DEPTHWISE_CONV_2D, TRANSPOSE_CONV, FULLY_CONNECTED."""
    try:
        interp = litert.Interpreter(
            model_path=str(path),
            experimental_op_resolver_type=litert.OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES,
        )
    except ValueError as exc:
        raise ModelError(f"{path}: not a valid TFLite model ({exc})") from None
    tensors = {d["index"]: d for d in interp.get_tensor_details()}
    total = 0
    for op in interp._get_ops_details():  # the public API has no graph walk
        name, inputs, outputs = op["op_name"], list(op["inputs"]), list(op["outputs"])
        if not outputs or outputs[0] < 0:
            continue
        out = _shape(tensors, outputs[0])
        if name == "CONV_2D":
            _, kh, kw, cin = _shape(tensors, inputs[1])
            total += int(np.prod(out)) * kh * kw * cin
        elif name == "DEPTHWISE_CONV_2D":
            _, kh, kw, _ = _shape(tensors, inputs[1])
            total += int(np.prod(out)) * kh * kw
        elif name == "TRANSPOSE_CONV":
            cout, kh, kw, cin = _shape(tensors, inputs[1])
            source = _shape(tensors, inputs[2])
            total += int(np.prod(source[:-1])) * kh * kw * cin * cout
        elif name == "FULLY_CONNECTED":
            units, depth = _shape(tensors, inputs[1])
            total += int(np.prod(out[:-1])) * units * depth
        elif name == "Convolution2DTransposeBias":  # MediaPipe's custom op: kernel OHWI, input NHWC
            cout, kh, kw, cin = _shape(tensors, inputs[1])
            source = _shape(tensors, inputs[0])
            total += int(np.prod(source[:-1])) * kh * kw * cin * cout
    return total
