#!/bin/bash
# Hook start-up benchmark of the built charm (a program, not a test).
#   mvn -B -q package -DskipTests && bench/hook-bench.sh [runs]
# Unpacks target/snap-coherence.charm as Juju does (no file times kept), then measures, in one run, the median
# wall time, median CPU time (user + system of the hook's processes and their children) and median peak RSS of:
#   (a) floor      the bundled runtime running an empty main (dispatch's JVM flags, a JDK-only CDS archive)
#   (b) no-op      update-status through dispatch, on the leader (no-op-nl: on the unit that is not the leader)
#   (c) peer       coherence-relation-changed on the leader that changes nothing, through dispatch
#   (d) reconcile  config-changed (the full reconcile as it exists today, without proxy-url), a look included
#   (e) probe-*    the bundled runtime and the charm's archive running the charm's snapd client after one tool
#                  spawn: no request (idle), GET /v2/snaps (list), and then GET /v2/changes/<id> (follow):
#                  list - idle is a hook's first request to snapd, follow - list what following a change adds
# and for reference: the shaded JAR with `java -jar` on the system JDK, and a minimal Python dispatch -> exit.
# snapd is the fake snapd (tests/fake-snapd) with kubectl installed at the store's revision, found through
# SNAPPY_GLOBAL_ROOT; hook tools are the canned ones of packaging/training-tools, except those of the unit store,
# the peer relation and leadership.
# The frozen state is the steady state of a converged model, derived by this build's own hooks: a model of two
# units (snap-coherence/0 the leader, snap-coherence/1; their stores and databags and the app databag kept in
# files, as Juju keeps a successful hook's writes) runs install, leader-elected, config-changed, start and the
# peer relation's joined and changed, then rounds of update-status and coherence-relation-changed on each unit until a round
# writes nothing. So the app databag holds what a converged leader holds (its offers for the units' view, the
# check round they answered, no plan), and each unit's store and databag what it wrote. Only one value is then
# moved: each unit's last look (store-check) two minutes back, so every reconcile looks as an operator's config
# change does. The measured hooks read that state and their writes are logged, not kept; the script fails if
# no-op, no-op-nl, peer or java-jar writes anything or any hook of this build asks snapd for its sequences
# (GET /v2/snaps?select=all, asked only where the unit's view may be written): then the state is not steady.
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
    [ -n "${KEEP_WORK:-}" ] && echo "work dir kept: $work" >&2 || rm -rf "$work"
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

# The frozen state is derived, not written by hand: the charm's own hooks run against a model of two units kept in
# files (packaging/model-tool.py, on which the build trains its class-data archive too: unit stores, unit databags
# and the app databag, each write applied as Juju applies a successful hook's writes), snap-coherence/0 the leader,
# until a round of update-status and coherence-relation-changed on both units writes nothing. The measured hooks then
# read that state through canned tools that discard writes and log them, so every run of a case starts from the same
# converged state.
tools="$work/tools"
converge_tools="$work/tools-converge"
model="$work/model"
frozen="$work/frozen"
mkdir -p "$model" "$frozen"
cp -r "$project/packaging/training-tools" "$converge_tools"
for tool in is-leader state-get state-set relation-list relation-get relation-set; do
    printf '#!/bin/sh\nexec python3 %q/packaging/model-tool.py %s "$@"\n' "$project" "$tool" > "$converge_tools/$tool"
done
chmod +x "$converge_tools"/*
hook_env() {    # <tools> <charm dir> <unit number>: Juju's environment of a hook
    echo env -i PATH="$1:/usr/bin:/bin" LANG=C.UTF-8 JUJU_CHARM_DIR="$2" SNAPPY_GLOBAL_ROOT="$snapd_root" \
        JUJU_UNIT_NAME="snap-coherence/$3" JUJU_MODEL_NAME=bench JUJU_PRINCIPAL_UNIT="kubernetes-worker/$3" \
        MODEL_DIR="$model"
}
remote_env() {    # <remote unit number>
    echo JUJU_RELATION=coherence JUJU_RELATION_ID=coherence:2 JUJU_REMOTE_UNIT="snap-coherence/$1" \
        JUJU_REMOTE_APP=snap-coherence
}
converge_hook() {    # <unit number> <hook> [<remote unit number>]
    local env remote=()
    read -r -a env <<< "$(hook_env "$converge_tools" "$charm" "$1")"
    [ $# -lt 3 ] || read -r -a remote <<< "$(remote_env "$3")"
    (cd "$charm" && "${env[@]}" "${remote[@]}" JUJU_DISPATCH_PATH="hooks/$2" ./dispatch >/dev/null 2>&1) \
        || { echo "converging: $2 on snap-coherence/$1 failed" >&2; exit 1; }
}
if [ -n "$before_zip" ]; then    # its first hook restores the JAR's time (dispatch); its writes are not kept
    read -r -a install_env <<< "$(hook_env "$project/packaging/training-tools" "$work/before" 0)"
    (cd "$work/before" && "${install_env[@]}" JUJU_DISPATCH_PATH=hooks/install ./dispatch >/dev/null 2>&1)
fi
# A deployment's hooks, in Juju's order, then rounds until quiet.
for unit in 0 1; do
    converge_hook $unit install
    [ $unit != 0 ] || converge_hook $unit leader-elected
    converge_hook $unit config-changed
    converge_hook $unit start
done
for unit in 0 1; do
    converge_hook $unit coherence-relation-joined $((1 - unit))
    converge_hook $unit coherence-relation-changed $((1 - unit))
done
rounds=0
while [ -s "$model/writes" ]; do
    rounds=$((rounds + 1))
    if [ $rounds -gt 10 ]; then
        echo "the model did not converge in 10 rounds; last writes:" >&2
        cat "$model/writes" >&2
        exit 1
    fi
    : > "$model/writes"
    for unit in 0 1; do
        converge_hook $unit update-status
        converge_hook $unit coherence-relation-changed $((1 - unit))
    done
done
# Frozen: the converged files, but each unit's last look (store-check) put back by two minutes, as the operator's
# config change of the reconcile case comes more than StoreCheck.EVERY (1 minute) after it: so every run of
# config-changed looks, not only those more than a minute after the model converged.
MODEL_DIR="$model" python3 "$project/packaging/model-tool.py" age-last-look 2
cp "$model"/*.json "$frozen"/
app="$frozen/app-snap-coherence.json"
python3 -c 'import json, sys; sys.exit(0 if json.load(open(sys.argv[1])).get("offers") else 1)' "$app" \
    || { echo "the converged app databag holds no offers: $(cat "$app")" >&2; exit 1; }
echo "converged: the deployment's hooks, then $rounds round(s), the last writing nothing; app databag keys:" \
    "$(python3 -c 'import json, sys; print(" ".join(sorted(json.load(open(sys.argv[1])))))' "$app")"

# The measured hooks' tools: the training tools answering the frozen state for the unit they run as, and logging
# a write (state-set, relation-set) instead of keeping it.
cp -r "$project/packaging/training-tools" "$tools"
if [ -n "${SNAP_CLI:-}" ]; then
    ln -s "$(readlink -f "$SNAP_CLI")" "$tools/snap"
fi
writes="$work/writes"
: > "$writes"
printf '#!/bin/sh\ncase "$JUJU_UNIT_NAME" in */0) echo true ;; *) echo false ;; esac\n' > "$tools/is-leader"
printf '#!/bin/sh\ncat %q/store-snap-coherence-"${JUJU_UNIT_NAME##*/}".json\n' "$frozen" > "$tools/state-get"
cat > "$tools/relation-get" <<SH
#!/bin/sh
case "\$*" in
    *coherence:2*--app*snap-coherence) cat $(printf %q "$frozen")/app-snap-coherence.json ;;
    *coherence:2*snap-coherence/[01]) cat $(printf %q "$frozen")/unit-snap-coherence-"\${*##*/}".json ;;
    *) echo "{}" ;;
esac
SH
cat > "$tools/relation-list" <<'SH'
#!/bin/sh
case "$*" in
    *--app*) echo '"snap-coherence"' ;;
    *coherence:2*)
        case "$JUJU_UNIT_NAME" in */0) echo '["snap-coherence/1"]' ;; *) echo '["snap-coherence/0"]' ;; esac ;;
    *) echo "[\"$JUJU_PRINCIPAL_UNIT\"]" ;;
esac
SH
for tool in state-set relation-set; do
    printf '#!/bin/sh\ncat > /dev/null\necho "$JUJU_UNIT_NAME $JUJU_DISPATCH_PATH %s $*" >> %q\n' "$tool" "$writes" \
        > "$tools/$tool"
done
chmod +x "$tools"/*
read -r -a juju_env <<< "$(hook_env "$tools" "$charm" 0)"
read -r -a nl_env <<< "$(hook_env "$tools" "$charm" 1)"
read -r -a before_env <<< "$(hook_env "$tools" "$work/before" 0)"
read -r -a nl_before_env <<< "$(hook_env "$tools" "$work/before" 1)"
read -r -a peer_env <<< "JUJU_DISPATCH_PATH=hooks/coherence-relation-changed $(remote_env 1)"

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
: > "$work/snapd/requests"

cases="$work/cases"
: > "$cases"
for label in "${labels[@]}"; do
    printf '%s\t%s\n' "$label" "${command[$label]}" >> "$cases"
done
# Each run: bash execs the case's command (one process all the way to the JVM); wait4 gives its wall time, its
# CPU time and peak RSS together with those of the processes it waited for (hook tools, a snap CLI).
# What each case asked snapd and tried to write is counted over all its runs (the fake snapd logs a request
# before it answers it, a measured hook's write tools log their call), for the check below.
cat > "$work/measure.py" <<'PY'
import collections, os, statistics, subprocess, sys, time
cases = [line.rstrip("\n").split("\t", 1) for line in open(sys.argv[1]) if line.strip()]
runs, requests, writes = int(sys.argv[2]), sys.argv[3], sys.argv[4]
wall, cpu, rss = (collections.defaultdict(list) for _ in range(3))
asked, select_all, wrote = (collections.Counter() for _ in range(3))
def lines_after(path, offset):
    with open(path) as f:
        f.seek(offset)
        return f.read().splitlines()
for round in range(-2, runs):    # two warm-up rounds fill the page cache
    for label, command in cases:
        requests_at, writes_at = os.path.getsize(requests), os.path.getsize(writes)
        start = time.perf_counter()
        child = subprocess.Popen(["bash", "-c", "exec " + command], stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
        _, _, usage = os.wait4(child.pid, 0)
        child.returncode = 0
        if round >= 0:
            wall[label].append((time.perf_counter() - start) * 1000)
            cpu[label].append((usage.ru_utime + usage.ru_stime) * 1000)
            rss[label].append(usage.ru_maxrss / 1024)
        new = lines_after(requests, requests_at)
        asked[label] += len(new)
        select_all[label] += sum(1 for line in new if "select=all" in line)
        wrote[label] += len(lines_after(writes, writes_at))
    if round == -2:    # what one round asked snapd, for the record
        for request, count in sorted(collections.Counter(l.strip() for l in open(requests)).items()):
            print(f"#   snapd, one round: {count:3d} {request}")
for label, _ in cases:
    print(label, statistics.median(wall[label]), statistics.median(cpu[label]), statistics.median(rss[label]))
for label, _ in cases:    # per run, over the warm-up and measured runs
    n = runs + 2
    print(f"@ {label} {asked[label] / n:.1f} {select_all[label] / n:.1f} {wrote[label] / n:.1f}")
PY
python3 "$work/measure.py" "$cases" "$runs" "$work/snapd/requests" "$writes" > "$work/results"
sed -n 's/^# //p' "$work/results"
declare -A asked select_all wrote
while read -r label w c r x; do
    case "$label" in
        "#"*) ;;
        @) asked[$w]=$c select_all[$w]=$r wrote[$w]=$x ;;
        *) wall[$label]=$w cpu[$label]=$c rss[$label]=$r ;;
    esac
done < "$work/results"

echo "load average before: $load_before   after: $(cut -d' ' -f1-3 /proc/loadavg)   cores: $(nproc)"
echo "runs: $runs   runtime: $(sed -n 's/^MODULES=//p' "$charm/runtime/release")   charm: $(($(stat -c %s "$charm_zip") / 1024)) KiB${before_zip:+   before: $(($(stat -c %s "$before_zip") / 1024)) KiB}"
# per run: requests to snapd, of which GET /v2/snaps?select=all, and write tool calls (state-set, relation-set)
printf '%-12s %10s %8s %8s %8s %6s %6s %6s\n' case "median ms" "x floor" "CPU ms" "RSS MiB" snapd all writes
for label in "${labels[@]}"; do
    [ -n "${wall[$label]:-}" ] || continue
    awk -v l="$label" -v t="${wall[$label]}" -v f="${wall[floor]}" -v c="${cpu[$label]}" -v r="${rss[$label]}" \
        -v q="${asked[$label]}" -v a="${select_all[$label]}" -v w="${wrote[$label]}" \
        'BEGIN { printf "%-12s %10.1f %8.2f %8.1f %8.1f %6.1f %6.1f %6.1f\n", l, t, t / f, c, r, q, a, w }'
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
# What the archive misses: the classes a steady hook loads from elsewhere (the JAR, the runtime image, or defined at
# run time: lambda forms, method handles of a record's equals), each one parsed or spun at every hook. One run of
# each with class loading logged (JAVA_TOOL_OPTIONS, which the JVM reads from the environment dispatch passes on).
outside() {    # <label>: prints the count for that case's command
    local log="$work/classes-$1.log" cmd=${command[$1]}
    cmd=${cmd/env -i /env -i JAVA_TOOL_OPTIONS=-Xlog:class+load:file=$(printf %q "$log") }
    bash -c "exec $cmd" >/dev/null 2>&1 || true
    grep -vc 'source: shared objects file' "$log" || true
}
for label in no-op no-op-nl peer; do
    printf 'classes loaded outside the archive, %s: %s%s\n' "$label" "$(outside "$label")" \
        "${before_zip:+ (before: $(outside "$label-b"))}"
done
# The check that the frozen state is the steady state for this build: its idle hooks write nothing and its hooks
# never read snapd's sequences (GET /v2/snaps?select=all, only where the view may be written), else the figures
# above measure something else. The build before is measured as it behaves in that state, unchecked.
steady=true
for label in no-op no-op-nl peer java-jar reconcile; do
    if [ "${select_all[$label]}" != 0.0 ] || { [ "$label" != reconcile ] && [ "${wrote[$label]}" != 0.0 ]; }; then
        echo "NOT STEADY: $label made ${select_all[$label]} select=all requests and ${wrote[$label]} writes per run" >&2
        steady=false
    fi
done
if ! $steady; then
    echo "writes of the measured hooks (first 20):" >&2
    head -20 "$writes" >&2
    exit 1
fi
echo "steady: no-op, no-op-nl, peer and java-jar wrote nothing; no hook of this build asked snapd for select=all"
