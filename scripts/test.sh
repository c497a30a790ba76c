#!/usr/bin/env bash
# Installs what is needed, builds, and runs the whole test suite:
#   1. the release build, warnings as errors: unit and integration tests
#   2. the release build's isolation tests in a QEMU VM with pure cgroup v2, and
#      the agent started by systemd there (delegation), and the IPVS datapath
#      against the VM kernel's IPVS (one boot)
#      (scripts/test-vm.sh; the first run builds the VM image, ~5 minutes)
#   3. the .deb packages: built, checked with lintian, the RPMs built and
#      checked against them, the .debs installed with apt and run under
#      systemd as PID 1 in namespaces, then in the VM (scripts/test-packages.sh)
#   4. the tests of step 1 under AddressSanitizer and UndefinedBehaviorSanitizer
#   5. the decoders' fuzz targets (clang, libFuzzer), a short run each
# Tests needing something this host lacks skip with a message naming it.
# Run as root (later suites use cgroups and namespaces).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh

ctest_run() {
  local dir=$1; shift
  (cd "$dir" && ctest --output-on-failure --timeout 300 -j 2 "$@")
}

echo "== release build (-Werror)"
scripts/build.sh build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDCOS_WERROR=ON
ctest_run build

echo "== a VM: the release isolation tests (cgroup v2), the agent as a delegated systemd unit, the IPVS datapath"
DCOS_VM_COMMANDS=$'tests/isolation_tests --gtest_color=no\ntests/daemon_tests --gtest_color=no --gtest_filter=AgentUnitTest.*\nDCOS_REQUIRE_IPVS=1 tests/netlb_tests --gtest_color=no' \
  scripts/test-vm.sh build

echo "== packages: dpkg-buildpackage, lintian, apt install and systemctl start under systemd in namespaces"
scripts/test-packages.sh

echo "== ASan + UBSan build"
scripts/build.sh build-asan -DCMAKE_BUILD_TYPE=Debug -DDCOS_WERROR=ON -DDCOS_SANITIZE=ON
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest_run build-asan

echo "== fuzz smoke run (clang, libFuzzer)"
CC=clang CXX=clang++ scripts/build.sh build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDCOS_WERROR=ON -DDCOS_FUZZ=ON \
  -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -- frame_decoder_fuzz seccomp_profile_fuzz recordio_fuzz scheduler_call_fuzz operator_call_fuzz \
  dns_message_fuzz nft_table_fuzz vip_labels_fuzz ipvs_dump_fuzz nft_replies_fuzz
ctest_run build-fuzz -L fuzz
