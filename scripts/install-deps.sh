#!/usr/bin/env bash
# Installs every Debian package the build, the tests and the benchmarks need.
# Used by both README commands and by .ci/run. Safe to run again: when all
# packages are present it changes nothing.
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake ninja-build ccache pkg-config clang libclang-rt-14-dev
  # libraries
  libboost-dev libprotobuf-dev protobuf-compiler libsystemd-dev nlohmann-json3-dev
  libgtest-dev libgmock-dev libseccomp-dev libarchive-dev libc-ares-dev
  # the load balancer's nftables datapath (netlb/nftables: libnftables for its
  # frame and listings, libnftnl and libmnl for its elements), and nft for its tests and bench
  libnftables-dev libnftnl-dev libmnl-dev nftables
  # the load balancer's IPVS datapath and VIP addresses (netlb/ipvs, netlb/vip_addresses)
  libnl-3-dev libnl-genl-3-dev libnl-route-3-dev
  # what tests and scripts call
  python3 curl procps iproute2 dnsutils
  # dcos-dns's upstream in its forwarding tests; the DNS benchmark's peers and load
  unbound dnsmasq-base dnsperf
  # the containerizer's peers (bench) and the cgroup v2 VM (scripts/vm)
  runc crun qemu-system-x86 mmdebstrap e2fsprogs
  # the packages (debian/, rpm/) and their test (scripts/test-packages.sh)
  debhelper lintian rpm rpmlint
)

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "installing: ${missing[*]}" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
# unbound is the tests' upstream, started by them on loopback, not this
# machine's resolver: its service (which would take port 53) stays off.
if printf '%s\n' "${missing[@]}" | grep -qx unbound && [ -d /run/systemd/system ]; then
  $SUDO systemctl disable --now unbound.service unbound-resolvconf.service 2>/dev/null || true
fi
