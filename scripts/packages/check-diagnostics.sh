#!/bin/bash
# `dcos node diagnostics` under systemd as PID 1, for scripts/test-packages.sh:
#   source scripts/packages/check-diagnostics.sh
#   check_diagnostics in_ns     # the prefix that runs a command on the node
# Call it with the packages installed and dcos-agent running (it may come
# at any later step: what it expects of the summary it asks systemctl).
# It runs the command there, unpacks the bundle with tar and checks it:
# systemd was read (the units' properties through sd-bus: ActiveState,
# MainPID, NRestarts, ControlGroup...), the agent's journal is there with
# its fields (sd-journal), the agent's /health and its unit's cgroup
# subtree, the packages' versions, and that the summary names each dcos
# unit that systemctl calls failed and dcos-dns when it is not active.
# Prints "ok: ..." lines on stderr; on a failure prints what it saw and
# returns 1. Leaves nothing behind on the node but /root/diagnostics*.
# Shell text for the node's shell is quoted so this one leaves it alone.
# shellcheck disable=SC2016
# The summary of the last run, shown with a failure.
_diagnostics_summary=
_diagnostics_fail() {
  echo "check-diagnostics: FAILED: $*" >&2
  [ -z "$_diagnostics_summary" ] || echo "$_diagnostics_summary" >&2
}

check_diagnostics() {
  local dir=/root/diagnostics bundle=/root/diagnostics.tar.gz unit file group
  _diagnostics_summary=$("$@" dcos node diagnostics --json "--output=$bundle" 2>/dev/null) ||
    { echo "check-diagnostics: FAILED: dcos node diagnostics exited non-zero" >&2
      "$@" dcos node diagnostics "--output=$bundle" >&2 || true; return 1; }
  grep -q '"available": true' <<<"$_diagnostics_summary" || { _diagnostics_fail "systemd not seen as PID 1"; return 1; }
  "$@" sh -c 'rm -rf "$1" && mkdir "$1" && tar -xzf "$2" -C "$1" --strip-components=1' _ "$dir" "$bundle" ||
    { _diagnostics_fail "tar -xzf $bundle"; return 1; }
  echo "ok: dcos node diagnostics wrote $bundle ($("$@" find "$dir" -type f | wc -l) files)" >&2

  for unit in dcos-master.service dcos-agent.service; do
    file=$("$@" cat "$dir/units/$unit.json") || { _diagnostics_fail "no units/$unit.json"; return 1; }
    for property in ActiveState SubState MainPID NRestarts ExecMainStatus StatusText ControlGroup; do
      grep -q "\"$property\":" <<<"$file" || { _diagnostics_fail "units/$unit.json has no $property"; return 1; }
    done
  done
  grep -q '"ActiveState": "active"' <<<"$("$@" cat "$dir/units/dcos-agent.service.json")" ||
    { _diagnostics_fail "units/dcos-agent.service.json does not say active"; return 1; }
  echo "ok: the units' properties through sd-bus" >&2

  file=$("$@" cat "$dir/journal/dcos-agent.service.jsonl") ||
    { _diagnostics_fail "no journal/dcos-agent.service.jsonl"; return 1; }
  if ! grep -q '"_SYSTEMD_UNIT":"dcos-agent.service"' <<<"$file" || ! grep -q '"MESSAGE":' <<<"$file"; then
    _diagnostics_fail "the agent's journal entries lack _SYSTEMD_UNIT or MESSAGE"; return 1
  fi
  "$@" test -s "$dir/journal/dcos-agent.service.txt" || { _diagnostics_fail "no journal/dcos-agent.service.txt"; return 1; }
  echo "ok: the agent's journal through sd-journal ($(wc -l <<<"$file") entries)" >&2

  "$@" grep -q '"healthy": *true' "$dir/endpoints/dcos-agent_health.json" ||
    { _diagnostics_fail "endpoints/dcos-agent_health.json is not the agent's health"; return 1; }
  group=$("$@" systemctl show -p ControlGroup --value dcos-agent)
  "$@" grep -q -F " $group" "$dir/cgroups/agent-subtree.txt" ||
    { _diagnostics_fail "cgroups/agent-subtree.txt lacks the agent unit's $group"; return 1; }
  "$@" grep -q '"dcos-agent":' "$dir/versions.json" ||
    { _diagnostics_fail "versions.json lacks the dcos-agent package"; return 1; }
  echo "ok: the agent's health, its cgroups below $group, the packages' versions" >&2

  for unit in dcos-master.service dcos-agent.service dcos-dns.service; do
    if [ "$("$@" systemctl is-failed "$unit")" = failed ]; then
      grep -q "\"what\": \"$unit\"" <<<"$_diagnostics_summary" || { _diagnostics_fail "the summary does not name the failed $unit"; return 1; }
    fi
  done
  if [ "$("$@" systemctl is-active dcos-dns)" != active ]; then
    grep -q '"what": "dcos-dns"' <<<"$_diagnostics_summary" || { _diagnostics_fail "the summary does not name dcos-dns, which is not running"; return 1; }
  fi
  echo "ok: the summary names what systemctl calls failed or inactive: $(grep -o '"what": "[^"]*"' <<<"$_diagnostics_summary" | cut -d'"' -f4 | sort -u | paste -sd' ')" >&2
  "$@" rm -rf "$dir" "$bundle"
}
