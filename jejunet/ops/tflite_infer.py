"""tflite_infer: run a segmentation model (registry name, model family or .tflite path) on each frame.

A model family (the shipped JejuNet int8 exports, one per input aspect) is opened at the member whose
input is the size of the frame reaching the node.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import Field

from jejunet.errors import NodeError, UserError
from jejunet.kinds import CONFIDENCE, FRAME, LABELS, PROBS, UNKNOWN, Shape
from jejunet.models.registry import find_family, resolve_model
from jejunet.models.runtime import (
    Delegate,
    LoadedModel,
    decode_output,
    invoke,
    load_model,
    model_signature,
    preprocess,
)
from jejunet.ops.base import FrameInfo, Operator, Params, Port, RunContext, ShapeCheck
from jejunet.ops.registry import register


class TfliteInferParams(Params):
    model: str = Field("deeplabv3_mnv2_voc_256", description="registered model name, family or .tflite path")
    num_threads: int = Field(2, ge=1, le=64, description="interpreter threads")
    delegate: Delegate = Field(
        "auto", description="auto: XNNPACK, falling back to the built-in kernels if it refuses"
    )
    mean: float | None = Field(None, description="override: float input = (pixel − mean) / std")
    std: float | None = Field(None, gt=0, description="override, with mean")


@register
class TfliteInfer(Operator):
    name = "tflite_infer"
    summary = "Run a TFLite segmentation model; labels, and probabilities when the model gives them."
    Params = TfliteInferParams
    inputs = (Port("image", FRAME, "frame at the model's input size (resize before)"),)
    outputs = (
        Port("labels", LABELS, "class per pixel at the model's output grid"),
        Port("probs", PROBS, "class probabilities (only for models that give them)"),
        Port("confidence", CONFIDENCE, "probability of the winning class"),
    )
    runs_network = True
    stateless = True

    @classmethod
    def check(
        cls, params: TfliteInferParams, inputs: Mapping[str, Shape], base_dir: Path | None = None
    ) -> ShapeCheck:
        result = ShapeCheck()
        given = inputs.get("image")
        known = tuple(given) if given is not None and None not in given else None
        try:
            path, _ = resolve_model(params.model, base_dir=base_dir, download=False, size=known)  # type: ignore[arg-type]
            signature = model_signature(path)
        except UserError as exc:
            result.problem("model", "; ".join(p.message for p in exc.problems))
            return result
        size = signature.input_size
        if known is None and find_family(params.model) is not None:
            size = UNKNOWN  # the frame's size picks the member when it runs
        if given is not None and None not in given and tuple(given) != size:
            result.problem(
                "model",
                f"model input is {size[1]}×{size[0]} but the image reaching it is "
                f"{given[1]}×{given[0]} (expected {size[1]}×{size[0]}, got {given[1]}×{given[0]}; "
                "set the resize before it)",
            )
        result.outputs["labels"] = size
        if signature.gives_probabilities:
            result.outputs["probs"] = size
            result.outputs["confidence"] = size
        return result

    def open(self, ctx: RunContext) -> None:
        base = ctx.pipeline_file.parent if ctx.pipeline_file else None
        self._base = base
        self._loaded: dict[tuple[int, int], LoadedModel] = {}
        self.model = self._load(None)

    def _load(self, size: tuple[int, int] | None) -> LoadedModel:
        """The model for frames of `size` (a family's member; any other model has one size)."""
        p = self.params
        path, entry = resolve_model(p.model, base_dir=self._base, download=True, size=size)
        model = load_model(path, entry, p.num_threads, p.delegate, p.mean, p.std)
        self._loaded[model.signature.input_size] = model
        return model

    def model_file(self) -> Path:
        return self.model.path

    def network_io(self, inputs: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray]:
        # right after process(): the interpreter still holds that call's output
        tensor = preprocess(self.model, inputs["image"])
        return tensor, self.model.interpreter.get_tensor(self.model.output_index).copy()

    def run_info(self) -> dict[str, Any]:
        info: dict[str, Any] = {"model": str(self.model.path), "delegate": self.model.delegate}
        if self.model.fallback_reason:
            info["fallback_reason"] = self.model.fallback_reason
        return info

    def process(self, info: FrameInfo, image: np.ndarray) -> dict[str, Any]:
        expected = self.model.signature.input_size
        size = (image.shape[0], image.shape[1])
        if size != expected and find_family(self.params.model) is not None:
            try:
                self.model = self._loaded.get(size) or self._load(size)
            except UserError as exc:
                raise NodeError(f"frame {info.index}: {exc.problems[0].message}") from None
            expected = size
        if image.shape[:2] != expected:
            raise NodeError(
                f"frame {info.index} is {image.shape[1]}×{image.shape[0]}, the model takes "
                f"{expected[1]}×{expected[0]}: put a resize before this node"
            )
        labels, probs = decode_output(self.model, invoke(self.model, preprocess(self.model, image)))
        out: dict[str, Any] = {"labels": labels}
        if probs is not None:
            out["probs"] = probs
            out["confidence"] = probs.confidence()
        return out
