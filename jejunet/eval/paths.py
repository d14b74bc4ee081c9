"""Output paths of the measuring commands, checked before any work starts."""

from __future__ import annotations

import os
from pathlib import Path

from jejunet.errors import UserError
from jejunet.media.atomic import nearest_existing


def check_output_file(path: Path, flag: str) -> None:
    """Fail now, in one line naming `path`, if a file cannot be written there later."""
    if path.is_dir():
        raise UserError(f"{path}: {flag} is a folder, expected a file path")
    existing = nearest_existing(path.parent if str(path.parent) else Path("."))
    if not existing.is_dir():
        raise UserError(f"{path}: cannot write {flag}: {existing} is not a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise UserError(f"{path}: cannot write {flag}: the folder {existing} is not writable")
