#!/bin/bash
# Runs inside the VM as the dcos-vm-test unit's payload (/opt/dcos-test/run.sh).
# Puts the build tree back at its absolute path (the test binaries have the
# daemons' paths compiled in), runs each line of `commands` in it, and writes
# result/log and result/exit-code (the first failing command's code).
payload=/opt/dcos-test
build_dir=$(cat "$payload/build-dir")
mkdir -p "$payload/result"

run() {
  echo "== VM evidence"
  echo "uname -r: $(uname -r)"
  echo "/sys/fs/cgroup type: $(stat -f -c %T /sys/fs/cgroup)"
  echo "cgroup.controllers: $(cat /sys/fs/cgroup/cgroup.controllers)"
  echo "cgroup.subtree_control: $(cat /sys/fs/cgroup/cgroup.subtree_control)"
  echo "own cgroup: $(cat /proc/self/cgroup)"
  echo "cpus: $(nproc), memory: $(awk '/MemTotal/ {print $2 " kB"}' /proc/meminfo)"
  if ! { mkdir -p "$build_dir" && mount --bind "$payload/build" "$build_dir"; }; then
    echo "cannot bind the build tree at $build_dir"
    echo 1 >"$payload/result/exit-code"
    return
  fi
  local rc=0 status
  while IFS= read -r command; do
    [ -n "$command" ] || continue
    echo "== $command"
    local start=$SECONDS
    (cd "$build_dir" && eval "$command")
    status=$?
    echo "== exit $status after $((SECONDS - start)) s: $command"
    [ "$rc" -ne 0 ] || rc=$status
  done <"$payload/commands"
  echo "$rc" >"$payload/result/exit-code"
}

run 2>&1 | tee "$payload/result/log"
sync
