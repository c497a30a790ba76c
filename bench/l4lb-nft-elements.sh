#!/bin/sh
# Loads the 110,000 elements of l4lb-program-bench's table (10,000 VIPs x
# 10 backends, in the nftables datapath's shape and command text) with the
# nft command into a fresh network namespace, timed: how much of the
# from-empty time is nft and the kernel alone. Root; leaves nothing behind.
#   bench/l4lb-nft-elements.sh [PROTO]     PROTO: tcp (default) or 6
#   PROFILE=1 bench/l4lb-nft-elements.sh   the same under perf record (perf.data here)
set -eu
proto=${1:-tcp}
ns=l4nft$$
file=$(mktemp /tmp/l4lb-nft-elements.XXXXXX)
trap 'ip netns del $ns 2>/dev/null || true; rm -f "$file"' EXIT
awk -v proto="$proto" 'BEGIN {
  print "add table inet t"
  print "add map inet t services4 { typeof ip daddr . meta l4proto . th dport : verdict; }"
  print "add map inet t backends4 { typeof ip daddr . meta l4proto . th dport . numgen random mod 2 : ip daddr . tcp dport; }"
  print "add chain inet t pick-10"
  for (i = 0; i < 10000; i++) {
    vip = sprintf("11.0.%d.%d", int(i / 250), i % 250 + 1)
    s[i] = sprintf("%s . %s . 80 comment \"wlc\" : goto pick-10", vip, proto)
    for (k = 0; k < 10; k++) b[i * 10 + k] = sprintf("%s . %s . 80 . %d : 10.77.%d.%d . 8080", vip, proto, k, k, i % 250 + 2)
  }
  emit("services4", s, 10000); emit("backends4", b, 100000)
}
function emit(map, el, n,   j, k, line) {
  for (j = 0; j < n; j += 4096) {
    line = "add element inet t " map " { " el[j]
    for (k = j + 1; k < j + 4096 && k < n; k++) line = line ", " el[k]
    print line " }"
  }
}' > "$file"
ip netns add $ns
if [ "${PROFILE:-0}" = 1 ]; then
  perf record -g ip netns exec $ns nft -f "$file"
else
  /usr/bin/time -f "nft -f, 110,000 elements ($proto): %U s user, %S s sys, %e s wall" ip netns exec $ns nft -f "$file"
fi
