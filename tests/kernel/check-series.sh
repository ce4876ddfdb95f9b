#!/bin/bash
# Check the kernel patch series in kvm-patches/:
#  - each patch applies in order (git apply --check) on a pristine
#    linux-source-6.12 (extraction cached under
#    ${MIRRORVM_CACHE:-$HOME/.cache/mirrorvm}/src/),
#  - each patch is scripts/checkpatch.pl --strict clean (no errors, no
#    warnings; CHECK notes are reported but do not fail).
# Prints "PASS name" / "FAIL name: reason" per check and "N passed, M failed".
set -uo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
TARBALL=${LINUX_SOURCE_TARBALL:-/usr/src/linux-source-6.12.tar.xz}
CACHE=${MIRRORVM_CACHE:-$HOME/.cache/mirrorvm}
PATCHDIR=$REPO/kvm-patches
pass=0
fail=0
ok() { echo "PASS $1"; pass=$((pass + 1)); }
ko() { echo "FAIL $1: $2"; fail=$((fail + 1)); }
finish() { echo "$pass passed, $fail failed"; [ "$fail" = 0 ]; exit $?; }

shopt -s nullglob
PATCHES=("$PATCHDIR"/*.patch)
shopt -u nullglob
if [ ${#PATCHES[@]} = 0 ]; then
	ko series "no patches in $PATCHDIR"
	finish
fi
if [ ! -r "$TARBALL" ]; then
	ko source "$TARBALL missing (apt-get install linux-source-6.12)"
	finish
fi

DEBVER=$(dpkg-query -W -f='${Version}' linux-source-6.12 2>/dev/null || true)
[ -n "$DEBVER" ] || DEBVER="unknown-$(stat -c %s-%Y "$TARBALL")"
BASEVER=$(cat "$PATCHDIR/BASE-VERSION")
# The series is made for one version (kvm-patches/BASE-VERSION); another
# Debian point release may not take it.  LINUX_SOURCE_TARBALL overrides.
if [ -z "${LINUX_SOURCE_TARBALL:-}" ] && [ "$DEBVER" != "$BASEVER" ]; then
	ko source "linux-source-6.12 $DEBVER is installed, the series is made for $BASEVER (kvm-patches/BASE-VERSION): run scripts/setup.sh"
	finish
fi
ok "linux-source-6.12 $DEBVER is the series' base (kvm-patches/BASE-VERSION)"
PRISTINE=$CACHE/src/linux-source-6.12_$DEBVER
if [ ! -e "$PRISTINE/.extracted" ]; then
	echo "check-series: extracting $TARBALL (once) ..." >&2
	rm -rf "$PRISTINE.tmp"
	mkdir -p "$PRISTINE.tmp"
	if tar -xJf "$TARBALL" -C "$PRISTINE.tmp" --strip-components=1; then
		touch "$PRISTINE.tmp/.extracted"
		rm -rf "$PRISTINE"
		mv "$PRISTINE.tmp" "$PRISTINE"
	else
		ko source "cannot extract $TARBALL"
		finish
	fi
fi
ok "source linux-source-6.12 $DEBVER"

# Patch k is checked on top of patches 1..k-1: copy the files the series
# touches from the pristine tree into a scratch dir, then for each patch
# run git apply --check and, if it passes, apply it there.
SCRATCH=$(mktemp -d)
trap 'rm -rf "$SCRATCH"' EXIT
sed -n -e 's|^--- a/||p' "${PATCHES[@]}" | sort -u | while read -r f; do
	if [ -e "$PRISTINE/$f" ]; then
		mkdir -p "$SCRATCH/$(dirname "$f")"
		cp -p "$PRISTINE/$f" "$SCRATCH/$f"
	fi
done
broken=""
for p in "${PATCHES[@]}"; do
	name=$(basename "$p")
	if [ -n "$broken" ]; then
		ko "apply $name" "not checked, $broken does not apply"
	elif err=$(cd "$SCRATCH" && git apply --check "$p" 2>&1 && git apply "$p" 2>&1); then
		ok "apply $name"
	else
		ko "apply $name" "$(echo "$err" | head -3 | tr '\n' ' ')"
		broken=$name
	fi
done

for p in "${PATCHES[@]}"; do
	name=$(basename "$p")
	# The pristine tree has no upstream history to look up the commit ids
	# of Fixes: tags in; they are checked by hand (kvm-patches/README).
	out=$(cd "$PRISTINE" && perl scripts/checkpatch.pl --strict --no-summary --terse \
		--ignore UNKNOWN_COMMIT_ID "$p" 2>&1)
	errors=$(echo "$out" | grep -c ': ERROR:')
	warnings=$(echo "$out" | grep -c ': WARNING:')
	checks=$(echo "$out" | grep -c ': CHECK:')
	if [ "$errors" = 0 ] && [ "$warnings" = 0 ]; then
		if [ "$checks" = 0 ]; then
			ok "checkpatch $name"
		else
			ok "checkpatch $name ($checks CHECK notes)"
		fi
	else
		ko "checkpatch $name" "$errors errors, $warnings warnings: $(echo "$out" | grep -E ': (ERROR|WARNING):' | head -2 | tr '\n' ' ')"
	fi
done

finish
