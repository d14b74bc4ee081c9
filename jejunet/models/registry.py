"""The model registry: name → file (sha256, public source), labels, normalization, output meaning."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from jejunet.assets import Asset, UrlSource, WheelMemberSource, resolve
from jejunet.errors import ModelError

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

    def path(self, download: bool = False) -> Path:
        return resolve(self.asset, download=download)


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


def all_models() -> dict[str, ModelEntry]:
    return {m.name: m for m in BUILTIN_MODELS}


def find_model(name: str) -> ModelEntry | None:
    return all_models().get(name)


def resolve_model(
    ref: str, base_dir: Path | None = None, download: bool = False
) -> tuple[Path, ModelEntry | None]:
    """A model reference (registry name or file path) → (local file, registry entry or None)."""
    entry = find_model(ref)
    if entry is not None:
        return entry.path(download=download), entry
    path = Path(ref).expanduser()
    if not path.is_absolute() and base_dir is not None and not path.exists():
        path = base_dir / path
    if not path.is_file():
        known = ", ".join(all_models())
        raise ModelError(f"model '{ref}' is neither a registered model ({known}) nor a file")
    return path, None
