#!/usr/bin/env bash
# Configures and builds one configuration of the tree.
#   scripts/build.sh BUILD_DIR [cmake options...] [-- ninja targets...]
set -euo pipefail
cd "$(dirname "$0")/.."

dir=$1; shift
cmake_args=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do cmake_args+=("$1"); shift; done
[ "${1:-}" = "--" ] && shift
# Targets use precompiled headers (runtime/CMakeLists.txt): ccache hits for
# their users only with pch_defines and time_macros (ccache's manual, "Precompiled headers").
export CCACHE_DIR=${CCACHE_DIR:-$HOME/.cache/ccache}
export CCACHE_SLOPPINESS=${CCACHE_SLOPPINESS:-pch_defines,time_macros}
mkdir -p "$dir"
cmake -S . -B "$dir" -G Ninja "${cmake_args[@]}" > "$dir/configure.log" 2>&1 || { cat "$dir/configure.log"; exit 1; }
ninja -C "$dir" -j "$(nproc)" "$@"
