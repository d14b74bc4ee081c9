"""Bad input at run time: one clear line naming the file and the node, exit 2, nothing half-written."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from tests.conftest import PIPELINES

DEEPLAB = PIPELINES / "deeplab_per_frame.yaml"


def _leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


def _run(cli, tmp_path: Path, source: Path | str, *extra: str):
    out = tmp_path / "out"
    out.mkdir(exist_ok=True)
    result = cli("graph", "run", DEEPLAB, "--input", source, "--output", out / "o.mp4", "--quiet", *extra)
    return result, out


def faststart_clip(path: Path, frames: int = 40) -> Path:
    """A small real H.264 MP4 with its index first, so that a truncated copy still opens."""
    with av.open(str(path), "w", format="mp4", options={"movflags": "faststart"}) as out:
        stream = out.add_stream("libx264", rate=25)
        stream.width, stream.height, stream.pix_fmt = 160, 96, "yuv420p"
        rng = np.random.default_rng(0)
        for i in range(frames):
            img = rng.integers(0, 255, (96, 160, 3), dtype=np.uint8)
            frame = av.VideoFrame.from_ndarray(img, format="bgr24")
            frame.pts = i
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path


def _file(d: Path, name: str, data: bytes) -> Path:
    (d / name).write_bytes(data)
    return d / name


def _folder(d: Path, name: str) -> Path:
    (d / name).mkdir()
    return d / name


@pytest.mark.parametrize(
    ("make", "fragment"),
    [
        (lambda d: d / "missing.mp4", "no such file"),
        (lambda d: _file(d, "empty.mp4", b""), "file is empty"),
        (lambda d: _file(d, "text.mp4", b"not a video\n" * 50), "cannot open as video"),
        (lambda d: _folder(d, "noimg"), "folder holds no image"),
    ],
    ids=["missing", "empty", "not-video", "empty-folder"],
)
def test_bad_input_file(cli, tmp_path: Path, make, fragment: str, shared) -> None:
    source = make(tmp_path)
    result, out = _run(cli, tmp_path, source)
    assert result.code == 2
    assert len(result.err_lines) == 1, result.err
    assert "node 'source' (decode)" in result.err and str(source.name) in result.err
    assert fragment in result.err
    assert "Traceback" not in result.err
    assert _leftovers(out) == []


def test_truncated_video_leaves_no_half_output(cli, tmp_path: Path, shared) -> None:
    clip = faststart_clip(tmp_path / "clip.mp4")
    data = clip.read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: int(len(data) * 0.6)])
    result, out = _run(cli, tmp_path, cut)
    assert result.code == 2, result.err
    assert "truncated" in result.err or "corrupt" in result.err
    assert "cut.mp4" in result.err
    assert _leftovers(out) == []


def test_truncated_moov_at_end(cli, tmp_path: Path, bikes: Path) -> None:
    data = bikes.read_bytes()
    cut = tmp_path / "half.mp4"
    cut.write_bytes(data[: len(data) // 2])
    result, out = _run(cli, tmp_path, cut)
    assert result.code == 2 and "half.mp4" in result.err and "cannot open as video" in result.err
    assert _leftovers(out) == []


def test_unwritable_output_dir(cli, tmp_path: Path, bikes: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = cli("graph", "run", DEEPLAB, "--input", bikes, "--output", blocker / "o.mp4", "--quiet")
    assert result.code == 2
    assert "node 'sink' (encode)" in result.err and "cannot create the output folder" in result.err
    assert len(result.err_lines) == 1


def test_unwritable_labels_dir(cli, tmp_path: Path, bikes: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result, out = _run(cli, tmp_path, bikes, "--labels-dir", str(blocker / "labels"))
    assert result.code == 2 and "label_writer" in result.err
    assert _leftovers(out) == []


def test_missing_model_at_run(cli, tmp_path: Path, bikes: Path) -> None:
    result, out = _run(cli, tmp_path, bikes, "--set", "segment.model=/nonexistent/m.tflite")
    assert result.code == 2 and "field 'model'" in result.err and "m.tflite" in result.err
    assert _leftovers(out) == []


def test_failure_mid_run_removes_partial_video(cli, tmp_path: Path, voc_dir: Path) -> None:
    """Images of different sizes pass; an unreadable image in the middle stops the run cleanly."""
    frames = tmp_path / "frames"
    frames.mkdir()
    for i, src in enumerate(sorted((voc_dir / "JPEGImages").glob("*.jpg"))[:2]):
        (frames / f"{i}a.jpg").write_bytes(src.read_bytes())
    (frames / "1b.jpg").write_bytes(b"\xff\xd8 broken jpeg")
    result, out = _run(cli, tmp_path, frames)
    assert result.code == 2
    assert "1b.jpg" in result.err and "cannot read as an image" in result.err
    assert "frame" in result.err or "node 'source'" in result.err
    assert _leftovers(out) == []
