#!/bin/sh
# Starts the fake snapd (src/test/java/io/snapcoherence/snap/fakesnapd, where its behaviour is documented) in the
# background, for scripts that run the charm as a process: the build's training run and bench/hook-bench.sh.
#   tests/fake-snapd/start.sh <JDK home> <charm JAR> <work dir> <state file>
# Compiles the fake against the charm JAR into <work dir>/classes, listens on <work dir>/root/run/snapd.socket
# (a charm or snap CLI given SNAPPY_GLOBAL_ROOT=<work dir>/root talks to it), appends one line per request to
# <work dir>/requests, and prints the server's PID once it listens. Stop it with: kill <PID>.
set -eu
[ $# -eq 4 ] || { echo "usage: $0 <JDK home> <charm JAR> <work dir> <state file>" >&2; exit 2; }
jdk=$1 jar=$2 work=$3 state=$4
here=$(cd "$(dirname "$0")" && pwd)
sources="$here/../../src/test/java/io/snapcoherence/snap/fakesnapd"
mkdir -p "$work/classes" "$work/root/run"
"$jdk/bin/javac" -nowarn -d "$work/classes" -cp "$jar" "$sources/FakeSnapd.java" "$sources/FakeSnapdState.java"
socket="$work/root/run/snapd.socket"
rm -f "$socket"
"$jdk/bin/java" -XX:+UseSerialGC -Xshare:auto -cp "$work/classes:$jar" io.snapcoherence.snap.fakesnapd.FakeSnapd \
    --root "$work/root" --state "$state" --log "$work/requests" >"$work/fake-snapd.out" 2>&1 &
pid=$!
tries=0
until [ -S "$socket" ]; do    # polling a condition with a deadline (30 s)
    if ! kill -0 "$pid" 2>/dev/null || [ $tries -ge 300 ]; then
        echo "fake snapd did not start; its output:" >&2
        cat "$work/fake-snapd.out" >&2
        kill "$pid" 2>/dev/null || true
        exit 1
    fi
    tries=$((tries + 1))
    sleep 0.1
done
echo "$pid"
