"""Stopping cleanly: a failing node, a stalled graph, Ctrl-C — no hang, no partial output."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from jejunet.errors import NodeError
from jejunet.graph.scheduler import run_graph
from jejunet.graph.threaded import GraphStalled, run_threaded
from tests.conftest import PIPELINES, REPO
from tests.fakes import RELEASE, graph, source


def _jejunet_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("jejunet-")]


def _wait_threads_gone(timeout: float = 5.0) -> list[str]:
    deadline = time.monotonic() + timeout
    while _jejunet_threads() and time.monotonic() < deadline:
        time.sleep(0.05)
    return _jejunet_threads()


@pytest.mark.parametrize("executor", [run_threaded, run_graph])
def test_failing_node_stops_the_run_and_removes_the_video(tmp_path: Path, executor) -> None:
    out = tmp_path / "o.mp4"
    compiled = graph(
        [
            source(40),
            {"id": "bad", "op": "xtest_delay", "params": {"fail_at": 7}, "inputs": {"image": "source.image"}},
            {"id": "sink", "op": "encode", "params": {"path": str(out)}, "inputs": {"image": "bad.image"}},
        ]
    )
    with pytest.raises(NodeError) as info:
        executor(compiled)
    assert str(info.value) == "node 'bad' (xtest_delay): frame 7: RuntimeError: deliberate failure at frame 7"
    assert list(tmp_path.iterdir()) == []  # no video, no temporary file
    assert _wait_threads_gone() == []


@pytest.mark.parametrize("executor", ["threaded", "sequential"])
def test_unreadable_frame_mid_run_exits_2_with_one_line(
    cli, bikes: Path, selfie_model: Path, tmp_path: Path, executor: str
) -> None:
    import cv2

    from jejunet.media.video import video_frames

    frames = tmp_path / "frames"
    frames.mkdir()
    for i, (_, image, _) in zip(range(6), video_frames(str(bikes)), strict=False):
        cv2.imwrite(str(frames / f"{i:03d}.jpg"), image)
    (frames / "003.jpg").write_bytes(b"not a jpeg")
    out = tmp_path / "o.mp4"
    result = cli(
        "graph", "run", PIPELINES / "selfie_per_frame.yaml", "--input", frames, "--output", out,
        "--executor", executor,
    )  # fmt: skip
    assert result.code == 2
    bad = frames / "003.jpg"
    assert result.err_lines == [f"error: node 'source' (decode): {bad}: cannot read as an image"]
    assert not out.exists() and not list(tmp_path.glob(".o.mp4*"))


def test_stalled_graph_names_the_busy_and_the_starved_nodes() -> None:
    RELEASE.clear()
    compiled = graph(
        [
            source(40),
            {
                "id": "stuck",
                "op": "xtest_delay",
                "params": {"hang_at": 3},
                "inputs": {"image": "source.image"},
            },
            {
                "id": "sink",
                "op": "xtest_record",
                "params": {"key": "stall"},
                "inputs": {"image": "stuck.image", "extra": "source.image"},
            },
        ]
    )
    start = time.monotonic()
    try:
        with pytest.raises(GraphStalled) as info:
            run_threaded(compiled, stall_timeout=1.0)
    finally:
        RELEASE.set()
    message = str(info.value)
    assert time.monotonic() - start < 15
    assert "graph stalled: no frame moved for" in message
    assert "node 'sink' is starved (waits for stuck.image->sink.image, last frame 2)" in message
    assert "node 'stuck' (xtest_delay) has been in process()" in message
    assert "node 'source' is blocked on the full edge" in message
    assert "\n" not in message
    assert _wait_threads_gone() == []


def _interrupt(args: list[str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """Start `jejunet ARGS`, wait until it writes its video, press Ctrl-C (SIGINT)."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "jejunet", *args],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # A shell that starts jobs in the background hands them SIGINT ignored: restore it.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.monotonic() + 60
    while not list(tmp_path.glob(".o.mp4.*")) and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    time.sleep(1.0)  # some frames into the run
    assert proc.poll() is None, proc.communicate()
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    return subprocess.CompletedProcess(args, proc.returncode, out, err)


@pytest.mark.slow
@pytest.mark.parametrize("executor", ["threaded", "sequential"])
def test_ctrl_c_removes_partial_outputs(
    bikes: Path, selfie_model: Path, tmp_path: Path, executor: str
) -> None:
    out = tmp_path / "o.mp4"
    args = ["graph", "run", str(PIPELINES / "selfie_per_frame.yaml"), "--input", str(bikes)]
    args += ["--output", str(out), "--realtime", "--quiet", "--executor", executor]
    args += ["--labels-dir", str(tmp_path / "labels")]
    result = _interrupt(args, tmp_path)
    assert result.returncode == 130, result.stderr
    assert "interrupted: partial outputs removed" in result.stderr
    assert "Traceback" not in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "labels") == []
