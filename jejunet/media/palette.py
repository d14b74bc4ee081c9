"""The PASCAL VOC colour map and label PNG reading/writing (palette PNGs, as VOC and labelme use)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np
from PIL import Image

IGNORE = 255


@cache
def voc_palette() -> np.ndarray:
    """256×3 uint8: the standard VOC colour map (bit-interleaving rule); 255 is white (ignore)."""
    palette = np.zeros((256, 3), dtype=np.uint8)
    for index in range(256):
        value, r, g, b = index, 0, 0, 0
        for shift in range(7, -1, -1):
            r |= (value & 1) << shift
            g |= ((value >> 1) & 1) << shift
            b |= ((value >> 2) & 1) << shift
            value >>= 3
        palette[index] = (r, g, b)
    palette[IGNORE] = (255, 255, 255)
    return palette


def label_image(labels: np.ndarray) -> Image.Image:
    """A palette ("P" mode) PIL image whose pixel values are the class ids."""
    image = Image.fromarray(np.ascontiguousarray(labels, dtype=np.uint8), mode="P")
    image.putpalette(voc_palette().reshape(-1).tolist())
    return image


def encode_label_png(labels: np.ndarray) -> bytes:
    """PNG bytes of a label map as a VOC palette PNG."""
    import io

    buffer = io.BytesIO()
    label_image(labels).save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


def read_label_png(path: Path) -> np.ndarray:
    """Class ids of a label PNG (palette or greyscale), as H×W uint8."""
    with Image.open(path) as image:
        if image.mode not in ("P", "L"):
            raise ValueError(f"{path}: not a label PNG (mode {image.mode}, expected P or L)")
        return np.array(image, dtype=np.uint8)
