#!/bin/sh
# Builds the deployable charm from the shaded JAR, without charmcraft:
#   target/charm                  the unpacked charm tree (charmcraft.yaml's dump part packs the same tree)
#   target/snap-coherence.charm   that tree as a zip, laid out as charmcraft lays a charm
# Maven runs this in the package phase, after the shade plugin:  build-charm.sh <project dir> <JDK home>
set -eu

project=$(cd "$1" && pwd)
jdk=$2
target="$project/target"
charm="$target/charm"
work="$target/charm-build"
jar="$target/snap-coherence.jar"
# The charm carries the classes a hook or action can load (the jar plugin's `charm` JAR, see pom.xml): not the
# shaded JAR's Jackson, which only rehearse --status uses, nor the simulator. A JVM reads a JAR's whole entry table
# when it opens it, so every hook would pay for entries it never loads (HookPathDependenciesTest).
own_jar="$target/snap-coherence-charm.jar"

# The JAR's modification time is part of what the class-data-sharing archive checks. Juju unpacks a charm
# without file times, so dispatch puts this time back once after every unpack (see dispatch).
jar_time=946684800

# Modules the charm's own classes use, as jdeps finds them, plus what jdeps cannot see (providers found
# at run time: elliptic-curve TLS for an https store proxy). Jackson's optional java.desktop and java.sql
# links are left out on purpose: Jackson loads them only when asked to map java.beans or java.sql types.
own_modules=$("$jdk/bin/jdeps" --print-module-deps --ignore-missing-deps --multi-release 17 "$own_jar")
modules="$own_modules,jdk.crypto.ec"

rm -rf "$charm" "$work" "$target/snap-coherence.charm"
mkdir -p "$charm/lib" "$work"

"$jdk/bin/jlink" --add-modules "$modules" --strip-debug --no-header-files --no-man-pages --compress=2 \
    --output "$charm/runtime"

cp -P "$project/dispatch" "$project/metadata.yaml" "$project/config.yaml" "$project/actions.yaml" "$charm/"
cp -RP "$project/hooks" "$charm/hooks"
cp "$own_jar" "$charm/lib/snap-coherence.jar"
touch -m -d "@$jar_time" "$charm/lib/snap-coherence.jar"
cat > "$charm/manifest.yaml" <<EOF
analysis:
  attributes:
  - name: language
    result: java
  - name: framework
    result: unknown
bases:
- architectures:
  - amd64
  channel: '24.04'
  name: ubuntu
charmcraft-started-at: '$(date -u +%Y-%m-%dT%H:%M:%S.000000Z)'
charmcraft-version: none (built by packaging/build-charm.sh)
EOF

# Training: run the charm's hooks once against emulated hook tools and the fake snapd (tests/fake-snapd,
# packaging/training-snapd.json: kubectl installed at the store's revision), with the same flags as dispatch,
# recording every class loaded. A training hook that fails still teaches its classes.
java_flags="-XX:+UseSerialGC -Xint -XX:-UsePerfData -Djdk.lang.Process.launchMechanism=VFORK"
snapd_pid=$(sh "$project/tests/fake-snapd/start.sh" "$jdk" "$jar" "$work/snapd" "$project/packaging/training-snapd.json")
trap 'kill "$snapd_pid" 2>/dev/null || true' EXIT
runs=0
train() {
    runs=$((runs + 1))
    dispatch_path=$1
    shift
    (cd "$charm" && env -i PATH="$project/packaging/training-tools:/usr/bin:/bin" LANG=C.UTF-8 \
        JUJU_CHARM_DIR="$charm" JUJU_UNIT_NAME=snap-coherence/0 JUJU_MODEL_NAME=training \
        JUJU_PRINCIPAL_UNIT=kubernetes-worker/0 JUJU_DISPATCH_PATH="$dispatch_path" \
        SNAPPY_GLOBAL_ROOT="$work/snapd/root" "$@" \
        runtime/bin/java $java_flags -Xshare:off -XX:DumpLoadedClassList="$work/run$runs.classes" \
        -cp lib/snap-coherence.jar io.snapcoherence.Main hook) >>"$work/training.log" 2>&1 ||
        echo "build-charm: training run $dispatch_path exited non-zero (see $work/training.log)" >&2
}
train hooks/install
train hooks/config-changed
train hooks/coherence-relation-changed JUJU_RELATION=coherence JUJU_RELATION_ID=coherence:2 \
    JUJU_REMOTE_UNIT=snap-coherence/1 JUJU_REMOTE_APP=snap-coherence
train hooks/update-status
train actions/plan JUJU_ACTION_NAME=plan JUJU_ACTION_UUID=1
kill "$snapd_pid"
trap - EXIT
awk '!seen[$0]++' "$work"/*.classes > "$work/classlist"

# The archive records the class path as given: dispatch runs from the charm directory with the same
# relative path, so the archive stays valid wherever Juju unpacks the charm.
(cd "$charm" && runtime/bin/java -Xshare:dump $java_flags -XX:SharedClassListFile="$work/classlist" \
    -XX:SharedArchiveFile=lib/snap-coherence.jsa -cp lib/snap-coherence.jar) >"$work/dump.log" 2>&1 || {
    cat "$work/dump.log" >&2
    exit 1
}
# Juju writes files without their times; this marker tells dispatch to restore the JAR's time once.
: > "$charm/lib/.restore-jar-time"

"$jdk/bin/java" "$project/packaging/CharmZip.java" "$charm" "$target/snap-coherence.charm"
echo "build-charm: $target/snap-coherence.charm ($(du -k "$target/snap-coherence.charm" | cut -f1) KiB, modules $modules)"
