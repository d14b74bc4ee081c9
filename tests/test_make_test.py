"""`make test`'s Java part (tools/android_test.sh): installs as root with apt, else one SKIPPED line."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "tools" / "android_test.sh"
#: files that only need to exist for the checks under test (the script tests them with -f)
PRESENT = {"ANDROID_JAR": str(SCRIPT), "DX_JAR": str(SCRIPT)}


def _run(env: dict[str, str], *prefix: str) -> subprocess.CompletedProcess[str]:
    base = {"PATH": os.environ["PATH"], "HOME": "/tmp", **PRESENT}
    command = [*prefix, "/bin/bash", str(SCRIPT), "--check"]
    return subprocess.run(
        command, env={**base, **env}, capture_output=True, text=True, timeout=30, check=False
    )


def _as_non_root() -> tuple[str, ...]:
    """Run as `nobody` when we are root (a real non-root process), else as ourselves."""
    if os.geteuid() != 0:
        return ()
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("root without setpriv: cannot start a non-root process")
    return (setpriv, "--reuid=nobody", "--regid=nogroup", "--clear-groups")


def test_without_javac_one_skipped_line() -> None:
    done = _run({"PATH": "/var/empty"})
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "SKIPPED the Android build and JUnit tests: javac not found (install a JDK and the tools: "
        "apt-get install openjdk-17-jdk-headless junit5 libandroid-json-java aapt zipalign apksigner dexdump)"
    ]
    assert done.stderr == ""


def test_non_root_names_what_to_install_and_skips() -> None:
    if shutil.which("javac") is None:
        pytest.skip("no javac here: the javac line is tested above")
    done = _run({"JUNIT_JAR": "/nonexistent/junit.jar"}, *_as_non_root())
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 1 and lines[0].startswith(
        "SKIPPED the Android build and JUnit tests: missing Debian"
    )
    assert "junit5" in lines[0] and "apt-get install junit5" in lines[0]
    assert done.stderr == ""


def test_root_with_apt_would_install() -> None:
    if os.geteuid() != 0 or shutil.which("apt-get") is None or shutil.which("javac") is None:
        pytest.skip("needs root, apt-get and javac")
    done = _run({"JUNIT_JAR": "/nonexistent/junit.jar"})
    assert done.returncode == 0 and done.stdout.splitlines()[0].startswith("would install: junit5")


def test_skip_switch_and_missing_shared_jars() -> None:
    done = _run({"JEJUNET_SKIP_ANDROID": "1"})
    assert done.stdout.strip() == "SKIPPED the Android build and JUnit tests: JEJUNET_SKIP_ANDROID=1"
    if shutil.which("javac") is not None:
        done = _run({"ANDROID_JAR": "/nonexistent/android-23.jar"})
        assert done.returncode == 0 and done.stdout.startswith("SKIPPED") and "android-23.jar" in done.stdout
