"""Pipeline loading on large files: the event loader against ruamel's round-trip load (the old loader).

    .venv/bin/python benchmarks/bench_loader.py [--rounds 5]

Generated files (nothing is stored): the shipped deeplab_per_frame.yaml plus a 5 MB description,
plus 5 MB of comments, and a dense chain of 2 500 resize nodes (~340 KB, ~48 000 YAML values);
and a 400-byte "billion laughs". Each round loads every file with both loaders, alternating which
goes first; the figure is the median over rounds, the ratio the median of per-round ratios.
Validation (`compile_data`) time is printed beside it for the dense file.
"""

from __future__ import annotations

import argparse
import math
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from jejunet.errors import PipelineError
from jejunet.graph.compiler import compile_data
from jejunet.graph.loader import parse_yaml

REPO = Path(__file__).resolve().parents[1]


def files() -> dict[str, str]:
    base = (REPO / "pipelines" / "deeplab_per_frame.yaml").read_text()
    dense = ["version: 1", "nodes:", "  - id: source", "    op: decode", "    params: {source: sample}"]
    for i in range(2500):
        prev = f"r{i - 1}" if i else "source"
        dense += [
            f"  - id: r{i}",
            "    op: resize",
            f"    inputs: {{image: {prev}.image}}",
            "    params: {width: 64, height: 64}",
        ]
    laughs = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + "".join(
        f"{c}: &{c} [{', '.join([f'*{p}'] * 9)}]\n" for p, c in zip("abcdefgh", "bcdefghi", strict=True)
    )
    return {
        "5 MB description": base.replace("description: ", "description: " + "word " * 1_000_000, 1),
        "5 MB comments": base + "".join(f"# comment {i:06d} {'x' * 60}\n" for i in range(70_000)),
        "2 500 nodes": "\n".join(dense) + "\n",
        "billion laughs": laughs,
    }


def new_loader(text: str) -> Any:
    try:
        return parse_yaml(text, "bench.yaml")
    except PipelineError:
        return None


def old_loader(text: str) -> Any:
    return YAML(typ="rt").load(text)  # what the loader did before: ruamel round-trip, then a walk


def timed(load: Callable[[str], Any], text: str) -> float:
    start = time.perf_counter()
    load(text)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    texts = files()
    results: dict[str, dict[str, list[float]]] = {k: {"new": [], "old": []} for k in texts}
    for round_index in range(args.rounds):
        for name, text in texts.items():
            order = [("new", new_loader), ("old", old_loader)]
            if round_index % 2:
                order.reverse()
            for label, load in order:
                # ruamel expands the billion laughs without bound: never run it there
                skip = label == "old" and name == "billion laughs"
                results[name][label].append(math.nan if skip else timed(load, text))
    print(f"{'file':<18} {'size':>9} {'events loader':>14} {'ruamel rt':>10} {'ratio':>7}")
    for name, text in texts.items():
        new, old = results[name]["new"], results[name]["old"]
        bounded = not math.isnan(old[0])
        ratio = f"{statistics.median(o / n for o, n in zip(old, new, strict=True)):.1f}×" if bounded else "-"
        old_s = f"{statistics.median(old):.3f} s" if bounded else "unbounded"
        size = f"{len(text) / 1e6:.2f} MB"
        print(f"{name:<18} {size:>9} {statistics.median(new):>12.3f} s {old_s:>10} {ratio:>7}")
    data, positions = parse_yaml(texts["2 500 nodes"], "bench.yaml")
    start = time.perf_counter()
    compile_data(data, positions, Path("bench.yaml"))
    print(f"compile_data of the 2 500 nodes: {time.perf_counter() - start:.3f} s")


if __name__ == "__main__":
    main()
