"""Atomic outputs: write to a temporary file beside the target, rename on success."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from jejunet.errors import MediaError

_UMASK = os.umask(0)
os.umask(_UMASK)
FILE_MODE = 0o666 & ~_UMASK  # what a plain open() would give; mkstemp alone gives 0600


def prepare_output_dir(directory: Path) -> Path:
    """Create `directory` if needed and check that files can be created in it."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise MediaError(f"{directory}: cannot create the output folder ({exc.strerror})") from None
    if not directory.is_dir():
        raise MediaError(f"{directory}: is not a folder")
    if not os.access(directory, os.W_OK | os.X_OK):
        raise MediaError(f"{directory}: the output folder is not writable")
    return directory


class AtomicPath:
    """A temporary path beside `target`; `commit` renames it onto the target, `discard` removes it."""

    def __init__(self, target: Path, suffix: str = "") -> None:
        self.target = target
        prepare_output_dir(target.parent if str(target.parent) else Path("."))
        if target.is_dir():
            raise MediaError(f"{target}: is a folder, expected a file path")
        fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=suffix or ".part")
        os.close(fd)
        self.temp = Path(name)

    def commit(self) -> None:
        os.chmod(self.temp, FILE_MODE)
        os.replace(self.temp, self.target)

    def discard(self) -> None:
        self.temp.unlink(missing_ok=True)


def write_bytes_atomic(target: Path, data: bytes) -> None:
    """Write a whole file atomically."""
    tmp = AtomicPath(target)
    try:
        tmp.temp.write_bytes(data)
        tmp.commit()
    except BaseException:
        tmp.discard()
        raise
