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

# Training on a settled model: its hooks take paths a fresh one never does (offers and a check round to compare,
# peers' reports to read), and every lambda or record comparison they meet outside the archive is spun again at
# each hook (bench/hook-bench.sh counts the classes a steady hook loads outside it). Two units kept in files by
# packaging/model-tool.py, as bench/hook-bench.sh converges them, run a deployment's hooks, then rounds of
# update-status and coherence-relation-changed until one writes nothing; one more such round is recorded, and a
# config change.
# The model tool needs python3: without it the archive lacks those classes, and the build says so.
converge_flags="-XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:-UsePerfData -Djdk.lang.Process.launchMechanism=VFORK"
model_hook() {    # <record 1|0> <unit number> <hook> [<remote unit number>]
    runs=$((runs + 1))
    remote_unit=${4:-}
    (cd "$charm" && env -i PATH="$work/model-tools:/usr/bin:/bin" LANG=C.UTF-8 JUJU_CHARM_DIR="$work/model-charm-dir" \
        JUJU_UNIT_NAME="snap-coherence/$2" JUJU_MODEL_NAME=training JUJU_PRINCIPAL_UNIT="kubernetes-worker/$2" \
        JUJU_DISPATCH_PATH="hooks/$3" SNAPPY_GLOBAL_ROOT="$work/snapd/root" MODEL_DIR="$work/model" \
        MODEL_TOOL="$project/packaging/model-tool.py" \
        ${remote_unit:+JUJU_RELATION=coherence JUJU_RELATION_ID=coherence:2 JUJU_REMOTE_APP=snap-coherence} \
        ${remote_unit:+JUJU_REMOTE_UNIT=snap-coherence/$remote_unit} \
        sh -c 'if [ "$1" = 1 ]; then
                   exec runtime/bin/java $2 -Xshare:off -XX:DumpLoadedClassList="$3" -cp lib/snap-coherence.jar \
                       io.snapcoherence.Main hook
               fi
               exec runtime/bin/java $4 -cp lib/snap-coherence.jar io.snapcoherence.Main hook' \
        model-hook "$1" "$java_flags" "$work/run$runs.classes" "$converge_flags") >>"$work/training.log" 2>&1 ||
        echo "build-charm: training hook $3 on snap-coherence/$2 exited non-zero (see $work/training.log)" >&2
}
if command -v python3 >/dev/null 2>&1; then
    mkdir -p "$work/model" "$work/model-charm-dir"
    cp -R "$project/packaging/training-tools" "$work/model-tools"
    for tool in is-leader state-get state-set relation-list relation-get relation-set; do
        printf '#!/bin/sh\nexec python3 "$MODEL_TOOL" %s "$@"\n' "$tool" > "$work/model-tools/$tool"
    done
    chmod +x "$work/model-tools"/*
    for unit in 0 1; do
        model_hook 0 $unit install
        [ $unit != 0 ] || model_hook 0 $unit leader-elected
        model_hook 0 $unit config-changed
        model_hook 0 $unit start
    done
    model_hook 0 0 coherence-relation-joined 1
    model_hook 0 0 coherence-relation-changed 1
    model_hook 0 1 coherence-relation-joined 0
    model_hook 0 1 coherence-relation-changed 0
    rounds=0
    while [ -s "$work/model/writes" ] && [ $rounds -lt 10 ]; do
        rounds=$((rounds + 1))
        : > "$work/model/writes"
        for unit in 0 1; do
            model_hook 0 $unit update-status
            model_hook 0 $unit coherence-relation-changed $((1 - unit))
        done
    done
    [ ! -s "$work/model/writes" ] ||
        echo "build-charm: the training model did not settle in 10 rounds (see $work/model/writes)" >&2
    # As a deployment meets them: the last look a minute or more ago, so update-status and config-changed look again.
    MODEL_DIR="$work/model" python3 "$project/packaging/model-tool.py" age-last-look 2
    for unit in 0 1; do
        model_hook 1 $unit update-status
        model_hook 1 $unit coherence-relation-changed $((1 - unit))
    done
    MODEL_DIR="$work/model" python3 "$project/packaging/model-tool.py" age-last-look 2
    model_hook 1 0 config-changed
    echo "build-charm: trained on a model settled after $rounds round(s)"
else
    echo "build-charm: no python3, so no training on a settled model: steady hooks will load some classes" \
        "outside the archive" >&2
fi
kill "$snapd_pid"
trap - EXIT
# A run's list names a lambda proxy once per call site, so a line may rightly come several times (identical call
# sites, as three `remember::add` in one method): each needs an archived class of its own, or all but the first are
# spun at run time. The union keeps each line as many times as the run that had it most, in first-seen order.
awk 'FNR == 1 { for (l in n) if (n[l] > most[l]) most[l] = n[l]; split("", n) }
     { n[$0]++; if (!($0 in seen)) { seen[$0] = 1; order[++lines] = $0 } }
     END { for (l in n) if (n[l] > most[l]) most[l] = n[l]
           for (i = 1; i <= lines; i++) for (k = 0; k < most[order[i]]; k++) print order[i] }' \
    "$work"/*.classes > "$work/classlist"

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
