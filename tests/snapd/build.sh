#!/usr/bin/env bash
# Builds and fetches the real snapds the contract tests run, from Debian's archive only, into one cache directory:
#
#   $CACHE/snapd/<version>-testkeys-r<recipe>/   Debian 12's snapd package (bookworm), with snapd and the snap CLI
#                                                rebuilt from the same source package with test keys, plus snapd's
#                                                own test store (tests/lib/fakestore in snapd's source)
#   $CACHE/snapd/<version>-r<recipe>/            Debian 13's snapd package (trixie) as shipped: no test keys
#   $CACHE/snapd/manifest                        where each of them is (read by the Java harness, RealSnapdBuild)
#
# Nothing is installed on the host: packages are fetched with a private apt configuration (its own sources and lists
# under $CACHE/apt; the host's apt state is not changed) and unpacked with dpkg-deb -x. The Go 1.19 toolchain and the
# golang-* libraries snapd's source package build-depends on are unpacked into a scratch root used for the build only
# and deleted afterwards. A second run with the manifest in place does nothing (about 0 s); --rebuild starts over.
#
# Needs: apt-get, dpkg-deb, dpkg-source, gcc (snapd links with cgo, as Debian builds it), network access to Debian's
# archive. Prints the manifest path on success.
set -euo pipefail

CACHE=${SNAP_COHERENCE_CACHE:-/var/cache/snap-coherence}
# Bump when what this script produces changes, so a cache built by an older recipe is not taken for current.
RECIPE=1
SNAPD_UPSTREAM_OLD=2.57.6
ARCHIVE=http://deb.debian.org/debian
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg

manifest=$CACHE/snapd/manifest
# One build at a time per cache: a second run waits, then finds the cache warm.
mkdir -p "$CACHE"
exec 9>"$CACHE/.build.lock"
flock 9
if [ "${1:-}" = --rebuild ]; then
    rm -rf "$CACHE/snapd" "$CACHE/apt"
elif [ -n "${1:-}" ]; then
    echo "usage: $0 [--rebuild]" >&2
    exit 2
fi
if [ -f "$manifest" ] && grep -qx "recipe=$RECIPE" "$manifest"; then
    ok=true
    while IFS='=' read -r key value; do
        case "$key" in *_root) [ -f "$value/.complete" ] || ok=false ;; esac
    done < "$manifest"
    if $ok; then
        echo "$manifest"
        exit 0
    fi
fi

log() { printf '%s [snapd build] %s\n' "$(date +%T)" "$*" >&2; }
start=$(date +%s)
mkdir -p "$CACHE/snapd" "$CACHE/apt"

# One private apt configuration per suite, so bookworm's and trixie's candidates never mix and the host's sources,
# lists, pins and dpkg status are neither read nor written.
private_apt() {
    local suite=$1 types=$2 dir=$CACHE/apt/$1
    mkdir -p "$dir/lists/partial" "$dir/archives/partial" "$dir/cache" "$dir/parts" "$dir/prefs"
    : > "$dir/status"
    : > "$dir/sources.list"
    for type in $types; do
        echo "$type [signed-by=$KEYRING] $ARCHIVE $suite main" >> "$dir/sources.list"
    done
    cat > "$dir/apt.conf" <<CONF
Dir::Etc::SourceList "$dir/sources.list";
Dir::Etc::SourceParts "$dir/parts";
Dir::Etc::Preferences "$dir/prefs/none";
Dir::Etc::PreferencesParts "$dir/prefs";
Dir::State::Lists "$dir/lists";
Dir::State::status "$dir/status";
Dir::Cache "$dir/cache";
Dir::Cache::archives "$dir/archives";
APT::Architecture "amd64";
APT::Sandbox::User "root";
CONF
    APT_CONFIG=$dir/apt.conf apt-get -qq update >&2
}
# Runs apt in one suite's private configuration; only for update/download/source/cache queries, never install.
apt_in() { local suite=$1; shift; APT_CONFIG=$CACHE/apt/$suite/apt.conf "$@"; }

log "apt lists (bookworm with sources, trixie)"
private_apt bookworm "deb deb-src"
private_apt trixie deb

src_version=$(apt_in bookworm apt-cache showsrc snapd | awk '/^Version:/ {print $2}' | grep "^$SNAPD_UPSTREAM_OLD-" | sort -V | tail -1)
[ -n "$src_version" ] || { echo "bookworm has no snapd $SNAPD_UPSTREAM_OLD source package" >&2; exit 1; }
old_bin_version=$(apt_in bookworm apt-cache show snapd | awk '/^Version:/ {print $2}' | grep "^$src_version" | sort -V | tail -1)
new_bin_version=$(apt_in trixie apt-cache policy snapd | awk '/Candidate:/ {print $2}')
old_root=$CACHE/snapd/$old_bin_version-testkeys-r$RECIPE
new_root=$CACHE/snapd/$new_bin_version-r$RECIPE

# The scratch root (about 720 MB in many small files: Go toolchain, libraries, source, build cache) goes to memory
# when it fits: unpacking and deleting it on disk took longer than the Go build on a loaded machine.
scratch=$CACHE/snapd
if [ -d /dev/shm ] && [ "$(df -Pk /dev/shm | awk 'NR == 2 {print $4}')" -gt 2000000 ]; then scratch=/dev/shm; fi
work=$(mktemp -d "$scratch/snapd-build.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/debs" "$work/toolchain" "$work/gopath/src/github.com/snapcore" "$work/gocache"

if [ ! -f "$old_root/.complete" ]; then
    log "snapd $src_version source and build dependencies"
    (cd "$work" && apt_in bookworm apt-get -qq source --download-only "snapd=$src_version" >&2)
    dpkg-source --no-check -x "$work"/snapd_"${src_version#*:}".dsc "$work/snapd" >/dev/null
    # The Go toolchain and every golang-* library the source package build-depends on, with their golang-* deps.
    roots=$(sed -n '/^Build-Depends:/,/^[A-Z]/p' "$work/snapd/debian/control" | tr ',' '\n' \
        | sed -e 's/Build-Depends://' -e 's/[[(].*//' -e 's/ //g' | grep -E '^golang-' | grep -vxE 'golang-go|golang-src')
    pkgs=$(apt_in bookworm apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks \
        --no-replaces --no-enhances golang-1.19-go golang-1.19-src $roots | grep -E '^golang-' \
        | grep -vxE 'golang-go|golang-src' | sort -u)
    (cd "$work/debs" && apt_in bookworm apt-get -qq download $pkgs "snapd=$old_bin_version" >&2)
    for deb in "$work"/debs/golang-*.deb; do dpkg-deb -x "$deb" "$work/toolchain"; done

    log "building snapd, snap and fakestore with test keys"
    ln -s "$work/snapd" "$work/gopath/src/github.com/snapcore/snapd"
    # What mkversion.sh writes (from debian/changelog, which a binNMU build extends with its +bN entry): the binary
    # package's version, so this snapd reports exactly what Debian's does.
    cat > "$work/snapd/snapdtool/version_generated.go" <<GO
package snapdtool

// generated by mkversion.sh; do not edit

func init() {
	Version = "$old_bin_version"
}
GO
    export GOROOT=$work/toolchain/usr/lib/go-1.19 GO111MODULE=off GOPROXY=off GOFLAGS= GOCACHE=$work/gocache \
        GOPATH=$work/gopath:$work/toolchain/usr/share/gocode
    go=$GOROOT/bin/go
    pkg=github.com/snapcore/snapd
    # Tags as debian/rules with DEB_BUILD_OPTIONS=testkeys.
    "$go" build -o "$work/snapd.bin" -tags "nosecboot withtestkeys" "$pkg/cmd/snapd"
    "$go" build -o "$work/snap.bin" -tags "nosecboot nomanagers withtestkeys" "$pkg/cmd/snap"
    "$go" build -o "$work/fakestore.bin" -tags withtestkeys "$pkg/tests/lib/fakestore/cmd/fakestore"

    rm -rf "$old_root"
    mkdir -p "$old_root"
    dpkg-deb -x "$work"/debs/snapd_*.deb "$old_root"
    install -m 0755 "$work/snapd.bin" "$old_root/usr/lib/snapd/snapd"
    install -m 0755 "$work/snap.bin" "$old_root/usr/bin/snap"
    install -D -m 0755 "$work/fakestore.bin" "$old_root/usr/lib/snapd-tests/fakestore"
    echo "snapd $src_version (package $old_bin_version) rebuilt with test keys from Debian's source package" \
        > "$old_root/.complete"
fi

if [ ! -f "$new_root/.complete" ]; then
    log "snapd $new_bin_version (trixie) binaries"
    (cd "$work/debs" && apt_in trixie apt-get -qq download "snapd=$new_bin_version" >&2)
    rm -rf "$new_root"
    mkdir -p "$new_root"
    dpkg-deb -x "$work/debs/snapd_${new_bin_version#*:}_amd64.deb" "$new_root"
    echo "snapd $new_bin_version from Debian 13, as shipped (production keys)" > "$new_root/.complete"
fi

rm -rf "$work"
cat > "$manifest.tmp" <<MANIFEST
recipe=$RECIPE
testkeys_version=$old_bin_version
testkeys_root=$old_root
fakestore=$old_root/usr/lib/snapd-tests/fakestore
stock_version=$new_bin_version
stock_root=$new_root
MANIFEST
mv "$manifest.tmp" "$manifest"
# Builds of other versions or recipes are no longer used.
for dir in "$CACHE"/snapd/*/; do
    dir=${dir%/}
    [ "$dir" = "$old_root" ] || [ "$dir" = "$new_root" ] || rm -rf "$dir"
done
log "done in $(( $(date +%s) - start )) s"
echo "$manifest"
