#!/bin/sh
# Builds what the benchmarks need (a no-op when up to date) and runs them all.
#
#   bench/run.sh [--json]        extra arguments go to every benchmark
#   BUILD_DIR=dir bench/run.sh   another build directory (default: build)
#   JOBS=n                       compile jobs (default: 2)
#   BENCHMARKS="a b"             which ones (default: all; container-, task-launch-, agent-footprint-, l4lb-program-, l4lb-cps- and dns-bench need root)
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build}
benchmarks=${BENCHMARKS:-"registration-bench allocation-bench container-launch-bench task-launch-bench agent-footprint-bench l4lb-program-bench l4lb-cps-bench dns-bench"}

if [ ! -f "$build/build.ninja" ]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
fi
# shellcheck disable=SC2086  # the list is ours, one word per benchmark
ninja -C "$build" -j "${JOBS:-2}" $benchmarks

status=0
for bench in $benchmarks; do
  echo "== $bench" >&2
  "$build/bench/$bench" "$@" || status=1
done
exit $status
