"""`graph compile --target android`: a pipeline → a bundle (graph.json, models, labels, manifest).

The bundle is built in a temporary folder beside the target and renamed into place, so a failed
compile leaves nothing behind; every file name inside it is generated, never taken from user input.
A `resize` in `mode: aspect` becomes a stretch to the size its rule gives for the app's camera frames,
and a model family ships the member for that size, as the host would pick it.
"""

from __future__ import annotations

import contextlib
import json
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from jejunet.android.capabilities import CAPABILITIES, CAPABILITIES_VERSION, REFUSED, phone_threads
from jejunet.android.schema import SCHEMA_ID, SCHEMA_VERSION, validate
from jejunet.assets import sha256_of
from jejunet.errors import PipelineError, Problem, UserError
from jejunet.graph.compiler import CompiledGraph
from jejunet.models.registry import VOC_LABELS, resolve_model
from jejunet.models.runtime import load_model
from jejunet.ops.resize import target_size

MANIFEST = "manifest.json"
GRAPH = "graph.json"
_SAFE = re.compile(r"[^A-Za-z0-9._-]")
#: (height, width) of the app's camera frames (MainActivity: CameraFrames(640, 480))
CAMERA_SIZE = (480, 640)


@dataclass
class Bundle:
    """What `compile_bundle` wrote: the folder, its files (relative path → sha256) and notes."""

    directory: Path
    files: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def _compiler_version() -> str:
    try:
        return f"jejunet {version('jejunet')}"
    except PackageNotFoundError:
        return "jejunet"


def phone_params(compiled: CompiledGraph, node_id: str) -> dict[str, Any]:
    """A node's parameters as the phone runs them: `resize mode: aspect` → a stretch to its size."""
    node = compiled.nodes[node_id]
    values = node.params.model_dump()
    if node.op.name != "resize":
        return values
    height, width = target_size(node.params, *CAMERA_SIZE)  # type: ignore[arg-type]
    if values["mode"] == "aspect":
        values.update(mode="stretch", width=width, height=height)
    return values


def network_size(compiled: CompiledGraph, node_id: str) -> tuple[int, int] | None:
    """(height, width) of the image reaching a network node on the phone: the nearest resize upstream."""
    current = node_id
    for _ in range(len(compiled.nodes)):
        edge = compiled.nodes[current].inputs.get("image")
        if edge is None or edge.previous:
            return None
        current = edge.node
        if compiled.nodes[current].op.name == "resize":
            values = phone_params(compiled, current)
            return values["height"], values["width"]
    return None


def check_capabilities(compiled: CompiledGraph) -> list[str]:
    """Refuse what the phone cannot run (every problem at once); return notes on what is replaced."""
    where = str(compiled.file) if compiled.file else "<pipeline>"
    problems: list[Problem] = []
    notes: list[str] = []
    for node_id in compiled.order:
        node = compiled.nodes[node_id]
        name = node.op.name
        cap = CAPABILITIES.get(name)
        if cap is None:
            reason = REFUSED.get(name, "the Android runtime has no such operator")
            problems.append(Problem(f"op '{name}' cannot run on Android: {reason}", where, node=node_id))
            continue
        if cap.note:
            notes.append(f"{node_id} ({name} → {cap.android_op}): {cap.note}")
        values = phone_params(compiled, node_id)
        if name == "resize" and node.params.mode == "aspect":  # type: ignore[attr-defined]
            notes.append(
                f"{node_id} (resize, mode aspect): a stretch to {values['width']}×{values['height']}, "
                f"the size its rule gives for the camera's {CAMERA_SIZE[1]}×{CAMERA_SIZE[0]} frames"
            )
        for param, value in values.items():
            rule = cap.params.get(param)
            if rule is None:
                problems.append(
                    Problem(
                        f"parameter '{param}' of op '{name}' is not supported by the Android runtime",
                        where,
                        node=node_id,
                        field=param,
                    )
                )
                continue
            refusal = rule.refusal(value)
            if refusal:
                problems.append(Problem(refusal, where, node=node_id, field=param))
            elif rule.host_only and value != type(node.params).model_fields[param].default:
                notes.append(f"{node_id}.{param} = {value!r} is ignored on the phone: {rule.host_only}")
    if problems:
        raise PipelineError(*problems)
    return notes


def _safe_name(name: str) -> str:
    cleaned = _SAFE.sub("_", Path(name).name).lstrip(".")
    return cleaned or "model"


def _model_section(compiled: CompiledGraph, node_id: str, files: dict[str, Path | bytes]) -> dict[str, Any]:
    """Model file, labels and how to feed and read the model; registers the files to copy."""
    params = compiled.nodes[node_id].params
    base = compiled.file.parent if compiled.file else None
    size = network_size(compiled, node_id)
    path, entry = resolve_model(params.model, base_dir=base, download=False, size=size)
    model = load_model(path, entry, 1, params.delegate, params.mean, params.std)
    sig = model.signature
    meaning = entry.output if entry else None
    channels = sig.output_shape[-1] if len(sig.output_shape) == 4 else 1
    if sig.output_dtype in ("int64", "int32", "uint8", "int8") and model.output_quant[0] == 0.0:
        meaning = "labels"
    elif meaning is None or meaning == "labels":
        meaning = "probability" if channels == 1 else "logits"
    labels = entry.labels if entry else VOC_LABELS
    classes = 2 if meaning == "probability" else (len(labels) if meaning == "labels" else channels)
    model_rel = f"models/{_safe_name(path.name)}"
    labels_rel = f"labels/{_safe_name(Path(path.name).stem)}.txt"
    files.setdefault(model_rel, path)
    files.setdefault(labels_rel, ("\n".join(labels) + "\n").encode())
    return {
        "file": model_rel,
        "labels_file": labels_rel,
        "classes": classes,
        "input": {
            "height": sig.input_size[0],
            "width": sig.input_size[1],
            "dtype": sig.input_dtype,
            "normalization": list(model.normalization) if model.normalization else None,
            "quantization": [model.input_quant[0], model.input_quant[1]],
        },
        "output": {
            "shape": list(sig.output_shape),
            "dtype": sig.output_dtype,
            "meaning": meaning,
            "quantization": [model.output_quant[0], model.output_quant[1]],
            "positive_class": entry.positive_class if entry else 1,
        },
    }


def graph_document(
    compiled: CompiledGraph, notes: list[str], files: dict[str, Path | bytes]
) -> dict[str, Any]:
    """The graph.json document (validated against the schema by the caller)."""
    nodes = []
    for node_id in compiled.order:
        node = compiled.nodes[node_id]
        cap = CAPABILITIES[node.op.name]
        params = {
            k: v
            for k, v in phone_params(compiled, node_id).items()
            if not (cap.params.get(k) and cap.params[k].host_only)
        }
        item: dict[str, Any] = {
            "id": node_id,
            "op": cap.android_op,
            "host_op": node.op.name,
            "params": params,
            "inputs": {
                port: {
                    "from": edge.source,
                    "previous": edge.previous,
                    **({"delay": edge.delay} if edge.delay > 1 else {}),
                }
                for port, edge in node.inputs.items()
            },
            "outputs": {
                port.name: {"kind": str(port.kind), "shape": list(shape)}
                for port in node.op.outputs
                if (shape := compiled.shapes.get((node_id, port.name))) is not None
            },
        }
        if node.op.name == "tflite_infer":
            item["model"] = _model_section(compiled, node_id, files)
            del item["params"]["model"]
            if node.workers > 1:  # Android runs one interpreter per node: give it the threads instead
                threads = phone_threads(node.params.num_threads, node.workers)
                item["params"]["num_threads"] = threads
                notes.append(
                    f"node '{node_id}': workers {node.workers} × {node.params.num_threads} thread(s) on the "
                    f"host → one interpreter with {threads} threads on Android"
                )
        nodes.append(item)
    return {
        "$schema": SCHEMA_ID,
        "schema_version": SCHEMA_VERSION,
        "name": compiled.spec.name or (compiled.file.stem if compiled.file else "pipeline"),
        "description": compiled.spec.description,
        "mode": compiled.spec.mode,
        "capabilities_version": CAPABILITIES_VERSION,
        "compiled_by": _compiler_version(),
        "order": list(compiled.order),
        "notes": notes,
        "nodes": nodes,
    }


def _inside(root: Path, rel: str) -> Path:
    target = (root / rel).resolve()
    if not target.is_relative_to(root.resolve()) or target == root.resolve():
        raise UserError(f"refusing to write '{rel}': it would land outside the bundle folder")
    return target


def _write(root: Path, files: dict[str, Path | bytes]) -> dict[str, str]:
    digests: dict[str, str] = {}
    for rel, content in sorted(files.items()):
        target = _inside(root, rel)
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            shutil.copyfile(content, target)
        digests[rel] = sha256_of(target)
    return digests


def _prepare_target(out: Path) -> None:
    if out.is_symlink():
        raise UserError(f"{out}: is a symbolic link; give a plain folder for the bundle")
    if out.exists() and not out.is_dir():
        raise UserError(f"{out}: exists and is not a folder")
    if out.is_dir() and any(out.iterdir()) and not (out / MANIFEST).is_file():
        raise UserError(f"{out}: folder is not empty and holds no bundle; give an empty or new folder")


def compile_bundle(compiled: CompiledGraph, out: Path) -> Bundle:
    """Check the graph against the phone's capabilities and write the bundle into `out`."""
    notes = check_capabilities(compiled)
    _prepare_target(out)
    contents: dict[str, Path | bytes] = {}
    document = graph_document(compiled, notes, contents)
    problems = validate(document)
    if problems:  # a compiler bug, not a user error: the schema and the compiler disagree
        raise RuntimeError("graph.json does not conform to its schema: " + "; ".join(problems))
    contents[GRAPH] = (json.dumps(document, indent=2) + "\n").encode()
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"{out.parent}: cannot create the folder ({exc.strerror})") from None
    work = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}."))
    work.chmod(0o755)
    try:
        digests = _write(work, contents)
        manifest = {
            "manifest_version": 1,
            "schema_version": SCHEMA_VERSION,
            "files": {
                rel: {"sha256": digest, "size": (work / rel).stat().st_size}
                for rel, digest in digests.items()
            },
        }
        (work / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
        _swap_into_place(work, out)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return Bundle(out, digests, notes)


def _swap_into_place(work: Path, out: Path) -> None:
    old = None
    if out.exists():
        old = out.with_name(f".{out.name}.old-{work.name[-8:]}")
        out.rename(old)
    try:
        work.rename(out)
    except BaseException:
        if old is not None:
            old.rename(out)
        raise
    if old is not None:
        with contextlib.suppress(OSError):
            shutil.rmtree(old)
