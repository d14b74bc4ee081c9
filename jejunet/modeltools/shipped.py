"""The int8 re-exports shipped in the package (jejunet/models/data) and their provenance record.

One export per input aspect, all from the seed's weights: the rule of `resize mode: aspect` (long
side 512, short side rounded to 16, the network's output stride) at 16:9, 4:3, 1:1 and 2.35:1 (the
widest sample clip, bikes.mp4, 640×272). A single export with a dynamic input size runs under
XNNPACK too, but 1.2× slower at 512×288 (its shape-dependent resize), so fixed sizes are shipped.
`jejunet model ship` writes them; CI regenerates them and compares bytes (the export is
deterministic for a given TensorFlow, calibration clip and decoder).
"""

from __future__ import annotations

import json
import platform
import sys
import tempfile
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from jejunet.assets import sha256_of
from jejunet.media.atomic import write_bytes_atomic
from jejunet.models.registry import DEFAULT_FAMILY

#: (height, width) of the shipped exports; the first is the family's default member
SHIPPED_SIZES: tuple[tuple[int, int], ...] = ((288, 512), (384, 512), (512, 512), (224, 512))
CALIBRATION_FRAMES = 64
#: `--as-trained` (no ×2.5588 on the image-pooling branch): measured no better in int8 on the GT
#: clips (docs/model-tooling.md), so the import reproduces what the seed computes
AS_TRAINED = False
DESCRIPTION = (
    "The JejuNet weights (DeepLabv3 + MobileNetV2, PASCAL VOC) re-exported int8 by "
    "`jejunet model export`, input following the frame's aspect, outputs argmax labels (XNNPACK)"
)
_TOOLS = ("tensorflow-cpu", "tensorflow", "ai-edge-litert", "numpy", "opencv-python-headless", "av")


@dataclass(frozen=True)
class ShippedFile:
    name: str
    file: str
    height: int
    width: int


def shipped_files() -> list[ShippedFile]:
    return [
        ShippedFile(f"{DEFAULT_FAMILY}_{w}x{h}", f"{DEFAULT_FAMILY}_{w}x{h}.tflite", h, w)
        for h, w in SHIPPED_SIZES
    ]


def _tool_versions() -> dict[str, str]:
    found = {"python": platform.python_version()}
    for name in _TOOLS:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            continue
    return found


def commands(seed: Path, calibration: Path) -> list[str]:
    """The exact commands that produce the shipped files (what `model ship` runs in-process)."""
    trained = " --as-trained" if AS_TRAINED else ""
    lines = [f"jejunet model import {seed} --out MODEL_FOLDER{trained}"]
    for f in shipped_files():
        lines.append(
            f"jejunet model export MODEL_FOLDER --size {f.width}x{f.height} --precision int8 "
            f"--calibration {calibration} --calibration-frames {CALIBRATION_FRAMES} --output labels "
            f"--out {f.file} --no-register"
        )
    return lines


def provenance(seed: Path, calibration: Path, out_dir: Path, mean: float, std: float) -> dict[str, Any]:
    """The record written beside the files: sources, commands, calibration, tools, digests."""
    return {
        "family": DEFAULT_FAMILY,
        "description": DESCRIPTION,
        "mean": mean,
        "std": std,
        "size_rule": "long side 512, short side scaled and rounded to a multiple of 16 (output stride 16); "
        "resize mode: aspect, snap_to: this family takes the export nearest the frame's aspect",
        "seed": {"file": seed.name, "sha256": sha256_of(seed)},
        "calibration": {
            "file": calibration.name,
            "sha256": sha256_of(calibration),
            "frames": CALIBRATION_FRAMES,
            "sampling": "evenly spread over the clip, stretched to each export's size (area filter)",
        },
        "command": f"jejunet model ship {seed} --calibration {calibration} --out {out_dir}",
        "commands": commands(seed, calibration),
        "tools": _tool_versions(),
        "deterministic": "bytes: two exports with the same tools, seed and calibration clip are identical",
        "files": [
            {
                "name": f.name,
                "file": f.file,
                "width": f.width,
                "height": f.height,
                "bytes": (out_dir / f.file).stat().st_size,
                "sha256": sha256_of(out_dir / f.file),
            }
            for f in shipped_files()
        ],
    }


def ship(seed: Path, calibration: Path, out_dir: Path, log: Any = sys.stdout) -> dict[str, Any]:
    """Import the seed, export every shipped size into `out_dir`, write the provenance record."""
    from jejunet.modeltools.exporter import export
    from jejunet.modeltools.frames import load_frames
    from jejunet.modeltools.importer import import_seed

    folder = import_seed(seed, as_trained=AS_TRAINED)
    frames = load_frames(calibration, CALIBRATION_FRAMES)
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="jejunet-ship-") as tmp:
        for f in shipped_files():
            result = export(folder, (f.height, f.width), "int8", Path(tmp) / f.file, "labels", frames)
            print(f"{f.file}: {result.bytes:,} bytes", file=log)
        for f in shipped_files():
            write_bytes_atomic(out_dir / f.file, (Path(tmp) / f.file).read_bytes())
    record = provenance(seed, calibration, out_dir, folder.mean, folder.std)
    text = json.dumps(record, indent=2) + "\n"
    write_bytes_atomic(out_dir / f"{DEFAULT_FAMILY}.json", text.encode())
    return record
