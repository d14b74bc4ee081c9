"""decode and encode on real media; the encoder writes H.264 that browsers play, atomically."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from jejunet.errors import MediaError
from jejunet.ops.base import RunContext
from jejunet.ops.decode import Decode, DecodeParams
from jejunet.ops.encode import Encode, EncodeParams


def _decode(**params) -> tuple[list, RunContext]:
    op = Decode(DecodeParams(**params), "source")
    ctx = RunContext()
    op.open(ctx)
    return list(op.frames()), ctx


def test_decode_video_indices_timestamps_and_rate(bikes: Path) -> None:
    frames, ctx = _decode(source=str(bikes), max_frames=5)
    assert [info.index for info, _ in frames] == [0, 1, 2, 3, 4]
    assert [round(info.timestamp, 3) for info, _ in frames] == [0.0, 0.04, 0.08, 0.12, 0.16]
    assert frames[0][1]["image"].shape == (272, 640, 3)
    assert ctx.fps == 25.0


def test_decode_start_stride(bikes: Path) -> None:
    frames, ctx = _decode(source=str(bikes), start=10, stride=3, max_frames=4)
    assert [info.index for info, _ in frames] == [0, 1, 2, 3]
    assert [round(info.timestamp, 2) for info, _ in frames] == [0.4, 0.52, 0.64, 0.76]
    assert ctx.fps == pytest.approx(25 / 3)


def test_decode_whole_clip(bikes: Path) -> None:
    frames, _ = _decode(source=str(bikes))
    assert len(frames) == 250


def bt601(frame: av.VideoFrame) -> np.ndarray:
    """The BT.601 limited-range formula in floating point, chroma repeated (the reference)."""
    h, w = frame.height, frame.width
    planes = frame.to_ndarray().astype(float)
    y = planes[:h] - 16
    u, v = (
        np.repeat(np.repeat(p.reshape(h // 2, w // 2), 2, 0), 2, 1) - 128
        for p in np.split(planes[h:].ravel(), 2)
    )
    r, g, b = (
        1.164383 * y + 1.596027 * v,
        1.164383 * y - 0.391762 * u - 0.812968 * v,
        1.164383 * y + 2.017232 * u,
    )
    return np.clip(np.stack([b, g, r], axis=-1), 0, 255)


def test_decode_converts_bt601_exactly(bikes: Path) -> None:
    from jejunet.media.video import to_bgr

    with av.open(str(bikes)) as container:
        for i, frame in enumerate(container.decode(video=0)):
            if i in (0, 100, 200):
                exact = bt601(frame)
                ours = to_bgr(frame)
                assert ours.dtype == np.uint8 and ours.shape == (272, 640, 3)
                assert np.abs(ours - exact).mean() < 0.4


def test_decode_falls_back_to_swscale_for_other_formats() -> None:
    from jejunet.media.video import to_bgr

    rgb = np.random.default_rng(0).integers(0, 256, (33, 47, 3), dtype=np.uint8)  # odd sizes
    frame = av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(format="yuv444p")
    assert np.array_equal(to_bgr(frame), frame.to_ndarray(format="bgr24"))


def test_decode_image_folder_and_glob(voc_dir: Path) -> None:
    folder, _ = _decode(source=str(voc_dir / "JPEGImages"))
    globbed, _ = _decode(source=str(voc_dir / "JPEGImages" / "*.jpg"))
    names = [info.name for info, _ in folder]
    assert names == [info.name for info, _ in globbed] == sorted(names) and len(names) == 3
    assert names[0] == "2011_000003"


def test_decode_camera_that_does_not_exist() -> None:
    with pytest.raises(MediaError, match="camera 97"):
        _decode(source=97)


def test_encode_writes_h264_atomically(tmp_path: Path) -> None:
    target = tmp_path / "v.mp4"
    op = Encode(EncodeParams(path=str(target)), "sink")
    op.open(RunContext(fps=25.0))
    rng = np.random.default_rng(0)
    from jejunet.ops.base import FrameInfo

    for i in range(10):
        op.process(FrameInfo(i, i / 25), rng.integers(0, 255, (271, 333, 3), dtype=np.uint8))
        assert not target.exists()  # nothing at the path until the run succeeds
    op.close()
    with av.open(str(target)) as c:
        s = c.streams.video[0]
        assert s.codec_context.name == "h264" and s.codec_context.pix_fmt == "yuv420p"
        assert (s.width, s.height) == (334, 272)  # odd sizes padded for 4:2:0
        assert sum(1 for _ in c.decode(s)) == 10
    assert [p.name for p in tmp_path.iterdir()] == ["v.mp4"]


def test_encode_keeps_the_colours(tmp_path: Path, bikes: Path) -> None:

    frames, _ = _decode(source=str(bikes), max_frames=8)
    target = tmp_path / "v.mp4"
    op = Encode(EncodeParams(path=str(target), crf=0), "sink")  # lossless: only the colour conversion
    op.open(RunContext(fps=25.0))
    for info, produced in frames:
        op.process(info, produced["image"])
    op.close()
    with av.open(str(target)) as c:
        decoded = [f.to_ndarray(format="bgr24") for f in c.decode(video=0)]
    originals = [produced["image"] for _, produced in frames]
    mse = np.mean([np.mean((a.astype(np.float64) - b) ** 2) for a, b in zip(originals, decoded, strict=True)])
    assert 10 * np.log10(255**2 / mse) > 43  # measured 44.6 dB (the encoder's own BGR conversion: 41.2)
    bias = np.mean([np.mean(a.astype(np.float64) - b) for a, b in zip(originals, decoded, strict=True)])
    assert abs(bias) < 2.0


def test_encode_abort_leaves_nothing(tmp_path: Path) -> None:
    op = Encode(EncodeParams(path=str(tmp_path / "v.mp4")), "sink")
    op.open(RunContext())
    from jejunet.ops.base import FrameInfo

    op.process(FrameInfo(0, 0.0), np.zeros((64, 64, 3), np.uint8))
    op.abort()
    assert list(tmp_path.iterdir()) == []


def test_decode_named_sample_and_unknown_sample(bikes: Path) -> None:
    frames, ctx = _decode(source="sample:bikes", max_frames=2)
    assert len(frames) == 2 and ctx.fps == 25.0
    with pytest.raises(MediaError, match="unknown sample clip 'nope'"):
        _decode(source="sample:nope")


def test_outputs_get_the_usual_permissions(tmp_path: Path) -> None:
    from jejunet.media.atomic import FILE_MODE, write_bytes_atomic

    target = tmp_path / "r.json"
    write_bytes_atomic(target, b"{}")
    assert target.stat().st_mode & 0o777 == FILE_MODE


# --- Python frame sources, frame counts ---------------------------------------------------------
def test_decode_python_iterable_callable_and_capture_object(bikes: Path) -> None:
    from jejunet.media.sources import attach, detach
    from jejunet.media.video import video_frames

    images = [image for _, (_, image, _) in zip(range(4), video_frames(str(bikes)), strict=False)]
    it = iter(images)

    class Capture:  # the cv2.VideoCapture protocol
        def __init__(self) -> None:
            self.left = list(images)

        def read(self) -> tuple[bool, np.ndarray | None]:
            return (True, self.left.pop(0)) if self.left else (False, None)

    for obj in (images, (i for i in images), lambda: next(it, None), Capture()):
        token = attach(obj)
        try:
            frames, ctx = _decode(source=token, fps=10.0, stride=2)
        finally:
            detach(token)
        assert [info.index for info, _ in frames] == [0, 1] and ctx.fps == 5.0
        assert [info.timestamp for info, _ in frames] == [0.0, 0.2]
        assert all(np.array_equal(f["image"], images[2 * i]) for i, (_, f) in enumerate(frames))


def test_decode_python_source_errors_name_the_frame() -> None:
    from jejunet.media.sources import attach, detach, locate

    token = attach([np.zeros((8, 8, 3), np.uint8), np.zeros((8, 8), np.float32)])
    with pytest.raises(MediaError, match=r"frame 1: expected an H×W×3 uint8 BGR image, got float32 array"):
        _decode(source=token)
    detach(token)
    with pytest.raises(MediaError, match="no Python frame source attached"):
        locate(token)
    with pytest.raises(MediaError, match="got int"):
        attach(3)


def test_source_frame_counts(bikes: Path, voc_dir: Path) -> None:
    from jejunet.media.sources import attach, detach, emitted_count, locate

    assert locate(str(bikes)).frame_count() == 250
    assert locate(str(voc_dir / "JPEGImages")).frame_count() == 3
    assert locate("tcp://127.0.0.1:9").frame_count() is None and locate("tcp://127.0.0.1:9").live
    token = attach([np.zeros((2, 2, 3), np.uint8)] * 5)
    assert locate(token).frame_count() == 5
    detach(token)
    assert emitted_count(250, 10, 3, None) == 80 and emitted_count(250, 0, 1, 20) == 20
    assert emitted_count(None, 0, 1, 5) is None


# --- probs_writer -----------------------------------------------------------------------------
PROBS_PIPELINE = """
version: 1
nodes:
  - id: source
    op: decode
    params: {{source: {source}, max_frames: 3}}
  - id: resize
    op: resize
    inputs: {{image: source.image}}
    params: {{width: 256, height: 256}}
  - id: segment
    op: tflite_infer
    inputs: {{image: resize.image}}
    params: {{model: {model}, num_threads: 1}}
  - id: probs
    op: probs_writer
    inputs: {{probs: segment.probs{like}}}
    params: {{dir: {dir}}}
"""


def test_probs_writer_saves_float16_probabilities(
    tmp_path: Path, bikes: Path, selfie_model: Path, cli
) -> None:
    from jejunet.models.runtime import decode_output, invoke, load_model, preprocess
    from jejunet.ops.resize import resize_image

    out = tmp_path / "probs"
    pipeline = tmp_path / "p.yaml"
    pipeline.write_text(PROBS_PIPELINE.format(source=bikes, model=selfie_model, dir=out, like=""))
    result = cli("graph", "run", pipeline, "--quiet")
    assert result.code == 0, result.err
    assert sorted(p.name for p in out.iterdir()) == [
        "000000.npy",
        "000001.npy",
        "000002.npy",
        "class_ids.npy",
    ]
    frames, _ = _decode(source=str(bikes), max_frames=3)
    model = load_model(selfie_model, None, 1, "auto", None, None)
    for i, (_, produced) in enumerate(frames):
        saved = np.load(out / f"{i:06d}.npy")
        _, probs = decode_output(
            model,
            invoke(model, preprocess(model, resize_image(produced["image"], 256, 256, "stretch", "linear"))),
        )
        assert saved.dtype == np.float16 and saved.shape == (256, 256, 2)
        assert np.array_equal(saved, probs.data.astype(np.float16))
        assert np.array_equal(np.load(out / "class_ids.npy"), probs.class_ids)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temporary folder left


def test_probs_writer_at_frame_size_replaces_its_own_output_only(
    tmp_path: Path, bikes: Path, selfie_model: Path, cli
) -> None:
    out = tmp_path / "probs"
    out.mkdir()
    (out / "old.npy").write_bytes(b"x")  # a previous run's output: replaced whole
    pipeline = tmp_path / "p.yaml"
    pipeline.write_text(
        PROBS_PIPELINE.format(source=bikes, model=selfie_model, dir=out, like=", like: source.image")
    )
    assert cli("graph", "run", pipeline, "--quiet").code == 0
    assert not (out / "old.npy").exists()
    assert np.load(out / "000002.npy").shape == (272, 640, 2)
    (out / "notes.txt").write_text("mine")
    result = cli("graph", "run", pipeline, "--quiet")
    assert result.code == 2 and len(result.err_lines) == 1
    assert "the folder holds other files (notes.txt)" in result.err
    assert (out / "notes.txt").read_text() == "mine"


def test_probs_writer_failed_run_leaves_nothing(
    tmp_path: Path, voc_dir: Path, selfie_model: Path, cli
) -> None:
    import shutil

    images = tmp_path / "images"
    images.mkdir()
    for i, src in enumerate(sorted((voc_dir / "JPEGImages").glob("*.jpg"))):
        shutil.copy(src, images / f"{i}.jpg")
    (images / "9.jpg").write_bytes(b"not a jpeg")  # the last frame cannot be read
    out = tmp_path / "new" / "nested" / "probs"  # its parent folders too are gone after the failure
    pipeline = tmp_path / "p.yaml"
    text = PROBS_PIPELINE.format(source=images, model=selfie_model, dir=out, like="").replace(
        "max_frames: 3", "max_frames: 9"
    )
    pipeline.write_text(text)
    result = cli("graph", "run", pipeline, "--quiet")
    assert result.code == 2 and "9.jpg: cannot read as an image" in result.err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["images", "p.yaml"]


def test_atomic_dir_commit_that_fails_puts_the_previous_output_back(tmp_path: Path, monkeypatch) -> None:
    from jejunet.errors import MediaError
    from jejunet.media.folders import AtomicDir

    target = tmp_path / "labels"
    target.mkdir()
    (target / "000000.png").write_bytes(b"previous run")
    folder = AtomicDir(target, replaceable=(".png",), what="the labels")
    folder.write("000000.png", b"this run")
    real_rename = Path.rename

    def rename(self: Path, dest: Path) -> Path:
        if self == folder.temp:  # the new folder cannot take the target's place
            raise OSError(28, "No space left on device")
        return real_rename(self, dest)

    monkeypatch.setattr(Path, "rename", rename)
    with pytest.raises(MediaError, match="labels: cannot write the labels \\(no space left on device\\)"):
        folder.commit()
    assert (target / "000000.png").read_bytes() == b"previous run"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["labels"]  # no hidden folder left either
