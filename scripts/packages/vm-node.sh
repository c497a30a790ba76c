#!/bin/bash
# The packages on a real machine with pure cgroup v2: run inside the VM
# (scripts/test-vm.sh) by scripts/test-packages.sh, in a folder holding the
# .debs and this script:
#   DCOS_VM_COMMANDS='bash vm-node.sh' scripts/test-vm.sh FOLDER
# Installs the .debs with apt (offline: the image has their dependencies),
# starts dcos-master and dcos-agent under the VM's systemd (PID 1), and
# checks: both units active, the agent registered, a task launched through
# the master runs in a cgroup below the agent unit's, with its memory limit
# in cgroup v2's memory.max. Prints "ok: ..." lines; exits 1 at the first
# failure, with the units' journal. The VM is thrown away afterwards.
# Many commands here are shell text run later, quoted on purpose.
# shellcheck disable=SC2016
set -euo pipefail
cd "$(dirname "$0")"

check() { echo "ok: $*"; }
fail() {
  echo "vm-node: FAILED: $*"
  journalctl --no-pager -n 40 -u dcos-master -u dcos-agent -u dcos-vm-task || true
  exit 1
}
# Polls a command until it succeeds, for up to $1 seconds.
wait_for() {
  local deadline=$((SECONDS + $1)); shift
  until "$@" >/dev/null 2>&1; do
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 0.5
  done
}

check "cgroup file system: $(stat -f -c %T /sys/fs/cgroup), systemd $(systemctl --version | head -n 1)"
DEBIAN_FRONTEND=noninteractive apt-get install -y -q ./*.deb >apt.log 2>&1 || { cat apt.log; fail "apt-get install"; }
check "installed: $(dpkg-query -W -f '${Package} ${Version}, ' 'dcos-*')"

echo DCOS_MASTER=127.0.0.1:5050 >>/etc/dcos/dcos-agent.env
systemctl start dcos-master || fail "systemctl start dcos-master"
systemctl start dcos-agent || fail "systemctl start dcos-agent"
for unit in dcos-master dcos-agent; do
  [ "$(systemctl is-active "$unit")" = active ] || fail "$unit is not active"
done
check "dcos-master and dcos-agent active"
wait_for 60 sh -c 'systemctl show -p StatusText --value dcos-agent | grep -q "^registered with master"' ||
  fail "the agent did not register within 60 s: $(systemctl show -p StatusText --value dcos-agent)"
check "the agent registered: $(systemctl show -p StatusText --value dcos-agent)"

systemd-run --unit=dcos-vm-task --collect dcos --master=127.0.0.1:5050 task run --name sleeper \
  --cpus 0.1 --mem 32 -- 'exec sleep 600' >/dev/null || fail "systemd-run dcos task run"
wait_for 120 sh -c 'journalctl -o cat -u dcos-vm-task | grep -q TASK_RUNNING' ||
  fail "the task did not reach TASK_RUNNING within 120 s: $(journalctl -o cat -u dcos-vm-task)"
task_pid=$(pgrep -x -f 'sleep 600' | head -n 1)
[ -n "$task_pid" ] || fail "no process of the task"
agent_cgroup=$(systemctl show -p ControlGroup --value dcos-agent)
task_cgroup=$(sed -n 's/^0:://p' "/proc/$task_pid/cgroup")
case $task_cgroup in
  "$agent_cgroup"/*) ;;
  *) fail "the task (pid $task_pid) is in $task_cgroup, not below $agent_cgroup" ;;
esac
check "the task (pid $task_pid) runs in $task_cgroup, below the agent unit's $agent_cgroup"
# Its memory limit, 32 MB, on its cgroup or one between it and the agent's.
limit=
group=$task_cgroup
while [ "$group" != "$agent_cgroup" ] && [ -n "$group" ]; do
  if [ -r "/sys/fs/cgroup$group/memory.max" ] && [ "$(cat "/sys/fs/cgroup$group/memory.max")" = 33554432 ]; then
    limit=$group
    break
  fi
  group=${group%/*}
done
[ -n "$limit" ] || fail "no memory.max of 33554432 (--mem 32) from $task_cgroup up to $agent_cgroup"
check "memory.max 33554432 on $limit (cgroup v2)"
