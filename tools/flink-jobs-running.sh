#!/usr/bin/env bash
# The example fleet's rollout job check: exit 0 when every FlinkDeployment in the cell's cluster
# runs its job (RUNNING, lifecycle STABLE) or is deliberately suspended; else name the others.
# Usage: tools/flink-jobs-running.sh <eks-cluster> <region>   (needs the aws CLI and kubectl)
set -euo pipefail
cluster=$1
region=$2
kubeconfig=$(mktemp)
trap 'rm -f "$kubeconfig"' EXIT
aws eks update-kubeconfig --name "$cluster" --region "$region" --kubeconfig "$kubeconfig" >/dev/null
jobs=$(kubectl --kubeconfig "$kubeconfig" get flinkdeployments.flink.apache.org --all-namespaces \
  -o jsonpath='{range .items[*]}{.metadata.namespace}/{.metadata.name} {.status.jobStatus.state} {.status.lifecycleState}{"\n"}{end}')
not_running=$(printf '%s\n' "$jobs" | awk 'NF && $3 != "SUSPENDED" && ($2 != "RUNNING" || $3 != "STABLE")')
if [ -n "$not_running" ]; then
  echo "not running in $cluster: $(printf '%s' "$not_running" | tr '\n' ';')"
  exit 1
fi
echo "$(printf '%s\n' "$jobs" | grep -c . || true) FlinkDeployments running in $cluster"
