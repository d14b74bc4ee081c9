"""A model folder: the architecture (`jejunet_model.json`) and its float weights (`weights.npz`).

Independent of any Keras version: the builder recreates the network at the size asked for and the
weights are loaded by layer name. The JSON says where every layer's weights came from.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from jejunet.errors import ModelError
from jejunet.media.atomic import prepare_output_dir, write_bytes_atomic
from jejunet.modeltools.spec import DeepLabSpec, conv_plan

MANIFEST = "jejunet_model.json"
WEIGHTS = "weights.npz"
FORMAT = "jejunet-deeplab-mnv2/1"


@dataclass
class ModelFolder:
    """An imported or built model: spec, weights by layer, and their provenance."""

    spec: DeepLabSpec
    weights: dict[str, dict[str, np.ndarray]]
    #: layer name → where its weights come from ("seed:<sha256 prefix>", "random", …)
    provenance: dict[str, str] = field(default_factory=dict)
    #: layer name → upper saturation of its ReLU (the seed's trained activation ranges)
    act_max: dict[str, float] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None
    #: float input = (RGB pixel − mean) / std
    mean: float = 127.5
    std: float = 127.5

    @property
    def trained(self) -> bool:
        """True when no layer carries random weights."""
        return all(v != "random" for v in self.provenance.values())

    def weights_summary(self) -> str:
        random = [k for k, v in self.provenance.items() if v == "random"]
        if not random:
            return f"all {len(self.provenance)} layers trained ({self.info.get('source', 'imported')})"
        return (
            f"{len(random)} of {len(self.provenance)} layers carry RANDOM weights (speed/size studies only)"
        )


def check_weights(spec: DeepLabSpec, weights: dict[str, dict[str, np.ndarray]]) -> None:
    """Every conv of the plan has a kernel of the right shape."""
    for conv in conv_plan(spec):
        got = weights.get(conv.name)
        if got is None:
            raise ModelError(f"weights for layer '{conv.name}' are missing")
        if tuple(got["kernel"].shape) != conv.kernel_shape:
            raise ModelError(
                f"layer '{conv.name}': kernel {tuple(got['kernel'].shape)}, expected {conv.kernel_shape}"
            )


def save(folder: ModelFolder, out_dir: Path) -> Path:
    """Write the folder (each file atomically); return the manifest path."""
    check_weights(folder.spec, folder.weights)
    prepare_output_dir(out_dir)
    arrays = {f"{layer}/{kind}": v for layer, d in folder.weights.items() for kind, v in d.items()}
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    write_bytes_atomic(out_dir / WEIGHTS, buf.getvalue())
    manifest = {
        "format": FORMAT,
        "architecture": folder.spec.describe(),
        "spec": folder.spec.to_json(),
        "input": {"colour": "RGB", "mean": folder.mean, "std": folder.std},
        "weights_summary": folder.weights_summary(),
        "provenance": folder.provenance,
        "activation_max": folder.act_max,
        **folder.info,
    }
    write_bytes_atomic(out_dir / MANIFEST, (json.dumps(manifest, indent=2) + "\n").encode())
    folder.path = out_dir
    return out_dir / MANIFEST


def is_model_folder(path: Path) -> bool:
    return path.is_dir() and (path / MANIFEST).is_file()


def load(path: Path) -> ModelFolder:
    """Read a model folder written by `save`."""
    if not is_model_folder(path):
        raise ModelError(
            f"{path}: not a model folder (no {MANIFEST}); create one with `jejunet model import`"
        )
    try:
        manifest = json.loads((path / MANIFEST).read_text())
        if manifest.get("format") != FORMAT:
            raise ModelError(f"{path / MANIFEST}: unknown format {manifest.get('format')!r}")
        spec = DeepLabSpec.from_json(manifest["spec"])
        with np.load(path / WEIGHTS) as data:
            weights: dict[str, dict[str, np.ndarray]] = {}
            for key in data.files:
                layer, kind = key.rsplit("/", 1)
                weights.setdefault(layer, {})[kind] = data[key]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ModelError(f"{path}: unreadable model folder ({exc})") from None
    check_weights(spec, weights)
    known = ("format", "spec", "provenance", "architecture", "input", "weights_summary", "activation_max")
    info = {k: v for k, v in manifest.items() if k not in known}
    act_max = {k: float(v) for k, v in manifest.get("activation_max", {}).items()}
    folder = ModelFolder(spec, weights, manifest.get("provenance", {}), act_max, info, path)
    norm = manifest.get("input", {})
    folder.mean, folder.std = float(norm.get("mean", 127.5)), float(norm.get("std", 127.5))
    return folder
