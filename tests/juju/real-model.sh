#!/usr/bin/env bash
# Deploys the built charm into a real Juju model and checks what an operator would check.
# Needs: a bootstrapped Juju 3.x controller (machines, not k8s), and target/snap-coherence.charm
# (`mvn -B package`). Cannot run in CI here: there is no Juju controller on these machines.
#
#   tests/juju/real-model.sh [model-name] [proxy-url]
#
# Principals are plain `ubuntu` units named like Charmed Kubernetes' applications: the subordinate only needs a
# juju-info relation, and the rollout logic does not care what the principal runs.
set -euo pipefail
cd "$(dirname "$0")/../.."
model=${1:-snap-coherence-test}
proxy_url=${2:-}
charm=target/snap-coherence.charm
[ -f "$charm" ] || { echo "build the charm first: mvn -B package" >&2; exit 1; }
command -v juju >/dev/null || { echo "juju CLI not found" >&2; exit 1; }

juju add-model "$model"
trap 'echo "model $model kept for inspection; remove with: juju destroy-model --no-prompt $model"' EXIT
juju deploy ubuntu kubernetes-control-plane -n 3 --base ubuntu@24.04
juju deploy ubuntu kubernetes-worker -n 2 --base ubuntu@24.04
juju deploy "./$charm" snap-coherence
juju integrate snap-coherence:control-plane kubernetes-control-plane
juju integrate snap-coherence:worker kubernetes-worker
if [ -n "$proxy_url" ]; then
    juju config snap-coherence proxy-url="$proxy_url"
fi
juju wait-for application snap-coherence --query='status=="active" || status=="waiting"' --timeout 30m

echo "== statuses"
juju status snap-coherence

echo "== plan (dry run) on the leader"
juju run snap-coherence/leader plan --format=yaml

echo "== every snap-coherence unit reports no error"
if juju status snap-coherence --format=json | grep -q '"current": "error"'; then
    echo "FAIL: a unit is in error" >&2
    exit 1
fi
echo "OK"
