#!/usr/bin/env bash
# The packages as an operator gets them, on a real systemd:
#   scripts/test-packages.sh
# 1. builds the .debs with dpkg-buildpackage (debian/) and checks them with
#    lintian (errors fail the test);
# 2. boots systemd as PID 1 in new namespaces (scripts/packages/boot-systemd.sh)
#    on the VM's cached Debian image (scripts/vm/build-image.sh, built once),
#    its cgroups in new children of this process's own;
# 3. installs the packages there with apt, starts dcos-master and dcos-agent
#    and checks: each unit is active only once it serves, the agent
#    registers, a task launched through the master runs in a cgroup of the
#    agent's unit, `journalctl -u dcos-agent TASK_ID=...` tells the task's
#    story, `systemctl restart dcos-agent` leaves the task running and the
#    agent recovers it, and a stopped (hung) agent is restarted by the
#    watchdog, the task still running; `dcos node diagnostics` bundles all
#    that (scripts/packages/check-diagnostics.sh). Also: the RPMs (scripts/packages/check-rpm.sh), dcos-dns and dcos-l4lb
#    (serving, their users and capabilities, the L4LB's cleanup), the boot
#    order, and bad settings (an unknown one, an unknown flag, bad values,
#    the agent without DCOS_MASTER): each unit failed, not retried, its line
#    in systemctl status;
# 4. installs the same .debs in the VM (pure cgroup v2, scripts/test-vm.sh)
#    and checks the master, the agent and a task there
#    (scripts/packages/vm-node.sh).
# Everything it makes is removed afterwards, also on failure: the namespaces
# end with their systemd, their mounts with them, and the cgroups are removed.
# Exits 0 with "SKIP packages: <what is missing>" when this machine cannot
# run it. Needs root. Environment: DCOS_PKG_CACHE (/var/cache/dcos-packages,
# where the packages are built, at a fixed path so that ccache hits), and
# those of scripts/vm/build-image.sh.
# Many commands here are shell text for a shell in the namespaces, quoted so
# that this one leaves them alone.
# shellcheck disable=SC2016
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source_dir=$(dirname "$here")
cache=${DCOS_PKG_CACHE:-/var/cache/dcos-packages}

skip() { echo "SKIP packages: $*"; exit 0; }
die() { echo "packages: $*" >&2; exit 1; }
step() { echo "== packages: $*" >&2; }

[ "$(id -u)" -eq 0 ] || skip "needs root (cgroups, namespaces, mounts)"
for tool in dpkg-buildpackage dh lintian unshare nsenter flock mount losetup timeout; do
  command -v "$tool" >/dev/null || skip "$tool not found (scripts/install-deps.sh installs it)"
done
[ -e /dev/loop-control ] || skip "no loop devices (/dev/loop-control) to mount the image with"

work=$(mktemp -d "${TMPDIR:-/tmp}/dcos-packages-XXXXXX")
cgroup_name=dcos-packages-$$
cgroups=()
ns_pid=
unshare_pid=
building=

# The namespaces' PID 1 ending kills every process in them (the tasks too);
# the cgroups are then empty and can go, deepest first.
cleanup() {
  local status=$?
  if [ -n "$ns_pid" ] && kill -0 "$ns_pid" 2>/dev/null; then
    in_ns systemctl poweroff >/dev/null 2>&1 || true
    for _ in $(seq 1 100); do kill -0 "$ns_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$ns_pid" 2>/dev/null || true
  fi
  [ -z "$unshare_pid" ] || wait "$unshare_pid" 2>/dev/null || true
  local cgroup
  for cgroup in ${cgroups[@]+"${cgroups[@]}"}; do
    for _ in $(seq 1 50); do
      [ -d "$cgroup" ] || break
      find "$cgroup" -depth -type d -exec rmdir {} + 2>/dev/null || sleep 0.1
    done
    [ ! -d "$cgroup" ] || echo "packages: cannot remove the cgroup $cgroup" >&2
  done
  if [ "$status" -ne 0 ] && [ -s "$work/console" ]; then
    echo "packages: systemd's console, last lines:" >&2
    tail -n 30 "$work/console" >&2
  fi
  # The build's copy of the tree is ours only while we hold the lock.
  [ -z "$building" ] || rm -rf "$cache/build"
  rm -rf "$work"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

in_ns() { nsenter -t "$ns_pid" -a env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root "$@"; }

# Polls a command in the namespaces until it succeeds, for up to $1 seconds.
wait_for() {
  local seconds=$1; shift
  local deadline=$((SECONDS + seconds))
  until in_ns "$@" >/dev/null 2>&1; do
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 0.2
  done
}

check() { echo "ok: $*" >&2; }
fail() {
  echo "packages: FAILED: $*" >&2
  in_ns journalctl --no-pager -n 40 -u dcos-master -u dcos-agent -u dcos-dns -u dcos-l4lb >&2 || true
  exit 1
}

# A bad setting: `systemctl start UNIT` fails at once, the unit is failed
# and not retried, and its last journal line, which `systemctl status`
# shows, is the daemon's and contains TEXT. Leaves the unit failed.
#   refuses UNIT TEXT WHAT
refuses() {
  local unit=$1 text=$2 what=$3 why status
  in_ns systemctl reset-failed "$unit" 2>/dev/null || true
  in_ns systemctl restart "$unit" 2>/dev/null && fail "$unit started with $what"
  [ "$(in_ns systemctl is-failed "$unit")" = failed ] || fail "$unit is not failed with $what"
  [ "$(in_ns systemctl show -p NRestarts --value "$unit")" = 0 ] || fail "$unit was restarted with $what"
  why=$(in_ns journalctl -o cat -u "$unit" "_COMM=$unit" -n 1)
  grep -q -F -- "$text" <<<"$why" || fail "$unit's last journal line with $what lacks '$text': $why"
  status=$(in_ns systemctl status --no-pager -n 10 "$unit" 2>&1) || true
  grep -q -F -- "$why" <<<"$status" || fail "systemctl status $unit does not show '$why': $status"
  check "$unit refused $what, not retried; journal and systemctl status: $why"
}
# UNIT's process runs as a dynamic user with the capability set CAPS (hex,
# as /proc/PID/status shows it; NAME for the message) and no new privileges.
#   runs_confined UNIT CAPS NAME
runs_confined() {
  local unit=$1 caps=$2 name=$3 pid status uid field
  pid=$(in_ns systemctl show -p MainPID --value "$unit")
  status=$(in_ns cat "/proc/$pid/status")
  uid=$(awk '/^Uid:/ { print $2 }' <<<"$status")
  if [ "$uid" -lt 61184 ] || [ "$uid" -gt 65519 ]; then fail "$unit runs as uid $uid, not a dynamic user"; fi
  for field in "CapEff:$caps" "CapPrm:$caps" "CapBnd:$caps" NoNewPrivs:1; do
    grep -q "^${field%%:*}:[[:space:]]*${field#*:}\$" <<<"$status" ||
      fail "$unit: ${field%%:*} is not ${field#*:}: $(grep "^${field%%:*}:" <<<"$status")"
  done
  check "$unit runs as dynamic uid $uid with $name alone and no new privileges;" \
    "systemd-analyze security: $(in_ns systemd-analyze security --no-pager "$unit" | tail -n 1)"
}
# Appends LINE to /etc/dcos/FILE for the test of a bad setting; unset_settings
# puts every file back.
set_setting() { in_ns sh -c 'cp -n "/etc/dcos/$1" "/etc/dcos/$1.test-orig"; echo "$2" >>"/etc/dcos/$1"' _ "$1" "$2"; }
unset_settings() { in_ns sh -c 'for f in /etc/dcos/*.test-orig; do [ -e "$f" ] && mv "$f" "${f%.test-orig}"; done; true'; }

# -- 1. the packages --------------------------------------------------------
step "building the .deb packages (dpkg-buildpackage, log $cache/build.log)"
mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9
building=1
# A fresh copy of the tree (what git tracks, or would) in $cache/build/src,
# a fixed path so that ccache finds the objects of the previous build.
copy_tree() {
  rm -rf "$cache/build/src"
  mkdir -p "$cache/build/src"
  if git -C "$source_dir" rev-parse --git-dir >/dev/null 2>&1; then
    (cd "$source_dir" && git ls-files -z --cached --others --exclude-standard) |
      (cd "$source_dir" && tar --null -T - -cf -) | tar -C "$cache/build/src" -xf -
  else
    tar -C "$source_dir" --exclude='./build*' --exclude=./.cache -cf - . | tar -C "$cache/build/src" -xf -
  fi
}
rm -rf "$cache/build"
copy_tree
# ccache: the same cache as scripts/build.sh; hits for the precompiled
# header's users too; one locale for the .deb and the RPM builds (ccache
# hashes it, and rpmbuild sets LANG=C), so the RPM build finds the .deb
# build's objects, and a run finds the last run's whatever its caller's locale.
export CCACHE_DIR=${CCACHE_DIR:-$HOME/.cache/ccache} CCACHE_SLOPPINESS=pch_defines,time_macros LANG=C LC_ALL=C
unset LC_CTYPE LC_MESSAGES
start=$SECONDS
# No -dbgsym packages: the test would not install them, and compressing
# their debug information is the slowest part of the package build.
if ! (cd "$cache/build/src" && DEB_BUILD_OPTIONS="parallel=$(nproc) nocheck noddebs" \
      dpkg-buildpackage -us -uc -b) >"$cache/build.log" 2>&1; then
  tail -n 40 "$cache/build.log" >&2
  die "dpkg-buildpackage failed (log $cache/build.log)"
fi
mkdir -p "$work/payload"
cp "$cache"/build/*.deb "$work/payload/"
check "dpkg-buildpackage built $(cd "$work/payload" && echo *.deb) in $((SECONDS - start)) s"

step "lintian"
if ! lintian --fail-on error --tag-display-limit 0 "$cache"/build/*.changes >"$work/lintian.log" 2>&1; then
  cat "$work/lintian.log" >&2
  die "lintian reports errors"
fi
cat "$work/lintian.log" >&2
check "lintian: no errors ($(grep -c '^[WI]:' "$work/lintian.log" || true) warnings and notes above)"

if command -v rpmbuild >/dev/null && command -v rpmlint >/dev/null; then
  step "building the RPMs (rpmbuild, log $cache/rpmbuild.log), rpmlint, their files against the .debs'"
  # In the .deb build's tree, CMake folder and all: its objects are the
  # RPMs' (the same compiler flags), so ninja has nothing left to compile.
  # (A fresh copy missed ccache for every object: 20 minutes here.)
  start=$SECONDS
  "$here/packages/check-rpm.sh" "$cache/build/src" "$work/payload" "$cache/rpmbuild.log" >"$work/rpm.log" 2>&1 ||
    { cat "$work/rpm.log" >&2; die "the RPMs (log $cache/rpmbuild.log)"; }
  cat "$work/rpm.log" >&2
  check "the RPMs built in $((SECONDS - start)) s, rpmlint: no errors, the same files as the .debs"
else
  echo "SKIP packages: the RPMs: rpmbuild or rpmlint not found (scripts/install-deps.sh installs rpm and rpmlint)" >&2
fi
rm -rf "$cache/build"
building=
flock -u 9

# -- 2. systemd in namespaces ---------------------------------------------
# The image needs the packages' dependencies already (the namespaces have no
# network, so apt installs from what is there). The libraries they link are
# passed on (build-image.sh adds those its list lacks, and so builds a new
# image only for a new library); the rest (systemd) the image has anyway.
mapfile -t depends < <(for deb in "$work"/payload/*.deb; do dpkg-deb -f "$deb" Depends; done |
  tr ',' '\n' | sed -E 's/\|.*//; s/\(.*\)//; s/[[:space:]]//g' | grep '^lib' | sort -u)
image_status=0
image=$("$source_dir/scripts/vm/build-image.sh" "${depends[@]}") || image_status=$?
[ "$image_status" -ne 77 ] || skip "no Debian image (build-image.sh said why, above)"
[ "$image_status" -eq 0 ] || die "building the Debian image failed"

step "booting systemd in namespaces on $image/base.ext4"
# Each hierarchy but cpuset gets a new child of this process's cgroup; the
# namespaces' cgroup namespace is rooted there.
while read -r mountpoint type options; do
  [ "$mountpoint" != /sys/fs/cgroup/cpuset ] || continue
  if [ "$type" = cgroup2 ]; then own=$(sed -n 's/^0:://p' /proc/self/cgroup)
  else
    controller=$(tr , '\n' <<<"$options" | grep -v -E '^(rw|ro|noprefix|clone_children|xattr|release_agent=.*)$' | head -n 1)
    own=$(awk -F: -v c="$controller" '{ n = split($2, list, ","); for (i = 1; i <= n; i++) if (list[i] == c) print $3 }' /proc/self/cgroup)
  fi
  cgroups+=("$mountpoint${own%/}/$cgroup_name")
  mkdir "${cgroups[-1]}"
done < <(awk '{ for (i = 7; i < NF; i++) if ($i == "-") break;
                if ($5 ~ "^/sys/fs/cgroup" && ($(i+1) == "cgroup" || $(i+1) == "cgroup2")) print $5, $(i+1), $(i+3) }' \
           /proc/self/mountinfo)
[ ${#cgroups[@]} -gt 0 ] || skip "no cgroup hierarchy under /sys/fs/cgroup"

setsid bash -c 'for cgroup in "${@:3}"; do echo $$ >"$cgroup/cgroup.procs"; done
  exec unshare --pid --fork --mount --uts --ipc --net --cgroup --propagation private "$0" "$1" "$2"' \
  "$here/packages/boot-systemd.sh" "$image/base.ext4" "$work" "${cgroups[@]}" >"$work/boot.log" 2>&1 &
unshare_pid=$!
for _ in $(seq 1 100); do
  ns_pid=$(pgrep -P "$unshare_pid" || true)
  [ -z "$ns_pid" ] || break
  kill -0 "$unshare_pid" 2>/dev/null || { cat "$work/boot.log" >&2; die "the namespaces did not start"; }
  sleep 0.1
done
[ -n "$ns_pid" ] || die "no PID 1 in the namespaces"
wait_for 60 sh -c 'state=$(systemctl is-system-running); [ "$state" = running ] || [ "$state" = degraded ]' ||
  { cat "$work/boot.log" >&2; die "systemd did not finish booting in 60 s"; }
check "systemd runs as PID 1 ($(in_ns systemctl is-system-running))"

# -- 3. install, start, check ---------------------------------------------
step "apt install ./*.deb"
# The image leaves out /usr/share/doc (build-image.sh's dpkg path-exclude);
# our packages' documentation goes in: the units' Documentation= is checked.
in_ns sh -c 'echo "path-include=/usr/share/doc/dcos-*" >/etc/dpkg/dpkg.cfg.d/zz-dcos-docs'
in_ns sh -c 'DEBIAN_FRONTEND=noninteractive apt-get install -y -q /root/payload/*.deb' \
  >"$work/apt.log" 2>&1 || { cat "$work/apt.log" >&2; fail "apt install"; }
check "installed: $(in_ns dpkg-query -W -f '${Package} ${Version}, ' 'dcos-*')"
units=(dcos-master.service dcos-agent.service dcos-dns.service dcos-l4lb.service dcos-master.target dcos-agent.target)
for unit in "${units[@]}"; do
  [ "$(in_ns systemctl is-enabled "$unit")" = enabled ] || fail "$unit is not enabled by the package"
  [ "$(in_ns systemctl is-active "$unit")" = inactive ] || fail "$unit was started by the installation"
done
check "units enabled and not started"
for unit in "${units[@]}"; do
  for doc in $(in_ns systemctl show -p Documentation --value "$unit"); do
    [ "${doc#file://}" = "$doc" ] || in_ns test -f "${doc#file://}" || fail "$unit: its Documentation= $doc is not installed"
  done
done
check "the units' Documentation= files are installed"
verify=$(in_ns systemd-analyze verify "${units[@]}" 2>&1) ||
  fail "systemd-analyze verify: $verify"
[ -z "$verify" ] || fail "systemd-analyze verify: $verify"
check "systemd-analyze verify: clean"

dcos() { in_ns dcos --master=127.0.0.1:5050 "$@"; }
# GET PORT PATH on 127.0.0.1 with bash alone (the image has no curl).
http_get() {
  in_ns bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1" && printf "GET %s HTTP/1.0\r\n\r\n" "$2" >&3 && cat <&3' _ "$1" "$2"
}

step "systemctl start dcos-master"
in_ns systemctl start dcos-master || fail "systemctl start dcos-master"
# Type=notify: start returned once the master said READY=1; it serves now.
[ "$(in_ns systemctl is-active dcos-master)" = active ] || fail "dcos-master is not active"
dcos node list >/dev/null || fail "dcos-master is active but does not serve"
check "dcos-master active and serving: $(in_ns systemctl show -p StatusText --value dcos-master)"

step "systemctl start dcos-agent: no master address, then DCOS_MASTER=127.0.0.1:5050"
refuses dcos-agent "no master address: set DCOS_MASTER" "no DCOS_MASTER in /etc/dcos/dcos-agent.env"
in_ns sh -c 'echo DCOS_MASTER=127.0.0.1:5050 >>/etc/dcos/dcos-agent.env'
in_ns systemctl start dcos-agent || fail "systemctl start dcos-agent"
[ "$(in_ns systemctl is-active dcos-agent)" = active ] || fail "dcos-agent is not active"
http_get 5051 /health | grep -q '^HTTP/1.[01] 200' || fail "dcos-agent is active but does not serve /health"
check "dcos-agent active and serving"
wait_for 30 sh -c 'dcos --master=127.0.0.1:5050 --json node list | grep -q "\"status\": \"active\""' ||
  fail "the agent did not register within 30 s"
check "the agent registered: $(in_ns systemctl show -p StatusText --value dcos-agent)"

step "a task through the master"
in_ns systemd-run --unit=dcos-test-task --collect dcos --master=127.0.0.1:5050 task run --name sleeper \
  --cpus 0.1 --mem 32 -- 'echo hello from the task; exec sleep 600' >/dev/null || fail "systemd-run dcos task run"
wait_for 60 sh -c 'journalctl -o cat -u dcos-test-task | grep -q TASK_RUNNING' || {
  in_ns journalctl --no-pager -o cat -u dcos-test-task >&2
  fail "the task did not reach TASK_RUNNING within 60 s"
}
task_id=$(in_ns journalctl -o cat -u dcos-test-task | sed -n 's/^launched \([^ ]*\) on agent .*/\1/p;T;q')
[ -n "$task_id" ] || fail "no task id in the output of dcos task run"
task_pid=$(in_ns pgrep -x -f 'sleep 600' | head -n 1)
[ -n "$task_pid" ] || fail "no process of the task"
agent_cgroup=$(in_ns systemctl show -p ControlGroup --value dcos-agent)
task_cgroup=$(in_ns cat "/proc/$task_pid/cgroup")
grep -q ":$agent_cgroup/" <<<"$task_cgroup" || fail "task $task_id is not below $agent_cgroup: $task_cgroup"
check "task $task_id runs (pid $task_pid) below the agent unit's cgroup $agent_cgroup"

story=$(in_ns journalctl -o cat -u dcos-agent "TASK_ID=$task_id")
grep -q "TASK_RUNNING" <<<"$story" || fail "journalctl -u dcos-agent TASK_ID=$task_id lacks TASK_RUNNING: $story"
check "journalctl -u dcos-agent TASK_ID=$task_id:"
sed 's/^/    /' <<<"$story" >&2

step "systemctl restart dcos-agent"
old_agent=$(in_ns systemctl show -p MainPID --value dcos-agent)
in_ns systemctl restart dcos-agent || fail "systemctl restart dcos-agent"
new_agent=$(in_ns systemctl show -p MainPID --value dcos-agent)
[ "$new_agent" != "$old_agent" ] || fail "the agent's pid did not change"
in_ns kill -0 "$task_pid" || fail "the task's process $task_pid ended with the agent's restart"
wait_for 10 sh -c "journalctl -o cat -u dcos-agent TASK_ID=$task_id _PID=$new_agent | grep -q 'recovered task'" ||
  fail "the new agent (pid $new_agent) did not log recovering task $task_id"
wait_for 30 sh -c "dcos --master=127.0.0.1:5050 --json task list | grep -q TASK_RUNNING" ||
  fail "the master does not list the task as running after the agent's restart"
check "after the restart (agent pid $old_agent -> $new_agent) task $task_id still runs (pid $task_pid) and was recovered"

step "a hung agent: systemctl kill --kill-whom=main -s SIGSTOP dcos-agent"
# A short watchdog for the test (the unit's is 30 s), no core file of the
# abort, and the abort's grace period short too.
in_ns mkdir -p /run/systemd/system/dcos-agent.service.d
in_ns sh -c 'printf "[Service]\nWatchdogSec=3s\nTimeoutAbortSec=2s\nLimitCORE=0\n" \
  >/run/systemd/system/dcos-agent.service.d/test-watchdog.conf && systemctl daemon-reload'
in_ns systemctl restart dcos-agent || fail "systemctl restart dcos-agent (with the short watchdog)"
hung_agent=$(in_ns systemctl show -p MainPID --value dcos-agent)
in_ns systemctl kill --kill-whom=main -s SIGSTOP dcos-agent
wait_for 30 sh -c "pid=\$(systemctl show -p MainPID --value dcos-agent); [ \"\$pid\" != 0 ] && [ \"\$pid\" != $hung_agent ] &&
  [ \"\$(systemctl is-active dcos-agent)\" = active ]" || fail "the watchdog did not restart the stopped agent within 30 s"
# Read whole, not piped into grep -q: its early exit would fail the pipe.
agent_journal=$(in_ns journalctl -o cat -u dcos-agent)
grep -q "Watchdog timeout" <<<"$agent_journal" || fail "no watchdog timeout in the agent's journal"
in_ns kill -0 "$task_pid" || fail "the task's process $task_pid ended with the watchdog's restart"
check "the watchdog restarted the stopped agent (pid $hung_agent -> $(in_ns systemctl show -p MainPID --value dcos-agent)); task $task_id still runs"

step "systemctl start dcos-dns"
in_ns systemctl start dcos-dns || fail "systemctl start dcos-dns"
[ "$(in_ns systemctl is-active dcos-dns)" = active ] || fail "dcos-dns is not active"
# Active means serving: /health and DNS answer at once, no waiting.
http_get 8123 /health | grep -q '^HTTP/1.[01] 200' || fail "dcos-dns is active but does not serve /health on 127.0.0.1:8123"
# dig is the host's (dnsutils), run in the namespaces' network: the image has none.
ns_dig() { nsenter -t "$ns_pid" -n dig +time=2 +tries=1 @127.0.0.1 "$@"; }
have_dig=
if command -v dig >/dev/null; then
  have_dig=1
  ns_dig leader.mesos A >/dev/null || fail "dcos-dns is active but does not answer DNS on 127.0.0.1:53"
fi
check "dcos-dns active and serving: $(in_ns systemctl show -p StatusText --value dcos-dns)"
# leader.mesos: the leading master's address (127.0.0.1, the master's default --ip).
leader_is() { [ "$(ns_dig +short leader.mesos A)" = "$1" ]; }
if [ -n "$have_dig" ]; then
  deadline=$((SECONDS + 30))
  until leader_is 127.0.0.1; do
    [ "$SECONDS" -lt "$deadline" ] || fail "dig leader.mesos did not answer 127.0.0.1 within 30 s: $(ns_dig leader.mesos A)"
    sleep 0.2
  done
  check "dig @127.0.0.1 leader.mesos: $(ns_dig +short leader.mesos A)"
else
  echo "SKIP packages: dig not found (scripts/install-deps.sh installs dnsutils): dcos-dns's answers unchecked" >&2
fi
# Its hardening: a dynamic user, CAP_NET_BIND_SERVICE (bit 10) alone, no new privileges.
runs_confined dcos-dns 0000000000000400 CAP_NET_BIND_SERVICE

step "systemctl start dcos-l4lb (nftables: the namespaces have their own network)"
# No modprobe: the namespaces share the host's kernel, and the test loads
# no module into it (the unit's ExecStartPre= is emptied for the test).
in_ns mkdir -p /run/systemd/system/dcos-l4lb.service.d
in_ns sh -c 'printf "[Service]\nExecStartPre=\n" >/run/systemd/system/dcos-l4lb.service.d/test-no-modprobe.conf &&
  systemctl daemon-reload'
in_ns sh -c 'printf "DCOS_BACKEND=nftables\nDCOS_CLEANUP=true\n" >>/etc/dcos/dcos-l4lb.env'
in_ns systemctl start dcos-l4lb || fail "systemctl start dcos-l4lb"
[ "$(in_ns systemctl is-active dcos-l4lb)" = active ] || fail "dcos-l4lb is not active"
http_get 61421 /health | grep -q '^HTTP/1.[01] 200' || fail "dcos-l4lb is active but does not serve /health on 127.0.0.1:61421"
http_get 61421 /vips | grep -q '^HTTP/1.[01] 200' || fail "dcos-l4lb does not serve /vips"
check "dcos-l4lb active and serving: $(in_ns systemctl show -p StatusText --value dcos-l4lb)"
# Its hardening: a dynamic user, CAP_NET_ADMIN (bit 12) alone, no new privileges.
runs_confined dcos-l4lb 0000000000001000 CAP_NET_ADMIN
# DCOS_CLEANUP=true: stopping removes its nftables table. With no VIP in
# the cluster it has made none, so one is made here, as an earlier run
# would have left it; nft is the host's, in the namespaces' network.
if command -v nft >/dev/null; then
  ns_nft() { nsenter -t "$ns_pid" -n nft "$@"; }
  ns_nft add table inet dcos-l4lb || fail "nft add table inet dcos-l4lb"
  in_ns systemctl stop dcos-l4lb
  if ns_nft list table inet dcos-l4lb >/dev/null 2>&1; then
    ns_nft delete table inet dcos-l4lb || true
    fail "systemctl stop dcos-l4lb (DCOS_CLEANUP=true) left its nftables table"
  fi
  l4lb_journal=$(in_ns journalctl -o cat -u dcos-l4lb)
  grep -q -- "--cleanup: removed" <<<"$l4lb_journal" || fail "dcos-l4lb did not log its cleanup"
  check "systemctl stop dcos-l4lb with DCOS_CLEANUP=true removed table inet dcos-l4lb"
else
  in_ns systemctl stop dcos-l4lb
  echo "SKIP packages: nft not found (scripts/install-deps.sh installs nftables): dcos-l4lb's cleanup unchecked" >&2
fi

step "the master away: systemctl stop dcos-master; systemctl restart dcos-agent"
in_ns systemctl stop dcos-master
wait_for 30 bash -c 'exec 3<>/dev/tcp/127.0.0.1/8123 && printf "GET /health HTTP/1.0\r\n\r\n" >&3 && grep -q "\"master_reachable\":false" <&3' ||
  fail "dcos-dns's /health does not say the master is unreachable"
[ -z "$have_dig" ] || leader_is 127.0.0.1 || fail "dcos-dns forgot leader.mesos with the master away"
check "dcos-dns serves the last known zone: $(in_ns systemctl show -p StatusText --value dcos-dns)"
in_ns systemctl restart dcos-agent || fail "dcos-agent does not start while its master is away"
[ "$(in_ns systemctl is-active dcos-agent)" = active ] || fail "dcos-agent is not active while its master is away"
waiting_agent=$(in_ns systemctl show -p MainPID --value dcos-agent)
wait_for 30 sh -c 'systemctl show -p StatusText --value dcos-agent | grep -q "^cannot register with master"' ||
  fail "dcos-agent's STATUS= does not say it cannot register: $(in_ns systemctl show -p StatusText --value dcos-agent)"
check "dcos-agent active (it serves and has recovered its tasks), retrying: $(in_ns systemctl show -p StatusText --value dcos-agent)"

step "the boot order: systemctl stop dcos-dns; systemctl start dcos-master.target"
in_ns systemctl stop dcos-dns
in_ns systemctl start dcos-master.target || fail "systemctl start dcos-master.target"
master_ready=$(in_ns systemctl show -p ActiveEnterTimestampMonotonic --value dcos-master)
dns_started=$(in_ns systemctl show -p ExecMainStartTimestampMonotonic --value dcos-dns)
[ "$(in_ns systemctl is-active dcos-dns)" = active ] || fail "dcos-master.target did not start dcos-dns"
if [ "$master_ready" -eq 0 ] || [ "$dns_started" -lt "$master_ready" ]; then
  fail "dcos-dns started (at $dns_started us) before dcos-master was ready (at $master_ready us)"
fi
check "dcos-master.target: dcos-master ready at $master_ready us, then dcos-dns started at $dns_started us"
wait_for 60 sh -c 'systemctl show -p StatusText --value dcos-agent | grep -q "^registered with master"' ||
  fail "dcos-agent did not register within 60 s of its master's return"
[ "$(in_ns systemctl show -p MainPID --value dcos-agent)" = "$waiting_agent" ] || fail "dcos-agent restarted while it waited"
check "the waiting agent (pid $waiting_agent, never restarted) registered: $(in_ns systemctl show -p StatusText --value dcos-agent)"
step "bad settings: an unknown one, an unknown flag, bad values"
set_setting dcos-l4lb.env DCOS_BACKEND=fast
refuses dcos-l4lb "bad value for DCOS_BACKEND: 'fast' is not" "DCOS_BACKEND=fast"
unset_settings
in_ns systemctl reset-failed dcos-l4lb
in_ns sh -c 'mkdir -p /run/systemd/system/dcos-dns.service.d &&
  printf "[Service]\nExecStart=\nExecStart=/usr/bin/dcos-dns --strict_environment --no_such_flag=1\n" \
    >/run/systemd/system/dcos-dns.service.d/test-bad-flag.conf && systemctl daemon-reload'
refuses dcos-dns "unknown flag '--no_such_flag'" "--no_such_flag=1 on its command line"
in_ns sh -c 'rm /run/systemd/system/dcos-dns.service.d/test-bad-flag.conf; systemctl daemon-reload; systemctl reset-failed dcos-dns'
set_setting dcos-master.env DCOS_NO_SUCH=1
refuses dcos-master "unknown setting DCOS_NO_SUCH: no such flag" "DCOS_NO_SUCH=1"
unset_settings
# Left failed: the diagnostics below name it.
set_setting dcos-master.env DCOS_PORT=fifty
refuses dcos-master "bad value for DCOS_PORT: 'fifty' is not a port number" "DCOS_PORT=fifty"
step "dcos node diagnostics"
# shellcheck source=scripts/packages/check-diagnostics.sh
source "$here/packages/check-diagnostics.sh"
check_diagnostics in_ns || fail "dcos node diagnostics"

# -- 4. the same packages in the VM (pure cgroup v2, a real PID 1) ---------
step "the .debs in the VM: apt install, dcos-master and dcos-agent under its systemd, a task (scripts/packages/vm-node.sh)"
mkdir -p "$work/vm"
cp "$work"/payload/*.deb "$here/packages/vm-node.sh" "$work/vm/"
DCOS_VM_COMMANDS='bash vm-node.sh' DCOS_VM_PACKAGES="${depends[*]}" "$source_dir/scripts/test-vm.sh" "$work/vm" >&2 ||
  die "the packages in the VM (scripts/packages/vm-node.sh; its log above)"
echo "packages: all checks passed" >&2
