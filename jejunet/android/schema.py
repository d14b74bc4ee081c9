"""The versioned JSON Schema of `graph.json` and a small validator for the subset it uses.

The committed copy, `android_bridge/schema/graph.schema.json`, is this dict written out (a test
keeps them equal); the Java runtime reads `schema_version` and refuses versions it does not know.
"""

from __future__ import annotations

import json
import re
from typing import Any

SCHEMA_VERSION = 1
SCHEMA_ID = f"https://jejunet.org/schemas/android-graph-{SCHEMA_VERSION}.json"

_ID = r"^[A-Za-z_][A-Za-z0-9_]*$"
_REL_PATH = r"^(models|labels)/[A-Za-z0-9._-]+$"
_SHAPE = {"type": ["array", "null"], "items": {"type": ["integer", "null"]}, "minItems": 2, "maxItems": 2}

SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": SCHEMA_ID,
    "title": "JejuNet Android graph",
    "description": "A pipeline compiled for the Android runtime (android_bridge/core). Frames "
    "(frame.bgr8 on the host) travel as ARGB_8888 int[] on the phone.",
    "type": "object",
    "required": ["schema_version", "name", "mode", "capabilities_version", "order", "nodes"],
    "additionalProperties": False,
    "properties": {
        "$schema": {"type": "string"},
        "schema_version": {"const": SCHEMA_VERSION},
        "name": {"type": "string"},
        "description": {"type": "string"},
        "mode": {"enum": ["offline", "realtime"]},
        "capabilities_version": {"type": "integer", "minimum": 1},
        "compiled_by": {"type": "string"},
        "order": {"type": "array", "items": {"type": "string", "pattern": _ID}, "minItems": 1},
        "notes": {"type": "array", "items": {"type": "string"}},
        "nodes": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/node"}},
    },
    "$defs": {
        "node": {
            "type": "object",
            "required": ["id", "op", "host_op", "params", "inputs", "outputs"],
            "additionalProperties": False,
            "properties": {
                "id": {"type": "string", "pattern": _ID},
                "op": {
                    "enum": [
                        "camera",
                        "resize",
                        "tflite_infer",
                        "upsample",
                        "overlay",
                        "display",
                        "keyframe_gate",
                        "optical_flow",
                        "warp",
                        "late_result",
                    ]
                },
                "host_op": {"type": "string"},
                "params": {"type": "object"},
                "model": {"$ref": "#/$defs/model"},
                "inputs": {"type": "object", "additionalProperties": {"$ref": "#/$defs/edge"}},
                "outputs": {"type": "object", "additionalProperties": {"$ref": "#/$defs/port"}},
            },
        },
        "edge": {
            "type": "object",
            "required": ["from", "previous"],
            "additionalProperties": False,
            "properties": {
                "from": {"type": "string", "pattern": r"^[A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*$"},
                "previous": {"type": "boolean"},
                "delay": {"type": "integer", "minimum": 2, "maximum": 128},
            },
        },
        "port": {
            "type": "object",
            "required": ["kind", "shape"],
            "additionalProperties": False,
            "properties": {"kind": {"type": "string"}, "shape": _SHAPE},
        },
        "model": {
            "type": "object",
            "required": ["file", "labels_file", "input", "output", "classes"],
            "additionalProperties": False,
            "properties": {
                "file": {"type": "string", "pattern": _REL_PATH},
                "labels_file": {"type": "string", "pattern": _REL_PATH},
                "classes": {"type": "integer", "minimum": 1},
                "input": {
                    "type": "object",
                    "required": ["height", "width", "dtype", "normalization", "quantization"],
                    "additionalProperties": False,
                    "properties": {
                        "height": {"type": "integer", "minimum": 1},
                        "width": {"type": "integer", "minimum": 1},
                        "dtype": {"enum": ["uint8", "int8", "float32"]},
                        "normalization": {"type": ["array", "null"], "items": {"type": "number"}},
                        "quantization": {"type": "array", "items": {"type": "number"}},
                    },
                },
                "output": {
                    "type": "object",
                    "required": ["shape", "dtype", "meaning", "quantization", "positive_class"],
                    "additionalProperties": False,
                    "properties": {
                        "shape": {"type": "array", "items": {"type": "integer"}},
                        "dtype": {"enum": ["uint8", "int8", "int32", "int64", "float32"]},
                        "meaning": {"enum": ["labels", "probability", "softmax", "logits"]},
                        "quantization": {"type": "array", "items": {"type": "number"}},
                        "positive_class": {"type": "integer", "minimum": 0, "maximum": 255},
                    },
                },
            },
        },
    },
}

MANIFEST_SCHEMA_VERSION = 1

_TYPES = {
    "object": dict,
    "array": list,
    "string": str,
    "boolean": bool,
    "null": type(None),
}


def _type_ok(value: Any, name: str) -> bool:
    if name == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if name == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    return isinstance(value, _TYPES[name])


def _scalar_problems(value: Any, schema: dict[str, Any], path: str) -> list[str]:
    """const, enum, pattern, minimum and maximum."""
    problems: list[str] = []
    if "const" in schema and value != schema["const"]:
        problems.append(f"{path}: expected {schema['const']!r}, got {value!r}")
    if "enum" in schema and value not in schema["enum"]:
        problems.append(f"{path}: {value!r} is not one of {schema['enum']}")
    if isinstance(value, str) and "pattern" in schema and not re.search(schema["pattern"], value):
        problems.append(f"{path}: {value!r} does not match {schema['pattern']}")
    if _type_ok(value, "number") and "minimum" in schema and value < schema["minimum"]:
        problems.append(f"{path}: {value} < {schema['minimum']}")
    if _type_ok(value, "number") and "maximum" in schema and value > schema["maximum"]:
        problems.append(f"{path}: {value} > {schema['maximum']}")
    return problems


def _list_problems(value: list[Any], schema: dict[str, Any], path: str) -> list[str]:
    problems: list[str] = []
    if len(value) < schema.get("minItems", 0) or len(value) > schema.get("maxItems", len(value)):
        problems.append(f"{path}: {len(value)} items")
    if "items" in schema:
        for i, item in enumerate(value):
            problems += validate(item, schema["items"], f"{path}[{i}]")
    return problems


def _object_problems(value: dict[str, Any], schema: dict[str, Any], path: str) -> list[str]:
    problems = [f"{path}: missing '{key}'" for key in schema.get("required", []) if key not in value]
    props = schema.get("properties", {})
    extra = schema.get("additionalProperties", True)
    for key, item in value.items():
        if key in props:
            problems += validate(item, props[key], f"{path}.{key}")
        elif extra is False:
            problems.append(f"{path}: unexpected '{key}'")
        elif isinstance(extra, dict):
            problems += validate(item, extra, f"{path}.{key}")
    return problems


def validate(value: Any, schema: dict[str, Any] | None = None, path: str = "$") -> list[str]:
    """Problems of `value` against the schema subset used above (empty when it conforms)."""
    schema = SCHEMA if schema is None else schema
    if "$ref" in schema:
        schema = SCHEMA["$defs"][schema["$ref"].rsplit("/", 1)[1]]
    types = schema.get("type")
    if types is not None:
        names = types if isinstance(types, list) else [types]
        if not any(_type_ok(value, n) for n in names):
            return [f"{path}: expected {' or '.join(names)}, got {type(value).__name__}"]
    problems = _scalar_problems(value, schema, path)
    if isinstance(value, list):
        problems += _list_problems(value, schema, path)
    if isinstance(value, dict):
        problems += _object_problems(value, schema, path)
    return problems


def as_json() -> str:
    """The schema as the committed file holds it."""
    return json.dumps(SCHEMA, indent=2) + "\n"


if __name__ == "__main__":
    print(as_json(), end="")
