#!/bin/bash
# Hook start-up benchmark of the built charm (a program, not a test).
#   mvn -B -q package -DskipTests && bench/hook-bench.sh [runs]
# Unpacks target/snap-coherence.charm as Juju does (no file times kept), then measures, in one run, the median
# wall time, median CPU time (user + system of the hook's processes and their children) and median peak RSS of:
#   (a) floor      the bundled runtime running an empty main (dispatch's JVM flags, a JDK-only CDS archive)
#   (b) no-op      update-status through dispatch, on the leader (no-op-nl: on a unit that is not the leader)
#   (c) peer       coherence-relation-changed that changes nothing, through dispatch
#   (d) reconcile  config-changed (the full reconcile as it exists today, without proxy-url)
#   (e) probe-*    the bundled runtime and the charm's archive running the charm's snapd client after one tool
#                  spawn: no request (idle), GET /v2/snaps (list), and then GET /v2/changes/<id> (follow):
#                  list - idle is a hook's first request to snapd, follow - list what following a change adds
# and for reference: the shaded JAR with `java -jar` on the system JDK, and a minimal Python dispatch -> exit.
# snapd is the fake snapd (tests/fake-snapd) with kubectl installed at the store's revision, found through
# SNAPPY_GLOBAL_ROOT; hook tools are the canned ones of packaging/training-tools, with the unit store and the peer
# databags answering what a first config-changed wrote (the steady state).
#   CHARM=<file>         benchmark another build instead of target/snap-coherence.charm
#   CHARM_BEFORE=<file>  also run (b)-(d) of this build, interleaved, and print after/before ratios; a build that
#                        runs the snap CLI needs SNAP_CLI
#   SNAP_CLI=<path>      a real snap CLI (e.g. Debian's: apt-get download snapd; dpkg-deb -x snapd_*.deb root;
#                        root/usr/bin/snap), put on the hooks' PATH; it talks to the fake snapd as well
set -euo pipefail
cd "$(dirname "$0")/.."
project=$(pwd)
runs=${1:-21}
charm_zip=${CHARM:-target/snap-coherence.charm}
before_zip=${CHARM_BEFORE:-}
[ -f "$charm_zip" ] || { echo "no $charm_zip: run 'mvn -B -q package -DskipTests' first" >&2; exit 1; }
[ -z "$before_zip" ] || [ -f "$before_zip" ] || { echo "no $before_zip" >&2; exit 1; }
command -v unzip >/dev/null || { echo "needs unzip" >&2; exit 1; }
command -v python3 >/dev/null || { echo "needs python3" >&2; exit 1; }
jdk=${JAVA_HOME:-$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")}

work=$(mktemp -d)
snapd_pid=
cleanup() {
    [ -z "$snapd_pid" ] || kill "$snapd_pid" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
unpack() {    # <charm zip> <dir>
    mkdir -p "$2"
    unzip -q -DD "$1" -d "$2"    # -DD: like Juju, every file gets the current time
}
charm="$work/charm"
unpack "$charm_zip" "$charm"
[ -z "$before_zip" ] || unpack "$before_zip" "$work/before"

# The fake snapd, compiled against this build's JAR.
cat > "$work/snapd-state.json" <<'JSON'
{"version": "2.63", "store": {"kubectl": {"latest/stable": 3000}},
 "installed": {"kubectl": {"channel": "latest/stable", "revision": 3000}}}
JSON
snapd_pid=$("$project/tests/fake-snapd/start.sh" "$jdk" "$charm/lib/snap-coherence.jar" "$work/snapd" \
    "$work/snapd-state.json")
snapd_root="$work/snapd/root"

# The floor: an empty main with dispatch's flags and a CDS archive of the JDK classes only.
mkdir -p "$work/empty"
printf 'public class Empty { public static void main(String[] args) { } }\n' > "$work/empty/Empty.java"
"$jdk/bin/javac" -d "$work/empty" "$work/empty/Empty.java"
flags=$(sed -n 's/^set -- \(-XX:+UseSerialGC.*\)$/\1/p' "$charm/dispatch")
[ -n "$flags" ] || { echo "cannot read the JVM flags from dispatch" >&2; exit 1; }
"$charm/runtime/bin/java" -Xshare:dump -XX:SharedArchiveFile="$work/floor.jsa" >/dev/null

# The snapd probe: the charm's own client, its class path appended to the archive's (CDS maps the archive's
# classes as long as its class path is a prefix of the run's); compiled like the charm (no indy concatenation).
mkdir -p "$work/probe"
cat > "$work/probe/SnapdProbe.java" <<'JAVA'
public class SnapdProbe {
    public static void main(String[] args) throws Exception {
        new ProcessBuilder("/bin/true").start().waitFor(); // a hook runs its tools before it asks snapd
        io.snapcoherence.snap.SnapdClient client = new io.snapcoherence.snap.SnapdClient(java.nio.file.Path.of(args[0]));
        if (args[2].equals("idle")) {
            return;
        }
        client.list();
        if (args[2].equals("follow") && client.change(args[1]).status().isEmpty()) {
            System.exit(1);
        }
    }
}
JAVA
"$jdk/bin/javac" -XDstringConcat=inline -d "$work/probe" -cp "$charm/lib/snap-coherence.jar" \
    "$work/probe/SnapdProbe.java"

# A minimal Python charm: dispatch -> python3 -> exit (no ops framework installed here).
mkdir -p "$work/py"
printf '#!/bin/sh\nexec /usr/bin/python3 "$(dirname "$0")/charm.py"\n' > "$work/py/dispatch"
printf 'import os, sys\nsys.exit(0)\n' > "$work/py/charm.py"
chmod +x "$work/py/dispatch"

# Hook tools: the training tools, except that the unit store and this unit's and the application's peer databags
# answer what a first config-changed wrote (as Juju keeps a successful hook's writes), so the measured hooks are
# in the steady state: nothing to write, role and peer relation remembered.
tools="$work/tools"
tools_nl="$work/tools-nl"    # the same for a unit that is not the leader
cp -r "$project/packaging/training-tools" "$tools"
if [ -n "${SNAP_CLI:-}" ]; then
    ln -s "$(readlink -f "$SNAP_CLI")" "$tools/snap"
fi
kept="$work/kept"
mkdir -p "$kept"
printf '#!/bin/sh\ncat >> %q/state-set\necho >> %q/state-set\n' "$kept" "$kept" > "$tools/state-set"
printf '#!/bin/sh\ncase "$*" in *--app*) f=app ;; *) f=unit ;; esac\ncat >> %q/relation-set-$f\necho >> %q/relation-set-$f\n' \
    "$kept" "$kept" > "$tools/relation-set"
hook_env() {    # <tools> <charm dir>: Juju's environment of a hook
    echo env -i PATH="$1:/usr/bin:/bin" LANG=C.UTF-8 JUJU_CHARM_DIR="$2" SNAPPY_GLOBAL_ROOT="$snapd_root" \
        JUJU_UNIT_NAME=snap-coherence/0 JUJU_MODEL_NAME=bench JUJU_PRINCIPAL_UNIT=kubernetes-worker/0
}
read -r -a juju_env <<< "$(hook_env "$tools" "$charm")"
read -r -a nl_env <<< "$(hook_env "$tools_nl" "$charm")"
read -r -a before_env <<< "$(hook_env "$tools" "$work/before")"
read -r -a nl_before_env <<< "$(hook_env "$tools_nl" "$work/before")"
peer_env=(JUJU_DISPATCH_PATH=hooks/coherence-relation-changed JUJU_RELATION=coherence
    JUJU_RELATION_ID=coherence:2 JUJU_REMOTE_UNIT=snap-coherence/1 JUJU_REMOTE_APP=snap-coherence)

# Cases run round-robin (one run of each per round), so a change in machine load hits every case alike.
declare -A command wall cpu rss
labels=()
add_case() {
    local label=$1
    shift
    labels+=("$label")
    command[$label]=$(printf '%q ' "$@")
}

add_case floor "$charm/runtime/bin/java" $flags -XX:SharedArchiveFile="$work/floor.jsa" -cp "$work/empty" Empty
add_case no-op "${juju_env[@]}" JUJU_DISPATCH_PATH=hooks/update-status "$charm/dispatch"
add_case no-op-nl "${nl_env[@]}" JUJU_DISPATCH_PATH=hooks/update-status "$charm/dispatch"
add_case peer "${juju_env[@]}" "${peer_env[@]}" "$charm/dispatch"
add_case reconcile "${juju_env[@]}" JUJU_DISPATCH_PATH=hooks/config-changed "$charm/dispatch"
if [ -n "$before_zip" ]; then
    add_case no-op-b "${before_env[@]}" JUJU_DISPATCH_PATH=hooks/update-status "$work/before/dispatch"
    add_case no-op-nl-b "${nl_before_env[@]}" JUJU_DISPATCH_PATH=hooks/update-status "$work/before/dispatch"
    add_case peer-b "${before_env[@]}" "${peer_env[@]}" "$work/before/dispatch"
    add_case reconcile-b "${before_env[@]}" JUJU_DISPATCH_PATH=hooks/config-changed "$work/before/dispatch"
fi
probe=(env -C "$charm" runtime/bin/java $flags -Xshare:auto -XX:SharedArchiveFile=lib/snap-coherence.jsa
    -cp "lib/snap-coherence.jar:$work/probe" SnapdProbe "$snapd_root/run/snapd.socket" 1)
add_case probe-idle "${probe[@]}" idle
add_case probe-list "${probe[@]}" list
add_case probe-follow "${probe[@]}" follow
add_case java-jar "${juju_env[@]}" JUJU_DISPATCH_PATH=hooks/update-status "$jdk/bin/java" -jar "$charm/lib/snap-coherence.jar" hook
if [ -x /usr/bin/python3 ]; then
    add_case python "$work/py/dispatch"
fi

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
keep() {    # merges the JSON objects a hook wrote (one per line) into one answer
    python3 -c 'import json, sys
kept = {}
for line in open(sys.argv[1]) if len(sys.argv) > 1 else []:
    if line.strip(): kept.update(json.loads(line))
print(json.dumps({k: v for k, v in kept.items() if v != ""}))' "$@"
}
for dir in "$charm" ${before_zip:+"$work/before"}; do    # the first hook restores the JAR's time (dispatch)
    read -r -a install_env <<< "$(hook_env "$tools" "$dir")"
    (cd "$dir" && "${install_env[@]}" JUJU_DISPATCH_PATH=hooks/install ./dispatch >/dev/null 2>&1)
done
rm -f "$kept"/*
(cd "$charm" && "${juju_env[@]}" JUJU_DISPATCH_PATH=hooks/config-changed ./dispatch >/dev/null 2>&1)
[ -f "$kept/state-set" ] && keep "$kept/state-set" > "$kept/store" || echo '{}' > "$kept/store"
[ -f "$kept/relation-set-unit" ] && keep "$kept/relation-set-unit" > "$kept/unit" || echo '{}' > "$kept/unit"
[ -f "$kept/relation-set-app" ] && keep "$kept/relation-set-app" > "$kept/app" || echo '{}' > "$kept/app"
printf '#!/bin/sh\ncat %q/store\n' "$kept" > "$tools/state-get"
printf '#!/bin/sh\ncase "$*" in *--app*) cat %q/app ;; *snap-coherence/0) cat %q/unit ;; *) echo "{}" ;; esac\n' \
    "$kept" "$kept" > "$tools/relation-get"
printf '#!/bin/sh\ncat > /dev/null\n' > "$tools/state-set"
printf '#!/bin/sh\ncat > /dev/null\n' > "$tools/relation-set"
chmod +x "$tools"/*
cp -a "$tools" "$tools_nl"
printf '#!/bin/sh\necho false\n' > "$tools_nl/is-leader"
# Every case is then the steady state: a hook that writes must show up here, as a benchmark run is no test.
echo "steady state: unit store $(cat "$kept/store")"
: > "$work/snapd/requests"

cases="$work/cases"
: > "$cases"
for label in "${labels[@]}"; do
    printf '%s\t%s\n' "$label" "${command[$label]}" >> "$cases"
done
# Each run: bash execs the case's command (one process all the way to the JVM); wait4 gives its wall time, its
# CPU time and peak RSS together with those of the processes it waited for (hook tools, a snap CLI).
cat > "$work/measure.py" <<'PY'
import collections, os, statistics, subprocess, sys, time
cases = [line.rstrip("\n").split("\t", 1) for line in open(sys.argv[1]) if line.strip()]
runs, requests = int(sys.argv[2]), sys.argv[3]
wall, cpu, rss = (collections.defaultdict(list) for _ in range(3))
for round in range(-2, runs):    # two warm-up rounds fill the page cache
    for label, command in cases:
        start = time.perf_counter()
        child = subprocess.Popen(["bash", "-c", "exec " + command], stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
        _, _, usage = os.wait4(child.pid, 0)
        child.returncode = 0
        if round >= 0:
            wall[label].append((time.perf_counter() - start) * 1000)
            cpu[label].append((usage.ru_utime + usage.ru_stime) * 1000)
            rss[label].append(usage.ru_maxrss / 1024)
    if round == -2:    # what one round asked snapd, for the record
        for request, count in sorted(collections.Counter(l.strip() for l in open(requests)).items()):
            print(f"#   snapd, one round: {count:3d} {request}")
for label, _ in cases:
    print(label, statistics.median(wall[label]), statistics.median(cpu[label]), statistics.median(rss[label]))
PY
python3 "$work/measure.py" "$cases" "$runs" "$work/snapd/requests" > "$work/results"
sed -n 's/^# //p' "$work/results"
while read -r label w c r; do
    [ "${label:0:1}" = "#" ] && continue
    wall[$label]=$w cpu[$label]=$c rss[$label]=$r
done < "$work/results"

echo "load average before: $load_before   after: $(cut -d' ' -f1-3 /proc/loadavg)   cores: $(nproc)"
echo "runs: $runs   runtime: $(sed -n 's/^MODULES=//p' "$charm/runtime/release")   charm: $(($(stat -c %s "$charm_zip") / 1024)) KiB${before_zip:+   before: $(($(stat -c %s "$before_zip") / 1024)) KiB}"
printf '%-12s %10s %8s %8s %8s\n' case "median ms" "x floor" "CPU ms" "RSS MiB"
for label in "${labels[@]}"; do
    [ -n "${wall[$label]:-}" ] || continue
    awk -v l="$label" -v t="${wall[$label]}" -v f="${wall[floor]}" -v c="${cpu[$label]}" -v r="${rss[$label]}" \
        'BEGIN { printf "%-12s %10.1f %8.2f %8.1f %8.1f\n", l, t, t / f, c, r }'
done
awk -v i="${wall[probe-idle]}" -v l="${wall[probe-list]}" -v f="${wall[probe-follow]}" \
    -v ic="${cpu[probe-idle]}" -v lc="${cpu[probe-list]}" -v fc="${cpu[probe-follow]}" \
    'BEGIN { printf "first request to snapd in a hook (list - idle): %.1f ms, CPU %.1f ms\n", l - i, lc - ic
             printf "following a change (follow - list): %.1f ms, CPU %.1f ms\n", f - l, fc - lc }'
if [ -n "$before_zip" ]; then
    for label in no-op no-op-nl peer reconcile; do
        awk -v l="$label" -v a="${wall[$label]}" -v b="${wall[$label-b]}" -v ac="${cpu[$label]}" \
            -v bc="${cpu[$label-b]}" 'BEGIN { printf "%-10s after/before: wall %.2f (%+.1f ms), CPU %.2f (%+.1f ms)\n",
                l, a / b, a - b, ac / bc, ac - bc }'
    done
fi
