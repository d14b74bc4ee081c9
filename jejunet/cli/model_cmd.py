"""`jejunet models list|fetch` (the registry); `jejunet model inspect|import|export|ship|…`.

The model tools import TensorFlow (an optional extra) only inside their handlers.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

from jejunet.assets import SAMPLE_CLIP, cache_dir, copy_verified, local_candidates, resolve, sha256_of
from jejunet.errors import AssetError, UserError
from jejunet.media.atomic import write_bytes_atomic
from jejunet.models.inspect import inspect_model
from jejunet.models.registry import (
    BUILTIN_MODELS,
    PACKAGED_FAMILIES,
    LocalFileSource,
    ModelEntry,
    PackagedFileSource,
    all_models,
)


def register(commands: Any) -> None:
    models = commands.add_parser("models", help="the model registry")
    sub = models.add_subparsers(dest="models_command", required=True, metavar="ACTION")
    p = sub.add_parser("list", help="registered models and where their files are")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_list)
    p = sub.add_parser("fetch", help="get every registered model and the sample clip (sha256-checked)")
    p.add_argument("--from", dest="from_dir", type=Path, help="copy from this folder instead of downloading")
    p.add_argument("name", nargs="*", help="only these models (default: all, plus the sample clip)")
    p.set_defaults(handler=cmd_fetch)

    model = commands.add_parser("model", help="model tools")
    sub = model.add_subparsers(dest="model_command", required=True, metavar="ACTION")
    p = sub.add_parser("inspect", help="inputs/outputs, quantization, op counts, XNNPACK support")
    p.add_argument("file", type=Path)
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_inspect)
    _register_tools(sub)


def _register_tools(sub: Any) -> None:
    p = sub.add_parser(
        "import", help="rebuild the seed .tflite in Keras and save its float weights (needs [model])"
    )
    p.add_argument("seed", type=Path, help="the seed JejuNet .tflite")
    p.add_argument("--out", type=Path, required=True, help="model folder to write")
    p.add_argument(
        "--as-trained",
        action="store_true",
        help="do not reproduce the seed runtime's unrequantized image-pooling resize (see docs)",
    )
    p.set_defaults(handler=cmd_import)

    p = sub.add_parser("build", help="a DeepLabv3(+) MobileNetV2 model folder for speed/size studies")
    p.add_argument("--width", type=float, default=1.0, help="MobileNetV2 width multiplier")
    p.add_argument("--output-stride", type=int, default=16, choices=(8, 16, 32))
    p.add_argument(
        "--aspp-rates", default="", help="atrous ASPP rates at stride 16, e.g. 6,12,18 (default none)"
    )
    p.add_argument("--decoder", action="store_true", help="add the DeepLabv3+ decoder")
    p.add_argument("--from", dest="from_dir", type=Path, help="take every matching layer's weights from here")
    p.add_argument("--seed", type=int, default=0, help="random seed of the untrained layers")
    p.add_argument("--out", type=Path, required=True, help="model folder to write")
    p.set_defaults(handler=cmd_build)

    p = sub.add_parser(
        "export", help="export a model folder to .tflite at any size and precision (needs [model])"
    )
    p.add_argument("model", type=Path, help="model folder (from `model import` or `model build`)")
    p.add_argument("--size", required=True, help="input size WxH, e.g. 256x256 or 512x288")
    p.add_argument("--precision", choices=("fp32", "fp16", "int8"), default="fp32")
    p.add_argument("--calibration", help="int8: video file, image folder or 'sample'")
    p.add_argument("--calibration-frames", type=int, default=64, help="frames taken from --calibration")
    p.add_argument("--output", choices=("labels", "logits"), default="labels")
    p.add_argument(
        "--argmax-grid",
        choices=("auto", "seed", "float"),
        default="auto",
        help="float labels: argmax on the seed's uint8 logit grid as the seed does (auto: when the folder "
        "records one) or on float logits",
    )
    p.add_argument("--out", type=Path, required=True, help=".tflite file to write")
    p.add_argument("--name", help="registry name (default: the file's stem)")
    p.add_argument("--no-register", action="store_true", help="do not add it to the model registry")
    p.set_defaults(handler=cmd_export)

    p = sub.add_parser(
        "ship", help="regenerate the int8 exports shipped in the package, with provenance (needs [model])"
    )
    p.add_argument("seed", type=Path, help="the seed JejuNet .tflite")
    p.add_argument("--calibration", type=Path, required=True, help="calibration video (shipped: bikes.mp4)")
    p.add_argument("--out", type=Path, required=True, help="folder to write (shipped: jejunet/models/data)")
    p.set_defaults(handler=cmd_ship)

    p = sub.add_parser(
        "lowbit", help="simulated low-bit quantization: mIoU and agreement table (needs [model])"
    )
    p.add_argument("model", type=Path, help="model folder")
    p.add_argument("--bits", default="w32a32,w8a8,w6a6,w6a4", help="comma list of wNaM")
    p.add_argument("--eval", nargs=2, metavar=("IMAGES", "GT"), type=Path, required=True)
    p.add_argument("--size", default="512x512", help="input size WxH")
    p.add_argument(
        "--calibration", help="activation ranges from this video/folder (default: the eval images)"
    )
    p.add_argument("--calibration-frames", type=int, default=32)
    p.add_argument("--weights", choices=("per-tensor", "per-channel"), default="per-channel")
    p.add_argument("--csv", type=Path, help="write the table as CSV")
    p.set_defaults(handler=cmd_lowbit)

    p = sub.add_parser("bench", help="latency of several models in one run, alternating, with ratios")
    p.add_argument("models", nargs="+", help="registered names or .tflite files (the first is the reference)")
    p.add_argument("--threads", default="1,2", help="comma list of thread counts")
    p.add_argument("--rounds", type=int, default=50)
    p.add_argument("--frame", default="sample", help="video or image folder giving the input frame")
    p.add_argument("--json", type=Path, help="write the rows as JSON")
    p.set_defaults(handler=cmd_bench)

    p = sub.add_parser(
        "compare", help="pixel agreement of models with a reference, beside the reference's noise floor"
    )
    p.add_argument("reference", help="registered name or .tflite file to agree with")
    p.add_argument("models", nargs="+", help="registered names or .tflite files")
    p.add_argument("--video", default="sample", help="video whose frames are compared ('' for none)")
    p.add_argument("--frames", type=int, default=25, help="frames taken evenly from --video")
    p.add_argument("--images", type=Path, action="append", default=[], help="image folder (repeatable)")
    p.add_argument("--mean", type=float, help="input mean of the compared models (default: registered)")
    p.add_argument("--std", type=float, help="input std of the compared models (default: registered)")
    p.add_argument("--json", type=Path, help="write the table as JSON")
    p.set_defaults(handler=cmd_compare)

    p = sub.add_parser(
        "sweep", help="input size × precision → latency, size, mIoU, agreement (needs [model])"
    )
    p.add_argument("model", type=Path, help="model folder (from `model import`)")
    p.add_argument("--reference", default="deeplabv3_mnv2_voc_256", help="model to agree with")
    p.add_argument("--sizes", default="128,192,256,320,384,448,512", help="long sides")
    p.add_argument("--precisions", default="fp32,fp16,int8")
    p.add_argument("--aspects", default="square,native", help="square and/or native (the video's aspect)")
    p.add_argument("--video", default="sample", help="frames for agreement, calibration and native aspect")
    p.add_argument("--frames", type=int, default=25, help="video frames used for agreement")
    p.add_argument("--eval", nargs=2, metavar=("IMAGES", "GT"), type=Path, help="VOC-format photos for mIoU")
    p.add_argument("--rounds", type=int, default=20, help="timed rounds per model")
    p.add_argument("--work", type=Path, default=Path("out/sweep"), help="folder for the exported models")
    p.add_argument("--csv", type=Path, required=True)
    p.add_argument("--png", type=Path, help="chart to write (needs matplotlib)")
    p.set_defaults(handler=cmd_sweep)


def _local(entry: ModelEntry) -> str:
    """Where the model's file is on this machine (packaged and exported files: checked in place)."""
    asset = entry.asset
    if isinstance(asset.source, LocalFileSource | PackagedFileSource):
        try:
            return str(entry.path())
        except UserError as exc:
            return exc.problems[0].message
    for path in local_candidates(asset):
        if path.is_file() and sha256_of(path) == asset.sha256:
            return str(path)
    return "not fetched"


def cmd_list(args: argparse.Namespace) -> int:
    rows = [
        {
            "name": m.name,
            "description": m.description,
            "file": _local(m),
            "source": m.asset.source.describe(),
            "sha256": m.asset.sha256,
            "labels": len(m.labels),
        }
        for m in all_models().values()
    ]
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    for row in rows:
        print(f"{row['name']}\n  {row['description']}\n  file: {row['file']}\n  source: {row['source']}")
    for family in PACKAGED_FAMILIES:
        members = ", ".join(m.name for m in family.members)
        print(f"{family.name} (family: a pipeline names it, the frame's size picks the member): {members}")
    return 0


def cmd_fetch(args: argparse.Namespace) -> int:
    models = all_models()
    unknown = [n for n in args.name if n not in models]
    if unknown:
        raise AssetError(f"unknown model {', '.join(unknown)} (known: {', '.join(models)})")
    assets = [models[n].asset for n in args.name] if args.name else [m.asset for m in BUILTIN_MODELS]
    if not args.name:
        assets.append(SAMPLE_CLIP)
    for asset in assets:
        path = resolve(asset, from_dir=args.from_dir, download=True)
        if args.from_dir is not None and path.parent == args.from_dir:
            path = copy_verified(asset, path, cache_dir())  # later runs find it without the folder
        print(f"{asset.filename}: {path} (sha256 ok)")
    return 0


def cmd_inspect(args: argparse.Namespace) -> int:
    info = inspect_model(args.file)
    if args.json:
        print(json.dumps(info, indent=2))
        return 0
    print(f"{info['file']} ({info['bytes']:,} bytes)")
    for role in ("inputs", "outputs"):
        for t in info[role]:
            q = t["quantization"]
            qs = f", scale {q['scale']:.6g}, zero point {q['zero_point']}" if q else ""
            print(f"  {role[:-1]} {t['name']}: {'×'.join(map(str, t['shape']))} {t['dtype']}{qs}")
    print(f"  ops ({info['op_total']}): " + ", ".join(f"{k} {v}" for k, v in info["ops"].items()))
    for key, title in (("xnnpack", "XNNPACK delegate"), ("builtin_kernels", "built-in kernels")):
        d = info[key]
        print(f"  {title}: {'accepts it' if d['accepted'] else 'refuses it: ' + d['reason']}")
    return 0


def _ints(text: str, what: str) -> list[int]:
    try:
        values = [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise UserError(f"{what} '{text}': expected a comma list of integers") from None
    if not values or any(v <= 0 for v in values):
        raise UserError(f"{what} '{text}': expected positive integers")
    return values


def cmd_import(args: argparse.Namespace) -> int:
    from jejunet.modeltools import require_tensorflow
    from jejunet.modeltools.importer import import_seed
    from jejunet.modeltools.keras_builder import build_from_folder
    from jejunet.modeltools.store import save

    require_tensorflow()
    folder = import_seed(args.seed, as_trained=args.as_trained)
    build_from_folder(folder, (256, 256))  # the weights fit the Keras network
    manifest = save(folder, args.out)
    print(f"{folder.spec.describe()}: {len(folder.weights)} layers from {args.seed.name} → {manifest.parent}")
    print(f"  {folder.info['note']}")
    return 0


def cmd_build(args: argparse.Namespace) -> int:
    from jejunet.modeltools.builder import build_folder
    from jejunet.modeltools.store import save

    rates = tuple(_ints(args.aspp_rates, "--aspp-rates")) if args.aspp_rates else ()
    folder = build_folder(args.width, args.output_stride, rates, args.decoder, args.from_dir, args.seed)
    save(folder, args.out)
    print(f"{folder.spec.describe()} → {args.out}: {folder.weights_summary()}")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from jejunet.models.registry import register_model
    from jejunet.modeltools.exporter import describe, export
    from jejunet.modeltools.frames import load_frames, parse_size
    from jejunet.modeltools.store import load

    size = parse_size(args.size)
    folder = load(args.model)
    calibration = []
    if args.precision == "int8":
        if not args.calibration:
            raise UserError("--precision int8 needs --calibration VIDEO|IMAGE_FOLDER|sample")
        calibration = load_frames(args.calibration, args.calibration_frames)
    elif args.calibration:
        print("note: --calibration is only used for int8", file=sys.stderr)
    result = export(folder, size, args.precision, args.out, args.output, calibration, args.argmax_grid)
    text = describe(folder, result)
    print(f"{args.out}: {result.bytes:,} bytes, {text}")
    if not args.no_register:
        name = args.name or args.out.stem
        extra = {
            "precision": args.precision,
            "size": [size[1], size[0]],
            "model_folder": str(args.model),
            "argmax_grid": result.argmax_grid,
        }
        output = "logits" if args.output == "logits" else "labels"
        register_model(name, args.out, text, output, folder.mean, folder.std, extra)
        print(f"registered as '{name}' (pipelines can name it: tflite_infer model: {name})")
    return 0


def cmd_ship(args: argparse.Namespace) -> int:
    from jejunet.modeltools import require_tensorflow
    from jejunet.modeltools.shipped import ship

    require_tensorflow()
    for path in (args.seed, args.calibration):
        if not path.is_file():
            raise UserError(f"{path}: no such file")
    record = ship(args.seed, args.calibration, args.out)
    print(f"{len(record['files'])} exports and {record['family']}.json → {args.out}")
    return 0


def cmd_lowbit(args: argparse.Namespace) -> int:
    from jejunet.modeltools.frames import labelled_images, load_frames, parse_size
    from jejunet.modeltools.lowbit import lowbit_study, parse_bits, write_csv
    from jejunet.modeltools.store import load

    bits = parse_bits(args.bits)
    folder = load(args.model)
    data = labelled_images(*args.eval)
    calibration = (
        load_frames(args.calibration, args.calibration_frames) if args.calibration else [d[1] for d in data]
    )
    rows = lowbit_study(folder, parse_size(args.size), bits, data, calibration, args.weights == "per-channel")
    print(f"{'bits':<8} {'mIoU %':>8} {'agreement with float %':>24}")
    for r in rows:
        print(f"{r.label:<8} {r.miou * 100:8.2f} {r.agreement * 100:24.2f}")
    if args.csv:
        write_csv(rows, args.csv, args.size, args.weights, len(data))
        print(f"table → {args.csv}")
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from jejunet.modeltools.bench import bench
    from jejunet.modeltools.frames import load_frames

    if args.rounds < 1:
        raise UserError("--rounds must be at least 1")
    frame = load_frames(args.frame, 1)[0]
    rows = bench(args.models, frame, _ints(args.threads, "--threads"), args.rounds)
    print(f"{'model':<44} {'threads':>7} {'delegate':>9} {'median ms':>10} {'p90 ms':>8} {'speed-up':>9}")
    for r in rows:
        print(
            f"{r.model[-44:]:<44} {r.threads:>7} {r.delegate:>9} {r.median_ms:10.2f} {r.p90_ms:8.2f}"
            f" {r.ratio:8.2f}×"
        )
    print(f"({args.rounds} alternating rounds; speed-up = first model's median / this one's, same threads)")
    if args.json:
        write_bytes_atomic(args.json, (json.dumps([asdict(r) for r in rows], indent=2) + "\n").encode())
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    from jejunet.modeltools.agreement import agreement, noise_floor, open_model, predict
    from jejunet.modeltools.frames import load_frames

    if args.frames < 1:
        raise UserError("--frames must be at least 1")
    if (args.mean is None) != (args.std is None):
        raise UserError("--mean and --std go together")
    sets = {}
    if args.video:
        frames = load_frames(args.video, args.frames)
        sets[f"{Path(args.video).name} ({len(frames)} frames)"] = frames
    for folder in args.images:
        if not folder.is_dir():
            raise UserError(f"--images {folder}: not a folder")
        sets[str(folder)] = load_frames(folder, 10_000)
    if not sets:
        raise UserError("nothing to compare on: give --video and/or --images")
    reference = open_model(args.reference)
    models = [open_model(m, mean=args.mean, std=args.std) for m in args.models]
    rows = []
    for name, frames in sets.items():
        ref = [predict(reference, f) for f in frames]
        floor = noise_floor(reference, frames, ref)
        row = {"set": name, "frames": len(frames), "reference_noise_floor": floor}
        row["agreement"] = {m: agreement([predict(model, f) for f in frames], ref)
                            for m, model in zip(args.models, models, strict=True)}  # fmt: skip
        rows.append(row)
    print(f"agreement with {args.reference} (% of pixels with the same label)")
    for row in rows:
        print(f"{row['set']}: noise floor {row['reference_noise_floor'] * 100:.2f} %"
              " (the reference against itself with its input dithered by ±1/255)")  # fmt: skip
        for m, value in row["agreement"].items():
            print(f"  {m[-60:]:<60} {value * 100:6.2f} %")
    if args.json:
        write_bytes_atomic(args.json, (json.dumps(rows, indent=2) + "\n").encode())
    return 0


def cmd_sweep(args: argparse.Namespace) -> int:
    from jejunet.modeltools.sweep import SweepConfig, run_sweep

    config = SweepConfig(
        model=args.model,
        reference=args.reference,
        sizes=_ints(args.sizes, "--sizes"),
        precisions=[p.strip() for p in args.precisions.split(",") if p.strip()],
        aspects=[a.strip() for a in args.aspects.split(",") if a.strip()],
        video=args.video,
        frames=args.frames,
        eval_dirs=tuple(args.eval) if args.eval else None,
        rounds=args.rounds,
        work=args.work,
    )
    run_sweep(config, args.csv, args.png)
    return 0
