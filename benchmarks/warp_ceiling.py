"""How much can any propagation beat holding the labels on a clip? Carry the per-frame output itself.

    .venv/bin/python benchmarks/warp_ceiling.py --video ../shared/media/bikes.mp4 --reference DIR \
        [--gaps 1,3,7] [--cuts 30,76,137,187,242] [--preset medium]

DIR holds the per-frame pipeline's label PNGs (`jejunet graph run … --labels-dir DIR`). For each
frame t and gap k (windows across a cut left out), the reference's own labels of frame t−k are
carried to t by the optical flow of every step between (labels warped nearest, as the warp node
does, at 256×256) and compared with the reference's labels of t, beside holding them unchanged.
Pixel agreement over all pixels and over moving pixels (the motion masks of `jejunet eval --video`:
flow to the previous frame above 1 px). If the reference flickers, neither can agree with it, and the
difference between warp and hold here bounds what a keyframe pipeline's warp can show.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np

from jejunet.eval.temporal import clip_frames, motion_masks
from jejunet.media.palette import read_label_png
from jejunet.ops.optical_flow import PRESETS, grey
from jejunet.ops.warp import warp_labels

SIZE = 256


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--video", type=Path, required=True)
    parser.add_argument("--reference", type=Path, required=True, help="per-frame label PNGs")
    parser.add_argument("--gaps", default="1,3,7")
    parser.add_argument("--cuts", default="", help="frame indices of hard cuts (a shot starts there)")
    parser.add_argument("--preset", choices=PRESETS, default="medium")
    args = parser.parse_args()
    gaps = [int(g) for g in args.gaps.split(",")]
    cuts = {int(c) for c in args.cuts.split(",") if c.strip()}
    files = sorted(args.reference.glob("*.png"))
    labels = [read_label_png(f) for f in files]
    frames = list(clip_frames(args.video))[: len(labels)]
    greys = [grey(cv2.resize(f, (SIZE, SIZE), interpolation=cv2.INTER_LINEAR), None) for f in frames]
    moving_at = motion_masks(args.video)  # the moving pixels as `jejunet eval --video` defines them
    dis = cv2.DISOpticalFlow_create(PRESETS[args.preset])
    flows = [None] + [dis.calc(greys[t], greys[t - 1], None) for t in range(1, len(greys))]
    h, w = labels[0].shape
    for gap in gaps:
        counts = {"all": np.zeros(3), "moving": np.zeros(3)}
        for t in range(gap, len(labels)):
            if any(c in cuts for c in range(t - gap + 1, t + 1)):
                continue
            carried = cv2.resize(labels[t - gap], (SIZE, SIZE), interpolation=cv2.INTER_NEAREST)
            for step in range(t - gap + 1, t + 1):
                carried = warp_labels(carried, flows[step])
            warped = cv2.resize(carried, (w, h), interpolation=cv2.INTER_NEAREST)
            held, ref = labels[t - gap], labels[t]
            moving = cv2.resize(moving_at[t].astype(np.uint8), (w, h), interpolation=cv2.INTER_NEAREST) > 0
            for name, mask in (("all", np.ones_like(moving)), ("moving", moving)):
                counts[name] += (mask.sum(), (warped == ref)[mask].sum(), (held == ref)[mask].sum())
        for name, (n, warp_same, hold_same) in counts.items():
            print(
                f"gap {gap:>2}, {name:<6} pixels: warp {warp_same / n * 100:6.2f} %, hold "
                f"{hold_same / n * 100:6.2f} %, warp − hold {(warp_same - hold_same) / n * 100:+.2f} points"
            )


if __name__ == "__main__":
    main()
