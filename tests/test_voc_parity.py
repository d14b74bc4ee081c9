"""The graph on the VOC photos gives the same confusion matrix as a direct ai-edge-litert call."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
from ai_edge_litert import interpreter as litert

from jejunet.eval.miou import NUM_CLASSES, confusion
from jejunet.media.palette import read_label_png
from tests.conftest import PIPELINES


def direct_labels(model: Path, image_path: Path) -> np.ndarray:
    """The same preprocessing, written out by hand: bilinear resize, RGB bytes, argmax, nearest up."""
    interp = litert.Interpreter(
        model_path=str(model),
        experimental_op_resolver_type=litert.OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES,
    )
    interp.allocate_tensors()
    bgr = cv2.imread(str(image_path))
    small = cv2.resize(bgr, (256, 256), interpolation=cv2.INTER_LINEAR)
    rgb = cv2.cvtColor(small, cv2.COLOR_BGR2RGB)
    interp.set_tensor(interp.get_input_details()[0]["index"], rgb[np.newaxis])
    interp.invoke()
    labels = interp.get_tensor(interp.get_output_details()[0]["index"]).reshape(256, 256).astype(np.uint8)
    return cv2.resize(labels, (bgr.shape[1], bgr.shape[0]), interpolation=cv2.INTER_NEAREST)


def test_graph_eval_equals_direct_call(cli, tmp_path: Path, voc_dir: Path, deeplab_model: Path) -> None:
    pred = tmp_path / "pred"
    result = cli(
        "graph",
        "run",
        PIPELINES / "deeplab_seed_per_frame.yaml",
        "--input",
        voc_dir / "JPEGImages",
        "--output",
        tmp_path / "o.mp4",
        "--labels-dir",
        pred,
        "--report",
        tmp_path / "r.json",
        "--quiet",
    )
    assert result.code == 0, result.err
    written = sorted(p.name for p in pred.glob("*.png"))
    assert written == ["000000.png", "000001.png", "000002.png"]

    result = cli(
        "eval", "--pred", pred, "--gt", voc_dir / "SegmentationClassPNG", "--json", tmp_path / "e.json"
    )
    assert result.code == 0, result.err
    scores = json.loads((tmp_path / "e.json").read_text())["ground_truth"]

    images = sorted((voc_dir / "JPEGImages").glob("*.jpg"))
    gts = sorted((voc_dir / "SegmentationClassPNG").glob("*.png"))
    matrix = np.zeros((NUM_CLASSES, NUM_CLASSES), dtype=np.int64)
    for i, (image, gt) in enumerate(zip(images, gts, strict=True)):
        expected = direct_labels(deeplab_model, image)
        got = read_label_png(pred / f"{i:06d}.png")
        assert got.shape == expected.shape == cv2.imread(str(image)).shape[:2]
        np.testing.assert_array_equal(got, expected)
        matrix += confusion(read_label_png(gt), expected)

    tp = np.diag(matrix)
    union = matrix.sum(0) + matrix.sum(1) - tp
    present = (matrix.sum(0) + matrix.sum(1)) > 0
    present[255] = False
    miou = float(np.mean(tp[present] / union[present]))
    assert abs(scores["miou"] - miou) < 1e-6
    assert scores["images"] == 3 and scores["paired_by"] == "order"
    # The real model finds the people and the bus: not a constant prediction.
    assert scores["per_class_iou"]["person"] > 0.4 and scores["per_class_iou"]["bus"] > 0.4

    report = json.loads((tmp_path / "r.json").read_text())
    assert report["frames"] == 3 and report["keyframes"] == 3
    assert set(report["nodes"]) >= {"source", "resize", "segment", "upsample", "overlay", "sink"}
    assert report["runtime"]["segment"]["delegate"] == "builtin"
