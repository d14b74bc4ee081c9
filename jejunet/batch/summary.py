"""`DIR/summary.csv` and `DIR/summary.json`: one row per video, in input order."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from jejunet.media.atomic import write_bytes_atomic

COLUMNS = (
    "video",
    "status",
    "frames",
    "keyframes",
    "fps",
    "wall_s",
    "error",
    "source",
    "attempts",
    "chunks",
    "chunk_agreement",
)


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    return round(value, 6) if isinstance(value, float) else value


def write_summary(out: Path, rows: list[dict[str, Any]], meta: dict[str, Any]) -> None:
    """Write both files atomically; `meta` (pipeline, engine, workers, totals) goes into the JSON."""
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=COLUMNS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({c: _cell(row.get(c)) for c in COLUMNS})
    write_bytes_atomic(out / "summary.csv", text.getvalue().encode())
    full = [{c: row.get(c) for c in COLUMNS} for row in rows]
    body = meta | {"videos": full}
    write_bytes_atomic(out / "summary.json", (json.dumps(body, indent=2) + "\n").encode())


def totals(rows: list[dict[str, Any]], wall_s: float) -> dict[str, Any]:
    """Counts by status, frames and the batch's wall time and throughput."""
    frames = sum(int(r.get("frames") or 0) for r in rows if r["status"] == "ok")
    by_status = {s: sum(r["status"] == s for r in rows) for s in ("ok", "skipped", "failed")}
    return by_status | {
        "videos": len(rows),
        "frames": frames,
        "wall_s": round(wall_s, 3),
        "fps": round(frames / wall_s, 2) if wall_s > 0 else 0.0,
    }
