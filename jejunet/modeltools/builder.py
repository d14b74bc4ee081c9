"""DeepLabv3 / v3+ model folders of any width, output stride and head, for speed and size studies.

Honest about weights: a layer takes trained weights only where `--from` holds a layer of the same
name and shape; every other layer is random (He-normal), and the folder's provenance says so.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from jejunet.errors import UserError
from jejunet.modeltools.spec import DeepLabSpec, conv_plan
from jejunet.modeltools.store import ModelFolder, load


def build_folder(
    width: float,
    output_stride: int,
    aspp_rates: tuple[int, ...] = (),
    decoder: bool = False,
    from_dir: Path | None = None,
    seed: int = 0,
) -> ModelFolder:
    """A model folder for the given architecture; trained layers copied from `from_dir` where they fit."""
    try:
        spec = DeepLabSpec(width=width, output_stride=output_stride, aspp_rates=aspp_rates, decoder=decoder)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    source = load(from_dir) if from_dir is not None else None
    if source is not None:
        spec = DeepLabSpec(**{**spec.to_json(), "aspp_rates": aspp_rates, "atrous": source.spec.atrous,
                              "align_corners": source.spec.align_corners})  # fmt: skip
    rng = np.random.default_rng(seed)
    weights: dict[str, dict[str, np.ndarray]] = {}
    provenance: dict[str, str] = {}
    act_max: dict[str, float] = {}
    for conv in conv_plan(spec):
        got = source.weights.get(conv.name) if source is not None else None
        if got is not None and tuple(got["kernel"].shape) == conv.kernel_shape:
            weights[conv.name] = {k: v.copy() for k, v in got.items()}
            provenance[conv.name] = source.provenance.get(conv.name, str(from_dir))
            if conv.name in source.act_max:
                act_max[conv.name] = source.act_max[conv.name]
            continue
        k = conv.kernel
        fan_in = k * k * (1 if conv.depthwise else conv.cin)
        kernel = rng.normal(0.0, np.sqrt(2.0 / fan_in), conv.kernel_shape).astype(np.float32)
        weights[conv.name] = {"kernel": kernel, "bias": np.zeros(conv.cout, np.float32)}
        provenance[conv.name] = "random"
    folder = ModelFolder(spec, weights, provenance, act_max, {"source": "jejunet model build"})
    if source is not None:
        folder.mean, folder.std = source.mean, source.std
    return folder
