"""`jejunet synth`: exact ground truth, determinism, cuts, objects that enter and leave, bad input."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path

import av
import cv2
import numpy as np
import pytest
from PIL import Image

from jejunet.media.palette import IGNORE, encode_label_png, read_label_png
from jejunet.synth import SynthSettings
from jejunet.synth.clip import plan_shots, render_shot
from jejunet.synth.photos import load_photos

# flat colour per class (BGR), far apart; black is what the camera sees outside the photo
COLOURS = {
    0: (200, 200, 200),
    1: (0, 0, 230),
    2: (0, 220, 0),
    3: (230, 0, 0),
    4: (0, 220, 220),
    5: (220, 0, 220),
    6: (220, 220, 0),
    IGNORE: (0, 0, 0),
}


def flat_photo(rng: np.random.Generator, width: int, height: int, classes: list[int]) -> np.ndarray:
    """Labels: background 0 with a few rectangles and ellipses of the given classes."""
    labels = np.zeros((height, width), np.uint8)
    for c in classes:
        x, y = int(rng.integers(0, width * 2 // 3)), int(rng.integers(0, height * 2 // 3))
        w, h = int(rng.integers(width // 5, width // 3)), int(rng.integers(height // 5, height // 3))
        if c % 2:
            labels[y : y + h, x : x + w] = c
        else:
            cv2.ellipse(labels, (x + w // 2, y + h // 2), (w // 2, h // 2), 20, 0, 360, c, -1)
    return labels


def write_flat_set(root: Path, sizes: list[tuple[int, int]], seed: int = 1) -> tuple[Path, Path]:
    """Photos whose colour is a function of their label (COLOURS), as PNG photo + palette mask."""
    rng = np.random.default_rng(seed)
    images, masks = root / "JPEGImages", root / "SegmentationClassPNG"
    images.mkdir(parents=True)
    masks.mkdir()
    lut = np.array([COLOURS.get(i, (0, 0, 0)) for i in range(256)], np.uint8)
    for n, (w, h) in enumerate(sizes):
        labels = flat_photo(rng, w, h, [1 + (n + k) % 6 for k in range(3)])
        cv2.imwrite(str(images / f"photo{n}.png"), lut[labels])
        (masks / f"photo{n}.png").write_bytes(encode_label_png(labels))
    return images, masks


def interior(labels: np.ndarray, radius: int) -> np.ndarray:
    """Pixels whose whole (2r+1)² neighbourhood has their label: away from every label edge."""
    kernel = np.ones((2 * radius + 1, 2 * radius + 1), np.uint8)
    keep = cv2.erode(labels, kernel) == cv2.dilate(labels, kernel)
    keep[:radius], keep[-radius:], keep[:, :radius], keep[:, -radius:] = False, False, False, False
    return keep  # (what lies beyond the frame's edge is unknown)


def labels_not_seen(image: np.ndarray, labels: np.ndarray, radius: int) -> int:
    """Pixels labelled c with no pixel of c's pure colour within `radius`: labels the image lacks."""
    kernel = np.ones((2 * radius + 1, 2 * radius + 1), np.uint8)
    count = 0
    for c, colour in COLOURS.items():
        pure = (np.abs(image.astype(np.int16) - np.array(colour)).max(axis=2) <= 1).astype(np.uint8)
        count += int(((labels == c) & ~cv2.dilate(pure, kernel).astype(bool)).sum())
    return count


def decoded(video: Path, fmt: str = "bgr24") -> list[np.ndarray]:
    with av.open(str(video)) as container:
        return [f.to_ndarray(format=fmt) for f in container.decode(video=0)]


def largest_scale(record: dict) -> float:
    scales = [record["camera"]["zoom"]] + [o["scale"] for o in record["objects"]]
    return max(scales)


def test_ground_truth_is_exact_in_every_frame(tmp_path: Path) -> None:
    images, masks = write_flat_set(tmp_path, [(200, 150), (170, 160), (240, 130)])
    photos = load_photos(images, masks)
    settings = SynthSettings(size=(160, 90), frames_per_shot=10, objects=3, motion="wild", seed=3)
    lut = np.array([COLOURS.get(i, (0, 0, 0)) for i in range(256)], np.int16)
    checked, outside, object_pixels, unseen = [], 0, 0, [0]

    def check(frame, record) -> None:
        nonlocal outside, object_pixels
        # a bilinear blend reaches half a source pixel either side of an edge: scale/2 frame pixels
        radius = math.ceil(largest_scale(record) / 2) + 1
        keep = interior(frame.labels, radius)
        error = np.abs(frame.image.astype(np.int16) - lut[frame.labels]).max(axis=2)
        assert error[keep].max() <= 1, f"frame {record['frame']}: pixels disagree with their label"
        checked.append(keep.mean())
        unseen[0] += labels_not_seen(frame.image, frame.labels, 2 * radius)
        outside += int((frame.labels[keep] == IGNORE).sum())
        object_pixels += sum(o["visible_pixels"] for o in record["objects"])

    shots = plan_shots(photos, settings)
    shots[0].camera = [replace(p, zoom=p.zoom * 0.6) for p in shots[0].camera]  # the photo's edge in view
    for shot in shots:
        render_shot(shot, settings.size, check)
    assert len(checked) == 30 and np.mean(checked) > 0.5  # most of every frame is checked
    assert outside > 0 and object_pixels > 0  # outside the photo (255) and the cut-outs are covered
    # and the other way: a label appears only where its colour is in the picture (at most a few
    # pixels at the tips of shapes narrower than a pixel; labels interpolated linearly give thousands)
    assert unseen[0] <= 1e-4 * 30 * 160 * 90


def test_cli_clip_video_matches_ground_truth(cli, tmp_path: Path) -> None:
    images, masks = write_flat_set(tmp_path / "set", [(200, 150), (170, 160)])
    out = tmp_path / "clip"
    result = cli("synth", "--images", images, "--masks", masks, "--out", out, "--size", "160x90",
                 "--frames-per-shot", "8", "--quiet")  # fmt: skip
    assert result.code == 0, result.err
    assert sorted(p.name for p in out.iterdir()) == ["gt", "meta.json", "video.mp4"]
    gts = sorted((out / "gt").glob("*.png"))
    assert [p.name for p in gts[:2]] == ["000000.png", "000001.png"] and len(gts) == 16
    with Image.open(gts[0]) as im:
        assert im.mode == "P" and im.size == (160, 90)
    frames = decoded(out / "video.mp4")
    assert len(frames) == 16
    colours = np.array(list(COLOURS.values()), np.int32)
    ids = np.array(list(COLOURS.keys()))
    agree = total = 0
    for frame, gt in zip(frames, gts, strict=True):
        labels = read_label_png(gt)
        keep = interior(labels, 4)
        distance = ((frame[keep].astype(np.int32)[:, None, :] - colours[None]) ** 2).sum(axis=2)
        agree += int((ids[distance.argmin(axis=1)] == labels[keep]).sum())
        total += int(keep.sum())
    assert total > 16 * 160 * 90 * 0.4 and agree / total > 0.995  # lossy H.264, same labels


def test_same_seed_same_clip(cli, tmp_path: Path) -> None:
    images, masks = write_flat_set(tmp_path / "set", [(200, 150), (170, 160), (150, 150)])
    runs = {}
    for name, seed in (("a", "5"), ("b", "5"), ("c", "6")):
        result = cli("synth", "--images", images, "--masks", masks, "--out", tmp_path / name,
                     "--size", "96x64", "--frames-per-shot", "6", "--seed", seed)  # fmt: skip
        assert result.code == 0, result.err
        meta = json.loads((tmp_path / name / "meta.json").read_text())
        gt = b"".join(p.read_bytes() for p in sorted((tmp_path / name / "gt").glob("*.png")))
        video = [
            f.to_ndarray(format="bgr24") for f in av.open(str(tmp_path / name / "video.mp4")).decode(video=0)
        ]
        runs[name] = (meta["per_frame"], meta["shots"], gt, np.stack(video))
    a, b, c = runs["a"], runs["b"], runs["c"]
    assert a[0] == b[0] and a[1] == b[1] and a[2] == b[2] and np.array_equal(a[3], b[3])
    assert a[0] != c[0] and a[2] != c[2]


def test_cuts_at_shot_boundaries(cli, tmp_path: Path, voc_dir: Path) -> None:
    out = tmp_path / "clip"
    result = cli("synth", "--images", voc_dir / "JPEGImages", "--masks", voc_dir / "SegmentationClassPNG",
                 "--out", out, "--size", "160x90", "--frames-per-shot", "8", "--shots", "4",
                 "--motion", "calm", "--objects", "1")  # fmt: skip
    assert result.code == 0, result.err
    meta = json.loads((out / "meta.json").read_text())
    assert meta["frames"] == 32 and meta["cuts"] == [8, 16, 24]
    shots = meta["shots"]
    assert [(s["start"], s["end"]) for s in shots] == [(0, 8), (8, 16), (16, 24), (24, 32)]
    assert all(a["photo"] != b["photo"] for a, b in zip(shots, shots[1:], strict=False))
    assert {s["photo"] for s in shots} == {"2011_000003", "2011_000006", "2011_000025"}
    for s in shots:  # cut-outs come from the other photos
        assert all(o["source"] != s["photo"] for o in s["objects"])
    assert [r["shot"] for r in meta["per_frame"]] == [i // 8 for i in range(32)]
    frames = [
        f.to_ndarray(format="gray").astype(np.float32)
        for f in av.open(str(out / "video.mp4")).decode(video=0)
    ]
    change = [float(np.abs(a - b).mean()) for a, b in zip(frames, frames[1:], strict=False)]
    cut_changes = [change[c - 1] for c in meta["cuts"]]
    within = [v for i, v in enumerate(change) if i + 1 not in meta["cuts"]]
    assert min(cut_changes) > max(within)  # the picture jumps at the cuts and only there


def test_objects_enter_leave_and_pass_in_front(tmp_path: Path, voc_dir: Path) -> None:
    photos = load_photos(voc_dir / "JPEGImages", voc_dir / "SegmentationClassPNG")
    settings = SynthSettings(size=(128, 72), frames_per_shot=24, objects=3, shots=3)
    records: list[dict] = []
    labels_seen: list[np.ndarray] = []
    shots = plan_shots(photos, settings)
    for shot in shots:
        render_shot(shot, settings.size, lambda f, r: (records.append(r), labels_seen.append(f.labels)))
    entered = left = occluded = 0
    for shot in shots:
        frames = records[shot.start : shot.start + settings.frames_per_shot]
        depths = sorted(t.depth for t in shot.tracks)
        assert depths == list(range(len(shot.tracks)))  # one depth order
        for i, track in enumerate(shot.tracks):
            inside = [r["objects"][i]["pixels_in_frame"] for r in frames]
            assert max(inside) > 0  # every object is seen
            before = [n for t, n in enumerate(inside) if t < track.enter]
            after = [n for t, n in enumerate(inside) if t > track.leave]
            assert not any(before) and not any(after)  # off the frame before it enters and after it leaves
            entered += inside[0] == 0
            left += inside[-1] == 0
            occluded += any(
                r["objects"][i]["visible_pixels"] < n for r, n in zip(frames, inside, strict=True)
            )
    assert entered > 0 and left > 0 and occluded > 0
    # the depth order decides the labels where objects overlap: visible pixels are what the gt shows
    for record, labels in zip(records, labels_seen, strict=True):
        visible = sum(o["visible_pixels"] for o in record["objects"])
        assert visible <= int(((labels != 0) & (labels != IGNORE)).sum())


def test_class_map_and_no_cutouts_with_one_photo(cli, tmp_path: Path) -> None:
    images, masks = write_flat_set(tmp_path / "set", [(120, 90)])
    out = tmp_path / "clip"
    result = cli("synth", "--images", images, "--masks", masks, "--out", out, "--size", "64x48",
                 "--frames-per-shot", "3", "--class-map", "1:7,2:255,3:255,4:255")  # fmt: skip
    assert result.code == 0, result.err
    assert "no cut-outs" in result.out
    seen = set()
    for p in (out / "gt").glob("*.png"):
        seen |= set(np.unique(read_label_png(p)).tolist())
    assert seen <= {0, 7, 255} and 7 in seen


@pytest.fixture
def good_set(tmp_path: Path) -> tuple[Path, Path]:
    return write_flat_set(tmp_path / "set", [(120, 90), (100, 80)])


def _break_set(case: str, tmp_path: Path, images: Path, masks: Path) -> tuple[Path, list[str]]:
    """Spoil a good photo set one way; returns the --images folder and extra flags."""
    edits = {
        "missing_mask": lambda: (masks / "photo1.png").unlink(),
        "extra_mask": lambda: (masks / "photo9.png").write_bytes((masks / "photo1.png").read_bytes()),
        "other_names": lambda: [p.rename(masks / f"x{p.name}") for p in list(masks.iterdir())],
        "wrong_size": lambda: (masks / "photo0.png").write_bytes(
            encode_label_png(np.zeros((40, 50), np.uint8))
        ),
        "rgb_mask": lambda: Image.new("RGB", (120, 90)).save(masks / "photo0.png"),
        "out_is_other": lambda: (
            (tmp_path / "clip").mkdir(),
            (tmp_path / "clip" / "notes.txt").write_text("x"),
        ),
    }
    flags = {
        "bad_size": ["--size", "640"],
        "odd_size": ["--size", "641x360"],
        "bad_motion": ["--motion", "jerky"],
        "bad_frames": ["--frames-per-shot", "x"],
    }
    if case == "empty_images":
        images = tmp_path / "empty"
        images.mkdir()
    if case in edits:
        edits[case]()
    return images, flags.get(case, [])


@pytest.mark.parametrize(
    "case, expect",
    [
        ("missing_mask", "no mask for this photo"),
        ("extra_mask", "no photo for this mask"),
        ("other_names", "no mask matches a photo"),
        ("wrong_size", "mask is 50×40, its photo photo0.png is 120×90"),
        ("rgb_mask", "not a label PNG"),
        ("empty_images", "holds no photos"),
        ("bad_size", "--size 640: expected WIDTHxHEIGHT"),
        ("odd_size", "must be even"),
        ("bad_motion", "--motion jerky"),
        ("bad_frames", "--frames-per-shot x"),
        ("out_is_other", "refusing to overwrite"),
    ],
)
def test_bad_input_one_line_exit_2_nothing_written(
    cli, tmp_path: Path, good_set, case: str, expect: str
) -> None:
    out = tmp_path / "clip"
    images, extra = _break_set(case, tmp_path, *good_set)
    masks = good_set[1]
    before = sorted(p.name for p in tmp_path.iterdir())
    result = cli("synth", "--images", images, "--masks", masks, "--out", out, *extra)
    assert result.code == 2, result.err
    assert len(result.err_lines) == 1 and expect in result.err and "Traceback" not in result.err
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # no clip, no temporary folder
    if case == "out_is_other":
        assert [p.name for p in out.iterdir()] == ["notes.txt"]


def test_rerun_replaces_a_previous_clip(cli, tmp_path: Path, good_set) -> None:
    images, masks = good_set
    out = tmp_path / "clip"
    args = ("synth", "--images", images, "--masks", masks, "--out", out, "--size", "64x48")
    assert cli(*args, "--frames-per-shot", "4").code == 0
    assert cli(*args, "--frames-per-shot", "2").code == 0
    assert len(list((out / "gt").glob("*.png"))) == 4
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clip", "set"]


def test_interrupted_run_leaves_nothing(cli, tmp_path: Path, good_set, monkeypatch) -> None:
    import jejunet.synth.clip as clip

    images, masks = good_set
    real, calls = clip.render_frame, []

    def interrupted(*args, **kwargs):
        calls.append(1)
        if len(calls) == 5:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(clip, "render_frame", interrupted)
    result = cli("synth", "--images", images, "--masks", masks, "--out", tmp_path / "clip", "--size", "64x48")
    assert result.code == 130 and len(calls) == 5
    assert sorted(p.name for p in tmp_path.iterdir()) == ["set"]  # no clip, no temporary folder


def test_one_frame_shots(cli, tmp_path: Path, good_set) -> None:
    images, masks = good_set
    out = tmp_path / "clip"
    result = cli("synth", "--images", images, "--masks", masks, "--out", out, "--size", "64x48",
                 "--frames-per-shot", "1", "--shots", "3")  # fmt: skip
    assert result.code == 0, result.err
    meta = json.loads((out / "meta.json").read_text())
    assert meta["cuts"] == [1, 2] and len(decoded(out / "video.mp4")) == 3
