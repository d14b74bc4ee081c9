"""Build the DeepLab + MobileNetV2 network in Keras at any input size and aspect ratio.

The head does not depend on the input size: global average pooling for the image-pooling branch,
whose 1×1 result reaches the projection as a broadcast add (the projection of a concatenation is the
sum of the projections of its parts), and a bilinear resize of the logits to the input size.
Input: RGB scaled to [-1, 1]; output: logits at the input size (float).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from jejunet.modeltools import require_tensorflow
from jejunet.modeltools.spec import DECODER_SOURCE_BLOCK, ConvDef, DeepLabSpec, backbone, head

#: called on every activation a quantized runtime would store: (point name, tensor) → tensor
ActivationHook = Callable[[str, Any], Any]
Weights = Mapping[str, Mapping[str, np.ndarray]]


def _layers() -> tuple[Any, Any]:
    tf = require_tensorflow()
    return tf, tf.keras


def resize_layer(size: tuple[int, int], align_corners: bool, name: str) -> Any:
    """A bilinear resize to a fixed (height, width), with TF 1.x align_corners semantics if asked."""
    tf, keras = _layers()

    class ResizeBilinear(keras.layers.Layer):
        def call(self, x: Any) -> Any:
            return tf.compat.v1.image.resize_bilinear(x, size, align_corners=align_corners)

        def compute_output_shape(self, input_shape: Any) -> Any:
            return (input_shape[0], size[0], size[1], input_shape[-1])

    return ResizeBilinear(name=name)


def _conv(x: Any, c: ConvDef, hook: ActivationHook, act_max: Mapping[str, float]) -> Any:
    _, keras = _layers()
    use_bias = c.bias
    if c.depthwise:
        layer = keras.layers.DepthwiseConv2D(
            c.kernel, c.stride, "same", dilation_rate=c.dilation, use_bias=use_bias, name=c.name
        )
    else:
        layer = keras.layers.Conv2D(
            c.cout, c.kernel, c.stride, "same", dilation_rate=c.dilation, use_bias=use_bias, name=c.name
        )
    x = layer(x)
    return hook(c.name, _activation(x, c.activation, c.name, act_max.get(c.name)))


def _activation(x: Any, kind: str, name: str, top: float | None = None) -> Any:
    """ReLU6 / ReLU; a ReLU capped at `top` where the trained model's activations saturate there."""
    _, keras = _layers()
    if kind == "relu6":
        return keras.layers.ReLU(6.0, name=f"{name}_relu6")(x)
    if kind == "relu":
        return keras.layers.ReLU(top, name=f"{name}_relu")(x)
    return x


def build_keras(
    spec: DeepLabSpec,
    size: tuple[int, int],
    hook: ActivationHook | None = None,
    act_max: Mapping[str, float] | None = None,
) -> Any:
    """The Keras model for a (height, width) input; `hook` sees every stored activation.

    `act_max` caps the ReLU of the named layers (the seed was trained with these saturations).
    """
    _, keras = _layers()
    hook = hook or (lambda _name, x: x)
    act_max = act_max or {}
    h, w = size
    inputs = keras.Input((h, w, 3), batch_size=1, name="image")
    x = hook("input", inputs)
    stem, blocks = backbone(spec)
    x = _conv(x, stem, hook, act_max)
    low_level = None
    for i, b in enumerate(blocks):
        y = x
        if b.expand is not None:
            y = _conv(y, b.expand, hook, act_max)
        y = _conv(y, b.depthwise, hook, act_max)
        y = _conv(y, b.project, hook, act_max)
        x = hook(f"{b.prefix}_add", keras.layers.Add(name=f"{b.prefix}_add")([y, x])) if b.residual else y
        if i == DECODER_SOURCE_BLOCK:
            low_level = x
    features = x
    convs = {
        c.name: c for c in head(spec, blocks[-1].project.cout, blocks[DECODER_SOURCE_BLOCK].project.cout)
    }
    pooled = hook("pool", keras.layers.GlobalAveragePooling2D(keepdims=True, name="pool")(features))
    pooled = _conv(pooled, convs["image_pooling"], hook, act_max)
    branches = [_conv(features, convs["aspp0"], hook, act_max)]
    for i in range(1, len(spec.aspp_rates) + 1):
        y = _conv(features, convs[f"aspp{i}_depthwise"], hook, act_max)
        branches.append(_conv(y, convs[f"aspp{i}_pointwise"], hook, act_max))
    merged = branches[0] if len(branches) == 1 else keras.layers.Concatenate(name="aspp_concat")(branches)
    proj = convs["concat_projection"]
    main = keras.layers.Conv2D(proj.cout, 1, name="concat_projection")(merged)
    side = keras.layers.Conv2D(proj.cout, 1, use_bias=False, name="concat_projection_pool")(pooled)
    x = keras.layers.Add(name="concat_projection_add")([main, hook("concat_projection_pool", side)])
    top = act_max.get("concat_projection")
    x = hook("concat_projection", keras.layers.ReLU(top, name="concat_projection_relu")(x))
    if spec.decoder:
        lh, lw = low_level.shape[1], low_level.shape[2]
        x = resize_layer((lh, lw), spec.align_corners, "decoder_upsample")(x)
        low = _conv(low_level, convs["feature_projection0"], hook, act_max)
        x = keras.layers.Concatenate(name="decoder_concat")([x, low])
        for i in range(2):
            x = _conv(x, convs[f"decoder_conv{i}_depthwise"], hook, act_max)
            x = _conv(x, convs[f"decoder_conv{i}_pointwise"], hook, act_max)
    logits = _conv(x, convs["logits"], hook, act_max)
    outputs = resize_layer((h, w), spec.align_corners, "upsample_logits")(logits)
    return keras.Model(inputs, outputs, name="deeplab_mnv2")


def set_weights(model: Any, spec: DeepLabSpec, weights: Weights) -> list[str]:
    """Load stored weights (keyed by plan names) into the Keras model; return the names not found."""
    missing = []
    for layer in model.layers:
        name = layer.name
        if not layer.weights or name == "concat_projection_pool":
            continue
        stored = weights.get(name)
        if name == "concat_projection" and stored is not None:
            kernel = stored["kernel"]
            pool_part, main_part = kernel[:, :, : spec.head_channels], kernel[:, :, spec.head_channels :]
            layer.set_weights([main_part, stored["bias"]])
            model.get_layer("concat_projection_pool").set_weights([pool_part])
            continue
        if stored is None:
            missing.append(name)
            continue
        values = [stored["kernel"]] + (
            [stored["bias"]] if "bias" in stored and len(layer.weights) > 1 else []
        )
        layer.set_weights(values)
    return missing


def get_weights(model: Any, spec: DeepLabSpec) -> dict[str, dict[str, np.ndarray]]:
    """The model's weights keyed by plan names (the projection's two parts joined again)."""
    out: dict[str, dict[str, np.ndarray]] = {}
    for layer in model.layers:
        values = layer.get_weights()
        if not values or layer.name == "concat_projection_pool":
            continue
        if layer.name == "concat_projection":
            pool = model.get_layer("concat_projection_pool").get_weights()[0]
            out[layer.name] = {"kernel": np.concatenate([pool, values[0]], axis=2), "bias": values[1]}
            continue
        out[layer.name] = {"kernel": values[0], **({"bias": values[1]} if len(values) > 1 else {})}
    return out


def fold_caps(folder: Any) -> tuple[dict[str, dict[str, np.ndarray]], dict[str, float]]:
    """Turn capped ReLUs (min(relu(x), m)) into ReLU6 exactly: scale the layer by 6/m, its consumers by m/6.

    Same function, but every activation becomes a fused RELU6, which XNNPACK runs in fp32 and int8
    (a MINIMUM op would split the int8 graph). Returns the weights and the caps left unfolded.
    """
    weights = {k: dict(v) for k, v in folder.weights.items()}
    caps = dict(folder.act_max)
    ch = folder.spec.head_channels
    consumers = {
        "image_pooling": ("concat_projection", slice(0, ch)),
        "aspp0": ("concat_projection", slice(ch, 2 * ch)),
        "concat_projection": ("logits", slice(None)),
    }
    if folder.spec.decoder:
        consumers.pop("concat_projection")
    for name, (consumer, part) in consumers.items():
        top = caps.pop(name, None)
        if top is None or top <= 0 or consumer not in weights:
            continue
        gain = 6.0 / top
        weights[name] = {k: v * np.float32(gain) for k, v in weights[name].items()}
        kernel = weights[consumer]["kernel"].copy()
        kernel[:, :, part] /= np.float32(gain)
        weights[consumer] = {**weights[consumer], "kernel": kernel}
        caps[name] = 6.0
    return weights, caps


def build_from_folder(folder: Any, size: tuple[int, int], hook: ActivationHook | None = None) -> Any:
    """A model folder's network at `size`, its weights loaded (capped ReLUs folded into ReLU6)."""
    weights, caps = fold_caps(folder)
    model = build_keras(folder.spec, size, hook, caps)
    missing = set_weights(model, folder.spec, weights)
    if missing:
        from jejunet.errors import ModelError

        raise ModelError(f"{folder.path}: no weights for layers {', '.join(missing)}")
    return model
