"""The seed's chart on this machine: input size × aspect × precision → latency, file size, mIoU, agreement.

Every point is a real export of the model folder, run with the TFLite runtime (XNNPACK): latency is
measured alternating the reference model and the point's precisions (one thread, medians), mIoU on
VOC-format photos, agreement with the reference model on video frames and the photos.
"""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from jejunet.errors import UserError
from jejunet.media.atomic import write_bytes_atomic
from jejunet.modeltools.agreement import agreement, miou, noise_floor, open_model, predict
from jejunet.modeltools.bench import bench
from jejunet.modeltools.exporter import PRECISIONS, export
from jejunet.modeltools.frames import labelled_images, load_frames
from jejunet.modeltools.store import load


@dataclass
class SweepConfig:
    model: Path
    reference: str
    sizes: Sequence[int]
    precisions: Sequence[str]
    aspects: Sequence[str]
    video: str = "sample"
    frames: int = 25
    eval_dirs: tuple[Path, Path] | None = None
    rounds: int = 20
    work: Path = Path("out/sweep")
    calibration_frames: int = 32


@dataclass
class SweepRow:
    aspect: str
    width: int
    height: int
    precision: str
    bytes: int
    latency_ms: float
    speedup_vs_reference: float
    reference_latency_ms: float
    miou: float | None
    agreement: float
    reference_noise_floor: float
    extra: dict = field(default_factory=dict)


def native_size(long_side: int, frame_shape: tuple[int, ...]) -> tuple[int, int]:
    """(height, width) with the frame's aspect ratio, long side as given, short side a multiple of 16."""
    h, w = frame_shape[:2]
    short = max(32, int(round(long_side * min(h, w) / max(h, w) / 16)) * 16)
    return (short, long_side) if w >= h else (long_side, short)


def _check(config: SweepConfig) -> None:
    bad = [p for p in config.precisions if p not in PRECISIONS]
    if bad:
        raise UserError(f"precision {', '.join(bad)}: choose from {', '.join(PRECISIONS)}")
    bad = [a for a in config.aspects if a not in ("square", "native")]
    if bad:
        raise UserError(f"aspect {', '.join(bad)}: choose square and/or native")
    if any(s < 32 or s > 2048 for s in config.sizes):
        raise UserError("--sizes: each size must be in 32…2048")


def run_sweep(config: SweepConfig, csv_path: Path, png_path: Path | None = None) -> list[SweepRow]:
    """Export, measure and write the CSV after every point (partial results survive an interrupt)."""
    _check(config)
    folder = load(config.model)
    video = load_frames(config.video, 10_000)
    step = max(1, len(video) // config.frames)
    frames = video[::step][: config.frames]
    calibration = video[step // 2 :: max(1, len(video) // config.calibration_frames)][
        : config.calibration_frames
    ]
    data = labelled_images(*config.eval_dirs) if config.eval_dirs else []
    photos = [d[1] for d in data]
    truths = [d[2] for d in data]
    reference = open_model(config.reference)
    ref_labels = [predict(reference, f) for f in frames + photos]
    floor = noise_floor(reference, frames + photos, ref_labels)
    print(f"reference noise floor: {floor * 100:.2f} % (agreement with itself, input dithered by ±1/255)")
    rows: list[SweepRow] = []
    for aspect in config.aspects:
        for side in config.sizes:
            size = (side, side) if aspect == "square" else native_size(side, video[0].shape)
            paths = []
            for precision in config.precisions:
                out = config.work / f"{config.model.name}_{size[1]}x{size[0]}_{precision}.tflite"
                calib = calibration if precision == "int8" else ()
                result = export(folder, size, precision, out, "labels", calib)  # type: ignore[arg-type]
                paths.append((precision, out, result.bytes))
            timing = bench([config.reference] + [str(p[1]) for p in paths], frames[0], (1,), config.rounds)
            for (precision, out, size_bytes), t in zip(paths, timing[1:], strict=True):
                model = open_model(out, mean=folder.mean, std=folder.std)
                labels = [predict(model, f) for f in frames + photos]
                # the photos have their own aspect: mIoU only where they are squashed as for the seed
                score = miou(labels[len(frames) :], truths) if data and aspect == "square" else None
                row = SweepRow(aspect, size[1], size[0], precision, size_bytes, t.median_ms, t.ratio,
                               timing[0].median_ms, score, agreement(labels, ref_labels), floor)  # fmt: skip
                rows.append(row)
                print(
                    f"{aspect:>6} {size[1]:>4}×{size[0]:<4} {precision:>5}: {t.median_ms:7.2f} ms "
                    f"({t.ratio:.2f}× the reference), {size_bytes / 1e6:5.2f} MB, "
                    f"mIoU {score * 100 if score is not None else float('nan'):5.1f} %, "
                    f"agreement {row.agreement * 100:5.1f} %",
                    flush=True,
                )
            write_csv(rows, csv_path)
    if png_path is not None:
        plot(rows, png_path, config)
    return rows


def write_csv(rows: Sequence[SweepRow], path: Path) -> None:
    buf = io.StringIO()
    names = [k for k in asdict(rows[0]) if k != "extra"] if rows else []
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(names)
    for r in rows:
        d = asdict(r)
        writer.writerow([_fmt(d[k]) for k in names])
    write_bytes_atomic(path, buf.getvalue().encode())


def _fmt(value: object) -> object:
    if isinstance(value, float):
        return f"{value:.4f}"
    return "" if value is None else value


def plot(rows: Sequence[SweepRow], path: Path, config: SweepConfig) -> None:
    """mIoU and frames per second against the input's long side, one line per aspect × precision."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print('note: no chart (matplotlib missing; pip install -e ".[model]")', file=sys.stderr)
        return
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.5))
    for aspect in config.aspects:
        for precision in config.precisions:
            sel = [r for r in rows if r.aspect == aspect and r.precision == precision]
            if not sel:
                continue
            x = [max(r.width, r.height) for r in sel]
            style = "-" if aspect == "square" else "--"
            label = f"{precision} {aspect}"
            if sel[0].miou is not None:
                axes[0].plot(x, [r.miou * 100 for r in sel], style, marker="o", label=label)
            axes[1].plot(x, [1000.0 / r.latency_ms for r in sel], style, marker="o", label=label)
            axes[2].plot(x, [r.agreement * 100 for r in sel], style, marker="o", label=label)
    ref_ms = float(np.median([r.reference_latency_ms for r in rows])) if rows else 0.0
    if ref_ms:
        axes[1].axhline(
            1000.0 / ref_ms, color="grey", linestyle=":", label="seed uint8 256² (builtin kernels)"
        )
    titles = (
        "mIoU on the VOC-format photos (%)",
        "frames per second (1 thread)",
        "agreement with the seed (%)",
    )
    if rows:
        axes[2].axhline(rows[0].reference_noise_floor * 100, color="grey", linestyle=":",
                        label="seed vs itself, input ±1/255")  # fmt: skip
        axes[2].legend(fontsize=7)
    for ax, title in zip(axes, titles, strict=True):
        ax.set_title(title)
        ax.set_xlabel("input long side (px)")
        ax.grid(alpha=0.3)
    axes[1].legend(fontsize=7)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    plt.close(fig)
    write_bytes_atomic(path, buf.getvalue())
