#!/bin/bash
# Hook start-up benchmark of the built charm (a program, not a test).
#   mvn -B -q package -DskipTests && bench/hook-bench.sh [runs]
# Unpacks target/snap-coherence.charm as Juju does (no file times kept), then measures, in one run, the median
# wall time and median peak RSS of:
#   (a) floor      the bundled runtime running an empty main (dispatch's JVM flags, a JDK-only CDS archive)
#   (b) no-op      update-status through dispatch
#   (c) peer       coherence-relation-changed that changes nothing, through dispatch
#   (d) reconcile  config-changed (the full reconcile as it exists today, without proxy-url: the training
#                  tools' canned snap cannot register a store)
# and for reference: the shaded JAR with `java -jar` on the system JDK, and a minimal Python dispatch -> exit.
# Hook tools and snap are the emulated ones from packaging/training-tools (canned answers; snap is found on PATH
# as in production), with the unit store and the peer databags answering what a first config-changed wrote. CHARM=<file> benchmarks another build, e.g. one made from main.
set -euo pipefail
cd "$(dirname "$0")/.."
project=$(pwd)
runs=${1:-21}
charm_zip=${CHARM:-target/snap-coherence.charm}    # CHARM=<file> benchmarks another build
[ -f "$charm_zip" ] || { echo "no $charm_zip: run 'mvn -B -q package -DskipTests' first" >&2; exit 1; }
command -v unzip >/dev/null || { echo "needs unzip" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "needs GNU time at /usr/bin/time (apt-get install time)" >&2; exit 1; }
jdk=${JAVA_HOME:-$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
charm="$work/charm"
mkdir -p "$charm"
unzip -q -DD "$charm_zip" -d "$charm"    # -DD: like Juju, every file gets the current time

# The floor: an empty main with dispatch's flags and a CDS archive of the JDK classes only.
mkdir -p "$work/empty"
printf 'public class Empty { public static void main(String[] args) { } }\n' > "$work/empty/Empty.java"
"$jdk/bin/javac" -d "$work/empty" "$work/empty/Empty.java"
flags=$(sed -n 's/^set -- \(-XX:+UseSerialGC.*\)$/\1/p' "$charm/dispatch")
[ -n "$flags" ] || { echo "cannot read the JVM flags from dispatch" >&2; exit 1; }
"$charm/runtime/bin/java" -Xshare:dump -XX:SharedArchiveFile="$work/floor.jsa" >/dev/null

# A minimal Python charm: dispatch -> python3 -> exit (no ops framework installed here).
mkdir -p "$work/py"
printf '#!/bin/sh\nexec /usr/bin/python3 "$(dirname "$0")/charm.py"\n' > "$work/py/dispatch"
printf 'import os, sys\nsys.exit(0)\n' > "$work/py/charm.py"
chmod +x "$work/py/dispatch"

# Hook tools: the training tools, except that the unit store and this unit's and the application's peer databags
# answer what a first config-changed wrote (as Juju keeps a successful hook's writes), so the measured hooks are
# in the steady state: nothing to write, role and peer relation remembered.
tools="$work/tools"
cp -r "$project/packaging/training-tools" "$tools"
kept="$work/kept"
mkdir -p "$kept"
printf '#!/bin/sh\ncat >> %q/state-set\necho >> %q/state-set\n' "$kept" "$kept" > "$tools/state-set"
printf '#!/bin/sh\ncase "$*" in *--app*) f=app ;; *) f=unit ;; esac\ncat >> %q/relation-set-$f\necho >> %q/relation-set-$f\n' \
    "$kept" "$kept" > "$tools/relation-set"
juju_env=(env -i PATH="$tools:/usr/bin:/bin" LANG=C.UTF-8 JUJU_CHARM_DIR="$charm"
    JUJU_UNIT_NAME=snap-coherence/0 JUJU_MODEL_NAME=bench JUJU_PRINCIPAL_UNIT=kubernetes-worker/0)
peer_env=(JUJU_DISPATCH_PATH=hooks/coherence-relation-changed JUJU_RELATION=coherence
    JUJU_RELATION_ID=coherence:2 JUJU_REMOTE_UNIT=snap-coherence/1 JUJU_REMOTE_APP=snap-coherence)

# Cases run round-robin (one run of each per round), so a change in machine load hits every case alike.
declare -A command wall rss times sizes
labels=()
add_case() {
    local label=$1
    shift
    labels+=("$label")
    command[$label]=$(printf '%q ' "$@")
}

add_case floor "$charm/runtime/bin/java" $flags -XX:SharedArchiveFile="$work/floor.jsa" -cp "$work/empty" Empty
add_case no-op "${juju_env[@]}" JUJU_DISPATCH_PATH=hooks/update-status "$charm/dispatch"
add_case peer "${juju_env[@]}" "${peer_env[@]}" "$charm/dispatch"
add_case reconcile "${juju_env[@]}" JUJU_DISPATCH_PATH=hooks/config-changed "$charm/dispatch"
add_case java-jar "${juju_env[@]}" JUJU_DISPATCH_PATH=hooks/update-status "$jdk/bin/java" -jar "$project/target/snap-coherence.jar" hook
if [ -x /usr/bin/python3 ]; then
    add_case python "$work/py/dispatch"
fi

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
(cd "$charm" && "${juju_env[@]}" JUJU_DISPATCH_PATH=hooks/install ./dispatch >/dev/null 2>&1) # restores the JAR time
rm -f "$kept"/*
(cd "$charm" && "${juju_env[@]}" JUJU_DISPATCH_PATH=hooks/config-changed ./dispatch >/dev/null 2>&1)
keep() {    # merges the JSON objects a hook wrote (one per line) into one answer
    python3 -c 'import json, sys
kept = {}
for line in open(sys.argv[1]) if len(sys.argv) > 1 else []:
    if line.strip(): kept.update(json.loads(line))
print(json.dumps({k: v for k, v in kept.items() if v != ""}))' "$@"
}
[ -f "$kept/state-set" ] && keep "$kept/state-set" > "$kept/store" || echo '{}' > "$kept/store"
[ -f "$kept/relation-set-unit" ] && keep "$kept/relation-set-unit" > "$kept/unit" || echo '{}' > "$kept/unit"
[ -f "$kept/relation-set-app" ] && keep "$kept/relation-set-app" > "$kept/app" || echo '{}' > "$kept/app"
printf '#!/bin/sh\ncat %q/store\n' "$kept" > "$tools/state-get"
printf '#!/bin/sh\ncase "$*" in *--app*) cat %q/app ;; *snap-coherence/0) cat %q/unit ;; *) echo "{}" ;; esac\n' \
    "$kept" "$kept" > "$tools/relation-get"
printf '#!/bin/sh\ncat > /dev/null\n' > "$tools/state-set"
printf '#!/bin/sh\ncat > /dev/null\n' > "$tools/relation-set"
chmod +x "$tools"/*
# Every case is then the steady state: a hook that writes must show up here, as a benchmark run is no test.
echo "steady state: unit store $(cat "$kept/store")"
for ((round = -2; round < runs; round++)); do    # two warm-up rounds fill the page cache
    for label in "${labels[@]}"; do
        start=$(date +%s%N)
        eval "/usr/bin/time -f %M -o $work/rss ${command[$label]}" >/dev/null 2>&1 || true
        end=$(date +%s%N)
        if ((round >= 0)); then
            times[$label]+="$(((end - start) / 1000)) "
            sizes[$label]+="$(tail -n 1 "$work/rss") "
        fi
    done
done
median() { tr ' ' '\n' | grep . | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
for label in "${labels[@]}"; do
    wall[$label]=$(echo "${times[$label]}" | median)
    rss[$label]=$(echo "${sizes[$label]}" | median)
done

echo "load average before: $load_before   after: $(cut -d' ' -f1-3 /proc/loadavg)   cores: $(nproc)"
echo "runs: $runs   runtime: $(sed -n 's/^MODULES=//p' "$charm/runtime/release")   charm: $(($(stat -c %s "$charm_zip") / 1024)) KiB"
printf '%-11s %10s %8s %10s\n' case "median ms" "x floor" "RSS MiB"
for label in "${labels[@]}"; do
    [ -n "${wall[$label]:-}" ] || continue
    awk -v l="$label" -v t="${wall[$label]}" -v f="${wall[floor]}" -v r="${rss[$label]}" \
        'BEGIN { printf "%-11s %10.1f %8.2f %10.1f\n", l, t / 1000, t / f, r / 1024 }'
done
