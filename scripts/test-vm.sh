#!/usr/bin/env bash
# Runs test binaries of a build tree inside a QEMU VM booting Debian's kernel
# with pure cgroup v2 (cpu, memory, pids, io available), for what this
# hybrid-cgroup host cannot exercise: memory.max, cpu.max, pids.max,
# memory.events, CLONE_INTO_CGROUP, delegation, IPVS.
#   scripts/test-vm.sh BUILD_DIR [GTEST_FILTER] [TEST_BINARY...]
# TEST_BINARY is relative to BUILD_DIR (default tests/isolation_tests); each
# runs as root in a unit with Delegate=yes. DCOS_VM_COMMANDS (one shell
# command a line, run in BUILD_DIR) replaces the binaries and filter.
# Exits with the tests' exit code; 0 with "SKIP VM: <why>" when this machine
# cannot run the VM. See scripts/vm/README.md for the environment variables.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

skip() { echo "SKIP VM: $*"; exit 0; }
die() { echo "vm: $*" >&2; exit 1; }

[ $# -ge 1 ] || die "usage: $0 BUILD_DIR [GTEST_FILTER] [TEST_BINARY...]"
build_dir=$(realpath "$1")
filter=${2:-*}
shift $(($# >= 2 ? 2 : 1))
binaries=("$@")
[ ${#binaries[@]} -gt 0 ] || binaries=(tests/isolation_tests)
timeout=${DCOS_VM_TIMEOUT:-900}

[ "$(id -u)" -eq 0 ] || skip "needs root (mmdebstrap and mkfs.ext4 -d keeping file owners)"
for tool in qemu-system-x86_64 mkfs.ext4 debugfs mmdebstrap ldd dpkg timeout; do
  command -v "$tool" >/dev/null || skip "$tool not found (scripts/install-deps.sh installs it)"
done

if [ -n "${DCOS_VM_COMMANDS:-}" ]; then
  commands=$DCOS_VM_COMMANDS
else
  commands=""
  for binary in "${binaries[@]}"; do
    [ -x "$build_dir/$binary" ] || die "$build_dir/$binary is not built"
    commands+="$binary --gtest_color=no --gtest_filter=$(printf '%q' "$filter")"$'\n'
  done
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/dcos-vm-XXXXXX")
# Kept only after a failure: the log and the console, for a person to read.
cleanup() {
  local status=$?
  rm -rf "$work/payload" "$work/payload.ext4"
  if [ "$status" -eq 0 ] || [ ! -s "$work/console.log" ]; then rm -rf "$work"; fi
}
trap cleanup EXIT
staging=$work/payload
mkdir -p "$staging/build" "$staging/result"

# The payload: the build tree without objects and archives, so the daemons
# and any data files the tests find by their compiled-in absolute paths come
# along; the VM binds it back at the same path.
tar -C "$build_dir" --exclude=CMakeFiles --exclude='*.o' --exclude='*.a' --exclude='.ninja_*' \
    --exclude=Testing -cf - . | tar -C "$staging/build" -xf -
echo "$build_dir" >"$staging/build-dir"
printf '%s\n' "$commands" >"$staging/commands"
install -m 755 "$here/vm/run-tests.sh" "$staging/run.sh"

# The Debian packages of the shared libraries the payload links, so the image
# has them; libraries in the build tree itself travel with the payload.
declare -A package_of=()
extra=()
while IFS= read -r -d '' file; do
  IFS= read -r -n 4 magic <"$file" || true
  [ "$magic" = $'\x7fELF' ] || continue
  while read -r library; do
    [ -n "${package_of[$library]+x}" ] && continue
    package=""
    for candidate in "$library" "/usr$library" "${library#/usr}" "$(readlink -f "$library")"; do
      package=$(dpkg -S "$candidate" 2>/dev/null | head -n 1 | cut -d: -f1) && [ -n "$package" ] && break
    done
    package_of[$library]=$package
    if [ -n "$package" ]; then extra+=("$package")
    else echo "vm: $library (linked by ${file#"$staging/build/"}) is in no Debian package; the VM may lack it" >&2
    fi
  done < <(ldd "$file" 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// {print $3}' | grep -v "^$build_dir/" || true)
done < <(find "$staging/build" -type f -perm -u+x -print0)

# DCOS_VM_PACKAGES: more packages for the image (the libraries of .debs in
# the payload, scripts/test-packages.sh).
read -r -a wanted <<<"${DCOS_VM_PACKAGES:-}"
extra+=(${wanted[@]+"${wanted[@]}"})
image_status=0
image=$("$here/vm/build-image.sh" ${extra[@]+"${extra[@]}"}) || image_status=$?
[ "$image_status" -ne 77 ] || exit 0  # build-image.sh printed the SKIP line
[ "$image_status" -eq 0 ] || die "building the VM image failed"

payload_mb=$(( $(du -sm "$staging" | cut -f1) * 5 / 4 + 512 ))
mkfs.ext4 -q -F -L dcos-payload -d "$staging" "$work/payload.ext4" "${payload_mb}M" >/dev/null

# KVM when this machine really has it, otherwise software emulation.
accel=(-accel "tcg,thread=multi")
if [ -w /dev/kvm ] && grep -qEw 'vmx|svm' /proc/cpuinfo; then accel=(-accel kvm); fi
[ -z "${DCOS_VM_ACCEL:-}" ] || accel=(-accel "$DCOS_VM_ACCEL")

console=$work/console.log
echo "vm: booting $(cat "$image/kernel-version") (${accel[1]}, timeout ${timeout}s), console $console" >&2
start=$SECONDS
qemu_status=0
timeout --kill-after=10 "$timeout" qemu-system-x86_64 "${accel[@]}" -machine q35 -cpu max \
  -smp "${DCOS_VM_CPUS:-2}" -m "${DCOS_VM_MEMORY:-2048}" \
  -kernel "$image/vmlinuz" -initrd "$image/initrd.img" \
  -append "root=/dev/vda rw console=ttyS0 systemd.unified_cgroup_hierarchy=1 panic=-1 ${DCOS_VM_APPEND:-}" \
  -drive "file=$image/base.ext4,format=raw,if=virtio,snapshot=on" \
  -drive "file=$work/payload.ext4,format=raw,if=virtio" \
  -nodefaults -nic none -display none -monitor none -serial "file:$console" -no-reboot \
  || qemu_status=$?
echo "vm: the VM ran $((SECONDS - start)) s" >&2

read_back() { debugfs -R "cat $1" "$work/payload.ext4" 2>/dev/null; }
read_back /result/log >"$work/log" || true
cat "$work/log"
rc=$(read_back /result/exit-code | tr -dc 0-9)
if [ -z "$rc" ]; then
  [ "$qemu_status" -ne 124 ] && [ "$qemu_status" -ne 137 ] || echo "vm: killed after the ${timeout}s timeout" >&2
  echo "vm: the VM wrote no result (qemu exit $qemu_status); the console's last lines:" >&2
  tail -n 60 "$console" >&2
  exit 1
fi
if [ "$rc" -eq 0 ]; then echo "vm: tests passed" >&2
else echo "vm: tests exited $rc; log $work/log, console $console" >&2
fi
exit "$rc"
