#!/usr/bin/env bash
# Scale benchmark of the simulator with the real charm (a program, not a test). Sizes are CP:W:max-unavailable.
# Usage: bench/simulator.sh [--tame NAME[,NAME]] [3:100:10 3:1000:50 ...]   (builds the jar first if needed)
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f target/snap-coherence.jar ] || mvn -B -q -DskipTests package
exec java -Xss8m -cp target/snap-coherence.jar io.snapcoherence.sim.Benchmark "$@"
