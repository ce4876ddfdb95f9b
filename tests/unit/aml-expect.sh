#!/bin/bash
# Prints the AML that the real iasl produces for an ASL snippet, as a C
# byte array: the expected bytes of tests/unit/test-aml.c come from here.
#   echo 'Name (ABCD, 0x1234)' | tests/unit/aml-expect.sh
# The snippet (stdin) goes inside a DSDT DefinitionBlock of revision 2, as
# mirrorvm's; the table header (36 bytes) is left out.  Extra arguments are
# passed to iasl (e.g. -oa to disable its optimizations).
set -eu
command -v iasl >/dev/null || { echo "iasl not installed (apt-get install acpica-tools)" >&2; exit 1; }
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
{
	echo 'DefinitionBlock ("", "DSDT", 2, "MIRVM ", "MIRRORVM", 1)'
	echo '{'
	cat
	echo '}'
} > "$work/t.asl"
if ! iasl -vr "$@" -p "$work/t" "$work/t.asl" > "$work/log" 2>&1; then
	cat "$work/log" >&2; exit 1
fi
grep -E '^(Error|Warning)' "$work/log" >&2 || true
od -An -v -tx1 -j36 "$work/t.aml" | tr -s ' \n' ' ' | sed 's/^ //; s/ $//' |
	tr ' ' '\n' | sed 's/^/0x/' | paste -sd, | sed 's/,/, /g' | fold -s -w 72 | sed 's/^/\t/; s/ *$//'
