#!/bin/bash
# Build the mirrorvm guest / L1-host kernel:
#   Debian's linux-source-6.12 tarball + kvm-patches/*.patch + guest-kernel/config.fragment
# The bzImage is cached outside the repo under
#   ${MIRRORVM_CACHE:-$HOME/.cache/mirrorvm}/kernel/<key>/bzImage
# where key = sha256(Debian source version, patches, fragment, this script).
# Progress goes to stderr; the last line on stdout is the bzImage path.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TARBALL=${LINUX_SOURCE_TARBALL:-/usr/src/linux-source-6.12.tar.xz}
CACHE=${MIRRORVM_CACHE:-$HOME/.cache/mirrorvm}
PATCHDIR=$REPO/kvm-patches
FRAGMENT=$REPO/guest-kernel/config.fragment
JOBS=${JOBS:-2}

log() { echo "build-guest-kernel: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

[ -r "$TARBALL" ] || die "$TARBALL missing (apt-get install linux-source-6.12)"
[ -r "$FRAGMENT" ] || die "$FRAGMENT missing"
shopt -s nullglob
PATCHES=("$PATCHDIR"/*.patch)
shopt -u nullglob
[ ${#PATCHES[@]} -gt 0 ] || die "no patches in $PATCHDIR"

DEBVER=$(dpkg-query -W -f='${Version}' linux-source-6.12 2>/dev/null || true)
[ -n "$DEBVER" ] || DEBVER="unknown-$(stat -c %s-%Y "$TARBALL")"
BASEVER=$(cat "$PATCHDIR/BASE-VERSION")
# The series is made for one version (kvm-patches/BASE-VERSION); another
# Debian point release may not take it.  LINUX_SOURCE_TARBALL overrides.
[ -n "${LINUX_SOURCE_TARBALL:-}" ] || [ "$DEBVER" = "$BASEVER" ] ||
	die "linux-source-6.12 $DEBVER is installed, the series is made for $BASEVER (kvm-patches/BASE-VERSION): run scripts/setup.sh"

KEY=$( { echo "linux-source-6.12 $DEBVER"
	 for p in "${PATCHES[@]}"; do echo "== $(basename "$p")"; cat "$p"; done
	 echo "== fragment"; cat "$FRAGMENT"
	 echo "== script"; cat "${BASH_SOURCE[0]}"; } | sha256sum | cut -c1-64)
OUT=$CACHE/kernel/$KEY
if [ -s "$OUT/bzImage" ]; then
	log "cached: $OUT/bzImage"
	echo "$OUT/bzImage"
	exit 0
fi

# Pristine extraction, shared with tests/kernel/check-series.sh
PRISTINE=$CACHE/src/linux-source-6.12_$DEBVER
if [ ! -e "$PRISTINE/.extracted" ]; then
	log "extracting $TARBALL (once) ..."
	rm -rf "$PRISTINE.tmp"
	mkdir -p "$PRISTINE.tmp"
	tar -xJf "$TARBALL" -C "$PRISTINE.tmp" --strip-components=1
	touch "$PRISTINE.tmp/.extracted"
	rm -rf "$PRISTINE"
	mv "$PRISTINE.tmp" "$PRISTINE"
fi

WORK=$CACHE/kernel/$KEY.work
rm -rf "$WORK"
mkdir -p "$WORK"
trap 'rm -rf "$WORK"' EXIT
log "copying source ..."
cp -a "$PRISTINE" "$WORK/src"
rm -f "$WORK/src/.extracted"

log "applying ${#PATCHES[@]} patches ..."
for p in "${PATCHES[@]}"; do
	if ! (cd "$WORK/src" && git apply "$p") >&2; then
		die "patch $(basename "$p") does not apply to linux-source-6.12 $DEBVER"
	fi
done

B=$WORK/build
mkdir -p "$B"
log "configuring (tinyconfig + fragment) ..."
nice make -C "$WORK/src" O="$B" -s tinyconfig >&2
(cd "$B" && "$WORK/src/scripts/kconfig/merge_config.sh" -m .config "$FRAGMENT") >/dev/null
nice make -C "$WORK/src" O="$B" -s olddefconfig >&2
missing=0
while read -r line; do
	case "$line" in ''|\#*) continue ;; esac
	if ! grep -qxF "$line" "$B/.config"; then
		log "config: $line did not survive olddefconfig"
		missing=1
	fi
done < "$FRAGMENT"
[ $missing = 0 ] || die "config fragment not satisfied"

log "building bzImage with make -j$JOBS (a few minutes) ..."
if ! nice make -C "$WORK/src" O="$B" -j"$JOBS" bzImage >"$WORK/build.log" 2>&1; then
	tail -40 "$WORK/build.log" >&2
	die "kernel build failed"
fi
mkdir -p "$OUT.tmp"
cp "$B/arch/x86/boot/bzImage" "$OUT.tmp/bzImage"
cp "$B/.config" "$OUT.tmp/config"
rm -rf "$OUT"
mv "$OUT.tmp" "$OUT"
log "done: $OUT/bzImage"
echo "$OUT/bzImage"
