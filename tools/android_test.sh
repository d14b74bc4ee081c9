#!/usr/bin/env bash
# `make test`, Java part: the Android runtime's build and JUnit tests (android_bridge/build.sh).
#
# What build.sh needs beyond a JDK are Debian packages (docs/android.md). As root with apt-get this
# installs the missing ones; otherwise it prints ONE line naming them and skips the Java part
# (exit 0, "SKIPPED" on stdout). Same when javac or ../shared/android is missing, or with
# JEJUNET_SKIP_ANDROID=1. `--check` prints what it would do and stops.
# Only bash builtins are used before build.sh runs, so a bare PATH still gets the one line.
set -euo pipefail
HERE="${BASH_SOURCE[0]%/*}"
[ "$HERE" = "${BASH_SOURCE[0]}" ] && HERE=.
ROOT="$(cd "$HERE/.." && pwd)"
PACKAGES=(junit5 libandroid-json-java aapt zipalign apksigner dexdump)
JDK=openjdk-17-jdk-headless
JUNIT_JAR="${JUNIT_JAR:-/usr/share/java/junit-platform-console-standalone.jar}"
ANDROID_JSON_JAR="${ANDROID_JSON_JAR:-/usr/share/java/com.android.json.jar}"
ANDROID_JAR="${ANDROID_JAR:-$ROOT/../shared/android/android-23.jar}"
DX_JAR="${DX_JAR:-$ROOT/../shared/android/dx.jar}"
CHECK=0
[ "${1:-}" = "--check" ] && CHECK=1

skip() {
  echo "SKIPPED the Android build and JUnit tests: $*"
  exit 0
}

missing_packages() {  # the Debian packages whose file or tool is not here
  local out=() tool
  [ -f "$JUNIT_JAR" ] || out+=(junit5)
  [ -f "$ANDROID_JSON_JAR" ] || out+=(libandroid-json-java)
  for tool in aapt zipalign apksigner dexdump; do
    command -v "$tool" >/dev/null 2>&1 || out+=("$tool")
  done
  echo "${out[*]}"
}

[ "${JEJUNET_SKIP_ANDROID:-0}" = 1 ] && skip "JEJUNET_SKIP_ANDROID=1"
command -v javac >/dev/null 2>&1 && command -v java >/dev/null 2>&1 \
  || skip "javac not found (install a JDK and the tools: apt-get install $JDK ${PACKAGES[*]})"
for jar in "$ANDROID_JAR" "$DX_JAR"; do
  [ -f "$jar" ] || skip "$jar not found (the team's shared/android folder, or set ANDROID_JAR and DX_JAR)"
done

missing="$(missing_packages)"
if [ -n "$missing" ]; then
  if [ "$EUID" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    skip "missing Debian packages: $missing (install them as root: apt-get install $missing)"
  fi
  if [ "$CHECK" = 1 ]; then
    echo "would install: $missing"
    exit 0
  fi
  echo "installing the Android build's Debian packages: $missing"
  # shellcheck disable=SC2086  # one word per package
  if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing; } >/dev/null; then
    echo "tools/android_test.sh: apt-get install $missing failed (see above); or skip with JEJUNET_SKIP_ANDROID=1" >&2
    exit 1
  fi
  missing="$(missing_packages)"
  [ -z "$missing" ] || { echo "tools/android_test.sh: still missing after apt-get: $missing" >&2; exit 1; }
fi
if [ "$CHECK" = 1 ]; then
  echo "ready: bash android_bridge/build.sh"
  exit 0
fi
exec bash "$ROOT/android_bridge/build.sh"
