"""One frame and its exact labels: the photo and the cut-outs under the same affine maps, the
labels nearest-neighbour, the pixels interpolated, objects composited through their warped labels."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from jejunet.media.palette import IGNORE

NO_OWNER = 255


class Pyramid:
    """An image and its halvings (area-averaged), so that a shrinking warp does not alias."""

    def __init__(self, image: np.ndarray) -> None:
        self.levels = [image]

    def level(self, scale: float) -> int:
        """The halving at which the remaining scale is at least ½ (built on first use)."""
        k = 0
        while scale * 2**k < 0.5:
            if k + 1 >= len(self.levels):
                prev = self.levels[-1]
                if min(prev.shape[:2]) <= 8:
                    break
                size = (round(prev.shape[1] / 2), round(prev.shape[0] / 2))
                self.levels.append(cv2.resize(prev, size, interpolation=cv2.INTER_AREA))
            k += 1
        return k

    def warp(self, matrix: np.ndarray, size: tuple[int, int], border: int, value: int = 0) -> np.ndarray:
        """The image under `matrix` (source pixels → frame pixels), bilinear, from the right level."""
        scale = float(np.sqrt(abs(np.linalg.det(matrix[:, :2]))))
        image = self.levels[self.level(scale)]
        rx, ry = image.shape[1] / self.levels[0].shape[1], image.shape[0] / self.levels[0].shape[0]
        m = matrix.astype(np.float64).copy()
        # level pixel x' sits at original x = (x' + ½) / r − ½
        m[:, 2] += m[:, 0] * (0.5 / rx - 0.5) + m[:, 1] * (0.5 / ry - 0.5)
        m[:, 0] /= rx
        m[:, 1] /= ry
        return cv2.warpAffine(
            image, m, size, flags=cv2.INTER_LINEAR, borderMode=border, borderValue=(value,) * 3
        )


def warp_labels(labels: np.ndarray, matrix: np.ndarray, size: tuple[int, int], outside: int) -> np.ndarray:
    """Class ids under `matrix`, nearest neighbour; `outside` where the source does not reach."""
    return cv2.warpAffine(
        labels, matrix, size, flags=cv2.INTER_NEAREST, borderMode=cv2.BORDER_CONSTANT, borderValue=outside
    )


@dataclass
class Layer:
    """A cut-out ready to draw: its pixels (as a pyramid), its labels and its map for this frame."""

    pyramid: Pyramid
    labels: np.ndarray
    matrix: np.ndarray


@dataclass
class Frame:
    image: np.ndarray  # BGR uint8
    labels: np.ndarray  # class ids, 255 = ignore (outside the photo)
    in_frame: list[int]  # per layer: its pixels inside the frame
    visible: list[int]  # per layer: of those, the ones no nearer layer covers


def render_frame(
    photo: Pyramid, photo_labels: np.ndarray, camera: np.ndarray, layers: list[Layer], size: tuple[int, int]
) -> Frame:
    """The photo under the camera map, then `layers` from the back to the front."""
    image = photo.warp(camera, size, cv2.BORDER_CONSTANT, 0)
    labels = warp_labels(photo_labels, camera, size, IGNORE)
    owner = np.full(labels.shape, NO_OWNER, np.uint8)
    in_frame = []
    for index, layer in enumerate(layers):
        object_labels = warp_labels(layer.labels, layer.matrix, size, 0)
        mask = object_labels != 0
        count = int(np.count_nonzero(mask))
        in_frame.append(count)
        if count == 0:
            continue
        pixels = layer.pyramid.warp(layer.matrix, size, cv2.BORDER_REPLICATE)
        image[mask] = pixels[mask]
        labels[mask] = object_labels[mask]
        owner[mask] = index
    visible = np.bincount(owner.ravel(), minlength=NO_OWNER + 1)[: len(layers)].tolist()
    return Frame(image, labels, in_frame, [int(v) for v in visible])
