#!/usr/bin/env bash
# Builds the .deb from this build tree, checks it with lintian and systemd-analyze, installs it,
# runs the installed binary, purges it and checks that nothing is left behind.
# Usage: deb.test.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$1
source=$2
fail() { echo "FAIL: $*" >&2; exit 1; }
step() { echo "--- $*"; }

as_root=()
if ((EUID != 0)); then
  sudo -n true 2>/dev/null || fail "installing a package needs root or password-less sudo"
  as_root=(sudo -n)
fi
if dpkg-query -W -f='${Status}' sotto 2>/dev/null | grep -q "install ok installed"; then
  fail "a sotto package is already installed on this machine; this test would replace it"
fi

work=$(mktemp -d)
cleanup() {
  "${as_root[@]}" dpkg --purge sotto >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

step "cpack"
(cd "$build" && cpack -G DEB -B "$work/cpack" >"$work/cpack.log" 2>&1) || { cat "$work/cpack.log"; fail "cpack failed"; }
deb=$(ls "$work"/cpack/sotto_*_*.deb)
[[ $(basename "$deb") =~ ^sotto_[0-9]+\.[0-9]+\.[0-9]+_[a-z0-9]+\.deb$ ]] || fail "unexpected file name $(basename "$deb")"
echo "$deb"

step "package contents"
depends=$(dpkg-deb -f "$deb" Depends)
echo "Depends: $depends"
[[ "$depends" == "adduser, libc6 "* ]] || fail "Depends is not computed by shlibdeps: $depends"
contents=$(dpkg-deb -c "$deb" | awk '{print $6}')
for path in ./usr/bin/sotto ./usr/share/man/man1/sotto.1.gz ./usr/share/bash-completion/completions/sotto \
            ./lib/systemd/system/sotto-relay.service ./etc/sotto/config.toml ./usr/share/doc/sotto/copyright; do
  grep -qx "$path" <<<"$contents" || fail "$path is missing from the package"
done

step "lintian (errors and warnings fail; packaging/README.md lists the accepted info tags)"
lintian --fail-on error,warning --suppress-tags binary-has-unneeded-section "$deb" 2>&1 | grep -v "root privileges" || true
lintian --fail-on error,warning "$deb" >/dev/null 2>&1 || fail "lintian reports errors or warnings"

step "systemd-analyze security (must be 2.0 or lower)"
unit=$work/unit/sotto-relay.service
mkdir -p "$work/unit"
dpkg-deb --fsys-tarfile "$deb" | tar -xO ./lib/systemd/system/sotto-relay.service >"$unit"
score=$(systemd-analyze security --offline=true "$unit" 2>/dev/null | sed -n 's/.*Overall exposure level for .*: \([0-9.]*\).*/\1/p')
[[ -n "$score" ]] || fail "systemd-analyze printed no score"
echo "exposure $score"
awk -v s="$score" 'BEGIN { exit !(s <= 2.0) }' || fail "exposure $score is above 2.0"

step "install"
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$deb" >"$work/install.log" 2>&1 \
  || { cat "$work/install.log"; fail "apt-get install failed"; }
version=$(/usr/bin/sotto --version)
# The package under test is built from the test build tree, whose version line adds "(test
# build: ...)"; a release build's is exactly "sotto VERSION".
[[ "$version" == "sotto $(dpkg-deb -f "$deb" Version)"* ]] || fail "installed binary says '$version'"
getent passwd sotto >/dev/null || fail "the sotto system user was not created"
[[ $(getent passwd sotto | cut -d: -f7) == */nologin || $(getent passwd sotto | cut -d: -f7) == /bin/false ]] || fail "the sotto user has a login shell"
man -w sotto >/dev/null 2>&1 || [[ -f /usr/share/man/man1/sotto.1.gz ]] || fail "man page not installed"
/usr/bin/sotto --relay --config /etc/sotto/config.toml --help >/dev/null || fail "the packaged config is not accepted"
echo "installed: $version"

step "purge"
files=$(dpkg -L sotto | sort)
"${as_root[@]}" dpkg --purge sotto >"$work/purge.log" 2>&1 || { cat "$work/purge.log"; fail "dpkg --purge failed"; }
left=()
while IFS= read -r path; do
  [[ -e "$path" && ! -d "$path" ]] && left+=("$path")
done <<<"$files"
((${#left[@]} == 0)) || fail "files left behind: ${left[*]}"
[[ ! -e /etc/sotto && ! -e /var/lib/sotto ]] || fail "/etc/sotto or /var/lib/sotto left behind"
! getent passwd sotto >/dev/null || fail "the sotto user is left behind"
echo "purged cleanly"
echo "PASS"
