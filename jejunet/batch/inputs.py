"""The batch's inputs: files, folders, globs and manifests expanded to videos with unique names."""

from __future__ import annotations

import glob
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import urlparse

from jejunet.errors import Problem, UserError

VIDEO_SUFFIXES = frozenset(
    {".mp4", ".mov", ".mkv", ".avi", ".webm", ".m4v", ".mpg", ".mpeg", ".ts", ".flv", ".wmv", ".3gp", ".y4m"}
)
MANIFEST_SUFFIXES = frozenset({".txt", ".list", ".lst", ".manifest"})
URL = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)


@dataclass(frozen=True)
class Video:
    """One video of the batch: its output name (unique in the batch) and its source path or URL."""

    name: str
    source: str


def _stem(source: str) -> str:
    path = PurePosixPath(urlparse(source).path) if URL.match(source) else Path(source)
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", path.stem).strip("._") or "video"
    return stem


def _folder(path: Path) -> list[str]:
    return sorted(str(p) for p in path.rglob("*") if p.is_file() and p.suffix.lower() in VIDEO_SUFFIXES)


def _manifest(path: Path, problems: list[Problem]) -> list[str]:
    sources = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(Problem(f"cannot read the manifest ({exc})", file=str(path)))
        return []
    for number, raw in enumerate(lines, 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if URL.match(line):
            sources.append(line)
            continue
        entry = Path(line) if Path(line).is_absolute() else path.parent / line
        if not entry.is_file():
            problems.append(Problem("no such video file", file=str(path), line=number, field=line))
        else:
            sources.append(str(entry))
    return sources


def _expand(item: str, problems: list[Problem]) -> list[str]:
    if URL.match(item):
        return [item]
    path = Path(item)
    if path.is_dir():
        found = _folder(path)
        if not found:
            problems.append(Problem(f"folder holds no video ({', '.join(sorted(VIDEO_SUFFIXES))})", item))
        return found
    if path.is_file():
        return _manifest(path, problems) if path.suffix.lower() in MANIFEST_SUFFIXES else [item]
    if any(ch in item for ch in "*?["):
        found = sorted(p for p in glob.glob(item, recursive=True) if Path(p).is_file())
        if not found:
            problems.append(Problem("no file matches the pattern", item))
        return found
    problems.append(Problem("no such file, folder, glob or manifest", item))
    return []


def unique_names(sources: list[str]) -> list[Video]:
    """Each source named by its stem; later ones sharing a stem get `-2`, `-3`, … (stable order)."""
    taken: set[str] = set()
    videos = []
    for source in sources:
        stem = name = _stem(source)
        n = 1
        while name.lower() in taken:
            n += 1
            name = f"{stem}-{n}"
        taken.add(name.lower())
        videos.append(Video(name, source))
    return videos


def _inside(source: str, folder: Path | None) -> bool:
    return folder is not None and not URL.match(source) and Path(source).resolve().is_relative_to(folder)


def expand_inputs(items: list[str], exclude: Path | None = None) -> list[Video]:
    """The videos of the batch, in input order, each once; UserError naming every bad input.

    Files inside `exclude` (the output folder) are left out, so a batch whose output lies inside
    an input folder does not take its own overlays as inputs the next time.
    """
    problems: list[Problem] = []
    sources: list[str] = []
    seen: set[str] = set()
    folder = exclude.resolve() if exclude is not None else None
    for item in items:
        for source in _expand(item, problems):
            key = source if URL.match(source) else str(Path(source).resolve())
            if key not in seen and not _inside(source, folder):
                seen.add(key)
                sources.append(source)
    if problems:
        raise UserError(*problems)
    if not sources:
        raise UserError("no input video")
    return unique_names(sources)
