"""`jejunet ops list|show`: generated from the operators themselves."""

from __future__ import annotations

import argparse
import json
from types import UnionType
from typing import Any, Literal, Union, get_args, get_origin

from jejunet.ops.base import Operator
from jejunet.ops.registry import all_operators, get_operator


def register(commands: Any) -> None:
    ops = commands.add_parser("ops", help="list and describe operators")
    sub = ops.add_subparsers(dest="ops_command", required=True, metavar="ACTION")
    p = sub.add_parser("list", help="every operator, one line each")
    p.set_defaults(handler=cmd_list)
    p = sub.add_parser("show", help="one operator: parameters, defaults, ports")
    p.add_argument("op")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(handler=cmd_show)


def type_name(annotation: Any) -> str:
    """`int`, `str | None`, `one of: a|b|c` for Literal choices."""
    if get_origin(annotation) is Literal:
        return "one of: " + "|".join(str(a) for a in get_args(annotation))
    if get_origin(annotation) in (Union, UnionType):
        return " | ".join(type_name(a) for a in get_args(annotation))
    if annotation is type(None):
        return "None"
    return getattr(annotation, "__name__", None) or str(annotation).replace("typing.", "")


def describe(op: type[Operator]) -> dict[str, Any]:
    params = []
    for name, f in op.Params.model_fields.items():
        params.append(
            {
                "name": name,
                "type": type_name(f.annotation),
                "default": None if f.is_required() else f.get_default(call_default_factory=True),
                "required": f.is_required(),
                "description": f.description or "",
            }
        )
    ports = lambda ps: [  # noqa: E731
        {"name": p.name, "kind": p.kind.name, "optional": p.optional, "description": p.doc} for p in ps
    ]
    return {
        "name": op.name,
        "summary": op.summary,
        "params": params,
        "inputs": ports(op.inputs),
        "outputs": ports(op.outputs),
        "runs_network": op.runs_network,
        "source": op.is_source,
    }


def cmd_list(args: argparse.Namespace) -> int:
    ops = all_operators()
    width = max(len(n) for n in ops)
    for name, op in ops.items():
        print(f"{name:<{width}}  {op.summary}")
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    d = describe(get_operator(args.op))
    if args.json:
        print(json.dumps(d, indent=2, default=str))
        return 0
    print(f"{d['name']}: {d['summary']}")
    print("parameters:" if d["params"] else "parameters: none")
    for p in d["params"]:
        default = "required" if p["required"] else f"default {p['default']!r}"
        print(f"  {p['name']}: {p['type']} ({default})  {p['description']}")
    for title in ("inputs", "outputs"):
        print(f"{title}:" if d[title] else f"{title}: none")
        for port in d[title]:
            opt = ", optional" if port["optional"] else ""
            print(f"  {port['name']}: {port['kind']}{opt}  {port['description']}")
    return 0
