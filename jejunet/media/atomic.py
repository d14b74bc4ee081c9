"""Atomic outputs: write to a temporary file beside the target, rename on success.

Every failure names the user's path and a plain reason (never our temporary file or a Python
exception name), folders created for an output that never came are removed again, and
`check_output` refuses an unwritable path before a run starts, creating nothing.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from jejunet.errors import MediaError

_UMASK = os.umask(0)
os.umask(_UMASK)
FILE_MODE = 0o666 & ~_UMASK  # what a plain open() would give; mkstemp alone gives 0600
DIR_MODE = 0o777 & ~_UMASK  # what a plain mkdir would give; mkdtemp alone gives 0700


def plain_reason(exc: BaseException) -> str:
    """'permission denied', 'no space left on device', …: the OS's words, without any path."""
    code = getattr(exc, "errno", None)
    text = getattr(exc, "strerror", None) or (os.strerror(code) if isinstance(code, int) else None)
    if not text:
        text = str(exc).split(":")[0] or type(exc).__name__
    return str(text).strip().rstrip(".").lower()


def nearest_existing(path: Path) -> Path:
    """`path` itself or its nearest parent that exists (where a missing folder would be created)."""
    for parent in (path, *path.parents):
        if parent.exists():
            return parent
    return Path(".")


def check_output(path: Path, folder: bool = False, label: str = "") -> None:
    """Refuse, in one line naming `path`, an output file (or `folder`) that cannot be written there.

    Nothing is created. `label` (a flag or node) starts the message when given.
    """
    name = f"{label} {path}" if label else str(path)
    if path.is_dir() and not folder:
        raise MediaError(f"{name}: is a folder, expected a file path")
    if path.exists() and folder and not path.is_dir():
        raise MediaError(f"{name}: is a file, expected a folder")
    if path.exists() and not folder and not path.is_file():  # renaming onto /dev/null would replace it
        raise MediaError(f"{name}: is not a regular file (a device, pipe or socket); give a file path")
    base = (
        path if folder and path.is_dir() else nearest_existing(path.parent if str(path.parent) else Path("."))
    )
    if not base.is_dir():
        raise MediaError(f"{name}: cannot create the output folder ({base} is a file)")
    if not os.access(base, os.W_OK | os.X_OK):
        target_dir = path if folder else path.parent
        if base in (target_dir, path):
            raise MediaError(f"{name}: the output folder is not writable")
        raise MediaError(f"{name}: cannot create the output folder ({base} is not writable)")


def check_outputs(outputs: Iterable[tuple[Path | None, bool, str]]) -> None:
    """`check_output` on each (path, folder, label) given (None: not asked for); one line per problem."""
    problems = []
    for path, folder, label in outputs:
        if path is None:
            continue
        try:
            check_output(path, folder, label)
        except MediaError as exc:
            problems.extend(exc.problems)
    if problems:
        raise MediaError(*problems)


def make_dirs(directory: Path) -> list[Path]:
    """Create `directory` and missing parents; return those created (outermost first)."""
    missing = [p for p in (directory, *directory.parents) if not p.exists()][::-1]
    for index, folder in enumerate(missing):
        try:
            folder.mkdir()
        except FileExistsError:
            continue
        except OSError as exc:
            remove_empty(missing[:index])
            raise MediaError(f"{directory}: cannot create the output folder ({plain_reason(exc)})") from None
    return missing


def remove_empty(created: list[Path]) -> None:
    """Remove folders `make_dirs` created, innermost first, as long as they are empty."""
    for folder in reversed(created):
        try:
            folder.rmdir()
        except OSError:
            return


def prepare_output_dir(directory: Path) -> Path:
    """Create `directory` if needed and check that files can be created in it."""
    make_dirs(directory)
    if not directory.is_dir():
        raise MediaError(f"{directory}: is not a folder")
    if not os.access(directory, os.W_OK | os.X_OK):
        raise MediaError(f"{directory}: the output folder is not writable")
    return directory


class AtomicPath:
    """A temporary path beside `target`; `commit` renames it onto the target, `discard` removes it.

    Folders created for the target are removed again by `discard` when they stay empty.
    """

    def __init__(self, target: Path, suffix: str = "") -> None:
        self.target = target
        check_output(target)
        parent = target.parent if str(target.parent) else Path(".")
        self.created = make_dirs(parent)
        try:
            fd, name = tempfile.mkstemp(dir=parent, prefix=f".{target.name}.", suffix=suffix or ".part")
        except OSError as exc:
            remove_empty(self.created)
            raise MediaError(f"{target}: cannot be written ({plain_reason(exc)})") from None
        os.close(fd)
        self.temp = Path(name)

    def commit(self) -> None:
        try:
            os.chmod(self.temp, FILE_MODE)
            os.replace(self.temp, self.target)
        except OSError as exc:
            self.discard()
            raise MediaError(f"{self.target}: cannot be written ({plain_reason(exc)})") from None

    def discard(self) -> None:
        self.temp.unlink(missing_ok=True)
        remove_empty(self.created)


def write_bytes_atomic(target: Path, data: bytes) -> None:
    """Write a whole file atomically; failures name `target` and a plain reason."""
    tmp = AtomicPath(target)
    try:
        tmp.temp.write_bytes(data)
    except OSError as exc:
        tmp.discard()
        raise MediaError(f"{target}: cannot be written ({plain_reason(exc)})") from None
    except BaseException:
        tmp.discard()
        raise
    tmp.commit()
