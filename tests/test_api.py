"""The Python API on the real pipelines, models and clip: results equal `graph run --labels-dir`
byte for byte (pull and push), any source kind, errors as the CLI's, realtime drops said, sinks."""

from __future__ import annotations

import re
import time
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

import jejunet
from jejunet.errors import UserError
from jejunet.media.palette import encode_label_png
from jejunet.media.video import video_frames
from tests.conftest import BAD, PIPELINES, REPO

FRAMES = 12


def _same_as_files(results: list[jejunet.Result], files: list[Path]) -> None:
    assert [r.index for r in results] == list(range(len(files)))
    for r, png in zip(results, files, strict=True):
        assert r.labels.dtype == np.uint8 and r.labels.shape == r.frame.shape[:2]
        assert encode_label_png(r.labels) == png.read_bytes()  # byte for byte


@pytest.fixture(scope="module")
def keyframe_files(tmp_path_factory, bikes: Path, deeplab_model: Path) -> list[Path]:
    from jejunet.cli.main import main

    tmp = tmp_path_factory.mktemp("cli")
    out = tmp / "labels"
    code = main(
        [
            "graph", "run", str(PIPELINES / "deeplab_keyframe.yaml"), "--input", str(bikes), "--quiet",
            "--max-frames", str(FRAMES), "--labels-dir", str(out), "--set", f"sink.path={tmp / 'cli.mp4'}",
            "--set", "gate.max_gap=5",
        ]
    )  # fmt: skip
    assert code == 0
    return sorted(out.glob("*.png"))


def test_pull_results_equal_graph_run_labels_dir(
    tmp_path: Path, bikes: Path, keyframe_files: list[Path]
) -> None:
    pipe = jejunet.load(
        PIPELINES / "deeplab_keyframe.yaml",
        overrides={"gate.max_gap": 5, "sink.path": str(tmp_path / "api.mp4")},
    )
    results = list(pipe.run(bikes, max_frames=FRAMES))
    _same_as_files(results, keyframe_files)
    assert [r.keyframe for r in results] == [i in pipe.report.keyframe_frames for i in range(FRAMES)]
    assert results[0].keyframe and results[5].keyframe and sum(r.keyframe for r in results) >= 2
    assert all(r.probs is None for r in results)  # this model gives labels only
    assert pipe.report.frames == FRAMES and pipe.report.executor == "threaded"
    assert pipe.report.to_dict()["frames"] == FRAMES
    with av.open(str(tmp_path / "api.mp4")) as c:  # the pipeline's sink wrote as usual
        assert c.streams.video[0].frames == FRAMES


def test_push_and_iterable_results_equal_graph_run(
    tmp_path: Path, bikes: Path, keyframe_files: list[Path]
) -> None:
    pipe = jejunet.load(
        PIPELINES / "deeplab_keyframe.yaml",
        overrides={"gate.max_gap": 5, "sink.path": str(tmp_path / "push.mp4")},
    )
    frames = [image for _, (_, image, _) in zip(range(FRAMES), video_frames(str(bikes)), strict=False)]
    with pipe.open() as session:
        pushed = [session.process(frame) for frame in frames]
    _same_as_files(pushed, keyframe_files)
    assert pipe.report.frames == FRAMES and (tmp_path / "push.mp4").exists()
    pulled = list(pipe.run(iter(frames), executor="sequential"))  # a generator: any iterable of frames
    _same_as_files(pulled, keyframe_files)
    assert all(np.array_equal(r.frame, f) for r, f in zip(pulled, frames, strict=True))


def test_pipeline_from_a_dict_without_sinks_gives_probs(bikes: Path, selfie_model: Path) -> None:
    pipe = jejunet.load(
        {
            "version": 1,
            "nodes": [
                {"id": "source", "op": "decode", "params": {"source": str(bikes)}},
                {"id": "resize", "op": "resize", "inputs": {"image": "source.image"},
                 "params": {"width": 256, "height": 256}},
                {"id": "segment", "op": "tflite_infer", "inputs": {"image": "resize.image"},
                 "params": {"model": str(selfie_model), "num_threads": 1}},
            ],
        }
    )  # fmt: skip
    results = list(pipe.run(max_frames=3))
    assert len(results) == 3 and all(r.keyframe for r in results)
    r = results[1]
    assert r.probs.shape == (256, 256, 2) and r.probs.dtype == np.float32 and r.class_ids.tolist() == [0, 1]
    assert r.labels.shape == (272, 640)  # the model's labels, at the frame's size
    assert np.array_equal(
        r.labels, cv2.resize(r.outputs["segment.labels"], (640, 272), interpolation=cv2.INTER_NEAREST)
    )


def test_errors_are_the_clis_one_line_messages(tmp_path: Path, cli) -> None:
    for bad in ("unknown_param.yaml", "kind_mismatch.yaml", "cycle.yaml"):
        expected = cli("graph", "validate", BAD / bad).err_lines
        with pytest.raises(UserError) as info:
            jejunet.load(BAD / bad)
        assert [f"error: {line}" for line in str(info.value).splitlines()] == expected
    expected = cli(
        "graph", "validate", PIPELINES / "deeplab_keyframe.yaml", "--set", "gate.max_gapp=3"
    ).err_lines
    with pytest.raises(UserError) as info:
        jejunet.load(PIPELINES / "deeplab_keyframe.yaml", overrides={"gate.max_gapp": 3})
    assert [f"error: {str(info.value)}"] == expected
    with pytest.raises(UserError, match=r"<yaml>:3:1: malformed YAML"):
        jejunet.load("version: 1\nnodes: [\n")
    pipe = jejunet.load(PIPELINES / "deeplab_keyframe.yaml", overrides={"sink.path": str(tmp_path / "x.mp4")})
    expected = cli(
        "graph", "run", PIPELINES / "deeplab_keyframe.yaml", "--input", tmp_path / "nope.mp4"
    ).err_lines
    with pytest.raises(UserError) as info:
        list(pipe.run(tmp_path / "nope.mp4"))
    assert [f"error: {str(info.value)}"] == expected and "nope.mp4: no such file" in expected[0]
    bad_frames = [np.zeros((64, 64, 3), np.uint8), np.zeros((64, 64), np.uint8)]
    with pytest.raises(
        UserError, match=r"node 'source' \(decode\): .*frame 1: expected an H×W×3 uint8 BGR image"
    ):
        list(pipe.run(bad_frames))
    assert not (tmp_path / "x.mp4").exists()  # the failed run left no half file
    with pytest.raises(UserError, match="process: frame 0: expected an H×W×3"), pipe.open() as session:
        session.process(np.zeros((4, 4), np.float32))


def test_leaving_the_loop_early_ends_the_run_and_commits_sinks(tmp_path: Path, bikes: Path) -> None:
    pipe = jejunet.load(PIPELINES / "deeplab_keyframe.yaml", overrides={"sink.path": str(tmp_path / "v.mp4")})
    for r in pipe.run(bikes):
        if r.index == 4:
            break
    assert 5 <= pipe.report.frames < 250
    with av.open(str(tmp_path / "v.mp4")) as c:
        assert c.streams.video[0].frames == pipe.report.frames


def test_realtime_drops_frames_and_says_so(bikes: Path) -> None:
    frames = [image for _, (_, image, _) in zip(range(30), video_frames(str(bikes)), strict=False)]
    pipe = jejunet.load(_without_sink(PIPELINES / "deeplab_per_frame.yaml"), overrides={"source.fps": 500})
    results = list(pipe.run(frames, realtime=True))  # paced at 500 fps: far too fast for the model
    report = pipe.report
    assert report.mode == "realtime" and report.source_frames == 30
    assert sum(r.dropped for r in results) == report.dropped > 0
    assert len(results) == report.frames == 30 - report.dropped
    assert [r.index for r in results] == sorted(r.index for r in results)


def _without_sink(path: Path) -> dict:
    from jejunet.graph.loader import load_yaml

    data, _ = load_yaml(path)
    data["nodes"] = [n for n in data["nodes"] if n["op"] not in ("encode", "overlay")]
    return data


def _readme_example() -> str:
    text = (REPO / "README.md").read_text()
    match = re.search(r"## Python API\n.*?```python\n(.*?)```", text, re.S)
    assert match, "README has a 'Python API' section with a python code block"
    return match.group(1)


def test_readme_example_runs(tmp_path: Path, bikes: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pipelines").symlink_to(PIPELINES)
    (tmp_path / "video.mp4").symlink_to(bikes)
    exec(compile(_readme_example(), "README.md", "exec"), {})  # noqa: S102 - the README's own example
    assert (tmp_path / "out").exists()


def test_a_slow_caller_holds_the_source_back() -> None:
    from jejunet.api import AHEAD

    taken = [-1]
    lead = []

    def frames():
        for i in range(AHEAD * 3):
            lead.append(i - taken[0])
            yield np.full((32, 48, 3), i, np.uint8)

    pipe = jejunet.load(
        {
            "version": 1,
            "nodes": [
                {"id": "source", "op": "decode"},
                {"id": "resize", "op": "resize", "inputs": {"image": "source.image"},
                 "params": {"width": 16, "height": 16}},
            ],
        }
    )  # fmt: skip
    for r in pipe.run(frames()):
        assert r.labels is None and r.outputs["resize.image"].shape == (16, 16, 3)
        taken[0] = r.index
        time.sleep(0.005)
    assert taken[0] == AHEAD * 3 - 1
    assert max(lead) <= AHEAD + 2  # the source waited for the caller, it did not read everything ahead


def test_a_run_never_iterated_does_not_keep_its_python_frames_attached() -> None:
    import gc

    from jejunet.media import sources

    pipe = jejunet.load({"version": 1, "nodes": [{"id": "source", "op": "decode"}]})
    before = set(sources._attached)
    results = pipe.run([np.zeros((16, 16, 3), np.uint8)])
    assert set(sources._attached) != before  # attached while the run may still be iterated
    del results
    gc.collect()
    assert set(sources._attached) == before


def test_a_yaml_pipeline_names_an_attached_python_source(bikes: Path) -> None:
    from jejunet.media.sources import attach, detach

    frames = [image for _, (_, image, _) in zip(range(3), video_frames(str(bikes)), strict=False)]
    token = attach(frames, name="my_capture")
    assert token == "python:my_capture"
    text = """
version: 1
nodes:
  - id: source
    op: decode
    params: {source: "python:my_capture", fps: 10}
"""
    try:
        results = list(jejunet.load(text).run())
    finally:
        detach(token)
    assert [r.timestamp for r in results] == [0.0, 0.1, 0.2]
    assert all(np.array_equal(r.frame, f) for r, f in zip(results, frames, strict=True))
    with pytest.raises(UserError, match="python:my_capture: no Python frame source attached"):
        list(jejunet.load(text).run())
