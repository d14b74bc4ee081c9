"""A video given by an http(s) URL is fetched into the task's folder first, then run as a file.

`graph run` treats a URL as a live stream (realtime: frames may be dropped); a batch wants every
frame of a file that happens to be remote, so it runs the downloaded copy instead.
"""

from __future__ import annotations

import shutil
import urllib.request
from pathlib import Path, PurePosixPath
from urllib.error import HTTPError, URLError
from urllib.parse import urlparse

from jejunet.errors import MediaError

FETCHED = ".source"  # the copy's name inside the task folder (removed before the commit)
TIMEOUT_S = 30.0


def is_remote_file(source: str) -> bool:
    return source.lower().startswith(("http://", "https://"))


def fetch(source: str, folder: Path) -> Path:
    """Download `source` into `folder`; MediaError naming the URL when it cannot be read."""
    suffix = PurePosixPath(urlparse(source).path).suffix or ".mp4"
    target = folder / f"{FETCHED}{suffix}"
    try:
        with urllib.request.urlopen(source, timeout=TIMEOUT_S) as response, target.open("wb") as out:
            shutil.copyfileobj(response, out, length=1 << 20)
    except HTTPError as exc:
        target.unlink(missing_ok=True)
        raise MediaError(f"{source}: cannot fetch (HTTP {exc.code} {exc.reason})") from None
    except (URLError, OSError, ValueError) as exc:
        target.unlink(missing_ok=True)
        raise MediaError(f"{source}: cannot fetch ({getattr(exc, 'reason', None) or exc})") from None
    return target
