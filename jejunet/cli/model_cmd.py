"""`jejunet models list|fetch` (the registry) and `jejunet model inspect FILE`."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from jejunet.assets import SAMPLE_CLIP, Asset, local_candidates, resolve, sha256_of
from jejunet.errors import AssetError
from jejunet.models.inspect import inspect_model
from jejunet.models.registry import all_models


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


def _local(asset: Asset) -> str:
    for path in local_candidates(asset):
        if path.is_file() and sha256_of(path) == asset.sha256:
            return str(path)
    return "not fetched"


def cmd_list(args: argparse.Namespace) -> int:
    rows = [
        {
            "name": m.name,
            "description": m.description,
            "file": _local(m.asset),
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
    return 0


def cmd_fetch(args: argparse.Namespace) -> int:
    models = all_models()
    unknown = [n for n in args.name if n not in models]
    if unknown:
        raise AssetError(f"unknown model {', '.join(unknown)} (known: {', '.join(models)})")
    assets = [models[n].asset for n in (args.name or models)]
    if not args.name:
        assets.append(SAMPLE_CLIP)
    for asset in assets:
        path = resolve(asset, from_dir=args.from_dir, download=True)
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
