"""Shared fixtures: the team's real models and media in ../shared, and an in-process CLI runner."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from jejunet.cli.main import main

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
PIPELINES = REPO / "pipelines"
BAD = Path(__file__).resolve().parent / "pipelines"


def _need(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"{path} is not available (tests read models and media from ../shared)")
    return path


@pytest.fixture(scope="session")
def shared() -> Path:
    return _need(SHARED)


@pytest.fixture(scope="session")
def bikes(shared: Path) -> Path:
    return _need(shared / "media" / "bikes.mp4")


@pytest.fixture(scope="session")
def voc_dir(shared: Path) -> Path:
    return _need(shared / "media" / "voc_labelme")


@pytest.fixture(scope="session")
def deeplab_model(shared: Path) -> Path:
    return _need(shared / "models" / "deeplabv3_mnv2_voc_256_uint8.tflite")


@pytest.fixture(scope="session")
def selfie_model(shared: Path) -> Path:
    return _need(shared / "models" / "selfie_segmentation_256.tflite")


@dataclass
class CliResult:
    code: int
    out: str
    err: str

    @property
    def err_lines(self) -> list[str]:
        return [line for line in self.err.splitlines() if line.strip()]


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]):
    """Run `jejunet ARGS...` in-process; returns exit code, stdout and stderr."""

    def run(*args: str | Path) -> CliResult:
        capsys.readouterr()
        try:
            code = main([str(a) for a in args])
        except SystemExit as exc:  # argparse usage errors
            code = int(exc.code or 0)
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run
