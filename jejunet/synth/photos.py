"""Labelled photos: a folder of photos and a folder of VOC label PNGs, paired by name and checked."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from jejunet.errors import UserError
from jejunet.media.palette import read_label_png

PHOTO_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp")
ROTATED = (5, 6, 7, 8)  # EXIF orientations that swap width and height


@dataclass
class LabelledPhoto:
    """One photo and its class mask; pixels are read on first use."""

    name: str
    image_path: Path
    mask_path: Path
    size: tuple[int, int]  # (width, height)
    class_map: np.ndarray | None = None

    @cached_property
    def image(self) -> np.ndarray:
        """BGR uint8, EXIF orientation applied (as labelme does when it draws the masks)."""
        image = cv2.imread(str(self.image_path), cv2.IMREAD_COLOR)
        if image is None or (image.shape[1], image.shape[0]) != self.size:
            raise UserError(f"{self.image_path}: cannot be read as a {self.size[0]}×{self.size[1]} photo")
        return image

    @cached_property
    def labels(self) -> np.ndarray:
        """Class ids, H×W uint8, renumbered by the class map if one was given."""
        labels = read_label_png(self.mask_path)
        return self.class_map[labels] if self.class_map is not None else labels


def photo_size(path: Path) -> tuple[int, int]:
    """(width, height) of a photo as displayed (EXIF orientation applied), read from its header."""
    try:
        with Image.open(path) as image:
            width, height = image.size
            orientation = image.getexif().get(0x0112)
    except (OSError, ValueError, SyntaxError) as exc:
        raise UserError(f"{path}: cannot read the photo ({exc})") from None
    return (height, width) if orientation in ROTATED else (width, height)


def mask_size(path: Path) -> tuple[int, int]:
    """(width, height) of a label PNG; anything but a palette or greyscale PNG is refused."""
    try:
        with Image.open(path) as image:
            if image.format != "PNG" or image.mode not in ("P", "L"):
                raise UserError(
                    f"{path}: not a label PNG (mode {image.mode}, expected a palette or greyscale PNG "
                    "of class ids, as labelme's SegmentationClassPNG)"
                )
            return image.size
    except (OSError, ValueError, SyntaxError) as exc:
        raise UserError(f"{path}: cannot read the mask ({exc})") from None


def _listing(directory: Path, role: str, suffixes: tuple[str, ...]) -> dict[str, Path]:
    if not directory.is_dir():
        raise UserError(f"{directory}: {role} is not a folder")
    found: dict[str, Path] = {}
    for path in sorted(directory.iterdir()):
        if path.is_file() and path.suffix.lower() in suffixes and not path.name.startswith("."):
            if path.stem in found:
                raise UserError(
                    f"{directory}: two photos named {path.stem} ({found[path.stem].name}, {path.name})"
                )
            found[path.stem] = path
    if not found:
        kinds = ", ".join(suffixes)
        raise UserError(
            f"{directory}: {role} holds no {'photos' if role == '--images' else 'masks'} ({kinds})"
        )
    return found


def load_photos(images: Path, masks: Path, class_map: np.ndarray | None = None) -> list[LabelledPhoto]:
    """Every photo of `images` with its mask `masks/<name>.png`, sizes checked, in name order."""
    photos = _listing(images, "--images", PHOTO_SUFFIXES)
    labels = _listing(masks, "--masks", (".png",))
    common = photos.keys() & labels.keys()
    if not common:
        raise UserError(
            f"{masks}: no mask matches a photo of {images} (photos like {next(iter(photos.values())).name}, "
            f"masks like {next(iter(labels.values())).name}; a mask is named after its photo, .png)"
        )
    for name, path in photos.items():
        if name not in labels:
            raise UserError(f"{path}: no mask for this photo (expected {masks / (name + '.png')})")
    for name, path in labels.items():
        if name not in photos:
            raise UserError(f"{path}: no photo for this mask in {images}")
    out = []
    for name, path in photos.items():
        size, msize = photo_size(path), mask_size(labels[name])
        if size != msize:
            raise UserError(
                f"{labels[name]}: mask is {msize[0]}×{msize[1]}, its photo {path.name} is {size[0]}×{size[1]}"
            )
        out.append(LabelledPhoto(name, path, labels[name], size, class_map))
    return out
