"""`graph run --executor/--realtime`, the progress bar and `graph bench` on the command line."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from jejunet.graph.report import RunReport
from tests.conftest import PIPELINES


@pytest.mark.parametrize("executor", ["threaded", "sequential"])
def test_run_report_has_latency_edges_and_executor(
    cli, bikes: Path, selfie_model: Path, tmp_path: Path, executor: str
) -> None:
    result = cli(
        "graph", "run", PIPELINES / "selfie_per_frame.yaml", "--input", bikes, "--output", tmp_path / "o.mp4",
        "--max-frames", "10", "--report", tmp_path / "r.json", "--executor", executor,
    )  # fmt: skip
    assert result.code == 0, result.err
    assert "10 frames in" in result.out and "latency p50" in result.out
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["executor"] == executor and report["mode"] == "offline"
    assert report["frames"] == report["source_frames"] == 10 and report["dropped"] == 0
    latency = report["latency_ms"]
    assert 0 < latency["p50"] <= latency["p95"] <= latency["max"]
    if executor == "threaded":
        assert report["edges"]["segment.probs->upsample.probs"] == {
            "policy": "block",
            "size": 16,
            "dropped": 0,
            "max_depth": report["edges"]["segment.probs->upsample.probs"]["max_depth"],
        }
        assert set(report["edges"]) == {
            "source.image->resize.image",
            "resize.image->segment.image",
            "segment.probs->upsample.probs",
            "source.image->upsample.like",
            "source.image->overlay.image",
            "upsample.labels->overlay.labels",
            "overlay.image->sink.image",
        }


def test_realtime_paces_a_file_at_its_frame_rate(
    cli, bikes: Path, selfie_model: Path, tmp_path: Path
) -> None:
    result = cli(
        "graph", "run", PIPELINES / "selfie_per_frame.yaml", "--input", bikes, "--output", tmp_path / "o.mp4",
        "--max-frames", "20", "--realtime", "--report", tmp_path / "r.json",
    )  # fmt: skip
    assert result.code == 0, result.err
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["mode"] == "realtime" and report["source_frames"] == 20
    assert report["frames"] + report["dropped"] == 20
    assert report["wall_s"] >= 19 / 25  # 25 fps clip: frames are released no faster than live
    assert report["edges"]["source.image->resize.image"]["policy"] == "latest"


def test_progress_bar_draws_frames_total_and_fps() -> None:
    from jejunet.cli.graph_cmd import ProgressBar

    stream = io.StringIO()
    bar = ProgressBar(200, stream, width=10)
    report = RunReport("p", frames=50, wall_s=2.0, source_frames=50)
    bar(report)
    bar(RunReport("p", frames=51, wall_s=2.0))  # within 0.2 s: not redrawn
    bar.finish()
    assert stream.getvalue() == "\r[##--------] 50/200 frames  25.0 fps\x1b[K\n"


def test_progress_bar_shows_recent_latency() -> None:
    from jejunet.cli.graph_cmd import ProgressBar

    stream = io.StringIO()
    report = RunReport("p", frames=3, wall_s=1.0, source_frames=3, latencies_s=[0.010, 0.020, 0.030])
    ProgressBar(None, stream).draw(report)
    assert stream.getvalue() == "\r3 frames  3.0 fps  latency p50 20 / p95 29 ms\x1b[K"


def test_no_progress_bar_when_not_a_terminal(cli, bikes: Path, selfie_model: Path, tmp_path: Path) -> None:
    result = cli(
        "graph", "run", PIPELINES / "selfie_per_frame.yaml", "--input", bikes, "--output", tmp_path / "o.mp4",
        "--max-frames", "5",
    )  # fmt: skip
    assert result.code == 0 and "\r" not in result.err


def test_bench_prints_every_node_and_throughput(
    cli, bikes: Path, selfie_model: Path, tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.chdir(tmp_path)  # the pipeline's own output (out/…) must not be written
    result = cli(
        "graph", "bench", PIPELINES / "selfie_per_frame.yaml", "--input", bikes, "--warmup", "5",
        "--frames", "15", "--report", tmp_path / "b.json",
    )  # fmt: skip
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[0] == "selfie_per_frame: threaded executor, offline mode, 5 warm-up frames, 15 measured"
    rows = {line.split()[0]: line.split() for line in lines[2:8]}
    assert set(rows) == {"source", "resize", "segment", "upsample", "overlay", "sink"}
    assert all(row[2] == "15" for row in rows.values())  # calls: measured frames only
    assert lines[-1].startswith("throughput ") and "p95" in lines[-1]
    report = json.loads((tmp_path / "b.json").read_text())
    assert report["frames"] == 15 and report["warmup_frames"] == 5 and report["source_frames"] == 20
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.json"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--warmup", "-1"], "--warmup: expected 0 or more frames, got -1"),
        (["--frames", "0"], "--frames: expected 1 or more frames, got 0"),
        (["--warmup", "300"], "no frame left to measure after a warm-up of 300"),
        (["--stall-timeout", "0"], "--stall-timeout: expected a positive number of seconds, got 0.0"),
    ],
)
def test_bench_bad_arguments(cli, bikes: Path, selfie_model: Path, args: list[str], message: str) -> None:
    result = cli("graph", "bench", PIPELINES / "selfie_per_frame.yaml", "--input", bikes, *args)
    assert result.code == 2 and len(result.err_lines) == 1 and message in result.err


def test_stream_url_runs_in_realtime_mode(cli, bikes: Path, selfie_model: Path, tmp_path: Path) -> None:
    """A stream URL is live input: realtime queues without pacing (the stream paces itself)."""
    import functools
    import http.server
    import threading

    import av

    root = tmp_path / "www"
    root.mkdir()
    with av.open(str(bikes)) as inp, av.open(str(root / "bikes.ts"), "w", format="mpegts") as out:
        template = inp.streams.video[0]
        stream = out.add_stream_from_template(template)
        for packet in inp.demux(template):
            if packet.size:
                packet.stream = stream
                out.mux(packet)  # MPEG-TS: streamable without seeking, as live streams are

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    handler = functools.partial(Quiet, directory=str(root))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{httpd.server_address[1]}/bikes.ts"
        result = cli(
            "graph", "run", PIPELINES / "selfie_per_frame.yaml", "--input", url, "--output",
            tmp_path / "o.mp4", "--max-frames", "30", "--report", tmp_path / "r.json",
        )  # fmt: skip
    finally:
        httpd.shutdown()
    assert result.code == 0, result.err
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["mode"] == "realtime" and report["source_frames"] == 30
    assert report["frames"] + report["dropped"] == 30 and report["frames"] >= 1
    assert report["edges"]["source.image->resize.image"] == {
        "policy": "latest",
        "size": 1,
        "dropped": report["edges"]["source.image->resize.image"]["dropped"],
        "max_depth": 1,
    }


def test_expected_frames_asks_the_source_module(bikes: Path, tmp_path: Path) -> None:
    """The progress bar's total: the source's own frame count, after start, stride and max_frames."""
    import cv2

    from jejunet.cli.graph_cmd import expected_frames
    from tests.fakes import graph, synthetic_frame

    def total(source: str, **params: int) -> int | None:
        return expected_frames(graph([{"id": "s", "op": "decode", "params": {"source": source, **params}}]))

    assert total(str(bikes)) == 250 and total(str(bikes), start=10, stride=3, max_frames=50) == 50
    assert total(str(bikes), start=240, stride=4) == 3
    for i in range(5):
        cv2.imwrite(str(tmp_path / f"{i}.png"), synthetic_frame(i, 8, 8))
    assert total(str(tmp_path), stride=2) == 3
    assert total("rtsp://127.0.0.1:9/x") is None and total("0") is None  # live: no end known
    assert total(str(tmp_path / "no.mp4")) is None  # the run says what is wrong, not the bar
