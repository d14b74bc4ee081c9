"""Assets: verified local copies first, then the public source — tested against servers on 127.0.0.1."""

from __future__ import annotations

import functools
import hashlib
import http.server
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from jejunet.assets import Asset, UrlSource, WheelMemberSource, resolve
from jejunet.errors import AssetError


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    root = tmp_path / "www"
    root.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", root
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("JEJUNET_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("JEJUNET_SHARED", str(tmp_path / "no-shared"))
    return tmp_path / "cache"


def _asset(data: bytes, source) -> Asset:
    return Asset("thing.bin", hashlib.sha256(data).hexdigest(), "models", source)


def test_download_verify_and_cache(server, cache: Path) -> None:
    url, root = server
    data = b"model bytes" * 100
    (root / "m.bin").write_bytes(data)
    asset = _asset(data, UrlSource(f"{url}/m.bin"))
    with pytest.raises(AssetError, match="not found locally"):
        resolve(asset, download=False)
    path = resolve(asset)
    assert path == cache / "thing.bin" and path.read_bytes() == data
    (root / "m.bin").unlink()  # cached now: no second download
    assert resolve(asset) == path


def test_sha_mismatch_is_refused_and_not_cached(server, cache: Path) -> None:
    url, root = server
    (root / "m.bin").write_bytes(b"tampered")
    asset = _asset(b"original", UrlSource(f"{url}/m.bin"))
    with pytest.raises(AssetError, match="sha256 mismatch"):
        resolve(asset)
    assert not (cache / "thing.bin").exists()


def test_unreachable_source(cache: Path) -> None:
    asset = _asset(b"x", UrlSource("http://127.0.0.1:9/nothing"))
    with pytest.raises(AssetError, match="cannot download"):
        resolve(asset)


def test_from_dir_is_preferred(tmp_path: Path, cache: Path) -> None:
    data = b"local copy"
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "thing.bin").write_bytes(data)
    asset = _asset(data, UrlSource("http://127.0.0.1:9/unused"))
    assert resolve(asset, from_dir=folder) == folder / "thing.bin"
    (folder / "thing.bin").write_bytes(b"changed")
    with pytest.raises(AssetError, match="sha256 mismatch"):
        resolve(asset, from_dir=folder)


def test_wheel_member_through_pip_from_a_local_index(server, cache: Path, monkeypatch) -> None:
    """The real `pip download` against a PEP 503 index served on 127.0.0.1."""
    url, root = server
    member = b"tflite flatbuffer stand-in" * 50
    wheel_dir = root / "simple" / "fakepkg"
    wheel_dir.mkdir(parents=True)
    wheel = wheel_dir / "fakepkg-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as z:
        z.writestr("fakepkg/models/m.tflite", member)
        z.writestr("fakepkg-1.0.dist-info/METADATA", "Metadata-Version: 2.1\nName: fakepkg\nVersion: 1.0\n")
        z.writestr(
            "fakepkg-1.0.dist-info/WHEEL", "Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
        )
        z.writestr("fakepkg-1.0.dist-info/RECORD", "")
    (wheel_dir / "index.html").write_text(f'<a href="{wheel.name}">{wheel.name}</a>')
    monkeypatch.setenv("PIP_CONFIG_FILE", "/dev/null")
    monkeypatch.setenv("PIP_INDEX_URL", f"{url}/simple/")
    monkeypatch.delenv("PIP_EXTRA_INDEX_URL", raising=False)
    monkeypatch.delenv("PIP_FIND_LINKS", raising=False)
    asset = _asset(member, WheelMemberSource("fakepkg", "1.0", "fakepkg/models/m.tflite"))
    assert resolve(asset).read_bytes() == member
    missing = _asset(member, WheelMemberSource("fakepkg", "1.0", "fakepkg/nope.tflite"))
    (cache / "thing.bin").unlink()
    with pytest.raises(AssetError, match="has no member"):
        resolve(missing)


def test_from_dir_must_exist_and_hold_the_asset(tmp_path: Path, cache: Path) -> None:
    """`--from DIR` never falls back to another source: a missing folder or file is one clear error."""
    data = b"local copy"
    asset = _asset(data, UrlSource("http://127.0.0.1:9/unused"))
    (cache).mkdir()
    (cache / "thing.bin").write_bytes(data)  # a valid cached copy must not be used instead
    with pytest.raises(AssetError, match=r"--from .*missing: no such folder"):
        resolve(asset, from_dir=tmp_path / "missing")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(AssetError, match=r"has no thing\.bin \(nor models/thing\.bin\)"):
        resolve(asset, from_dir=empty)
    (empty / "models").mkdir()
    (empty / "models" / "thing.bin").write_bytes(data)
    assert resolve(asset, from_dir=empty) == empty / "models" / "thing.bin"
