#!/bin/bash
# Boots systemd as PID 1 of the namespaces it runs in (scripts/test-packages.sh
# starts it with unshare --pid --fork --mount --uts --ipc --net --cgroup, its
# cgroups already moved into new children of the host's), on a Debian image:
#   boot-systemd.sh IMAGE.ext4 WORK_DIR
# The image is mounted read-only and every write goes to a tmpfs overlay, so
# the cached image stays clean and nothing of a run outlives it. WORK_DIR
# holds the mount points, `console` (systemd's console, a plain file) and
# `payload/` (copied to /root/payload in the booted tree). Every mount is in
# this private mount namespace: it goes away with the namespace's last process.
set -euo pipefail
image=$1
work=$2
root=$work/root
mkdir -p "$work/lower" "$work/rw" "$root"

mount -o loop,ro,noload "$image" "$work/lower"
mount -t tmpfs -o size=2g,mode=755 rw "$work/rw"
mkdir "$work/rw/upper" "$work/rw/work"
mount -t overlay overlay -o "lowerdir=$work/lower,upperdir=$work/rw/upper,workdir=$work/rw/work" "$root"

mount -t proc proc "$root/proc"
mount -t sysfs -o ro sysfs "$root/sys"
# "MOUNTPOINT TYPE SUPER-OPTIONS" of each cgroup hierarchy below /sys/fs/cgroup.
cgroup_mounts() {
  awk '{ for (i = 7; i < NF; i++) if ($i == "-") break;
         if ($5 ~ "^/sys/fs/cgroup/" && ($(i+1) == "cgroup" || $(i+1) == "cgroup2")) print $5, $(i+1), $(i+3) }' \
    /proc/self/mountinfo
}

# The cgroup hierarchies as the host has them (the new cgroup namespace shows
# each one from the cgroup this process was moved into), except cpuset, whose
# root cpuset is the host's.
if [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ]; then
  mount -t cgroup2 cgroup2 "$root/sys/fs/cgroup"
else
  mount -t tmpfs -o mode=755 cgroup "$root/sys/fs/cgroup"
  while read -r mountpoint type options; do
    name=${mountpoint#/sys/fs/cgroup/}
    mkdir -p "$root/sys/fs/cgroup/$name"
    if [ "$type" = cgroup2 ]; then
      mount -t cgroup2 cgroup2 "$root/sys/fs/cgroup/$name"
    else
      # The controllers (or name=) of the hierarchy, co-mounted as on the host.
      controllers=$(tr , '\n' <<<"$options" | grep -E '^(name=.*|cpu|cpuacct|memory|pids|freezer|devices|blkio|net_cls|net_prio|perf_event|hugetlb|rdma|misc)$' | paste -sd,)
      [ "${controllers#name=}" = "$controllers" ] || controllers=none,$controllers
      mount -t cgroup -o "$controllers" cgroup "$root/sys/fs/cgroup/$name"
    fi
  done < <(cgroup_mounts | grep -v '^/sys/fs/cgroup/cpuset ')
  for link in /sys/fs/cgroup/*; do
    [ -L "$link" ] && [ -d "$root/sys/fs/cgroup/$(readlink "$link")" ] && ln -s "$(readlink "$link")" "$root/sys/fs/cgroup/${link##*/}"
  done
fi

# A /dev of its own: a few host devices bound in, a console that is a plain
# file (systemd changes its console's owner and mode: on a host device that
# change would land on the host), new pseudo-terminals.
mount -t tmpfs -o mode=755,nosuid dev "$root/dev"
for device in null zero full random urandom tty; do
  touch "$root/dev/$device"
  mount --bind "/dev/$device" "$root/dev/$device"
done
: >"$work/console"
touch "$root/dev/console"
mount --bind "$work/console" "$root/dev/console"
mkdir "$root/dev/pts" "$root/dev/shm"
mount -t devpts -o newinstance,ptmxmode=0666,mode=620 devpts "$root/dev/pts"
ln -s pts/ptmx "$root/dev/ptmx"
mount -t tmpfs -o mode=1777,nosuid,nodev shm "$root/dev/shm"
ln -s /proc/self/fd "$root/dev/fd"
ln -s /proc/self/fd/0 "$root/dev/stdin"
ln -s /proc/self/fd/1 "$root/dev/stdout"
ln -s /proc/self/fd/2 "$root/dev/stderr"
mount -t tmpfs -o mode=755,nosuid,nodev run "$root/run"

# The image is the VM's (scripts/vm): here its boot-time test unit, its
# fstab and a getty on the console have nothing to do.
for unit in dcos-vm-test.service console-getty.service; do
  rm -f "$root/etc/systemd/system/$unit" "$root/etc/systemd/system/multi-user.target.wants/$unit"
  ln -s /dev/null "$root/etc/systemd/system/$unit"
done
: >"$root/etc/fstab"
echo dcos-node-test >"$root/etc/hostname"
cp -r "$work/payload" "$root/root/payload"

cd "$root"
mkdir .old-root
pivot_root . .old-root
umount -l /.old-root
rmdir /.old-root
exec env -i container=unshare /lib/systemd/systemd --system </dev/console >/dev/console 2>&1
