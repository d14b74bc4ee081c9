"""Live streams that survive: a real MPEG-TS server on 127.0.0.1 (PyAV, no ffmpeg binary) killed and
restarted mid-run. The run goes on, the gap is counted, frames come out in order.

Run as a script, this file is the server: `python test_live_stream.py PORT FIRST COUNT` listens on
tcp://127.0.0.1:PORT and streams COUNT frames at 25 fps whose pixels spell their number.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]  # run as a script too: no import of tests.conftest
WIDTH, HEIGHT, BITS = 160, 96, 12  # 12 bits of the frame number as a 4×3 grid of black/white blocks
FPS = 25


def number_image(n: int) -> np.ndarray:
    image = np.zeros((HEIGHT, WIDTH, 3), np.uint8)
    for bit in range(BITS):
        if n >> bit & 1:
            r, c = divmod(bit, 4)
            image[r * 32 : (r + 1) * 32, c * 40 : (c + 1) * 40] = 255
    return image


def read_number(image: np.ndarray) -> int:
    grey = image.mean(axis=2) if image.ndim == 3 else image
    h, w = grey.shape[0] / 3, grey.shape[1] / 4
    n = 0
    for bit in range(BITS):
        r, c = divmod(bit, 4)
        block = grey[int((r + 0.3) * h) : int((r + 0.7) * h), int((c + 0.3) * w) : int((c + 0.7) * w)]
        n |= int(block.mean() > 128) << bit
    return n


def _accept(server: socket.socket):  # noqa: ANN202 - a PyAV output container and its stream
    import av

    connection, _ = server.accept()
    out = av.open(connection.makefile("wb", buffering=0), "w", format="mpegts", buffer_size=188 * 7)
    stream = out.add_stream("mpeg2video", rate=FPS)
    stream.width, stream.height, stream.pix_fmt = WIDTH, HEIGHT, "yuv420p"
    stream.codec_context.gop_size, stream.codec_context.max_b_frames = 5, 0
    stream.bit_rate = 2_000_000
    return out, stream


def serve(port: int, first: int, count: int, listen_at: float) -> None:
    """From `listen_at` (epoch s), stream frames first … first+count-1 at 25 fps to a client."""
    import av

    time.sleep(max(0.0, listen_at - time.time()))
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", port))
    server.listen(4)
    print("ready", flush=True)
    out, stream = _accept(server)
    start = time.monotonic()
    for i in range(count):
        frame = av.VideoFrame.from_ndarray(number_image(first + i), format="bgr24")
        try:
            for packet in stream.encode(frame):
                out.mux(packet)
        except (OSError, av.FFmpegError):  # the client left
            out, stream = _accept(server)
        if (delay := start + (i + 1) / FPS - time.monotonic()) > 0:
            time.sleep(delay)
    for packet in stream.encode():
        out.mux(packet)
    out.close()


def launch(port: int, first: int, count: int, listen_at: float = 0.0) -> subprocess.Popen:
    """A server process that will listen from `listen_at` (epoch seconds)."""
    command = [sys.executable, __file__, str(port), str(first), str(count), str(listen_at)]
    return subprocess.Popen(command, stdout=subprocess.PIPE, text=True)


def listening(process: subprocess.Popen) -> subprocess.Popen:
    assert process.stdout is not None and process.stdout.readline().strip() == "ready"
    return process


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Servers:
    """Server 1 (frames 0…), killed after `kill_after` s; server 2 (frames 1000…) `down_s` later.

    Server 2 starts at once (Python and PyAV take a while to load) and listens when its time comes.
    """

    def __init__(self, port: int, kill_after: float, down_s: float, second_count: int) -> None:
        self.port = port
        self.first = listening(launch(port, 0, 100000))
        self.second = launch(port, 1000, second_count, time.time() + kill_after + down_s)
        self.thread = threading.Thread(target=self._kill, args=(kill_after,))

    def _kill(self, kill_after: float) -> None:
        time.sleep(kill_after)
        self.first.kill()
        self.first.wait()
        listening(self.second)

    def __enter__(self) -> Servers:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.thread.join()
        for process in (self.first, self.second):
            if process is not None and process.poll() is None:
                process.kill()
                process.wait()


def stream_pipeline(tmp_path: Path, port: int, **decode: object) -> Path:
    params = {"source": f"tcp://127.0.0.1:{port}", **decode}
    text = f"""
version: 1
name: live
nodes:
  - id: source
    op: decode
    params: {json.dumps(params)}
  - id: sink
    op: encode
    inputs: {{image: source.image}}
    params: {{path: {tmp_path / "out.mp4"}, preset: ultrafast}}
"""
    path = tmp_path / "live.yaml"
    path.write_text(text)
    return path


def test_number_images_round_trip() -> None:
    for n in (0, 1, 5, 1000, 1234, 4095):
        assert read_number(number_image(n)) == n


def test_stream_killed_and_restarted_run_continues_in_order(tmp_path: Path, cli) -> None:
    from jejunet.media.video import video_frames

    port = free_port()
    pipeline = stream_pipeline(tmp_path, port, reconnect=True, reconnect_max_s=1.5)
    with Servers(port, kill_after=1.5, down_s=0.8, second_count=40):
        result = cli("graph", "run", pipeline, "--report", tmp_path / "report.json", "--quiet")
    assert result.code == 0, result.err
    report = json.loads((tmp_path / "report.json").read_text())
    live = report["runtime"]["source"]
    assert live["reconnects"] == 1
    assert live["gap_frames"] >= 20  # at least the 1 s the server was down, at 25 fps
    assert "stream lost" in live["ended"]
    numbers = [read_number(image) for _, image, _ in video_frames(str(tmp_path / "out.mp4"))]
    assert numbers == sorted(numbers) and len(set(numbers)) == len(numbers)  # in order, none twice
    before = [n for n in numbers if n < 1000]
    after = [n for n in numbers if n >= 1000]
    assert len(before) >= 5 and len(after) >= 5  # frames from both servers (realtime: newest only)
    assert after[-1] >= 1030  # the second server was read to (nearly) its end


def test_stream_gap_marks_the_next_frame_and_latest_frame_skips_backlog() -> None:
    from jejunet.ops.base import RunContext
    from jejunet.ops.decode import Decode, DecodeParams

    port = free_port()
    op = Decode(DecodeParams(source=f"tcp://127.0.0.1:{port}", reconnect=True, reconnect_max_s=1.5), "source")
    with Servers(port, kill_after=1.2, down_s=0.8, second_count=30):
        op.open(RunContext(realtime=True))
        taken = []
        for info, outputs in op.frames():
            taken.append((info, read_number(outputs["image"]), time.perf_counter()))
            time.sleep(0.1)  # a slow pipeline: 10 fps against a 25 fps stream
        op.close()
    infos = [info for info, _, _ in taken]
    numbers = [n for _, n, _ in taken]
    assert [i.index for i in infos] == list(range(len(infos)))
    assert numbers == sorted(numbers)
    gaps = [n for (info, n, _) in taken if info.gap]
    assert len(gaps) == 1 and gaps[0] >= 1000  # the first frame of the second server
    stats = op.run_info()
    assert stats["reconnects"] == 1 and stats["gap_frames"] >= 15
    assert stats["stale_frames"] > 10  # the reader kept the newest frame, not a backlog
    steps = np.diff([n for n in numbers if n < 1000])
    assert np.median(steps) >= 2  # frames between two takes were skipped, not queued
    waits = [t - info.captured for info, _, t in taken]
    assert np.median(waits) < 0.1  # a taken frame is at most one stream interval old


def test_stream_never_reachable_is_one_clear_error(tmp_path: Path, cli) -> None:
    port = free_port()
    pipeline = stream_pipeline(tmp_path, port, reconnect=True, reconnect_max_s=0.5)
    result = cli("graph", "run", pipeline, "--quiet")
    assert result.code == 2
    assert len(result.err_lines) == 1
    assert f"tcp://127.0.0.1:{port}: not reachable within reconnect_max_s=0.5" in result.err
    assert not (tmp_path / "out.mp4").exists()


def test_stream_without_reconnect_ends_with_the_stream(tmp_path: Path, cli) -> None:
    from jejunet.media.video import video_frames

    port = free_port()
    pipeline = stream_pipeline(tmp_path, port)
    with Servers(port, kill_after=1.0, down_s=0.1, second_count=10):
        result = cli("graph", "run", pipeline, "--report", tmp_path / "report.json", "--quiet")
    assert result.code == 0, result.err
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["runtime"]["source"]["reconnects"] == 0
    numbers = [read_number(image) for _, image, _ in video_frames(str(tmp_path / "out.mp4"))]
    assert numbers and max(numbers) < 1000


if __name__ == "__main__":
    serve(int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]))


def test_gate_makes_the_frame_after_a_gap_a_keyframe() -> None:
    from jejunet.ops.base import SKIPPED, FrameInfo, RunContext
    from jejunet.ops.keyframe_gate import KeyframeGate, KeyframeGateParams

    gate = KeyframeGate(KeyframeGateParams(), "gate")
    gate.open(RunContext())
    image = number_image(7)
    outputs = [gate.process(FrameInfo(i, i / FPS, gap=i == 3), image)["image"] for i in range(5)]
    assert [out is not SKIPPED for out in outputs] == [True, False, False, True, False]
    assert gate.reasons == {0: "first", 3: "gap"}


def test_api_on_a_dropping_stream_keyframe_after_the_gap(tmp_path: Path, selfie_model: Path) -> None:
    import jejunet

    port = free_port()
    pipe = jejunet.load(
        REPO / "pipelines" / "selfie_keyframe.yaml",
        overrides={
            "source.reconnect": True,
            "source.reconnect_max_s": 1.5,
            "segment.model": str(selfie_model),
            "sink.path": str(tmp_path / "live.mp4"),
        },
    )
    with Servers(port, kill_after=1.5, down_s=0.8, second_count=30):
        results = list(pipe.run(f"tcp://127.0.0.1:{port}"))
    numbers = [read_number(r.frame) for r in results]
    assert numbers == sorted(numbers) and [r.index for r in results] == sorted(r.index for r in results)
    report = pipe.report
    assert report.mode == "realtime" and report.runtime["source"]["reconnects"] == 1
    gaps = [r for r in results if r.gap]
    assert len(gaps) == 1 and gaps[0].keyframe and read_number(gaps[0].frame) >= 1000
    assert report.keyframe_reasons[gaps[0].index] == "gap"
    assert all(0 < r.latency_s < 2.0 for r in results)
    assert (tmp_path / "live.mp4").exists()
