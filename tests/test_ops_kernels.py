"""Operator kernels: pure functions tested without a graph."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from jejunet.kinds import Probs
from jejunet.media.palette import encode_label_png, read_label_png, voc_palette
from jejunet.ops.overlay import overlay_labels
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
