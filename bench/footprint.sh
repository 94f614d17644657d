#!/usr/bin/env bash
# Footprint check with the real charm (a program, not a test): the largest unit-store key, value and store, and the
# largest peer databag values over one rollout, against Juju's limits. Size is CP:W:max-unavailable.
# Usage: bench/footprint.sh [3:5000:100]   (builds the jar first if needed; 3+5000 takes about 3 CPU minutes)
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f target/snap-coherence.jar ] || mvn -B -q -DskipTests package
exec java -cp target/snap-coherence.jar io.snapcoherence.sim.Footprint "$@"
