"""Real frames for calibration and evaluation: sampled from a video, or the images of a folder."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from jejunet.assets import SAMPLE_CLIP, resolve
from jejunet.errors import MediaError, UserError
from jejunet.media.video import image_files, read_image, video_frames
from jejunet.ops.resize import resize_image


def source_path(source: str | Path) -> Path:
    """`sample` → the bundled clip; anything else must exist."""
    if str(source) == "sample":
        return resolve(SAMPLE_CLIP, download=False)
    path = Path(source).expanduser()
    if not path.exists():
        raise UserError(f"{path}: no such video or image folder")
    return path


def load_frames(source: str | Path, count: int = 32) -> list[np.ndarray]:
    """Up to `count` BGR frames, evenly spread over a video, or the images of a folder (name order)."""
    path = source_path(source)
    if path.is_dir():
        files = image_files(str(path))
        if not files:
            raise UserError(f"{path}: no images (.jpg, .png, …) in this folder")
        step = max(1, len(files) // count)
        return [read_image(p) for p in files[::step][:count]]
    frames = [f for _, f, _ in video_frames(str(path))]
    if not frames:
        raise MediaError(f"{path}: no frames")
    step = max(1, len(frames) // count)
    return frames[::step][:count]


def labelled_images(images: Path, gt: Path) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """(name, BGR image, ground-truth label map) for every image with a same-named label PNG."""
    from jejunet.media.palette import read_label_png

    if not images.is_dir():
        raise UserError(f"{images}: not a folder of images")
    if not gt.is_dir():
        raise UserError(f"{gt}: not a folder of label PNGs")
    pairs = []
    for path in image_files(str(images)):
        label = gt / f"{path.stem}.png"
        if label.is_file():
            pairs.append((path.stem, read_image(path), read_label_png(label)))
    if not pairs:
        raise UserError(f"{images}: no image has a label PNG of the same name in {gt}")
    return pairs


def to_input(frame: np.ndarray, size: tuple[int, int], mean: float, std: float) -> np.ndarray:
    """BGR frame → 1×H×W×3 float32 network input, resized (stretched, area filter) to (height, width)."""
    h, w = size
    resized = resize_image(frame, w, h, "stretch", "area")
    rgb = cv2.cvtColor(resized, cv2.COLOR_BGR2RGB).astype(np.float32)
    return ((rgb - np.float32(mean)) * np.float32(1.0 / std))[np.newaxis]


def parse_size(text: str) -> tuple[int, int]:
    """'WxH' (or 'W×H', or one number for a square) → (height, width)."""
    parts = text.lower().replace("×", "x").split("x")
    try:
        values = [int(p) for p in parts]
    except ValueError:
        raise UserError(f"size '{text}': expected WxH, e.g. 512x288") from None
    if len(values) == 1:
        values = values * 2
    if len(values) != 2 or not all(32 <= v <= 4096 for v in values):
        raise UserError(f"size '{text}': expected WxH with both sides in 32…4096")
    return values[1], values[0]
