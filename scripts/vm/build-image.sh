#!/usr/bin/env bash
# Builds the VM's Debian bookworm image once and caches it outside the tree:
#   scripts/vm/build-image.sh [extra Debian packages...]
# Prints the image's folder (base.ext4, vmlinuz, initrd.img) on stdout.
# The folder is named by a hash of this recipe (this script, the unit it
# installs) and the package list, so changing either builds a new image;
# an flock keeps two runs from building at once. Exits 77 with a line
# "SKIP VM: <what is missing>" when the image cannot be built here.
# Environment: DCOS_VM_CACHE (/var/cache/dcos-vm), DCOS_VM_MIRROR.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache=${DCOS_VM_CACHE:-/var/cache/dcos-vm}
mirror=${DCOS_VM_MIRROR:-http://deb.debian.org/debian}
security_mirror=${DCOS_VM_SECURITY_MIRROR:-http://deb.debian.org/debian-security}

skip() { echo "SKIP VM: $*" >&2; exit 77; }

# Boot and tooling, then the shared libraries our binaries link (ldd of the
# test binaries and daemons, release and sanitized builds). test-vm.sh adds
# the package of any library missing from this list as an extra argument.
packages=(
  systemd-sysv dbus udev kmod linux-image-amd64 initramfs-tools
  iproute2 ipvsadm nftables procps util-linux
  # the container launch benchmark's peers, on a pure cgroup v2 host
  crun runc
  libc6 libstdc++6 libgcc-s1 libprotobuf32 libsystemd0 libseccomp2 libarchive13
  zlib1g libcap2 libgcrypt20 liblzma5 libzstd1 liblz4-1 libgpg-error0
  libasan8 libubsan1
)
packages+=("$@")
mapfile -t packages < <(printf '%s\n' "${packages[@]}" | sort -u)

key=$( { cat "$here/build-image.sh" "$here/dcos-vm-test.service"; printf '%s\n' "${packages[@]}" "$mirror"; } \
       | sha256sum | cut -c1-16)
image=$cache/bookworm-$key

if [ -f "$image/base.ext4" ]; then
  touch "$image"
  echo "$image"
  exit 0
fi

[ "$(id -u)" -eq 0 ] || skip "building the image needs root (mmdebstrap, mkfs.ext4 -d keeping owners)"
for tool in mmdebstrap mkfs.ext4 flock curl; do
  command -v "$tool" >/dev/null || skip "$tool not found (scripts/install-deps.sh installs it)"
done
mkdir -p "$cache" || skip "cannot create the image cache $cache"

exec 9>"$cache/.build.lock"
if ! flock -n 9; then
  echo "vm: another run is building an image; waiting for $cache/.build.lock" >&2
  flock 9
fi
if [ -f "$image/base.ext4" ]; then  # built by another run while we waited
  touch "$image"
  echo "$image"
  exit 0
fi

curl -sf -o /dev/null --max-time 20 "$mirror/dists/bookworm/InRelease" \
  || skip "mmdebstrap cannot run: no network to the Debian archive ($mirror)"

work=$(mktemp -d "$cache/.build-XXXXXX")
trap 'rm -rf "$work"' EXIT
tree=$work/tree
log=$work/mmdebstrap.log
echo "vm: building the image $image with mmdebstrap (a few minutes, log $log)" >&2
start=$SECONDS
joined=$(IFS=,; echo "${packages[*]}")
if ! mmdebstrap --variant=apt --components=main --include="$joined" \
    --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/doc/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-include=/usr/share/locale/locale.alias' \
    bookworm "$tree" \
    "deb $mirror bookworm main" "deb $mirror bookworm-updates main" \
    "deb $security_mirror bookworm-security main" >"$log" 2>&1; then
  tail -n 30 "$log" >&2
  echo "vm: mmdebstrap failed (the archive answered, so this is the recipe's fault)" >&2
  exit 1
fi

# Boot straight into the test unit (it mounts the payload disk, vdb, at
# /opt/dcos-test itself, so a missing disk fails the unit and powers off); no gettys (a getty on ttyS0 swallows the console), no periodic jobs.
echo dcos-vm >"$tree/etc/hostname"
cat >"$tree/etc/fstab" <<'FSTAB'
/dev/vda  /  ext4  rw,errors=remount-ro  0 0
FSTAB
mkdir -p "$tree/opt/dcos-test"
install -m 644 "$here/dcos-vm-test.service" "$tree/etc/systemd/system/dcos-vm-test.service"
ln -sf /etc/systemd/system/dcos-vm-test.service "$tree/etc/systemd/system/multi-user.target.wants/dcos-vm-test.service"
for unit in serial-getty@ttyS0.service getty@tty1.service getty.target \
            apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer e2scrub_reap.service fstrim.timer; do
  ln -sf /dev/null "$tree/etc/systemd/system/$unit"
done

vmlinuz=$(ls "$tree"/boot/vmlinuz-* | sort -V | tail -n 1)
initrd=$(ls "$tree"/boot/initrd.img-* | sort -V | tail -n 1)
[ -f "$vmlinuz" ] && [ -f "$initrd" ] || { echo "vm: no kernel or initrd in $tree/boot" >&2; exit 1; }
mkdir -p "$work/image"
cp "$vmlinuz" "$work/image/vmlinuz"
cp "$initrd" "$work/image/initrd.img"
basename "$vmlinuz" | sed 's/^vmlinuz-//' >"$work/image/kernel-version"
printf '%s\n' "${packages[@]}" >"$work/image/packages"
# Sparse; runs boot it with snapshot=on, so it only needs room for a test run.
mkfs.ext4 -q -F -L dcos-vm-root -d "$tree" "$work/image/base.ext4" 3G >/dev/null
mv "$work/image" "$image"
echo "vm: image built in $((SECONDS - start)) s: $image ($(du -sh "$image" | cut -f1) on disk)" >&2

# Images of older recipes unused for a week only take space.
find "$cache" -mindepth 1 -maxdepth 1 -type d -name 'bookworm-*' ! -path "$image" -mtime +7 \
  -exec rm -rf {} + 2>/dev/null || true
echo "$image"
