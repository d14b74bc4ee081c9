"""An output folder written whole or not at all: files go to a hidden folder beside the target,
which is renamed onto the target on success and removed on failure."""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from pathlib import Path

from jejunet.errors import MediaError
from jejunet.media.atomic import (
    DIR_MODE,
    check_output,
    make_dirs,
    plain_reason,
    prepare_output_dir,
    remove_empty,
)


class AtomicDir:
    """A temporary folder beside `target`; `commit` puts it in the target's place, `discard` removes it.

    A folder already at the target is replaced on commit (a previous run's output), never merged;
    it may hold only files ending in one of `replaceable` (so a wrong path never wipes a folder;
    None: the caller has checked what the folder holds, e.g. `jejunet synth` its own meta.json).
    Parent folders it had to create are removed again by `discard`. A path that cannot be a
    folder, and a file that cannot be written or committed, are a MediaError naming `target` and
    `what` the folder holds.
    """

    def __init__(self, target: Path, replaceable: tuple[str, ...] | None, what: str = "the files") -> None:
        self.target, self.what = target, what
        check_output(target, folder=True)
        parent = target.parent if str(target.parent) else Path(".")
        self.created = make_dirs(parent)
        try:
            prepare_output_dir(parent)
            _check_replaceable(target, replaceable)
            self.temp = Path(tempfile.mkdtemp(dir=parent, prefix=f".{target.name}.", suffix=".part"))
        except BaseException:
            remove_empty(self.created)
            raise
        self.temp.chmod(DIR_MODE)

    def _failed(self, exc: OSError) -> MediaError:
        return MediaError(f"{self.target}: cannot write {self.what} ({plain_reason(exc)})")

    def write(self, name: str, data: bytes) -> None:
        """Write the file `name` of the folder (into the temporary folder until `commit`)."""
        try:
            (self.temp / name).write_bytes(data)
        except OSError as exc:
            raise self._failed(exc) from None

    def commit(self) -> None:
        """Put the folder in the target's place; on failure it is discarded and a previous output
        that was moved aside is put back."""
        old = None
        try:
            if self.target.exists():
                old = Path(
                    tempfile.mkdtemp(dir=self.temp.parent, prefix=f".{self.target.name}.", suffix=".old")
                )
                self.target.rename(old / "previous")
            self.temp.rename(self.target)
        except OSError as exc:
            if old is not None:
                self._put_back(old)
            self.discard()
            raise self._failed(exc) from None
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)

    def _put_back(self, old: Path) -> None:
        """The previous output, moved aside for a commit that failed, back at the target."""
        previous = old / "previous"
        if previous.exists() and not self.target.exists():
            with contextlib.suppress(OSError):
                previous.rename(self.target)
        if not previous.exists():  # else it stays in the hidden folder rather than being lost
            shutil.rmtree(old, ignore_errors=True)

    def discard(self) -> None:
        shutil.rmtree(self.temp, ignore_errors=True)
        remove_empty(self.created)


def _check_replaceable(target: Path, replaceable: tuple[str, ...] | None) -> None:
    """Refuse a target that is a file, or a folder holding files a commit must not wipe."""
    if target.exists() and not target.is_dir():
        raise MediaError(f"{target}: is a file, expected a folder path")
    if target.is_dir() and replaceable is not None:
        others = [p.name for p in target.iterdir() if not p.name.endswith(replaceable)]
        if others:
            raise MediaError(
                f"{target}: the folder holds other files ({', '.join(sorted(others)[:3])}); "
                "choose a new or empty folder (it is replaced whole)"
            )
