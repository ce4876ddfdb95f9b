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
	# (4) each memory device's _CRS and _PXM are one of layout.json's units,
	# inside an SRAT Hot Pluggable range of that proximity, and together
	# the devices cover those ranges exactly
	if units=$(python3 - "$out/DSDT.dsl" "$out/SRAT.dsl" "$out/layout.json" <<'PY'
import json, re, sys
dsl, srat, lay = open(sys.argv[1]).read(), open(sys.argv[2]).read(), json.load(open(sys.argv[3]))
devs = []
for m in re.finditer(r"Device \((M[0-9A-F]{3})\)(.*?)Method \(_STA", dsl, re.S):
    body = m.group(2)
    pxm = re.search(r"Name \(_PXM, (\w+)\)", body).group(1)
    pxm = {"Zero": 0, "One": 1}.get(pxm) if pxm in ("Zero", "One") else int(pxm, 0)
    lo = int(re.search(r"0x([0-9A-F]+), // Range Minimum", body).group(1), 16)
    hi = int(re.search(r"0x([0-9A-F]+), // Range Maximum", body).group(1), 16)
    ln = int(re.search(r"0x([0-9A-F]+), // Length", body).group(1), 16)
    devs.append((lo, hi + 1, ln, pxm))
hot = []
for m in re.finditer(r"Proximity Domain : ([0-9A-F]+).*?Base Address : ([0-9A-F]+).*?Address Length : ([0-9A-F]+).*?Hot Pluggable : (\d)", srat, re.S):
    if m.group(4) == "1":
        b, l = int(m.group(2), 16), int(m.group(3), 16)
        hot.append((b, b + l, int(m.group(1), 16)))
units = [(u["gpa"], u["gpa"] + u["size"], u["size"], u["node"]) for u in lay["units"]]
bad = [d for d in devs if d[1] - d[0] != d[2] or not any(h[0] <= d[0] and d[1] <= h[1] and h[2] == d[3] for h in hot)]
covered = sum(d[1] - d[0] for d in devs) == sum(h[1] - h[0] for h in hot)
if bad or not covered or sorted(devs) != sorted(units):
    print(f"devices {devs[:4]}... vs units {units[:4]}... hot {hot} bad {bad[:3]}")
    sys.exit(1)
print(len(devs))
PY
); then ok "$name memory devices = units = SRAT hotplug ranges ($units)"; else ko "$name memory devices" "$units"; fi
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
