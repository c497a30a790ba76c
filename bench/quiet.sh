#!/usr/bin/env bash
# Runs one benchmark with the machine as quiet as a shared build machine
# allows:
#   bench/quiet.sh build/bench/container-launch-bench --count=150
# One benchmark at a time (a lock in /var/tmp), and every compiler, linker,
# ninja and QEMU on the machine paused (SIGSTOP) while it runs, resumed
# after (also on Ctrl-C); those whose working directory is under
# $QUIET_SPARE (default /var/tmp/ci-run) are left running. Root, to pause
# other users' processes. Other load (another benchmark started without it,
# a VM's guest) is not paused: compare figures only from runs taking turns.
set -u
exec 9>/var/tmp/dcos-bench.lock
flock 9
spare=${QUIET_SPARE:-/var/tmp/ci-run}
paused=()
for pid in $(pgrep -f 'cc1plus|cc1 |/ld|ld.gold|ninja|clang|qemu-system' 2>/dev/null); do
  [ "$pid" = "$$" ] && continue
  cwd=$(readlink "/proc/$pid/cwd" 2>/dev/null) || continue
  case "$cwd" in "$spare"*) continue ;; esac
  kill -STOP "$pid" 2>/dev/null && paused+=("$pid")
done
resume() { for pid in "${paused[@]}"; do kill -CONT "$pid" 2>/dev/null; done; }
trap resume EXIT
trap 'exit 130' INT TERM
"$@"
