"""Cut-outs: the labelled objects of a photo (connected pixels whose label is neither 0 nor 255)."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from jejunet.media.palette import IGNORE
from jejunet.synth.photos import LabelledPhoto

PAD = 2  # pixels kept around an object's box (filled with its edge colours): room to interpolate
MIN_SHARE = 0.01  # objects smaller than this share of their photo are left out


@dataclass(frozen=True)
class Cutout:
    """An object's pixels: its box of the photo and its labels there (0 outside the object)."""

    source: str
    component: int
    image: np.ndarray
    labels: np.ndarray
    box: tuple[int, int, int, int]  # x, y, width, height in the source photo

    @property
    def classes(self) -> list[int]:
        return sorted(int(c) for c in np.unique(self.labels) if c != 0)

    @property
    def size(self) -> tuple[int, int]:
        return self.labels.shape[1], self.labels.shape[0]


def extend_edges(image: np.ndarray, inside: np.ndarray) -> np.ndarray:
    """The object's pixels, each outside pixel given its nearest object pixel's colour: warped
    bilinearly, the object's edge then blends only with itself, never with the photo it was cut from."""
    _, nearest = cv2.distanceTransformWithLabels(
        (~inside).astype(np.uint8), cv2.DIST_L2, 3, labelType=cv2.DIST_LABEL_PIXEL
    )
    ys, xs = np.nonzero(inside)  # label k is the k-th object pixel in scan order
    lut = np.zeros((nearest.max() + 1, image.shape[2]), image.dtype)
    lut[1 : len(ys) + 1] = image[ys, xs]
    return lut[nearest]


def cutouts_of(photo: LabelledPhoto) -> list[Cutout]:
    """The photo's objects, largest first; touching objects of different classes stay together."""
    labels = photo.labels
    mask = ((labels != 0) & (labels != IGNORE)).astype(np.uint8)
    count, components, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    smallest = max(64, MIN_SHARE * labels.size)
    found = []
    for c in range(1, count):
        x, y, w, h, area = (int(v) for v in stats[c])
        if area < smallest:
            continue
        x0, y0 = max(0, x - PAD), max(0, y - PAD)
        x1, y1 = min(labels.shape[1], x + w + PAD), min(labels.shape[0], y + h + PAD)
        inside = components[y0:y1, x0:x1] == c
        crop = np.where(inside, labels[y0:y1, x0:x1], 0).astype(np.uint8)
        pixels = extend_edges(photo.image[y0:y1, x0:x1], inside)
        found.append((area, Cutout(photo.name, c, pixels, crop, (x0, y0, x1 - x0, y1 - y0))))
    found.sort(key=lambda item: (-item[0], item[1].component))
    return [cutout for _, cutout in found]


def pick_cutouts(
    photos: list[LabelledPhoto],
    exclude: str,
    count: int,
    rng: np.random.Generator,
    cache: dict[str, list[Cutout]],
) -> list[Cutout]:
    """`count` cut-outs from photos other than `exclude` (distinct while there are enough)."""
    if count == 0:
        return []
    others = [p for p in photos if p.name != exclude]
    pool: list[Cutout] = []
    for index in rng.permutation(len(others)):
        photo = others[int(index)]
        if photo.name not in cache:
            cache[photo.name] = cutouts_of(photo)
        pool.extend(cache[photo.name])
        if len(pool) >= 2 * count:
            break
    if not pool:
        return []
    chosen = rng.choice(len(pool), size=count, replace=count > len(pool))
    return [pool[int(i)] for i in chosen]
