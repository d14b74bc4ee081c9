"""Export a model folder to .tflite at any input size: fp32, fp16 weights, or full-integer int8.

int8 is post-training quantization calibrated on real frames, per-channel weights, int8 input (and
int8 logits); every op but ARG_MAX is one XNNPACK delegates.

Float label exports of an imported seed take the argmax on the seed's uint8 logit grid by default
(`argmax_grid="seed"`): logits rounded to its scale before the resize, the resize rounded after it,
so that ties break towards the lower class as in the seed, where a float argmax picks either side.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from jejunet.errors import ModelError, UserError
from jejunet.media.atomic import write_bytes_atomic
from jejunet.modeltools import require_tensorflow
from jejunet.modeltools.frames import to_input
from jejunet.modeltools.keras_builder import build_from_folder
from jejunet.modeltools.store import ModelFolder

Precision = Literal["fp32", "fp16", "int8"]
Output = Literal["labels", "logits"]
ArgmaxGrid = Literal["auto", "seed", "float"]
PRECISIONS: tuple[str, ...] = ("fp32", "fp16", "int8")


@dataclass
class ExportResult:
    path: Path
    bytes: int
    size: tuple[int, int]
    precision: str
    output: str
    calibration_frames: int
    argmax_grid: str = "float"


def resolve_grid(folder: ModelFolder, precision: str, output: str, grid: ArgmaxGrid) -> dict | None:
    """The seed's logit grid to take the argmax on, or None (float argmax).

    `auto` uses it for float label exports of a folder that records one; int8 has its own grid.
    """
    applies = output == "labels" and precision != "int8"
    if grid == "seed" and not applies:
        raise UserError("--argmax-grid seed applies to fp32/fp16 exports with --output labels")
    recorded = folder.info.get("logits_grid")
    if grid == "float" or not applies:
        return None
    if recorded is None:
        if grid == "seed":
            raise UserError(f"{folder.path}: records no seed logit grid (import a quantized seed model)")
        return None
    return dict(recorded)


def _grid_labels(tf: Any, logits: Any, size: tuple[int, int], align_corners: bool, grid: dict) -> Any:
    """Argmax as the seed computes it: logits on its integer grid, resized, rounded half up."""
    zero = float(grid["zero_point"])
    steps = tf.floor(logits * (1.0 / grid["scale"]) + 0.5)
    steps = tf.clip_by_value(steps, grid["qmin"] - zero, grid["qmax"] - zero)
    resized = tf.compat.v1.image.resize_bilinear(steps, size, align_corners=align_corners)
    return tf.argmax(tf.floor(resized + 0.5), axis=-1, output_type=tf.int32)


def _concrete(model: Any, size: tuple[int, int], output: Output, grid: dict | None, align: bool) -> Any:
    tf = require_tensorflow()
    h, w = size
    if grid is not None:
        model = tf.keras.Model(model.input, model.get_layer("upsample_logits").input)

    @tf.function(input_signature=[tf.TensorSpec([1, h, w, 3], tf.float32, name="image")])
    def serve(image: Any) -> Any:
        logits = model(image, training=False)
        if grid is not None:
            return {"labels": _grid_labels(tf, logits, size, align, grid)}
        if output == "labels":
            return {"labels": tf.argmax(logits, axis=-1, output_type=tf.int32)}
        return {"logits": logits}

    from tensorflow.python.framework.convert_to_constants import convert_variables_to_constants_v2

    # Keras 3 variables are not tracked by the converter: freeze them into constants first
    return convert_variables_to_constants_v2(serve.get_concrete_function())


def convert(
    folder: ModelFolder,
    size: tuple[int, int],
    precision: Precision,
    output: Output = "labels",
    calibration: Sequence[np.ndarray] = (),
    grid: dict | None = None,
) -> bytes:
    """The .tflite bytes of `folder` at (height, width); `grid` from `resolve_grid`."""
    tf = require_tensorflow()
    if precision not in PRECISIONS:
        raise UserError(f"precision '{precision}': choose one of {', '.join(PRECISIONS)}")
    if precision == "int8" and not calibration:
        raise UserError("int8 needs calibration frames (--calibration VIDEO|IMAGE_FOLDER)")
    model = build_from_folder(folder, size)
    concrete = _concrete(model, size, output, grid, folder.spec.align_corners)
    converter = tf.lite.TFLiteConverter.from_concrete_functions([concrete])
    if precision == "fp16":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.target_spec.supported_types = [tf.float16]
    elif precision == "int8":
        inputs = [to_input(f, size, folder.mean, folder.std) for f in calibration]

        def representative() -> Any:
            for x in inputs:
                yield [x]

        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.representative_dataset = representative
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        converter.inference_input_type = tf.int8
        if output == "logits":
            converter.inference_output_type = tf.int8
    try:
        return converter.convert()
    except Exception as exc:  # noqa: BLE001 - the converter raises many kinds
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ModelError(f"TFLite conversion failed: {first}") from None


def export(
    folder: ModelFolder,
    size: tuple[int, int],
    precision: Precision,
    out: Path,
    output: Output = "labels",
    calibration: Sequence[np.ndarray] = (),
    argmax_grid: ArgmaxGrid = "auto",
) -> ExportResult:
    """Convert and write `out` atomically; check that the runtime loads it."""
    grid = resolve_grid(folder, precision, output, argmax_grid)
    data = convert(folder, size, precision, output, calibration, grid)
    with tempfile.TemporaryDirectory(prefix="jejunet-export-") as tmp:
        probe = Path(tmp) / "probe.tflite"
        probe.write_bytes(data)
        from jejunet.models.runtime import load_model

        load_model(probe, delegate="auto")
    write_bytes_atomic(out, data)
    used = "seed" if grid is not None else "float"
    return ExportResult(out, len(data), size, precision, output, len(calibration), used)


def describe(folder: ModelFolder, result: ExportResult) -> str:
    h, w = result.size
    trained = "trained weights" if folder.trained else "RANDOM weights: speed/size only"
    return (
        f"{folder.spec.describe()}, {w}×{h}, {result.precision}, outputs {result.output}"
        f"{' (argmax on the seed logit grid)' if result.argmax_grid == 'seed' else ''} "
        f"({trained}; from {folder.info.get('source', folder.path)})"
    )
