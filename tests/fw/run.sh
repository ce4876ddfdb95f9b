#!/bin/bash
# Firmware tests: for each configuration in tests/fw/configs, dump the
# firmware and (1) compare it byte for byte with the checked-in golden files,
# disassembling both with iasl when a table differs, (2) disassemble every
# table with the real iasl and require no error or warning, (3) require the
# SRAT to show Hot Pluggable exactly on the hotplug nodes' ranges, as the
# dump's layout.json lists them (layout.json has golden files too).
# MIRRORVM_REGENERATE=1 rewrites the golden files deliberately.
#
# Changing firmware bytes on purpose takes two commits, as in QEMU's
# bios-tables-test: the commit that changes the builder lists the golden
# files it changes in tests/fw/expected-changes (their differences then pass,
# announced; any other difference still fails), and the next commit
# regenerates them and empties the list, saying which addresses moved.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
vmm=${1:-$top/build/mirrorvm}
exp=$top/tests/fw/expected
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
pass=0; fail=0; skip=0
changes=$top/tests/fw/expected-changes
# announced CONFIG/FILE: the current change list names this golden file
announced() { grep -qxF "$1" <(grep -v '^#' "$changes" 2>/dev/null); }
ok() { echo "PASS $1"; pass=$((pass + 1)); }
ko() { echo "FAIL $1: $2"; fail=$((fail + 1)); }

while IFS='|' read -r name flags; do
	name=$(echo "$name" | xargs); flags=$(echo "$flags" | xargs)
	case "$name" in ''|'#'*) continue ;; esac
	out=$work/$name
	# shellcheck disable=SC2086
	if ! "$vmm" run $flags --dump-firmware "$out" 2> "$work/err"; then
		ko "$name dump" "$(cat "$work/err")"; continue
	fi
	if [ "${MIRRORVM_REGENERATE:-}" = 1 ]; then
		rm -rf "${exp:?}/$name"; mkdir -p "$exp/$name"
		cp "$out"/*.dat "$out"/*.txt "$out"/*.json "$exp/$name/"
		echo "regenerated $exp/$name"
	fi
	# (1) golden bytes
	for f in "$exp/$name"/*; do
		b=$(basename "$f")
		if [ ! -f "$out/$b" ]; then ko "$name golden $b" "no longer produced"; continue; fi
		if cmp -s "$f" "$out/$b"; then
			announced "$name/$b" && echo "NOTE $name/$b is listed in tests/fw/expected-changes but unchanged"
			ok "$name golden $b"; continue
		fi
		if announced "$name/$b"; then
			ok "$name golden $b (differs, as tests/fw/expected-changes announces)"; continue
		fi
		msg="differs from the golden file"
		case "$b" in RSDP.dat) ;; *.dat)
			mkdir -p "$work/diff-old" "$work/diff-new"
			cp "$f" "$work/diff-old/$b"; cp "$out/$b" "$work/diff-new/$b"
			(cd "$work/diff-old" && iasl -d "$b" >/dev/null 2>&1)
			(cd "$work/diff-new" && iasl -d "$b" >/dev/null 2>&1)
			diff -u "$work/diff-old/${b%.dat}.dsl" "$work/diff-new/${b%.dat}.dsl" | grep '^[-+]' | grep -v 'Disassembly of\|^---\|^+++' | head -20
		esac
		ko "$name golden $b" "$msg"
	done
	for f in "$out"/*.dat "$out"/*.txt "$out"/*.json; do
		[ -f "$exp/$name/$(basename "$f")" ] || ko "$name golden $(basename "$f")" "no golden file (run with MIRRORVM_REGENERATE=1)"
	done
	# (2) iasl
	if ! command -v iasl >/dev/null; then
		echo "SKIP $name iasl: iasl not installed (apt-get install acpica-tools)"; skip=$((skip + 1)); continue
	fi
	for f in "$out"/*.dat; do
		sig=$(basename "$f" .dat)
		# iasl 20200925 cannot disassemble a bare RSDP; unit tests check it.
		[ "$sig" = RSDP ] && continue
		if ! (cd "$out" && iasl -d "$sig.dat" > "$work/iasl.out" 2>&1); then
			ko "$name iasl $sig" "iasl -d failed: $(tail -n 2 "$work/iasl.out")"; continue
		fi
		if grep -qiE 'error|warning|invalid|terminates|\*\*\*\*' "$work/iasl.out" "$out/$sig.dsl"; then
			ko "$name iasl $sig" "$(grep -iE 'error|warning|invalid|terminates|\*\*\*\*' "$work/iasl.out" "$out/$sig.dsl" | head -3)"
			continue
		fi
		ok "$name iasl $sig"
	done
	# The DSDT must also compile back without errors.
	if (cd "$out" && iasl DSDT.dsl > "$work/iasl.out" 2>&1) && grep -q ' 0 Errors, 0 Warnings' "$work/iasl.out"; then
		ok "$name DSDT recompiles"
	else
		ko "$name DSDT recompiles" "$(tail -n 3 "$work/iasl.out")"
	fi
	# (3) Hot Pluggable ranges in the disassembled SRAT
	# (the layout's own account of which RAM ranges are hotpluggable)
	want=$(python3 - "$out/layout.json" <<'PY'
import json, sys
lay = json.load(open(sys.argv[1]))
print(sum(len(n["ram"]) for n in lay["nodes"] if n["hotplug"]))
PY
)
	got=$(grep -c 'Hot Pluggable : 1' "$out/SRAT.dsl")
	if [ "$got" = "$want" ]; then ok "$name SRAT hotplug ranges ($got)"; else ko "$name SRAT hotplug ranges" "iasl shows $got, expected $want"; fi
done < "$top/tests/fw/configs"

# Unused golden directories are an error, as in libvirt's tests.
for d in "$exp"/*/; do
	n=$(basename "$d")
	grep -q "^$n *|" "$top/tests/fw/configs" || ko "golden $n" "directory has no configuration"
done
echo "firmware: $pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ]
