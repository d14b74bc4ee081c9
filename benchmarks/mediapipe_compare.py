"""JejuNet against MediaPipe's own selfie-segmentation graph, same model and clip, in one run.

    .venv/bin/python benchmarks/mediapipe_compare.py [--rounds 5] [--venv DIR] [--clip PATH]

MediaPipe runs in its own virtualenv (`mediapipe==0.10.14`, created on first use with pip,
default ~/.cache/jejunet/mediapipe-venv): `solutions.selfie_segmentation` (model_selection=0,
the 256×256 general model we ship as `selfie_segmentation_256`) over bikes.mp4, decoding with
OpenCV and thresholding the mask at 0.5 — decode + segment + threshold.

JejuNet runs each pipeline twice: as shipped (overlay and H.264 encode included: more work than
MediaPipe does) and trimmed to the same work (decode → resize → segment → upsample, whose
bilinear resize + 0.5 threshold is MediaPipe's threshold at frame size). Every process is fresh;
rounds alternate the order; throughput counts from the first frame to the last (model loading
excluded on both sides); the result is the median of per-round ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CLIP = REPO.parent / "shared" / "media" / "bikes.mp4"
MEDIAPIPE = "mediapipe==0.10.14"
DEFAULT_VENV = Path(os.environ.get("JEJUNET_MP_VENV", Path.home() / ".cache" / "jejunet" / "mediapipe-venv"))
PIPELINES = ["selfie_per_frame.yaml", "selfie_keyframe.yaml"]
SAME_WORK_DROPS = {"overlay", "sink"}

MEDIAPIPE_WORKER = textwrap.dedent(
    """
    import json, sys, time
    import cv2, numpy as np
    import mediapipe as mp

    seg = mp.solutions.selfie_segmentation.SelfieSegmentation(model_selection=0)
    warm = cv2.VideoCapture(sys.argv[1]); ok, frame = warm.read(); warm.release()
    seg.process(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))  # graph and model ready
    cap = cv2.VideoCapture(sys.argv[1])
    frames, person = 0, 0
    start = time.perf_counter()
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        mask = seg.process(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)).segmentation_mask
        person += int(np.count_nonzero(mask > 0.5))
        frames += 1
    seconds = time.perf_counter() - start
    print(json.dumps({"frames": frames, "seconds": seconds, "fps": frames / seconds, "person_px": person}))
    """
)

JEJUNET_WORKER = textwrap.dedent(
    """
    import json, sys, time
    from pathlib import Path
    from jejunet.graph.compiler import Overrides, compile_data, compile_file
    from jejunet.graph.threaded import run_threaded
    from jejunet.graph.scheduler import run_graph

    pipeline, clip, out, trim, executor, *sets = sys.argv[1:]
    compiled = compile_file(Path(pipeline), Overrides(sets=sets, input=clip, output=out))
    if trim == "same-work":
        data = compiled.spec.model_dump(by_alias=True)
        data["nodes"] = [n for n in data["nodes"] if n["id"] not in ("overlay", "sink")]
        compiled = compile_data(data, {}, Path(pipeline))
    run = run_threaded if executor == "threaded" else run_graph
    report = run(compiled, warmup=1)  # frame 0 pays for the interpreter's first call, as MediaPipe's warm-up
    print(json.dumps({"frames": report.frames, "seconds": report.wall_s, "fps": report.fps}))
    """
)


def ensure_venv(venv: Path) -> Path:
    """The Python of a virtualenv holding MediaPipe, created with pip if missing."""
    python = venv / "bin" / "python"
    probe = [str(python), "-c", "import mediapipe, sys; sys.exit(mediapipe.__version__ != '0.10.14')"]
    if python.exists() and subprocess.run(probe, capture_output=True).returncode == 0:
        return python
    print(f"creating {venv} with {MEDIAPIPE} (one time)", file=sys.stderr)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", MEDIAPIPE], check=True)
    return python


def measure(command: list[str]) -> dict[str, float]:
    done = subprocess.run(command, capture_output=True, text=True, cwd=REPO)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command[:3])} failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--venv", type=Path, default=DEFAULT_VENV, help="MediaPipe's virtualenv")
    parser.add_argument("--clip", type=Path, default=CLIP)
    parser.add_argument("--executor", choices=("threaded", "sequential"), default="threaded")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--set", action="append", default=[], help="NODE.PARAM=VALUE for our pipelines")
    args = parser.parse_args()
    mp_python = ensure_venv(args.venv)
    with tempfile.TemporaryDirectory(prefix="jejunet-mp-") as tmp:
        worker = Path(tmp) / "mp_worker.py"
        worker.write_text(MEDIAPIPE_WORKER)
        ours = Path(tmp) / "jejunet_worker.py"
        ours.write_text(JEJUNET_WORKER)
        contenders = {"mediapipe": [str(mp_python), str(worker), str(args.clip)]}
        for pipeline in PIPELINES:
            for trim in ("as-shipped", "same-work"):
                name = f"{pipeline.removesuffix('.yaml')} ({trim})"
                out = str(Path(tmp) / f"{name}.mp4".replace(" ", "_"))
                contenders[name] = [
                    sys.executable,
                    str(ours),
                    str(REPO / "pipelines" / pipeline),
                    str(args.clip),
                    out,
                    trim,
                    args.executor,
                    *args.set,
                ]
        fps: dict[str, list[float]] = {name: [] for name in contenders}
        names = list(contenders)
        for r in range(args.rounds):
            order = names if r % 2 == 0 else names[::-1]
            for name in order:
                result = measure(contenders[name])
                fps[name].append(result["fps"])
                print(f"round {r + 1}: {name:<36} {result['fps']:7.1f} fps ({int(result['frames'])} frames)")
    summary = {}
    print(
        f"\nmedians over {args.rounds} rounds ({args.executor} executor), ratio = ours / MediaPipe per round:"
    )
    for name in names:
        ratios = [a / b for a, b in zip(fps[name], fps["mediapipe"], strict=True)]
        summary[name] = {"fps": statistics.median(fps[name]), "ratio": statistics.median(ratios)}
        print(f"  {name:<36} {summary[name]['fps']:7.1f} fps   {summary[name]['ratio']:.2f}x")
    if args.json is not None:
        args.json.write_text(json.dumps({"rounds": fps, "summary": summary}, indent=2) + "\n")


if __name__ == "__main__":
    main()
