#!/usr/bin/env bash
# Builds the daemons and runs a single-node cluster on this machine: one
# master (registry on local disk, no ZooKeeper) and one agent, on loopback.
# Prints the node list once the agent is registered, runs an example task
# through the master (`dcos task run`, in a container on the agent) and shows
# it running, then keeps the cluster running until Ctrl-C, which ends the
# task (the one-shot framework tears itself down) and then the daemons.
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
task_pid=
stop() {
  trap - INT TERM EXIT
  echo "== stopping the cluster" >&2
  if [ -n "$task_pid" ]; then
    # The task's framework tears itself down and the agent kills the task
    # (a grace period, then SIGKILL): wait for that before stopping the
    # daemons, since tasks outlive their agent by design.
    kill -TERM "$task_pid" 2>/dev/null || true
    wait "$task_pid" 2>/dev/null || true
    for _ in $(seq 1 100); do
      # The agent's /state lists a task under "tasks" until it has ended.
      curl -sf "http://127.0.0.1:$agent_port/state" | grep -q '"tasks":\[{' || break
      sleep 0.1
    done
  fi
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  echo "logs and state are in $work" >&2
}
trap stop INT TERM EXIT

dcos=("$bin/cli/dcos" --master="127.0.0.1:$master_port")
# The daemons in sessions of their own: a Ctrl-C reaches this script (and
# the task's CLI), which stops them in order.
setsid "$bin/master/dcos-master" --ip=127.0.0.1 --port="$master_port" --work_dir="$work/master" \
  >"$work/master.log" 2>&1 &
pids+=($!)
setsid "$bin/agent/dcos-agent" --master="127.0.0.1:$master_port" --ip=127.0.0.1 --port="$agent_port" \
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

"${dcos[@]}" node list

echo "== an example task: dcos task run --name hello --cpus 0.1 --mem 32 -- 'echo hello from a container; sleep 3600'" >&2
"${dcos[@]}" task run --name hello --cpus 0.1 --mem 32 -- 'echo hello from a container; sleep 3600' \
  >"$work/task.log" 2>&1 &
task_pid=$!
for _ in $(seq 1 100); do
  grep -q TASK_RUNNING "$work/task.log" 2>/dev/null && break
  kill -0 "$task_pid" 2>/dev/null || break
  sleep 0.1
done
cat "$work/task.log"
"${dcos[@]}" task list
cat <<EOT

The cluster is running:
  master  http://127.0.0.1:$master_port/master/state   log: $work/master.log
  agent   http://127.0.0.1:$agent_port/state            log: $work/agent.log
  task    its stdout is in the agent's sandbox: $work/agent/slaves/*/frameworks/*/executors/hello.*/runs/*/stdout
  CLI     $bin/cli/dcos --master=127.0.0.1:$master_port task list
Press Ctrl-C to stop it.
EOT
wait "${pids[@]}"
