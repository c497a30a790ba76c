#!/usr/bin/env bash
# Builds the RPMs of rpm/dcos-node.spec on Debian, lints them, and checks that
# they hold what the .debs hold:
#   check-rpm.sh TREE DEB_DIR LOG
# TREE is the tree where the .debs were just built (scripts/test-packages.sh);
# the RPMs are built there in place (rpmbuild --build-in-place, --nodeps: the
# BuildRequires are Fedora's names), with Debian's compiler flags and the
# .deb build's CMake folder, so that ninja finds every object up to date and
# the spec's %build compiles nothing.
# rpmbuild's output goes to LOG. Then rpmlint on the spec and the packages
# (rpm/dcos-node.rpmlintrc; errors fail), and each RPM's files (path, mode;
# /lib/systemd as /usr/lib/systemd; documentation and lintian's overrides
# aside) and config files against those of the .deb of the same name in
# DEB_DIR.
set -euo pipefail
tree=$1
debs=$2
log=$3

fail() { echo "rpm: $*" >&2; exit 1; }

cd "$tree"
export DEB_BUILD_MAINT_OPTIONS=hardening=+all
if ! rpmbuild -bb --build-in-place --nodeps \
    --define "_topdir $tree/rpmbuild" --define 'debug_package %{nil}' \
    --define "_vpath_builddir obj-$(dpkg-architecture -qDEB_HOST_GNU_TYPE)" \
    --define "optflags $(dpkg-buildflags --get CXXFLAGS) $(dpkg-buildflags --get CPPFLAGS)" \
    --define "build_ldflags $(dpkg-buildflags --get LDFLAGS)" \
    rpm/dcos-node.spec >"$log" 2>&1; then
  tail -n 40 "$log" >&2
  fail "rpmbuild failed"
fi
shopt -s nullglob
rpms=("$tree"/rpmbuild/RPMS/*/*.rpm)
[ ${#rpms[@]} -gt 0 ] || fail "rpmbuild made no package"
echo "rpm: built ${rpms[*]##*/}"

# rpmlint exits non-zero on an error, and on a filter of the rpmlintrc that
# matched nothing (so the filters are checked with the spec and the packages
# together).
rpmlint -r rpm/dcos-node.rpmlintrc rpm/dcos-node.spec "${rpms[@]}" || fail "rpmlint reports errors"

# "MODE PATH" of the files (not folders) of a package, in one naming.
deb_files() {
  dpkg-deb -c "$1" | awk '$1 !~ /^d/ { sub(/^\./, "", $6); print $1, $6 }'
}
rpm_files() {
  rpm -qp --nosignature --qf '[%{FILEMODES:perms} %{FILENAMES}\n]' "$1" | awk '$1 !~ /^d/'
}
same_naming() {
  sed -E 's@ /lib/systemd/@ /usr/lib/systemd/@' | grep -v -E ' /usr/share/(doc|lintian)/| /usr/lib/\.build-id/' | sort
}

deb_names=$(for deb in "$debs"/*.deb; do dpkg-deb -f "$deb" Package; done | sort)
rpm_names=$(for rpm in "${rpms[@]}"; do rpm -qp --nosignature --qf '%{NAME}\n' "$rpm"; done | sort)
[ "$deb_names" = "$rpm_names" ] || fail "the RPMs (${rpm_names//$'\n'/ }) are not the .debs (${deb_names//$'\n'/ })"
status=0
for rpm in "${rpms[@]}"; do
  name=$(rpm -qp --nosignature --qf '%{NAME}' "$rpm")
  deb=$(echo "$debs/${name}"_*.deb)
  if ! difference=$(diff <(deb_files "$deb" | same_naming) <(rpm_files "$rpm" | same_naming)); then
    echo "rpm: $name: the files differ (< .deb, > RPM):" >&2
    echo "$difference" >&2
    status=1
  fi
  if ! difference=$(diff <(dpkg-deb -I "$deb" conffiles 2>/dev/null | sort) \
                         <(rpm -qcp --nosignature "$rpm" | grep -v '^(contains no files)$' | sort)); then
    echo "rpm: $name: the config files differ (< .deb conffiles, > RPM %config):" >&2
    echo "$difference" >&2
    status=1
  fi
  echo "rpm: $name: $(rpm_files "$rpm" | same_naming | wc -l) files, as in the .deb"
done
exit "$status"
