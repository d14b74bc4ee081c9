"""`--chunk-frames N`: a long video as chunks of N frames, each starting on a keyframe, stitched in order.

Each chunk is its own run (decode `start`/`max_frames`); the keyframe gate's first frame is always a
keyframe, so every chunk starts on fresh labels. The stitched folder has the unchunked layout:
labels renumbered by their frame index in the video, the overlays joined without re-encoding, and
a report that adds up the chunks' and names them.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from jejunet.batch import layout
from jejunet.batch.concat import concat_mp4
from jejunet.batch.graphrun import PipelineInfo
from jejunet.batch.task import Result, Task


def plan(video: Task, emitted: int, chunk_frames: int, info: PipelineInfo) -> list[Task]:
    """The chunk tasks of a video whose decode node emits `emitted` frames."""
    tasks = []
    for k, first in enumerate(range(0, emitted, chunk_frames)):
        start = info.start + first * info.stride
        count = min(chunk_frames, emitted - first)
        tasks.append(Task(video.name, video.source, video.out, "chunk", k, start=start, max_frames=count))
    return tasks


def _link_labels(src: Path, dst: Path, offset: int) -> None:
    """Hard-link (else copy) a chunk's PNGs under their frame numbers in the video: the chunk stays
    whole until the stitched folder is committed, so a stitch that fails can be redone (--resume)."""
    dst.mkdir(exist_ok=True)
    for png in sorted(src.glob("*.png")):
        name = f"{int(png.stem) + offset:06d}.png" if png.stem.isdigit() else png.name
        try:
            os.link(png, dst / name)
        except OSError:
            shutil.copy2(png, dst / name)


def _label_folders(chunk: Path) -> list[str]:
    return sorted(p.name for p in chunk.iterdir() if p.is_dir() and p.name.startswith("labels"))


def agreement(a: Path, b: Path) -> float | None:
    """Fraction of label pixels equal in the PNGs the two folders share (None when none shared)."""
    same = total = 0
    for png in sorted(a.glob("*.png")):
        other = b / png.name
        if not other.is_file():
            return 0.0
        x, y = np.asarray(Image.open(png)), np.asarray(Image.open(other))
        same += int((x == y).sum()) if x.shape == y.shape else 0
        total += x.size
    return same / total if total else None


def _report(parts: list[tuple[Task, dict[str, Any]]], info: PipelineInfo, chunk_frames: int) -> dict:
    keyframe_frames: list[int] = []
    reasons: dict[str, str] = {}
    chunks = []
    for task, report in parts:
        offset = task.chunk * chunk_frames
        keyframe_frames += [offset + i for i in report["keyframe_frames"]]
        for i, reason in report["keyframe_reasons"].items():
            first = task.chunk > 0 and int(i) == 0
            reasons[str(offset + int(i))] = "chunk_start" if first else reason
        chunks.append(
            {"chunk": task.chunk, "first_frame": offset, "frames": report["frames"], "report": report}
        )
    wall = sum(r["wall_s"] for _, r in parts)
    frames = sum(r["frames"] for _, r in parts)
    first = parts[0][1]
    return {
        "jejunet_version": first.get("jejunet_version"),
        "pipeline": first["pipeline"],
        "frames": frames,
        "wall_s": round(wall, 4),  # the chunks' own wall times added up (they ran in parallel)
        "fps": round(frames / wall, 2) if wall else 0.0,
        "keyframes": len(keyframe_frames),
        "keyframe_frames": keyframe_frames,
        "keyframe_reasons": reasons,
        "dropped": sum(r.get("dropped", 0) for _, r in parts),
        "source_frames": sum(r.get("source_frames", 0) for _, r in parts),
        "executor": first.get("executor"),
        "mode": first.get("mode"),
        "chunk_frames": chunk_frames,
        "chunks_exact": info.chunks_exact(chunk_frames),
        "chunks": chunks,
    }


def stitch(video: Task, results: list[Result], info: PipelineInfo, chunk_frames: int) -> Result:
    """Join the chunk folders of `video` into its final folder; the chunks folder is removed."""
    root = layout.chunk_root(Path(video.out), video.name)
    ordered = sorted((r for r in results if r.task.kind == "chunk"), key=lambda r: r.task.chunk)
    folder = layout.temp_dir(Path(video.out), video.name)
    try:
        parts = []
        for result in ordered:
            chunk = result.task.target()
            for labels in _label_folders(chunk):
                _link_labels(chunk / labels, folder / labels, result.task.chunk * chunk_frames)
            parts.append((result.task, json.loads((chunk / "report.json").read_text())))
        for sink in sorted({p.name for r in ordered for p in r.task.target().glob("*.mp4")}):
            concat_mp4([r.task.target() / sink for r in ordered], folder / sink)
        report = _report(parts, info, chunk_frames)
        reference = root / "reference" / "labels"
        measured = agreement(folder / "labels", reference) if reference.is_dir() else None
        report["agreement_with_unchunked"] = measured
        (folder / "report.json").write_text(json.dumps(report, indent=2) + "\n")
        merged = Result(
            video,
            "ok",
            frames=report["frames"],
            keyframes=report["keyframes"],
            keyframe_frames=report["keyframe_frames"],
            wall_s=sum(r.wall_s for r in ordered),
            attempts=max(r.attempts for r in ordered),
            extra={"chunks": len(ordered), "chunk_agreement": measured},
        )
        layout.commit(folder, video.target(), marker=merged.row())
    except BaseException:
        layout.discard(folder)
        raise
    shutil.rmtree(root, ignore_errors=True)
    return merged
