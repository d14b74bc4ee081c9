"""Operator kernels: pure functions tested without a graph."""

from __future__ import annotations

import itertools

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from jejunet.kinds import Probs
from jejunet.media.palette import encode_label_png, read_label_png, voc_palette
from jejunet.ops.overlay import classes_present, overlay_labels
from jejunet.ops.resize import resize_image
from jejunet.ops.upsample import upsample_labels, upsample_probs


def test_voc_palette_standard_colours() -> None:
    p = voc_palette()
    assert p[0].tolist() == [0, 0, 0]
    assert p[1].tolist() == [128, 0, 0]
    assert p[15].tolist() == [192, 128, 128]  # person
    assert p[255].tolist() == [255, 255, 255]


def test_label_png_is_a_palette_png_pil_reads_as_indices(tmp_path) -> None:
    labels = np.array([[0, 15, 255], [7, 20, 1]], dtype=np.uint8)
    path = tmp_path / "l.png"
    path.write_bytes(encode_label_png(labels))
    with Image.open(path) as img:
        assert img.mode == "P"
        np.testing.assert_array_equal(np.array(img), labels)
        assert img.getpalette()[15 * 3 : 15 * 3 + 3] == [192, 128, 128]
    np.testing.assert_array_equal(read_label_png(path), labels)


@pytest.mark.parametrize("mode", ["stretch", "crop", "pad"])
@pytest.mark.parametrize("interp", ["nearest", "linear", "area", "cubic"])
def test_resize_size(mode: str, interp: str) -> None:
    img = np.random.default_rng(0).integers(0, 255, (272, 640, 3), dtype=np.uint8)
    out = resize_image(img, 256, 256, mode, interp)
    assert out.shape == (256, 256, 3) and out.dtype == np.uint8


def test_resize_pad_letterboxes_and_crop_centres() -> None:
    img = np.full((100, 200, 3), 200, dtype=np.uint8)
    padded = resize_image(img, 100, 100, "pad")
    assert padded[0, 50].tolist() == [0, 0, 0] and padded[50, 50].tolist() == [200, 200, 200]
    img[:, :50] = 0  # the left quarter is cut away by a centre crop
    cropped = resize_image(img, 100, 100, "crop", "nearest")
    assert (cropped == 200).all()


@settings(max_examples=30, deadline=None)
@given(h=st.integers(1, 40), w=st.integers(1, 40), th=st.integers(1, 120), tw=st.integers(1, 120))
def test_upsample_labels_keeps_classes(h: int, w: int, th: int, tw: int) -> None:
    labels = np.random.default_rng(h * w).integers(0, 21, (h, w), dtype=np.uint8)
    out = upsample_labels(labels, th, tw)
    assert out.shape == (th, tw)
    assert set(np.unique(out)) <= set(np.unique(labels))


def test_upsample_probs_bilinear_then_argmax() -> None:
    p = np.zeros((2, 2, 2), dtype=np.float32)
    p[..., 0] = 1.0
    p[0, 0] = (0.0, 1.0)  # one person pixel in the corner
    probs = Probs(p, np.array([0, 15], dtype=np.uint8))
    out = upsample_probs(probs, 8, 8)
    assert out.shape == (8, 8) and out[0, 0] == 15 and out[7, 7] == 0
    assert set(np.unique(out)) == {0, 15}
    three = Probs(
        np.random.default_rng(1).random((4, 4, 3)).astype(np.float32), np.array([0, 7, 15], np.uint8)
    )
    np.testing.assert_array_equal(upsample_probs(three, 4, 4), three.argmax())


@given(c=st.integers(1, 5), seed=st.integers(0, 1000))
def test_probs_argmax_is_the_first_most_probable_class(c: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    data = rng.integers(0, 3, (6, 7, c)).astype(np.float32)  # few values: many ties
    ids = rng.permutation(21)[:c].astype(np.uint8)
    np.testing.assert_array_equal(Probs(data, ids).argmax(), ids[np.argmax(data, axis=-1)])
    np.testing.assert_array_equal(Probs(data, ids).confidence(), data.max(axis=-1))


def test_overlay_tints_only_foreground() -> None:
    img = np.full((4, 4, 3), 100, dtype=np.uint8)
    labels = np.zeros((4, 4), dtype=np.uint8)
    labels[0, 0] = 15
    out = overlay_labels(img, labels, alpha=0.5)
    assert out[1, 1].tolist() == [100, 100, 100]
    # person is RGB (192,128,128) → BGR (128,128,192); half-way blend
    assert out[0, 0].tolist() == [114, 114, 146]
    full = overlay_labels(img, labels, alpha=1.0, background=True)
    assert full[1, 1].tolist() == [0, 0, 0]


def _overlay_formula(image: np.ndarray, labels: np.ndarray, alpha: float) -> np.ndarray:
    """The overlay by definition: class colours by plain indexing, blended where labels != 0."""
    colours = np.ascontiguousarray(voc_palette()[:, ::-1])[labels]
    blended = cv2.addWeighted(image, 1.0 - alpha, colours, alpha, 0.0)
    return np.where((labels != 0)[..., None], blended, image)


@pytest.mark.parametrize("alpha", [0.5, 0.3, 1.0])
def test_overlay_equals_the_formula_byte_for_byte(alpha: float, bikes) -> None:
    from jejunet.media.video import video_frames

    rng = np.random.default_rng(7)
    frames = [f for _, f, _ in itertools.islice(video_frames(str(bikes)), 100, 250, 50)]
    odd = rng.integers(0, 256, (31, 17, 4), dtype=np.uint8)[..., 1:]  # a view: channels not contiguous
    for image in [*frames, rng.integers(0, 256, (31, 17, 3), dtype=np.uint8), odd]:
        h, w = image.shape[:2]
        blobs = np.zeros((h, w), np.uint8)
        blobs[h // 4 : h // 2, w // 3 : w // 2], blobs[-3:, -5:] = 15, 255
        for labels in (
            blobs,
            rng.integers(0, 256, (h, w), dtype=np.uint8),
            rng.integers(0, 3, (h, w), dtype=np.uint8),
        ):
            out = overlay_labels(image, labels, alpha)
            np.testing.assert_array_equal(out, _overlay_formula(image, labels, alpha))
            np.testing.assert_array_equal(
                overlay_labels(image, labels, alpha, background=True),
                cv2.addWeighted(
                    image, 1 - alpha, np.ascontiguousarray(voc_palette()[:, ::-1])[labels], alpha, 0
                ),
            )
    assert classes_present(blobs) == [0, 15, 255]
    assert classes_present(np.full((4, 4), 7, np.uint8)) == [7]


@settings(max_examples=40, deadline=None)
@given(
    ids=st.tuples(st.integers(0, 255), st.integers(0, 255)),
    h=st.integers(1, 30),
    w=st.integers(1, 30),
    seed=st.integers(0, 1000),
    strided=st.booleans(),
)
def test_upsample_two_classes_equals_the_threshold(ids, h: int, w: int, seed: int, strided: bool) -> None:
    rng = np.random.default_rng(seed)
    data = rng.random((h, w, 2 + strided), dtype=np.float32)
    data.flat[:3] = [0.5, np.nan, 0.75]  # the threshold itself, a NaN
    if strided:  # a view, not contiguous
        data = data[..., 1:]
    probs = Probs(data, np.array(ids, dtype=np.uint8))
    for th, tw in ((h, w), (2 * h + 1, 3 * w)):
        p = cv2.resize(np.ascontiguousarray(data[..., 1]), (tw, th), interpolation=cv2.INTER_LINEAR)
        expected = np.where(p > 0.5, probs.class_ids[1], probs.class_ids[0]).astype(np.uint8)
        out = upsample_probs(probs, th, tw)
        assert out.dtype == np.uint8
        np.testing.assert_array_equal(out, expected)
