#!/usr/bin/env bash
# Builds the daemons and runs a single-node cluster on this machine: one
# master (registry on local disk, no ZooKeeper) and one agent, on loopback.
# Prints the node list once the agent is registered, then keeps the cluster
# running until Ctrl-C.
#   scripts/run-cluster.sh [WORK_DIR]     (default: a new temporary folder)
# Ports: DCOS_MASTER_PORT (5050) and DCOS_AGENT_PORT (5051).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
echo "== building" >&2
scripts/build.sh build -DCMAKE_BUILD_TYPE=RelWithDebInfo -- dcos-master dcos-agent dcos >&2

work=${1:-$(mktemp -d /tmp/dcos-cluster-XXXXXX)}
mkdir -p "$work"
master_port=${DCOS_MASTER_PORT:-5050}
agent_port=${DCOS_AGENT_PORT:-5051}
bin=build/daemons

pids=()
stop() {
  trap - INT TERM EXIT
  echo "== stopping the cluster" >&2
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  echo "logs and state are in $work" >&2
}
trap stop INT TERM EXIT

"$bin/master/dcos-master" --ip=127.0.0.1 --port="$master_port" --work_dir="$work/master" \
  >"$work/master.log" 2>&1 &
pids+=($!)
"$bin/agent/dcos-agent" --master="127.0.0.1:$master_port" --ip=127.0.0.1 --port="$agent_port" \
  --work_dir="$work/agent" --attributes="node:local" >"$work/agent.log" 2>&1 &
pids+=($!)

echo "== waiting for the agent to register" >&2
for _ in $(seq 1 100); do
  if "$bin/cli/dcos" --master="127.0.0.1:$master_port" --json node list 2>/dev/null | grep -q '"status": "active"'; then
    break
  fi
  for pid in "${pids[@]}"; do
    kill -0 "$pid" 2>/dev/null || { echo "a daemon exited; its log:" >&2; tail -n 20 "$work"/*.log >&2; exit 1; }
  done
  sleep 0.1
done

"$bin/cli/dcos" --master="127.0.0.1:$master_port" node list
cat <<EOT

The cluster is running:
  master  http://127.0.0.1:$master_port/master/state   log: $work/master.log
  agent   http://127.0.0.1:$agent_port/state            log: $work/agent.log
  CLI     $bin/cli/dcos --master=127.0.0.1:$master_port node list
Press Ctrl-C to stop it.
EOT
wait
