#!/bin/bash
# Runs the unit test binaries given as arguments and adds up their totals.
pass=0; fail=0
for t in "$@"; do
	out=$("$t" 2>&1); rc=$?
	echo "$out" | grep -v '^[0-9]* passed, [0-9]* failed$' | sed "s|^|$(basename "$t"): |"
	line=$(echo "$out" | grep -E '^[0-9]+ passed, [0-9]+ failed$' | tail -n 1)
	if [ -z "$line" ]; then
		echo "FAIL $(basename "$t"): crashed or printed no totals (exit $rc)"
		fail=$((fail + 1)); continue
	fi
	p=${line%% passed*}; f=${line#*passed, }; f=${f%% failed*}
	pass=$((pass + p)); fail=$((fail + f))
	[ $rc -ne 0 ] && [ "$f" -eq 0 ] && { echo "FAIL $(basename "$t"): exit $rc"; fail=$((fail + 1)); }
done
echo "unit: $pass passed, $fail failed"
[ $fail -eq 0 ]
