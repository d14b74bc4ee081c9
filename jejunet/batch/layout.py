"""Where a video's outputs go, and the atomic commit: a temporary folder renamed into place.

`DIR/<name>/` appears only complete: the outputs are written into `DIR/.<name>.partial-XXXX/`, the
marker `.complete` is written last, then the folder is renamed onto `DIR/<name>`. A folder at
`DIR/<name>` without the marker (an older, interrupted layout) is partial and is redone.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from jejunet.media.atomic import DIR_MODE, write_bytes_atomic

MARKER = ".complete"
CHUNKS = ".chunks"


def final_dir(out: Path, name: str) -> Path:
    return out / name


def is_complete(out: Path, name: str) -> bool:
    return (final_dir(out, name) / MARKER).is_file()


def read_marker(out: Path, name: str) -> dict[str, Any] | None:
    """The row stored in a complete video's marker, or None when it is not complete."""
    try:
        return json.loads((final_dir(out, name) / MARKER).read_text())
    except (OSError, ValueError):
        return None


def temp_dir(parent: Path, name: str) -> Path:
    """A fresh hidden folder beside the final one (same file system, so the rename is atomic)."""
    parent.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(dir=parent, prefix=f".{name}.partial-"))
    os.chmod(folder, DIR_MODE)  # what a plain mkdir gives; mkdtemp alone gives 0700
    return folder


def chunk_root(out: Path, name: str) -> Path:
    """Where the chunks of a chunked video are kept until they are stitched."""
    return out / f".{name}{CHUNKS}"


def commit(folder: Path, target: Path, marker: dict[str, Any] | None = None) -> None:
    """Write the marker (when given) last inside `folder`, then rename it onto `target`."""
    if marker is not None:
        write_bytes_atomic(folder / MARKER, (json.dumps(marker, indent=2) + "\n").encode())
    if target.exists():
        old = target.with_name(f".{target.name}.old-{os.getpid()}")
        os.replace(target, old)
        try:
            os.replace(folder, target)
        except OSError:
            os.replace(old, target)  # the previous output back in its place
            raise
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(folder, target)


def discard(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)
