"""`jejunet batch`: inputs, per-video outputs equal to `graph run`, failures, resume, chunks, Ray.

Clips are made here with PyAV from bikes.mp4 frames (short and small, so both engines stay fast
on two cores). The Ray tests share one local instance (2 CPUs) started once for the module.
"""

from __future__ import annotations

import functools
import importlib.util
import io
import json
import os
import signal
import subprocess
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from jejunet.batch import graphrun
from jejunet.batch.driver import BatchOptions, run_batch
from jejunet.batch.engine import LocalEngine
from jejunet.batch.inputs import expand_inputs
from jejunet.batch.progress import BatchProgress
from jejunet.errors import UserError

from .conftest import PIPELINES

PIPELINE = PIPELINES / "deeplab_keyframe.yaml"
#: an interval gate only: keyframes every 4 frames whatever the content
INTERVAL = [
    "gate.interval=4",
    "gate.motion_threshold=null",
    "gate.object_motion_threshold=null",
    "gate.scene_cut=false",
    "gate.prediction_threshold=null",
]


def _write_clip(path: Path, frames: list[np.ndarray], faststart: bool = False) -> Path:
    options = {"movflags": "faststart"} if faststart else {}
    with av.open(str(path), mode="w", options=options) as out:
        stream = out.add_stream("libx264", rate=25)
        stream.width, stream.height = frames[0].shape[1], frames[0].shape[0]
        stream.pix_fmt = "yuv420p"
        stream.options = {"preset": "ultrafast"}
        for image in frames:
            for packet in stream.encode(av.VideoFrame.from_ndarray(image, format="bgr24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path


@pytest.fixture(scope="module")
def clips(bikes: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Three 10-frame clips (320×136) from different parts of bikes.mp4, a 24-frame one, a corrupt one."""
    folder = tmp_path_factory.mktemp("clips")
    with av.open(str(bikes)) as container:
        frames = [
            f.to_ndarray(format="bgr24")[::2, ::2].copy()
            for _, f in zip(range(120), container.decode(video=0), strict=False)
        ]
    made = {
        "a": _write_clip(folder / "a.mp4", frames[0:10]),
        "b": _write_clip(folder / "b.mp4", frames[40:50]),
        "c": _write_clip(folder / "c.mp4", frames[80:90]),
        "long": _write_clip(folder / "long.mp4", frames[96:120]),
    }
    corrupt = folder / "corrupt.mp4"
    data = bytearray(made["a"].read_bytes())
    data[len(data) // 3 :] = bytes(len(data) - len(data) // 3)  # frames zeroed after the first third
    corrupt.write_bytes(bytes(data))
    made["corrupt"] = corrupt
    # the index first, then the frames cut off: it opens, decodes a few frames, then fails mid-run
    truncated = _write_clip(folder / "truncated.mp4", frames[0:10], faststart=True)
    truncated.write_bytes(truncated.read_bytes()[: truncated.stat().st_size * 2 // 3])
    made["truncated"] = truncated
    return made


def _graph_run(cli, clip: Path, out: Path, sets: list[str] = ()) -> Path:
    """`jejunet graph run` on one clip alone: the reference every batch output must equal."""
    set_args = [a for s in sets for a in ("--set", s)]
    result = cli(
        "graph", "run", PIPELINE, "--input", clip, "--output", out / "overlay.mp4",
        "--labels-dir", out / "labels", "--report", out / "report.json", "--quiet", *set_args,
    )  # fmt: skip
    assert result.code == 0, result.err
    return out


def _same_outputs(batch: Path, reference: Path) -> None:
    names = sorted(p.name for p in (reference / "labels").iterdir())
    assert names and names == sorted(p.name for p in (batch / "labels").iterdir())
    for name in names:
        assert (batch / "labels" / name).read_bytes() == (reference / "labels" / name).read_bytes(), name
    assert (batch / "overlay.mp4").read_bytes() == (reference / "overlay.mp4").read_bytes()
    ours, theirs = (json.loads((d / "report.json").read_text()) for d in (batch, reference))
    assert set(ours) == set(theirs)
    for key in ("frames", "keyframes", "keyframe_frames", "keyframe_reasons", "executor", "source_frames"):
        assert ours[key] == theirs[key], key


def _rows(out: Path) -> dict[str, dict]:
    return {row["video"]: row for row in json.loads((out / "summary.json").read_text())["videos"]}


def _leftovers(out: Path) -> list[str]:
    return sorted(p.name for p in out.iterdir() if p.name.startswith("."))


# --- inputs -----------------------------------------------------------------------------------


def test_inputs_folders_globs_manifests_and_unique_names(tmp_path: Path, clips: dict[str, Path]) -> None:
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    first = (tmp_path / "one" / "clip.mp4").write_bytes(b"x") and tmp_path / "one" / "clip.mp4"
    (tmp_path / "two" / "clip.mp4").write_bytes(b"x")
    (tmp_path / "two" / "notes.md").write_text("not a video")
    manifest = tmp_path / "list.txt"
    manifest.write_text(f"# corpus\n\n{clips['a']}\none/clip.mp4\nhttp://127.0.0.1:9/cam/street.mp4\n")
    videos = expand_inputs([str(manifest), str(tmp_path / "two"), str(tmp_path / "*" / "clip.mp4")])
    assert [(v.name, v.source) for v in videos] == [
        ("a", str(clips["a"])),
        ("clip", str(first)),  # the manifest's relative path, resolved against its folder
        ("street", "http://127.0.0.1:9/cam/street.mp4"),
        ("clip-2", str(tmp_path / "two" / "clip.mp4")),  # same stem: made unique; listed twice: once
    ]


def test_inputs_problems_name_the_file_and_line(tmp_path: Path) -> None:
    manifest = tmp_path / "list.txt"
    manifest.write_text("missing.mp4\n")
    with pytest.raises(UserError) as info:
        expand_inputs([str(manifest), str(tmp_path / "nothing.mp4"), str(tmp_path / "*.mkv")])
    assert [str(p) for p in info.value.problems] == [
        f"{manifest}:1: field 'missing.mp4': no such video file",
        f"{tmp_path / 'nothing.mp4'}: no such file, folder, glob or manifest",
        f"{tmp_path / '*.mkv'}: no file matches the pattern",
    ]


def test_user_errors_exit_2_before_anything_is_written(cli, tmp_path: Path, clips: dict[str, Path]) -> None:
    out = tmp_path / "out"
    for args in (
        [PIPELINE, tmp_path / "missing.mp4"],
        [PIPELINE, clips["a"], "--set", "gate.no_such=1"],
        [PIPELINE, clips["a"], "--chunk-frames", "0"],
        [PIPELINE, clips["a"], "--address", "auto"],
        [PIPELINE, clips["a"], "--workers", "2"],
    ):
        result = cli("batch", *args, "--out", out)
        assert result.code == 2, result.err
        assert len(result.err_lines) == 1 and result.err_lines[0].startswith("error: "), result.err
        assert "Traceback" not in result.err
        assert not out.exists()


def test_engine_ray_without_ray_installed_is_a_user_error(
    cli, tmp_path: Path, clips: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "ray" else real(name, *a)
    )
    result = cli("batch", PIPELINE, clips["a"], "--out", tmp_path / "out", "--engine", "ray")
    assert result.code == 2
    assert result.err_lines == ["error: --engine ray needs Ray: pip install 'jejunet[ray]'"]
    assert not (tmp_path / "out").exists()


# --- the local engine -------------------------------------------------------------------------


def test_local_outputs_equal_graph_run_and_a_corrupt_video_is_a_failed_row(
    cli, tmp_path: Path, clips: dict[str, Path]
) -> None:
    out = tmp_path / "out"
    inputs = [clips["a"], clips["corrupt"], clips["truncated"], clips["b"]]
    result = cli("batch", PIPELINE, *inputs, "--out", out)
    assert result.code == 1, result.err
    rows = _rows(out)
    assert [r["status"] for r in rows.values()] == ["ok", "failed", "failed", "ok"]
    assert "corrupt.mp4" in rows["corrupt"]["error"] and "\n" not in rows["corrupt"]["error"]
    assert "truncated.mp4: truncated video" in rows["truncated"]["error"]
    assert rows["a"]["frames"] == 10 and rows["a"]["keyframes"] >= 1
    for name in ("a", "b"):
        _same_outputs(out / name, _graph_run(cli, clips[name], tmp_path / f"ref_{name}"))
    assert not (out / "corrupt").exists() and not (out / "truncated").exists() and _leftovers(out) == []
    header = (out / "summary.csv").read_text().splitlines()[0]
    assert header.startswith("video,status,frames,keyframes,fps,wall_s,error")
    assert "failed corrupt" in result.out


def test_resume_skips_complete_videos_and_redoes_partial_ones(
    cli, tmp_path: Path, clips: dict[str, Path]
) -> None:
    out = tmp_path / "out"
    inputs = [clips["a"], clips["b"], clips["c"]]
    assert cli("batch", PIPELINE, *inputs, "--out", out, "--quiet").code == 0
    (out / "b" / ".complete").unlink()  # b as a crash before the marker would leave it
    (out / "b" / "labels" / "000003.png").unlink()
    (out / ".c.partial-stale").mkdir()  # what a killed worker leaves behind
    done_a = (out / "a" / "labels" / "000000.png").stat().st_mtime_ns
    result = cli("batch", PIPELINE, *inputs, "--out", out, "--resume")
    assert result.code == 0, result.err
    rows = _rows(out)
    assert [rows[n]["status"] for n in ("a", "b", "c")] == ["skipped", "ok", "skipped"]
    assert rows["a"]["frames"] == 10  # the row kept from the first run
    assert (out / "a" / "labels" / "000000.png").stat().st_mtime_ns == done_a
    _same_outputs(out / "b", _graph_run(cli, clips["b"], tmp_path / "ref_b"))
    assert _leftovers(out) == []


def test_http_urls_in_a_manifest_are_fetched_and_run_as_files(
    cli, tmp_path: Path, clips: dict[str, Path]
) -> None:
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(clips["a"].parent))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        manifest = tmp_path / "urls.txt"
        manifest.write_text(f"{base}/a.mp4\n{base}/missing.mp4\n")
        out = tmp_path / "out"
        result = cli("batch", PIPELINE, manifest, "--out", out, "--quiet")
    finally:
        server.shutdown()
        server.server_close()
    assert result.code == 1, result.err
    rows = _rows(out)
    assert rows["a"]["status"] == "ok" and rows["a"]["source"] == f"{base}/a.mp4"
    assert rows["missing"]["status"] == "failed" and "404" in rows["missing"]["error"]
    _same_outputs(out / "a", _graph_run(cli, clips["a"], tmp_path / "ref"))
    assert not any(p.name.startswith(".source") for p in (out / "a").iterdir())


def test_progress_bar_counts_videos_and_frames() -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    screen = Terminal()
    bar = BatchProgress(2, 20, stream=screen)
    bar.frames_of("a", 7)
    bar.last = 0.0
    bar.frames_of("b", 3)
    assert "0/2 videos  10/20 frames" in screen.getvalue()
    bar.task_done("a", 10)
    bar.video_done({"video": "a", "status": "failed", "frames": 0, "wall_s": 1.0, "error": "x"})
    assert "1/2 videos  13/20 frames" in screen.getvalue() and "1 failed" in screen.getvalue()
    quiet = Terminal()
    BatchProgress(2, 20, stream=quiet, quiet=True).video_done({"video": "a", "status": "ok"})
    assert quiet.getvalue() == ""


def test_chunks_are_exact_only_for_a_gate_that_counts_frames() -> None:
    shipped = graphrun.inspect(PIPELINE, [])
    assert not shipped.chunks_exact(8)  # its keyframes depend on the content
    interval = graphrun.inspect(PIPELINE, INTERVAL)
    assert interval.chunks_exact(8) and interval.chunks_exact(12) and not interval.chunks_exact(10)
    assert not graphrun.inspect(PIPELINE, [*INTERVAL, "gate.scene_cut=true"]).chunks_exact(8)
    assert graphrun.inspect(PIPELINE, [*INTERVAL, "gate.interval=null", "gate.max_gap=5"]).chunks_exact(10)
    assert graphrun.inspect(PIPELINES / "deeplab_per_frame.yaml", []).chunks_exact(7)  # no state


def test_chunks_with_an_interval_dividing_n_equal_the_unchunked_labels(
    cli, tmp_path: Path, clips: dict[str, Path]
) -> None:
    out = tmp_path / "out"
    sets = [a for s in INTERVAL for a in ("--set", s)]
    result = cli("batch", PIPELINE, clips["long"], "--out", out, "--chunk-frames", "8", *sets)
    assert result.code == 0, result.err
    reference = _graph_run(cli, clips["long"], tmp_path / "ref", INTERVAL)
    names = sorted(p.name for p in (reference / "labels").iterdir())
    assert len(names) == 24 and names == sorted(p.name for p in (out / "long" / "labels").iterdir())
    for name in names:
        assert (out / "long" / "labels" / name).read_bytes() == (reference / "labels" / name).read_bytes()
    report = json.loads((out / "long" / "report.json").read_text())
    assert report["chunks_exact"] is True and len(report["chunks"]) == 3
    assert report["source_frames"] == 24 and report["executor"] == "threaded"
    assert report["keyframe_frames"] == json.loads((reference / "report.json").read_text())["keyframe_frames"]
    with av.open(str(out / "long" / "overlay.mp4")) as joined:
        assert sum(1 for _ in joined.decode(video=0)) == 24
    row = _rows(out)["long"]
    assert row["chunks"] == 3 and row["chunk_agreement"] is None and row["frames"] == 24
    assert _leftovers(out) == []


def test_an_interrupted_chunked_video_resumes_from_its_complete_chunks(
    cli, tmp_path: Path, clips: dict[str, Path]
) -> None:
    out = tmp_path / "out"
    opts = BatchOptions(PIPELINE, [str(clips["long"])], out, sets=INTERVAL, chunk_frames=8, quiet=True)

    class Interrupted(LocalEngine):
        """Ctrl-C after the first chunk is done."""

        def run(self, tasks, on_result, on_frames) -> None:
            def first_then_stop(result) -> None:
                on_result(result)
                raise KeyboardInterrupt

            super().run(tasks, first_then_stop, on_frames)

    with pytest.raises(KeyboardInterrupt):
        run_batch(opts, lambda o, info: Interrupted(info))
    chunk = out / ".long.chunks" / "00000"
    assert (chunk / ".complete").is_file() and not (out / "long").exists()
    assert [p.name for p in (out / ".long.chunks").iterdir()] == ["00000"]  # no partial chunk left
    kept = (chunk / "labels" / "000000.png").stat().st_ino

    opts.resume = True
    ran: list[int] = []

    class Counting(LocalEngine):
        def run(self, tasks, on_result, on_frames) -> None:
            tasks = list(tasks)
            ran.extend(t.chunk for t in tasks)
            super().run(tasks, on_result, on_frames)

    code, summary = run_batch(opts, lambda o, info: Counting(info))
    assert code == 0 and ran == [1, 2]
    assert (out / "long" / "labels" / "000000.png").stat().st_ino == kept  # chunk 0 was not run again
    reference = _graph_run(cli, clips["long"], tmp_path / "ref", INTERVAL)
    for png in (reference / "labels").iterdir():
        assert (out / "long" / "labels" / png.name).read_bytes() == png.read_bytes()
    assert summary["videos"][0]["chunks"] == 3 and _leftovers(out) == []


def test_an_output_folder_inside_an_input_folder_is_not_read_as_input(
    cli, tmp_path: Path, clips: dict[str, Path]
) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.mp4").write_bytes(clips["a"].read_bytes())
    for _ in range(2):
        result = cli("batch", PIPELINE, corpus, "--out", corpus / "out", "--quiet")
        assert result.code == 0, result.err
        assert list(_rows(corpus / "out")) == ["a"]


def test_chunks_otherwise_report_their_agreement_with_the_unchunked_run(
    cli, tmp_path: Path, clips: dict[str, Path]
) -> None:
    out = tmp_path / "out"
    result = cli(
        "batch", PIPELINE, clips["long"], "--out", out, "--chunk-frames", "10", "--set", "gate.max_gap=7"
    )
    assert result.code == 0, result.err
    reference = _graph_run(cli, clips["long"], tmp_path / "ref", ["gate.max_gap=7"])
    same = total = 0
    for png in sorted((reference / "labels").iterdir()):
        x = np.asarray(Image.open(png))
        y = np.asarray(Image.open(out / "long" / "labels" / png.name))
        same, total = same + int((x == y).sum()), total + x.size
    row = _rows(out)["long"]
    assert row["chunks"] == 3 and row["chunk_agreement"] == pytest.approx(same / total, abs=1e-6)
    report = json.loads((out / "long" / "report.json").read_text())
    assert report["chunks_exact"] is False
    assert report["agreement_with_unchunked"] == pytest.approx(same / total)
    assert report["keyframe_reasons"]["10"] == "chunk_start"
    assert _leftovers(out) == []


# --- the Ray engine ---------------------------------------------------------------------------


def _raylets() -> set[int]:
    found = subprocess.run(["pgrep", "-f", "raylet"], capture_output=True, text=True).stdout.split()
    return {int(pid) for pid in found}


@pytest.fixture(scope="module")
def ray_local():
    """One local Ray instance (2 CPUs) for the module; stopped at the end, its raylet gone."""
    ray = pytest.importorskip("ray", reason="the Ray tests need the [ray] extra")
    before = _raylets()
    with pytest.MonkeyPatch.context() as env:
        env.setenv("RAY_AUTH_MODE", "disabled")  # a throwaway local instance: no token
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    try:
        yield ray
    finally:
        ray.shutdown()
        deadline = time.monotonic() + 60  # a loaded machine takes a while to reap them
        while _raylets() - before and time.monotonic() < deadline:
            time.sleep(0.2)
        left = _raylets() - before
        assert not left, f"raylet processes outlived ray.shutdown(): {sorted(left)}"


@pytest.mark.slow
def test_ray_outputs_equal_graph_run_and_chunks_run_in_parallel(
    ray_local, cli, tmp_path: Path, clips: dict[str, Path]
) -> None:
    out = tmp_path / "out"
    sets = [a for s in INTERVAL for a in ("--set", s)]
    inputs = [clips["a"], clips["corrupt"], clips["b"], clips["long"]]
    result = cli("batch", PIPELINE, *inputs, "--out", out, "--engine", "ray", "--workers", "3",
                 "--chunk-frames", "12", *sets)  # fmt: skip
    assert result.code == 1, result.err
    rows = _rows(out)
    assert [rows[n]["status"] for n in ("a", "corrupt", "b", "long")] == ["ok", "failed", "ok", "ok"]
    assert (
        json.loads((out / "summary.json").read_text())["workers"] == 3
    )  # more than the 2 CPUs: they share them
    for name in ("a", "b"):
        _same_outputs(out / name, _graph_run(cli, clips[name], tmp_path / f"ref_{name}", INTERVAL))
    reference = _graph_run(cli, clips["long"], tmp_path / "ref_long", INTERVAL)
    for png in (reference / "labels").iterdir():
        assert (out / "long" / "labels" / png.name).read_bytes() == png.read_bytes()
    assert rows["long"]["chunks"] == 2 and rows["a"]["chunks"] is None
    assert _leftovers(out) == []


@pytest.mark.slow
def test_ray_a_killed_worker_has_its_video_retried(
    ray_local, cli, tmp_path: Path, clips: dict[str, Path]
) -> None:
    from jejunet.batch.ray_engine import RayEngine

    killed: list[str] = []
    out = tmp_path / "out"

    def kill_mid_video(pid: int, task) -> None:
        """SIGKILL the worker that got the first video once its first labels are written."""
        if killed:
            return
        deadline = time.monotonic() + 60
        while not list(out.glob(f".{task.name}.partial-*/labels/*.png")):
            assert time.monotonic() < deadline and not (out / task.name).exists(), "the video ended first"
            time.sleep(0.005)
        killed.append(task.name)
        os.kill(pid, signal.SIGKILL)

    names = ("long", "b", "c")
    opts = BatchOptions(PIPELINE, [str(clips[n]) for n in names], out, engine="ray", workers=2)
    code, summary = run_batch(opts, lambda o, info: RayEngine(info, workers=2, on_dispatch=kill_mid_video))
    assert code == 0, summary
    rows = {r["video"]: r for r in summary["videos"]}
    assert killed == ["long"] and rows["long"]["attempts"] == 2
    assert all(r["status"] == "ok" for r in rows.values())
    assert rows["b"]["attempts"] == 1
    _same_outputs(out / "long", _graph_run(cli, clips["long"], tmp_path / "ref_long"))
    assert _leftovers(out) == []


def test_a_commit_that_fails_leaves_the_previous_folder_in_place(tmp_path: Path, monkeypatch) -> None:
    import os

    from jejunet.batch import layout

    target = tmp_path / "clip"
    target.mkdir()
    (target / "report.json").write_text("previous")
    folder = layout.temp_dir(tmp_path, "clip")
    (folder / "report.json").write_text("new")
    real_replace = os.replace

    def replace(src: object, dst: object) -> None:
        if Path(src) == folder:
            raise OSError(28, "No space left on device")
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    with pytest.raises(OSError):
        layout.commit(folder, target, marker={"video": "clip"})
    assert (target / "report.json").read_text() == "previous"
    assert not list(tmp_path.glob(".clip.old-*"))
