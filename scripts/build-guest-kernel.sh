#!/bin/bash
# Build the mirrorvm guest / L1-host kernel:
#   Debian's linux-source-6.12 tarball + kvm-patches/*.patch + guest-kernel/config.fragment
# Usage: build-guest-kernel.sh [--flavour guest|host]
#   guest (default): tinyconfig + config.fragment
#   host: the same + guest-kernel/host.fragment, the memory management
#         options of distribution kernels (deferred struct page init, CMA,
#         THP, memcg, KSM)
# The bzImage is cached outside the repo under
#   ${MIRRORVM_CACHE:-$HOME/.cache/mirrorvm}/kernel/<key>/bzImage
# where key = sha256(Debian source version, patches, fragments, this script).
# Progress goes to stderr; the last line on stdout is the bzImage path.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TARBALL=${LINUX_SOURCE_TARBALL:-/usr/src/linux-source-6.12.tar.xz}
CACHE=${MIRRORVM_CACHE:-$HOME/.cache/mirrorvm}
PATCHDIR=$REPO/kvm-patches
JOBS=${JOBS:-2}

log() { echo "build-guest-kernel: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

FLAVOUR=guest
while [ $# -gt 0 ]; do
	case $1 in
	--flavour) [ $# -ge 2 ] || die "--flavour needs guest or host"; FLAVOUR=$2; shift 2 ;;
	--flavour=*) FLAVOUR=${1#--flavour=}; shift ;;
	-h|--help) sed -n '2,12p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) die "unknown argument '$1' (usage: build-guest-kernel.sh [--flavour guest|host])" ;;
	esac
done
FRAGMENTS=("$REPO/guest-kernel/config.fragment")
case $FLAVOUR in
guest) ;;
host) FRAGMENTS+=("$REPO/guest-kernel/host.fragment") ;;
*) die "--flavour '$FLAVOUR': not guest or host" ;;
esac

[ -r "$TARBALL" ] || die "$TARBALL missing (apt-get install linux-source-6.12)"
for f in "${FRAGMENTS[@]}"; do [ -r "$f" ] || die "$f missing"; done
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
	 for f in "${FRAGMENTS[@]}"; do echo "== fragment $(basename "$f")"; cat "$f"; done
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
log "configuring $FLAVOUR flavour (tinyconfig + $(for f in "${FRAGMENTS[@]}"; do basename "$f"; done | tr '\n' ' ')) ..."
nice make -C "$WORK/src" O="$B" -s tinyconfig >&2
(cd "$B" && "$WORK/src/scripts/kconfig/merge_config.sh" -m .config "${FRAGMENTS[@]}") >/dev/null
nice make -C "$WORK/src" O="$B" -s olddefconfig >&2
missing=0
while read -r line; do
	case "$line" in ''|\#*) continue ;; esac
	if ! grep -qxF "$line" "$B/.config"; then
		log "config: $line did not survive olddefconfig"
		missing=1
	fi
done < <(cat "${FRAGMENTS[@]}")
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
