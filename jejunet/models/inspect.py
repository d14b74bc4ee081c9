"""Inspect a .tflite file: inputs and outputs, op counts, and whether XNNPACK accepts it."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
from ai_edge_litert import interpreter as litert

from jejunet.errors import ModelError
from jejunet.models.runtime import _interpreter, _read_checked, quiet_native_info


def _tensor(detail: dict[str, Any]) -> dict[str, Any]:
    scale, zero = detail["quantization"]
    q = detail.get("quantization_parameters", {})
    per_channel = len(q.get("scales", [])) > 1
    return {
        "name": detail["name"],
        "shape": [int(v) for v in detail["shape"]],
        "dtype": np.dtype(detail["dtype"]).name,
        "quantization": None
        if not scale and not per_channel
        else {"scale": float(scale), "zero_point": int(zero), "per_channel": per_channel},
    }


def inspect_model(path: Path) -> dict[str, Any]:
    """A JSON-able description of the model."""
    data = _read_checked(path)
    builtin = _interpreter(data, path, litert.OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES, 1)
    ops = builtin._get_ops_details()  # noqa: SLF001 - the public API has no op list
    counts = Counter(op["op_name"] for op in ops)
    xnn = _interpreter(data, path, litert.OpResolverType.AUTO, 1)
    try:
        with quiet_native_info():  # XNNPACK's INFO line on stderr
            xnn.allocate_tensors()
        xnnpack = {"accepted": True}
    except RuntimeError as exc:
        xnnpack = {"accepted": False, "reason": " ".join(str(exc).split())}
    try:
        builtin.allocate_tensors()
        builtin_ok: dict[str, Any] = {"accepted": True}
    except RuntimeError as exc:
        builtin_ok = {"accepted": False, "reason": " ".join(str(exc).split())}
    if not xnnpack["accepted"] and not builtin_ok["accepted"]:
        raise ModelError(f"{path}: neither XNNPACK nor the built-in kernels can prepare it")
    return {
        "file": str(path),
        "bytes": len(data),
        "inputs": [_tensor(d) for d in builtin.get_input_details()],
        "outputs": [_tensor(d) for d in builtin.get_output_details()],
        "ops": dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))),
        "op_total": sum(counts.values()),
        "xnnpack": xnnpack,
        "builtin_kernels": builtin_ok,
    }
