#!/bin/bash
# compile-check.sh: the kvm-patches series compiles without a warning in
# configurations the guest kernel does not cover:
#   x86_64-nonuma    the guest fragment without NUMA
#   x86_64-nomirror  the guest fragment with CONFIG_MEMORY_MIRROR=n
#   i386-nopae       32-bit x86 tinyconfig (phys_addr_t is 32 bits) with
#                    CONFIG_MEMORY_MIRROR=y
# Each configuration builds, with -Werror, every directory and file the
# series touches (mm/, fs/proc/, drivers/base/, arch/x86/kernel/setup.o);
# objects only, no link.  A passing configuration is remembered under
# ${MIRRORVM_CACHE:-$HOME/.cache/mirrorvm}/compile-check/<key>, the key
# being the Debian source version, the patches, the fragment and this
# script, so a rerun with the same inputs is instant.
# Prints "PASS name" / "FAIL name: reason" and "N passed, M failed".
set -uo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CACHE=${MIRRORVM_CACHE:-$HOME/.cache/mirrorvm}
PATCHDIR=$REPO/kvm-patches
FRAGMENT=$REPO/guest-kernel/config.fragment
JOBS=${JOBS:-2}
pass=0
fail=0
ok() { echo "PASS $1"; pass=$((pass + 1)); }
ko() { echo "FAIL $1: $2"; fail=$((fail + 1)); }
finish() { echo "$pass passed, $fail failed"; [ "$fail" = 0 ]; exit $?; }

DEBVER=$(dpkg-query -W -f='${Version}' linux-source-6.12 2>/dev/null || true)
PRISTINE=$CACHE/src/linux-source-6.12_$DEBVER
# check-series.sh (run first) extracts the pristine tree and checks the version
if [ -z "$DEBVER" ] || [ ! -e "$PRISTINE/.extracted" ]; then
	ko compile-check "no extracted linux-source-6.12 under $CACHE/src (run tests/kernel/check-series.sh)"
	finish
fi
shopt -s nullglob
PATCHES=("$PATCHDIR"/*.patch)
shopt -u nullglob
KEY=$( { echo "linux-source-6.12 $DEBVER"
	 for p in "${PATCHES[@]}"; do echo "== $(basename "$p")"; cat "$p"; done
	 echo "== fragment"; cat "$FRAGMENT"
	 echo "== script"; cat "${BASH_SOURCE[0]}"; } | sha256sum | cut -c1-64)
STAMPS=$CACHE/compile-check/$KEY

# What each configuration sets on top of its base (the guest fragment, or
# plain tinyconfig for i386).
config_lines() {
	case $1 in
	x86_64-nonuma)
		grep -vE '^CONFIG_(NUMA|ACPI_NUMA|X86_64_ACPI_NUMA)=' "$FRAGMENT"
		printf '%s\n' '# CONFIG_NUMA is not set' ;;
	x86_64-nomirror)
		grep -v '^CONFIG_MEMORY_MIRROR=' "$FRAGMENT"
		printf '%s\n' '# CONFIG_MEMORY_MIRROR is not set' ;;
	i386-nopae)
		printf '%s\n' '# CONFIG_64BIT is not set' '# CONFIG_X86_PAE is not set' \
			CONFIG_MULTIUSER=y CONFIG_SYSFS=y CONFIG_PROC_FS=y \
			CONFIG_SHMEM=y CONFIG_TMPFS=y CONFIG_MEMFD_CREATE=y \
			CONFIG_MEMORY_MIRROR=y ;;
	esac
}

WORK=
trap '[ -n "$WORK" ] && rm -rf "$WORK"' EXIT
for name in x86_64-nonuma x86_64-nomirror i386-nopae; do
	if [ -e "$STAMPS/$name.ok" ]; then
		ok "compile $name (cached: $STAMPS)"
		continue
	fi
	if [ -z "$WORK" ]; then
		WORK=$(mktemp -d "$CACHE/compile-check.XXXXXX")
		echo "compile-check: applying the series to a copy of $PRISTINE ..." >&2
		cp -a "$PRISTINE" "$WORK/src" && rm -f "$WORK/src/.extracted"
		for p in "${PATCHES[@]}"; do
			if ! (cd "$WORK/src" && git apply "$p") >&2; then
				ko compile-check "$(basename "$p") does not apply"
				finish
			fi
		done
	fi
	arch=${name%%-*}
	B=$WORK/$name
	mkdir -p "$B"
	t0=$(date +%s)
	echo "compile-check: $name: configuring and building mm/ fs/proc/ drivers/base/ with -Werror ..." >&2
	config_lines "$name" > "$B/fragment"
	if ! { nice make -C "$WORK/src" O="$B" ARCH="$arch" -s tinyconfig &&
	       (cd "$B" && ARCH=$arch "$WORK/src/scripts/kconfig/merge_config.sh" -m .config "$B/fragment") &&
	       nice make -C "$WORK/src" O="$B" ARCH="$arch" -s olddefconfig; } > "$B/log" 2>&1; then
		ko "compile $name" "configuration failed: $(tail -n 5 "$B/log" | tr '\n' ' ')"
		continue
	fi
	missing=
	while read -r line; do
		case "$line" in
		'# CONFIG_'*' is not set')
			opt=${line#\# }; opt=${opt%% *}
			grep -q "^$opt=" "$B/.config" && missing="$missing $opt=n" ;;
		CONFIG_*) grep -qxF "$line" "$B/.config" || missing="$missing $line" ;;
		esac
	done < "$B/fragment"
	if [ -n "$missing" ]; then
		ko "compile $name" "olddefconfig did not keep:$missing"
		continue
	fi
	# kexec_file_load's bzImage loader and PRAM are 64-bit only
	targets="mm/ fs/proc/ drivers/base/ arch/x86/kernel/setup.o"
	[ "$arch" = x86_64 ] &&
		targets="$targets arch/x86/kernel/kexec-bzimage64.o kernel/kexec_core.o kernel/kexec_file.o"
	# shellcheck disable=SC2086
	if nice make -C "$WORK/src" O="$B" ARCH="$arch" -j"$JOBS" KCFLAGS=-Werror \
		$targets >> "$B/log" 2>&1; then
		mkdir -p "$STAMPS" && touch "$STAMPS/$name.ok"
		ok "compile $name: $targets, no warnings ($(( $(date +%s) - t0 ))s)"
	else
		ko "compile $name" "$(grep -E 'error|warning' "$B/log" | head -n 8 | tr '\n' ' ')"
	fi
	rm -rf "$B"
done
finish
