"""The graph as Graphviz DOT or Mermaid text: nodes with their operator, edges with port kinds.

Feedback edges (`previous: true`) are dashed; an edge's queue is shown when the file sets it.
"""

from __future__ import annotations

import json

from jejunet.graph.compiler import CompiledGraph
from jejunet.graph.queues import edge_queues, effective_mode


def _edge_label(port: str, key: str, kind: str, queue: str | None) -> str:
    name = port if port == key else f"{port} → {key}"
    return f"{name} [{kind}]" + (f" {queue}" if queue else "")


def _queues(compiled: CompiledGraph) -> dict[tuple[str, str], str]:
    """`policy×size` of the edges whose queue the file sets, by (destination node, input)."""
    return {
        (q.dst, q.input): f"{q.policy}×{q.size}"
        for q in edge_queues(compiled, effective_mode(compiled))
        if q.explicit
    }


def _q(text: str) -> str:
    """A DOT string literal (\\n, \\" escaped; UTF-8 kept)."""
    return json.dumps(text, ensure_ascii=False)


def to_dot(compiled: CompiledGraph) -> str:
    """Graphviz DOT (`dot -Tsvg`)."""
    queues = _queues(compiled)
    name = compiled.spec.name or "pipeline"
    lines = [f"digraph {_q(name)} {{", "  rankdir=LR;", '  node [shape=box, fontname="Helvetica"];']
    for nid in compiled.order:
        op = compiled.nodes[nid].op
        shape = ', shape="invhouse"' if op.is_source else ""
        lines.append(f"  {_q(nid)} [label={_q(nid + chr(10) + op.name)}{shape}];")
    for u, v, key, d in compiled.graph.edges(keys=True, data=True):
        label = _edge_label(d["port"], key, d["kind"], queues.get((v, key)))
        style = ", style=dashed, constraint=false" if d["previous"] else ""
        lines.append(f"  {_q(u)} -> {_q(v)} [label={_q(label)}{style}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _mermaid_text(text: str) -> str:
    return text.replace('"', "#quot;")


def to_mermaid(compiled: CompiledGraph) -> str:
    """A Mermaid flowchart (renders in GitHub Markdown)."""
    queues = _queues(compiled)
    lines = ["flowchart LR"]
    for nid in compiled.order:
        op = compiled.nodes[nid].op
        text = _mermaid_text(f"{nid}<br/>{op.name}")
        lines.append(f'  {nid}[/"{text}"/]' if op.is_source else f'  {nid}["{text}"]')
    for u, v, key, d in compiled.graph.edges(keys=True, data=True):
        label = _mermaid_text(_edge_label(d["port"], key, d["kind"], queues.get((v, key))))
        arrow = "-.->" if d["previous"] else "-->"
        lines.append(f'  {u} {arrow}|"{label}"| {v}')
    return "\n".join(lines) + "\n"
