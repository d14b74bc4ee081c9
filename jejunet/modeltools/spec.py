"""The DeepLab + MobileNetV2 architecture as data: its parameters and its ordered list of convolutions.

Pure Python (no TensorFlow): the importer matches the seed's ops against this plan, the Keras builder
creates one layer per entry, and the weight store keys its arrays by the entry names.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Literal

Activation = Literal["relu6", "relu", "none"]

#: MobileNetV2 inverted residual blocks: (expansion, channels, repeats, first stride)
MOBILENET_V2_BLOCKS = ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1),
                       (6, 160, 3, 2), (6, 320, 1, 1))  # fmt: skip
#: index of the block whose output feeds the DeepLabv3+ decoder (stride 4)
DECODER_SOURCE_BLOCK = 2


@dataclass(frozen=True)
class ConvDef:
    """One convolution of the plan (batch-norm folded: conv + bias + activation)."""

    name: str
    depthwise: bool
    kernel: int
    stride: int
    dilation: int
    cin: int
    cout: int
    activation: Activation
    bias: bool = True

    @property
    def kernel_shape(self) -> tuple[int, ...]:
        """Keras kernel shape: (k, k, cin, cout), or (k, k, cin, 1) for a depthwise conv."""
        k = self.kernel
        return (k, k, self.cin, 1) if self.depthwise else (k, k, self.cin, self.cout)


def make_divisible(value: float, divisor: int = 8) -> int:
    """Channel count rounded to a multiple of `divisor`, never more than 10 % below `value`."""
    rounded = max(divisor, int(value + divisor / 2) // divisor * divisor)
    return rounded + divisor if rounded < 0.9 * value else rounded


@dataclass(frozen=True)
class DeepLabSpec:
    """DeepLabv3 / v3+ with a MobileNetV2 backbone."""

    width: float = 1.0
    output_stride: int = 16
    num_classes: int = 21
    #: dilate the layers after the output stride is reached (DeepLab's atrous backbone); the 2018
    #: JejuNet flatbuffer carries no dilation, so its import sets this to False
    atrous: bool = True
    #: rates of separable atrous ASPP branches beside the 1×1 branch (() = image pooling + 1×1 only)
    aspp_rates: tuple[int, ...] = ()
    decoder: bool = False
    head_channels: int = 256
    decoder_channels: int = 256
    low_level_channels: int = 48
    #: bilinear resizes use align_corners (as the TF 1.x DeepLab graphs do)
    align_corners: bool = True
    extra: dict[str, str] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        if self.output_stride not in (8, 16, 32):
            raise ValueError(f"output stride must be 8, 16 or 32, not {self.output_stride}")
        if not 0.1 <= self.width <= 2.0:
            raise ValueError(f"width multiplier must be in 0.1…2.0, not {self.width}")

    def to_json(self) -> dict:
        data = asdict(self)
        data["aspp_rates"] = list(self.aspp_rates)
        return data

    @classmethod
    def from_json(cls, data: dict) -> DeepLabSpec:
        data = dict(data)
        data["aspp_rates"] = tuple(data.get("aspp_rates", ()))
        return cls(**data)

    def describe(self) -> str:
        parts = [f"MobileNetV2 ×{self.width:g}", f"output stride {self.output_stride}"]
        parts.append(
            f"ASPP rates {','.join(map(str, self.aspp_rates))}" if self.aspp_rates else "image pooling"
        )
        parts.append("decoder" if self.decoder else "no decoder")
        return "DeepLabv3" + ("+" if self.decoder else "") + " (" + ", ".join(parts) + ")"

    def dumps(self) -> str:
        return json.dumps(self.to_json(), sort_keys=True)


@dataclass(frozen=True)
class Block:
    """One inverted residual block: its conv names and whether it adds its input."""

    prefix: str
    expand: ConvDef | None
    depthwise: ConvDef
    project: ConvDef
    residual: bool


def backbone(spec: DeepLabSpec) -> tuple[ConvDef, list[Block]]:
    """The stem conv and the inverted residual blocks, strides and dilations set by the output stride."""
    first = make_divisible(32 * spec.width)
    stem = ConvDef("Conv", False, 3, 2, 1, 3, first, "relu6")
    blocks: list[Block] = []
    current, rate, cin, index = 2, 1, first, 0
    for t, c, n, s in MOBILENET_V2_BLOCKS:
        cout = make_divisible(c * spec.width)
        for i in range(n):
            stride = s if i == 0 else 1
            if current >= spec.output_stride:
                layer_stride, layer_rate = 1, rate
                rate *= stride
            else:
                layer_stride, layer_rate = stride, 1
                current *= stride
            dilation = layer_rate if spec.atrous else 1
            prefix = "expanded_conv" if index == 0 else f"expanded_conv_{index}"
            hidden = cin * t
            expand = ConvDef(f"{prefix}_expand", False, 1, 1, 1, cin, hidden, "relu6") if t != 1 else None
            dw = ConvDef(f"{prefix}_depthwise", True, 3, layer_stride, dilation, hidden, hidden, "relu6")
            project = ConvDef(f"{prefix}_project", False, 1, 1, 1, hidden, cout, "none")
            blocks.append(Block(prefix, expand, dw, project, layer_stride == 1 and cin == cout))
            cin, index = cout, index + 1
    return stem, blocks


def head(spec: DeepLabSpec, features: int, low_level: int) -> list[ConvDef]:
    """Image pooling, ASPP, projection, optional decoder and logits, in execution order."""
    ch = spec.head_channels
    convs = [ConvDef("image_pooling", False, 1, 1, 1, features, ch, "relu")]
    convs.append(ConvDef("aspp0", False, 1, 1, 1, features, ch, "relu"))
    scale = 16 // spec.output_stride if spec.output_stride <= 16 else 1
    for i, r in enumerate(spec.aspp_rates, start=1):
        convs.append(ConvDef(f"aspp{i}_depthwise", True, 3, 1, r * max(scale, 1), features, features, "relu"))
        convs.append(ConvDef(f"aspp{i}_pointwise", False, 1, 1, 1, features, ch, "relu"))
    branches = 2 + len(spec.aspp_rates)
    convs.append(ConvDef("concat_projection", False, 1, 1, 1, ch * branches, ch, "relu"))
    last = ch
    if spec.decoder:
        dc, lc = spec.decoder_channels, spec.low_level_channels
        convs.append(ConvDef("feature_projection0", False, 1, 1, 1, low_level, lc, "relu"))
        cin = ch + lc
        for i in range(2):
            convs.append(ConvDef(f"decoder_conv{i}_depthwise", True, 3, 1, 1, cin, cin, "relu"))
            convs.append(ConvDef(f"decoder_conv{i}_pointwise", False, 1, 1, 1, cin, dc, "relu"))
            cin = dc
        last = dc
    convs.append(ConvDef("logits", False, 1, 1, 1, last, spec.num_classes, "none"))
    return convs


def conv_plan(spec: DeepLabSpec) -> list[ConvDef]:
    """Every convolution of the network, in the order the seed flatbuffer runs them."""
    stem, blocks = backbone(spec)
    convs = [stem]
    for b in blocks:
        convs += [c for c in (b.expand, b.depthwise, b.project) if c is not None]
    low_level = blocks[DECODER_SOURCE_BLOCK].project.cout
    return convs + head(spec, blocks[-1].project.cout, low_level)


#: The seed JejuNet model as the importer finds it
SEED_SPEC = DeepLabSpec(width=1.0, output_stride=16, atrous=False, aspp_rates=(), decoder=False)
