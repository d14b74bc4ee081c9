"""Import the seed JejuNet .tflite: infer its architecture, map its ops onto the plan, dequantize weights.

The 2018 flatbuffer has batch-norm folded into its convolutions, uint8 weights with one scale per
tensor and int32 biases; the ReLUs of the head are not fused ops but the lower end of their uint8
output range (zero point 0), which is how they are recognized here.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from jejunet.assets import sha256_of
from jejunet.errors import ModelError
from jejunet.modeltools.spec import ConvDef, DeepLabSpec, backbone, conv_plan
from jejunet.modeltools.store import ModelFolder
from jejunet.modeltools.tflite_reader import ACTIVATIONS, FlatModel, OpInfo, read_tflite

CONV_OPS = ("CONV_2D", "DEPTHWISE_CONV_2D")


def _activation(op: OpInfo) -> str:
    fused = ACTIVATIONS.get(int(op.options.get("fusedActivationFunction", 0)), "none")
    if fused != "none":
        return fused
    out = op.outputs[0]
    rng = out.quant_range
    return "relu" if rng is not None and abs(rng[0]) < 1e-9 else "none"


def infer_spec(flat: FlatModel) -> DeepLabSpec:
    """Width, output stride, classes, atrous-ness and resize mode, read from the graph."""
    convs = [op for op in flat.ops if op.name in CONV_OPS]
    if len(convs) < 5 or not flat.inputs or len(flat.inputs[0].shape) != 4:
        raise ModelError(f"{flat.path}: not a DeepLab + MobileNetV2 graph ({len(convs)} convolutions)")
    stem_out = convs[0].inputs[1].shape[0]
    width = stem_out / 32
    input_h = flat.inputs[0].shape[1]
    pools = [op for op in flat.ops if op.name in ("AVERAGE_POOL_2D", "MEAN")]
    if not pools:
        raise ModelError(f"{flat.path}: no image-pooling branch (AVERAGE_POOL_2D / MEAN) found")
    features_h = pools[0].inputs[0].shape[1]
    dilated = any(int(op.options.get("dilationHFactor", 1)) > 1 for op in convs)
    resizes = [op for op in flat.ops if op.name == "RESIZE_BILINEAR"]
    align = bool(resizes[-1].options.get("alignCorners", False)) if resizes else False
    try:
        return DeepLabSpec(
            width=width,
            output_stride=max(1, input_h // max(features_h, 1)),
            num_classes=convs[-1].inputs[1].shape[0],
            atrous=dilated,
            align_corners=align,
        )
    except ValueError as exc:
        raise ModelError(f"{flat.path}: unsupported architecture ({exc})") from None


def _kernel(op: OpInfo) -> np.ndarray:
    """TFLite kernel ([cout, k, k, cin] or [1, k, k, C]) → Keras layout ([k, k, cin, cout] / [k, k, C, 1])."""
    return np.ascontiguousarray(op.inputs[1].dequantized().transpose(1, 2, 3, 0))


def _check(op: OpInfo, conv: ConvDef) -> None:
    where = f"op {op.index} ({op.name}, output '{op.outputs[0].name}') as layer '{conv.name}'"
    if (op.name == "DEPTHWISE_CONV_2D") != conv.depthwise:
        raise ModelError(f"{where}: expected a {'depthwise ' if conv.depthwise else ''}convolution")
    kernel = op.inputs[1].shape
    keras_shape = (kernel[1], kernel[2], kernel[3], kernel[0])
    if keras_shape != conv.kernel_shape:
        raise ModelError(f"{where}: kernel {keras_shape}, expected {conv.kernel_shape}")
    stride = int(op.options.get("strideH", 1))
    if stride != conv.stride:
        raise ModelError(f"{where}: stride {stride}, expected {conv.stride}")
    if int(op.options.get("dilationHFactor", 1)) != conv.dilation:
        raise ModelError(f"{where}: dilation {op.options.get('dilationHFactor')}, expected {conv.dilation}")
    if op.options.get("padding", 0) != 0:
        raise ModelError(f"{where}: VALID padding, the builder uses SAME")
    act = _activation(op)
    if act != conv.activation:
        raise ModelError(f"{where}: activation {act}, expected {conv.activation}")


def pool_resize_gain(flat: FlatModel) -> float:
    """How much the seed's runtime scales the image-pooling branch.

    Its uint8 RESIZE_BILINEAR (1×1 → feature grid) has an output scale unlike its input's, and the
    TFLite kernel copies the bytes without requantizing: the branch is multiplied by out/in scale.
    """
    for op in flat.ops:
        if op.name != "RESIZE_BILINEAR" or op.inputs[0].shape[1:3] != (1, 1):
            continue
        src, dst = op.inputs[0], op.outputs[0]
        if src.dtype.kind in "iu" and src.scale is not None and dst.scale is not None:
            same_zero = int(src.zero_point[0]) == int(dst.zero_point[0]) == 0
            if same_zero:
                return float(dst.scale[0] / src.scale[0])
    return 1.0


def import_seed(path: Path, as_trained: bool = False) -> ModelFolder:
    """The seed model's weights in float, keyed by the plan's layer names, with provenance.

    By default the result computes what the seed computes under today's TFLite runtime (see
    `pool_resize_gain`); `as_trained` leaves the image-pooling branch unscaled.
    """
    flat = read_tflite(path)
    spec = infer_spec(flat)
    plan = conv_plan(spec)
    ops = [op for op in flat.ops if op.name in CONV_OPS]
    if len(ops) != len(plan):
        raise ModelError(f"{path}: {len(ops)} convolutions, the {spec.describe()} plan has {len(plan)}")
    _, blocks = backbone(spec)
    adds = sum(op.name == "ADD" for op in flat.ops)
    if adds != sum(b.residual for b in blocks):
        raise ModelError(f"{path}: {adds} residual ADDs, expected {sum(b.residual for b in blocks)}")
    digest = sha256_of(path)
    weights: dict[str, dict[str, np.ndarray]] = {}
    act_max: dict[str, float] = {}
    logits_grid: dict[str, float] | None = None
    for op, conv in zip(ops, plan, strict=True):
        _check(op, conv)
        out = op.outputs[0]
        rng = out.quant_range
        if conv.name == "logits" and out.scale is not None and out.zero_point is not None:
            limits = np.iinfo(out.dtype)
            logits_grid = {
                "scale": float(out.scale[0]),
                "zero_point": int(out.zero_point[0]),
                "qmin": int(limits.min),
                "qmax": int(limits.max),
            }
        if conv.activation == "relu" and rng is not None:
            act_max[conv.name] = round(rng[1], 6)
        entry = {"kernel": _kernel(op)}
        if len(op.inputs) > 2:
            entry["bias"] = op.inputs[2].dequantized().astype(np.float32)
        else:
            entry["bias"] = np.zeros(conv.cout, np.float32)
        weights[conv.name] = entry
    gain = 1.0 if as_trained else pool_resize_gain(flat)
    if gain != 1.0:
        proj = weights["concat_projection"]["kernel"].copy()
        proj[:, :, : spec.head_channels] *= gain
        weights["concat_projection"]["kernel"] = proj
    inp = flat.inputs[0]
    info = {
        "pool_branch_gain": gain,
        **({"logits_grid": logits_grid} if logits_grid else {}),
        "source": path.name,
        "source_sha256": digest,
        "source_input": {
            "shape": list(inp.shape),
            "dtype": inp.dtype.name,
            "scale": float(inp.scale[0]) if inp.scale is not None else None,
            "zero_point": int(inp.zero_point[0]) if inp.zero_point is not None else None,
        },
        "note": "weights dequantized from the seed's uint8 flatbuffer (batch-norm already folded); "
        + (
            f"image-pooling branch ×{gain:.4f} folded into concat_projection, as the seed's uint8 "
            "resize runs (bytes copied between unequal scales)"
            if gain != 1.0
            else "image-pooling branch as trained (unscaled)"
        ),
    }
    provenance = {name: f"seed:{digest[:12]}" for name in weights}
    folder = ModelFolder(spec, weights, provenance, act_max, info)
    if inp.scale is not None and inp.zero_point is not None and inp.dtype.kind in "iu":
        folder.mean, folder.std = float(inp.zero_point[0]), float(1.0 / inp.scale[0])
    return folder
