"""The model registry: name → file (sha256, public source), labels, normalization, output meaning.

Built-in models ship with their public source, or inside the package (`jejunet/models/data`: the
int8 re-exports of the JejuNet weights, one per input aspect, described by the provenance record
beside them); a model family names such a set, and the frame's size picks its member. Models
exported on this machine (`jejunet model export`) are added to a JSON file,
`$JEJUNET_MODEL_REGISTRY` or `models.json` in the user cache.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from jejunet.assets import Asset, UrlSource, WheelMemberSource, cache_dir, resolve, sha256_of, write_atomic
from jejunet.errors import ModelError
from jejunet.media.atomic import plain_reason

VOC_LABELS = (
    "background", "aeroplane", "bicycle", "bird", "boat", "bottle", "bus", "car", "cat",
    "chair", "cow", "diningtable", "dog", "horse", "motorbike", "person", "pottedplant",
    "sheep", "sofa", "train", "tvmonitor",
)  # fmt: skip
VOC_PERSON = 15

OutputMeaning = Literal["labels", "probability", "softmax", "logits"]


@dataclass(frozen=True)
class ModelEntry:
    """A registered model and how to feed it and read it."""

    name: str
    asset: Asset
    description: str
    labels: tuple[str, ...] = VOC_LABELS
    #: float input = (pixel − mean) / std, pixels RGB in 0..255; None: feed the bytes as they are
    mean: float | None = None
    std: float | None = None
    #: what the first output holds
    output: OutputMeaning = "labels"
    #: for a one-channel probability output: the class id it is the probability of
    positive_class: int = 1
    #: (height, width) of the input, for members of a model family
    input_size: tuple[int, int] | None = None

    def path(self, download: bool = False) -> Path:
        if isinstance(self.asset.source, LocalFileSource | PackagedFileSource):
            return self.asset.source.verified(self.asset.sha256, self.name)
        return resolve(self.asset, download=download)


@dataclass(frozen=True)
class LocalFileSource:
    """A model file made on this machine (an export): it has no public source."""

    file: str

    def describe(self) -> str:
        return f"local file {self.file}"

    def fetch(self) -> bytes:
        return self.verified(None, Path(self.file).name).read_bytes()

    def verified(self, sha256: str | None, name: str) -> Path:
        path = Path(self.file)
        return _checked_file(
            path,
            sha256,
            missing=f"model '{name}': its file {path} is gone; run `jejunet model export` again",
            changed=f"model '{name}': {path} changed since it was registered; export it again",
        )


@dataclass(frozen=True)
class PackagedFileSource:
    """A model file shipped inside the package (jejunet/models/data): nothing to fetch."""

    file: str

    def describe(self) -> str:
        return f"in the package: jejunet/models/data/{self.file}"

    def fetch(self) -> bytes:
        return self.verified(None, self.file).read_bytes()

    def verified(self, sha256: str | None, name: str) -> Path:
        path = DATA_DIR / self.file
        return _checked_file(
            path,
            sha256,
            missing=f"model '{name}': {path} is missing from the package; reinstall jejunet",
            changed=f"model '{name}': {path} does not match its sha256; reinstall jejunet",
        )


def _checked_file(path: Path, sha256: str | None, missing: str, changed: str) -> Path:
    """`path` when it is a file matching `sha256` (if given); else a ModelError: `missing` or `changed`."""
    if not path.is_file():
        raise ModelError(missing)
    if sha256 is not None and sha256_of(path) != sha256:
        raise ModelError(changed)
    return path


@dataclass(frozen=True)
class ModelFamily:
    """Exports of one network at a few fixed input sizes; the frame's size picks the member."""

    name: str
    description: str
    members: tuple[ModelEntry, ...]

    def sizes(self) -> list[tuple[int, int]]:
        return [m.input_size for m in self.members if m.input_size is not None]

    def member(self, size: tuple[int, int] | None) -> ModelEntry:
        """The member whose input is `size` (height, width); the first (16:9) when size is None."""
        if size is None:
            return self.members[0]
        for m in self.members:
            if m.input_size == tuple(size):
                return m
        have = ", ".join(f"{w}×{h}" for h, w in self.sizes())
        raise ModelError(
            f"model '{self.name}' has no export for {size[1]}×{size[0]} (it has {have}); resize with "
            f"mode: aspect, snap_to: {self.name}, or export that size with `jejunet model export`"
        )


DATA_DIR = Path(__file__).resolve().parent / "data"
DEFAULT_FAMILY = "jejunet_mnv2_voc_int8"


def _packaged_family(name: str) -> ModelFamily | None:
    """A family from its provenance record in DATA_DIR (absent in a broken install: None)."""
    record_file = DATA_DIR / f"{name}.json"
    if not record_file.is_file():
        return None
    record = json.loads(record_file.read_text())
    members = tuple(
        ModelEntry(
            name=item["name"],
            description=f"{record['description']}, {item['width']}×{item['height']}",
            asset=Asset(item["file"], item["sha256"], "models", PackagedFileSource(item["file"])),  # type: ignore[arg-type]
            mean=record["mean"],
            std=record["std"],
            output="labels",
            input_size=(int(item["height"]), int(item["width"])),
        )
        for item in record["files"]
    )
    return ModelFamily(name, record["description"], members)


_JEJUNET_COMMIT = "9a3c1407c6b7196b8ba22c497bff6a40fd19ca2d"
_JEJUNET_RAW = f"https://raw.githubusercontent.com/tantara/JejuNet/{_JEJUNET_COMMIT}"

BUILTIN_MODELS: tuple[ModelEntry, ...] = (
    ModelEntry(
        name="deeplabv3_mnv2_voc_256",
        description="The original JejuNet model: DeepLabv3 + MobileNetV2, PASCAL VOC, uint8, "
        "256×256, outputs argmax labels (built-in kernels: XNNPACK refuses its RESIZE_BILINEAR)",
        asset=Asset(
            filename="deeplabv3_mnv2_voc_256_uint8.tflite",
            sha256="49ca4f3a6cd42d8fdf07b307db98881057a893027666b1464c797bdf1a057b63",
            shared_dir="models",
            source=UrlSource(
                f"{_JEJUNET_RAW}/android/app/src/main/assets/mobilenet_v2_deeplab_v3_256_myquant.tflite"
            ),
            licence="MIT",
        ),
        output="labels",
    ),
    ModelEntry(
        name="selfie_segmentation_256",
        description="MediaPipe Selfie Segmentation (general), float32, 256×256, "
        "person probability → VOC class 15",
        asset=Asset(
            filename="selfie_segmentation_256.tflite",
            sha256="9ee168ec7c8f2a16c56fe8e1cfbc514974cbbb7e434051b455635f1bd1462f5c",
            shared_dir="models",
            source=WheelMemberSource(
                "mediapipe",
                "0.10.14",
                "mediapipe/modules/selfie_segmentation/selfie_segmentation.tflite",
            ),
            licence="Apache-2.0",
        ),
        mean=0.0,
        std=255.0,
        output="probability",
        positive_class=VOC_PERSON,
    ),
    ModelEntry(
        name="selfie_segmentation_landscape_144x256",
        description="MediaPipe Selfie Segmentation (landscape), float32, 144×256 (H×W), "
        "person probability → VOC class 15",
        asset=Asset(
            filename="selfie_segmentation_landscape_144x256.tflite",
            sha256="a77d03f4659b9f6b6c1f5106947bf40e99d7655094b6527f214ea7d451106edd",
            shared_dir="models",
            source=WheelMemberSource(
                "mediapipe",
                "0.10.14",
                "mediapipe/modules/selfie_segmentation/selfie_segmentation_landscape.tflite",
            ),
            licence="Apache-2.0",
        ),
        mean=0.0,
        std=255.0,
        output="probability",
        positive_class=VOC_PERSON,
    ),
)


PACKAGED_FAMILIES: tuple[ModelFamily, ...] = tuple(
    f for f in (_packaged_family(DEFAULT_FAMILY),) if f is not None
)


def find_family(name: str) -> ModelFamily | None:
    return next((f for f in PACKAGED_FAMILIES if f.name == name), None)


def family_sizes(name: str) -> list[tuple[int, int]]:
    """The input sizes (height, width) of a model family; a ModelError for an unknown name."""
    family = find_family(name)
    if family is None:
        known = ", ".join(f.name for f in PACKAGED_FAMILIES) or "none installed"
        raise ModelError(f"'{name}' is not a model family (families: {known})")
    return family.sizes()


def registry_file() -> Path:
    """Where exported models are registered."""
    env = os.environ.get("JEJUNET_MODEL_REGISTRY")
    return Path(env) if env else cache_dir() / "models.json"


def _read_registry(path: Path) -> dict[str, dict[str, Any]]:
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text())
    except OSError as exc:
        raise ModelError(f"{path}: cannot read the model registry ({plain_reason(exc)})") from None
    except ValueError:
        raise ModelError(f"{path}: the model registry is not valid JSON; fix or delete it") from None
    if not isinstance(data, dict) or not isinstance(data.get("models", {}), dict):
        raise ModelError(f"{path}: not a JejuNet model registry; fix or delete it")
    return data.get("models", {})


def _entry_from_record(name: str, rec: dict[str, Any]) -> ModelEntry:
    file = str(rec["file"])
    return ModelEntry(
        name=name,
        asset=Asset(Path(file).name, str(rec["sha256"]), "models", LocalFileSource(file)),  # type: ignore[arg-type]
        description=str(rec.get("description", "exported model")),
        labels=tuple(rec.get("labels", VOC_LABELS)),
        mean=rec.get("mean"),
        std=rec.get("std"),
        output=rec.get("output", "labels"),
        positive_class=int(rec.get("positive_class", 1)),
    )


def registered_models() -> dict[str, ModelEntry]:
    """Models registered on this machine (exports)."""
    records = _read_registry(registry_file())
    try:
        return {name: _entry_from_record(name, rec) for name, rec in records.items()}
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelError(f"{registry_file()}: malformed entry ({exc}); fix or delete it") from None


def register_model(
    name: str,
    file: Path,
    description: str,
    output: OutputMeaning,
    mean: float | None = None,
    std: float | None = None,
    extra: dict[str, Any] | None = None,
) -> ModelEntry:
    """Add (or replace) an exported model in the registry file; built-in names are refused."""
    if not name or any(c in name for c in "/\\ ") or find_builtin(name) is not None:
        raise ModelError(f"'{name}' cannot name an exported model (empty, has / or spaces, or built-in)")
    path = registry_file()
    records = _read_registry(path)
    records[name] = {
        "file": str(file.resolve()),
        "sha256": sha256_of(file),
        "description": description,
        "mean": mean,
        "std": std,
        "output": output,
        **(extra or {}),
    }
    write_atomic(path, (json.dumps({"models": records}, indent=2, sort_keys=True) + "\n").encode())
    return _entry_from_record(name, records[name])


def builtin_models() -> tuple[ModelEntry, ...]:
    """The models with a public source, then the members of the families shipped in the package."""
    return BUILTIN_MODELS + tuple(m for f in PACKAGED_FAMILIES for m in f.members)


def find_builtin(name: str) -> ModelEntry | None:
    if find_family(name) is not None:
        return find_family(name).members[0]  # type: ignore[union-attr]
    return next((m for m in builtin_models() if m.name == name), None)


def all_models() -> dict[str, ModelEntry]:
    """Built-in models, then the models exported on this machine."""
    builtin = {m.name: m for m in builtin_models()}
    return {**builtin, **{k: v for k, v in registered_models().items() if k not in builtin}}


def find_model(name: str) -> ModelEntry | None:
    return all_models().get(name)


def resolve_model(
    ref: str, base_dir: Path | None = None, download: bool = False, size: tuple[int, int] | None = None
) -> tuple[Path, ModelEntry | None]:
    """A model reference (registry name, family or file path) → (local file, registry entry or None).

    A family gives its member for `size` (height, width of the frame reaching the network), or its
    first member when the size is not known yet.
    """
    family = find_family(ref)
    entry = family.member(size) if family is not None else find_model(ref)
    if entry is not None:
        return entry.path(download=download), entry
    path = Path(ref).expanduser()
    if not path.is_absolute() and base_dir is not None and not path.exists():
        path = base_dir / path
    if not path.is_file():
        known = ", ".join(all_models())
        raise ModelError(f"model '{ref}' is neither a registered model ({known}) nor a file")
    return path, entry_for_file(path)


def entry_for_file(path: Path) -> ModelEntry | None:
    """The registered export whose file is `path` (so a path gets its normalization), if any."""
    target = str(path.resolve())
    for entry in registered_models().values():
        if isinstance(entry.asset.source, LocalFileSource) and entry.asset.source.file == target:
            return entry
    return None
