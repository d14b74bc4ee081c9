#!/usr/bin/env bash
# The Android bridge's CI build: compile the core against android-23.jar, run its JUnit tests
# (parity with the host on fixtures recorded from bikes.mp4), compile the Android adapters, dex,
# verify with dexdump, and assemble, sign and verify a debug APK. No Gradle, no network.
#
# Inputs (environment overrides): ANDROID_JAR, DX_JAR (default ../shared/android/ beside the
# repository), JUNIT_JAR, ANDROID_JSON_JAR (Debian junit5, libandroid-json-java), JEJUNET_PYTHON
# (default: the repository's .venv). Debian tools used: aapt zipalign apksigner dexdump keytool.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
cd "$HERE"
BUILD="$HERE/build"
ANDROID_JAR="${ANDROID_JAR:-$ROOT/../shared/android/android-23.jar}"
DX_JAR="${DX_JAR:-$ROOT/../shared/android/dx.jar}"
JUNIT_JAR="${JUNIT_JAR:-/usr/share/java/junit-platform-console-standalone.jar}"
ANDROID_JSON_JAR="${ANDROID_JSON_JAR:-/usr/share/java/com.android.json.jar}"
MEDIA="${JEJUNET_MEDIA:-$ROOT/../shared/media}"
if [ -z "${JEJUNET_PYTHON:-}" ]; then
  if [ -x "$ROOT/.venv/bin/python" ]; then JEJUNET_PYTHON="$ROOT/.venv/bin/python"; else JEJUNET_PYTHON=python3; fi
fi

die() { echo "build.sh: $*" >&2; exit 1; }
step() { echo "== $*"; }
for f in "$ANDROID_JAR" "$DX_JAR" "$JUNIT_JAR" "$ANDROID_JSON_JAR"; do
  [ -f "$f" ] || die "missing $f (see docs/android.md: ../shared/android and Debian junit5 libandroid-json-java)"
done
for t in javac java aapt zipalign apksigner dexdump keytool; do
  command -v "$t" >/dev/null || die "missing tool '$t' (Debian: openjdk-17-jdk-headless aapt zipalign apksigner dexdump)"
done
"$JEJUNET_PYTHON" -c "import jejunet" 2>/dev/null || die "$JEJUNET_PYTHON cannot import jejunet (run make venv first)"
[ -f "$MEDIA/bikes.mp4" ] || die "missing $MEDIA/bikes.mp4 (the parity fixtures are recorded from it)"

rm -rf "$BUILD/classes" "$BUILD/apk"
mkdir -p "$BUILD/classes" "$BUILD/apk" "$BUILD/host"
JAVA7=(-source 7 -target 7 -bootclasspath "$ANDROID_JAR" -Xlint:-options -encoding UTF-8)

step "host: capability list, bundles and parity fixtures (jejunet, on bikes.mp4)"
JEJUNET=("$JEJUNET_PYTHON" -m jejunet)
"$JEJUNET_PYTHON" -m jejunet.android.capabilities > "$BUILD/host/capabilities.json"
"$JEJUNET_PYTHON" -m jejunet.android.schema > "$BUILD/host/graph.schema.json"
cmp -s "$BUILD/host/graph.schema.json" "$HERE/schema/graph.schema.json" \
  || die "schema/graph.schema.json is out of date: $JEJUNET_PYTHON -m jejunet.android.schema > android_bridge/schema/graph.schema.json"
PIPELINES="${PIPELINES:-deeplab_per_frame selfie_per_frame deeplab_keyframe selfie_keyframe keyframe_async}"
for p in $PIPELINES; do
  "${JEJUNET[@]}" graph compile "$ROOT/pipelines/$p.yaml" --target android --out "$BUILD/host/bundles/$p" >/dev/null
done
# A `resize` in mode aspect runs on the phone as a stretch to the size its rule gives for the
# camera's frames (bundle.phone_params): record the fixtures with that stretch, so that the host's
# tensors are the ones the bundle's graph computes from the same frames.
phone_sets() {
  "$JEJUNET_PYTHON" - "$1" <<'PY'
import sys
from pathlib import Path
from jejunet.android.bundle import phone_params
from jejunet.graph.compiler import compile_file
compiled = compile_file(Path(sys.argv[1]))
for nid, node in compiled.nodes.items():
    if node.op.name == "resize" and node.params.mode == "aspect":
        size = phone_params(compiled, nid)
        print(f"--set {nid}.mode=stretch --set {nid}.width={size['width']} --set {nid}.height={size['height']}")
PY
}
for p in $PIPELINES; do
  # shellcheck disable=SC2046
  "${JEJUNET[@]}" graph record "$ROOT/pipelines/$p.yaml" --input "$MEDIA/bikes.mp4" --frames "${FIXTURE_FRAMES:-60}" \
    --out "$BUILD/host/fixtures/$p" $(phone_sets "$ROOT/pipelines/$p.yaml")
done

step "core: javac (Java 7, against android-23.jar)"
javac "${JAVA7[@]}" -d "$BUILD/classes/core" $(find core/src/main/java -name '*.java')

step "core: JUnit 5 tests on the JVM"
javac -encoding UTF-8 -d "$BUILD/classes/test" -cp "$BUILD/classes/core:$JUNIT_JAR:$ANDROID_JSON_JAR" \
  $(find core/src/test/java -name '*.java')
set +e
java -Djejunet.host="$BUILD/host" -jar "$JUNIT_JAR" \
  -cp "$BUILD/classes/core:$BUILD/classes/test:$ANDROID_JSON_JAR" --scan-classpath "$BUILD/classes/test" \
  --disable-banner --details=tree --disable-ansi-colors > "$BUILD/junit.txt" 2>&1
junit_rc=$?
set -e
cat "$BUILD/junit.txt"
passed=$(sed -n 's/^\[ *\([0-9]*\) tests successful *\]$/\1/p' "$BUILD/junit.txt")
failed=$(sed -n 's/^\[ *\([0-9]*\) tests failed *\]$/\1/p' "$BUILD/junit.txt")
echo "${passed:-0} passed, ${failed:-0} failed"
[ "$junit_rc" = 0 ] && [ "${failed:-1}" = 0 ] && [ "${passed:-0}" -gt 0 ] || die "JUnit tests failed"

step "adapters and app: javac against android-23.jar"
javac "${JAVA7[@]}" -cp "$BUILD/classes/core" -d "$BUILD/classes/android" \
  $(find adapters/src/main/java app/src/main/java -name '*.java')

step "dex (dx) and dexdump"
java -cp "$DX_JAR" com.android.dx.command.Main --dex --min-sdk-version=23 --output="$BUILD/apk/classes.dex" \
  "$BUILD/classes/core" "$BUILD/classes/android"
dexdump -c "$BUILD/apk/classes.dex" > "$BUILD/dexdump.txt" 2>&1 || die "dexdump rejects classes.dex (see $BUILD/dexdump.txt)"
grep -q "Lorg/jejunet/core/GraphRunner;" <(dexdump "$BUILD/apk/classes.dex") || die "classes.dex lacks the core"

# The app's bundle: the asynchronous keyframe pipeline (MainActivity runs it in the realtime
# schedule: the network on its own thread), its interpreter on 3 threads: 3 of the Pixel 2's 4 big
# cores, the fourth is the frame path's (see docs/android.md, "Threads").
APK_THREADS="${APK_THREADS:-3}"
step "debug APK: aapt, zipalign, apksigner (bundle: keyframe_async in assets, network on $APK_THREADS threads)"
"${JEJUNET[@]}" graph compile "$ROOT/pipelines/keyframe_async.yaml" --target android \
  --set "segment.num_threads=$APK_THREADS" --out "$BUILD/host/app_bundle" >/dev/null
rm -rf "$BUILD/apk/assets" && mkdir -p "$BUILD/apk/assets"
cp -r "$BUILD/host/app_bundle" "$BUILD/apk/assets/bundle"
aapt package -f -M app/src/main/AndroidManifest.xml -S app/src/main/res -A "$BUILD/apk/assets" \
  -I "$ANDROID_JAR" -F "$BUILD/apk/app.unaligned.apk" >/dev/null
(cd "$BUILD/apk" && aapt add app.unaligned.apk classes.dex >/dev/null)
zipalign -p -f 4 "$BUILD/apk/app.unaligned.apk" "$BUILD/apk/app.aligned.apk"
KEYSTORE="$BUILD/debug.keystore"
[ -f "$KEYSTORE" ] || keytool -genkeypair -keystore "$KEYSTORE" -storepass android -keypass android \
  -alias androiddebugkey -keyalg RSA -keysize 2048 -validity 10000 -dname "CN=Android Debug,O=Android,C=US" >/dev/null 2>&1
apksigner sign --ks "$KEYSTORE" --ks-pass pass:android --key-pass pass:android \
  --out "$BUILD/jejunet-debug.apk" "$BUILD/apk/app.aligned.apk"
apksigner verify "$BUILD/jejunet-debug.apk" || die "apksigner verify failed"
aapt dump badging "$BUILD/jejunet-debug.apk" | head -3
echo "build.sh: ok ($BUILD/jejunet-debug.apk, ${passed} JUnit tests passed)"
