#!/usr/bin/env bash
# snap CLI spawn vs REST request for the same snapd answer, in one JVM (a program, not a test): the CLI and the
# charm's client ask the same fake snapd (tests/fake-snapd, a process of its own). Run twice: with the JIT, and with
# a hook's flags (-Xint, Serial GC).
#   mvn -B -q package -DskipTests && SNAP_CLI=<snap binary> bench/snapd-calls.sh [calls per round] [rounds]
# SNAP_CLI defaults to /usr/bin/snap. Without snapd installed, Debian's CLI can be unpacked without installing:
#   apt-get download snapd && dpkg-deb -x snapd_*.deb /tmp/snapd-deb  (then SNAP_CLI=/tmp/snapd-deb/usr/bin/snap)
set -euo pipefail
cd "$(dirname "$0")/.."
project=$(pwd)
cli=${SNAP_CLI:-/usr/bin/snap}
[ -x "$cli" ] || { echo "no snap CLI at $cli: set SNAP_CLI (see the header of $0)" >&2; exit 1; }
[ -f target/snap-coherence.jar ] || { echo "run 'mvn -B -q package -DskipTests' first" >&2; exit 1; }
jdk=${JAVA_HOME:-$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")}
work=$(mktemp -d)
snapd_pid=
trap '[ -z "$snapd_pid" ] || kill "$snapd_pid"; rm -rf "$work"' EXIT
cat > "$work/state.json" <<'JSON'
{"version": "2.63",
 "store": {"kubectl": {"1.29/stable": 3000}, "kubelet": {"1.29/stable": 2000}, "kube-proxy": {"1.29/stable": 1100}},
 "installed": {"kubectl": {"channel": "1.29/stable", "revision": 3000},
               "kubelet": {"channel": "1.29/stable", "revision": 2000, "services": ["daemon"]},
               "kube-proxy": {"channel": "1.29/stable", "revision": 1100, "services": ["daemon"]}}}
JSON
snapd_pid=$(tests/fake-snapd/start.sh "$jdk" "$project/target/snap-coherence.jar" "$work/snapd" "$work/state.json")
"$jdk/bin/javac" -d "$work/bench" -cp target/snap-coherence.jar bench/SnapdCallBench.java
cp=$work/bench:target/snap-coherence.jar
echo "snap CLI: $("$cli" version 2>/dev/null | head -1)   load average: $(cut -d' ' -f1-3 /proc/loadavg)   cores: $(nproc)"
echo "-- JIT (default flags)"
"$jdk/bin/java" -cp "$cp" SnapdCallBench "$cli" "$work/snapd/root" "$@"
echo "-- a hook's flags (-Xint -XX:+UseSerialGC, vfork)"
"$jdk/bin/java" -Xint -XX:+UseSerialGC -Djdk.lang.Process.launchMechanism=VFORK -cp "$cp" SnapdCallBench "$cli" \
    "$work/snapd/root" "$@"
