#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# tests/xml/run.sh [MIRRORVM]: the libvirt domain XML tests.
#
#   golden   data/NAME.xml -> xml2args -> NAME.args (stdout) and NAME.warn
#            (the warning line, if any), or NAME.err (stderr) when it fails;
#            MIRRORVM_REGENERATE=1 rewrites them; unused files fail.
#   schema   examples and golden inputs pass libvirt's virt-xml-validate,
#            their metadata passes libvirt-xml/mirrorvm.rng.
#   virsh    virsh -c test:///default define + dumpxml keeps the metadata
#            and the flags.
#   args     args2xml -> xml2args gives the same flags; args2xml errors.
#   run      run --domain-xml [overrides] dumps the same firmware as the
#            equivalent flags.
#   hook     libvirt-xml/hooks/mirrorvm on recorded domains and fixtures.
#
# MIRRORVM defaults to build/mirrorvm (build/mirrorvm-san for ASan).
set -u

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
bin=${1:-$top/build/mirrorvm}
case $bin in /*) ;; *) bin=$(pwd)/$bin ;; esac
data=$here/data
examples=$top/libvirt-xml/examples
rng=$top/libvirt-xml/mirrorvm.rng
hook=$top/libvirt-xml/hooks/mirrorvm
fix=$here/hook
regen=${MIRRORVM_REGENERATE:-}

pass=0 fail=0 skip=0
ok() { echo "PASS $1"; pass=$((pass + 1)); }
bad() { echo "FAIL $1: $2"; fail=$((fail + 1)); }
skp() { echo "SKIP $1: $2"; skip=$((skip + 1)); }
finish() {
	if [ "$skip" -gt 0 ]; then
		echo "$pass passed, $fail failed, $skip skipped"
	else
		echo "$pass passed, $fail failed"
	fi
	[ "$fail" -eq 0 ]
	exit
}

tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

if [ ! -x "$bin" ]; then
	bad setup "no executable $bin (make build/mirrorvm)"
	finish
fi

have() { command -v "$1" >/dev/null 2>&1; }

# ---- golden files ----
cd "$data" || exit 1
for x in *.xml; do
	n=${x%.xml}
	"$bin" xml2args "$x" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ -n "$regen" ]; then
		rm -f "$n.args" "$n.err" "$n.warn"
		if [ $rc -eq 0 ]; then
			cp "$tmp/out" "$n.args"
			[ -s "$tmp/err" ] && cp "$tmp/err" "$n.warn"
		else
			cp "$tmp/err" "$n.err"
		fi
	fi
	if [ -f "$n.args" ] && [ -f "$n.err" ]; then
		bad "golden $n" "both $n.args and $n.err exist"
	elif [ $rc -eq 0 ]; then
		if [ ! -f "$n.args" ]; then
			bad "golden $n" "xml2args succeeded, but there is no $n.args (expected: $(head -n1 "$n.err" 2>/dev/null))"
		elif ! cmp -s "$tmp/out" "$n.args"; then
			bad "golden $n" "stdout differs from $n.args: $(diff "$n.args" "$tmp/out" | grep '^[<>]' | head -n2 | tr '\n' ' ')"
		elif [ -f "$n.warn" ] && ! cmp -s "$tmp/err" "$n.warn"; then
			bad "golden $n" "stderr differs from $n.warn: $(head -c 200 "$tmp/err")"
		elif [ ! -f "$n.warn" ] && [ -s "$tmp/err" ]; then
			bad "golden $n" "unexpected stderr: $(head -c 200 "$tmp/err")"
		elif [ "$(wc -l <"$tmp/err")" -gt 1 ]; then
			bad "golden $n" "more than one warning line"
		else
			ok "golden $n"
		fi
	else
		if [ ! -f "$n.err" ]; then
			bad "golden $n" "xml2args failed ($rc): $(head -c 200 "$tmp/err")"
		elif ! cmp -s "$tmp/err" "$n.err"; then
			bad "golden $n" "stderr differs from $n.err: $(head -c 300 "$tmp/err")"
		elif [ -s "$tmp/out" ]; then
			bad "golden $n" "failed but printed flags"
		elif [ $rc -ne 1 ]; then
			bad "golden $n" "exit status $rc, expected 1"
		else
			ok "golden $n"
		fi
	fi
done
unused=
for f in *; do
	case $f in
	*.xml) continue ;;
	*.args | *.err | *.warn) [ -f "${f%.*}.xml" ] && continue ;;
	esac
	unused="$unused $f"
done
for f in *.warn; do
	[ -f "$f" ] && [ ! -f "${f%.warn}.args" ] && unused="$unused $f"
done
if [ -n "$unused" ]; then
	bad "golden unused-files" "no test uses:$unused"
else
	ok "golden unused-files"
fi
cd "$top" || exit 1

# ---- libvirt's schema and ours ----
meta_of() {	# DOMAIN.xml OUT: the <mirrorvm:domain> element alone
	xmllint --xpath "/domain/metadata/*[namespace-uri()='http://mirrorvm.dev/xmlns/domain/1.0']" "$1" >"$2" 2>/dev/null
}
if ! have virt-xml-validate; then
	skp schema "virt-xml-validate missing (apt-get install libvirt-clients)"
else
	for f in "$examples"/*.xml "$data"/*.xml; do
		case $f in "$data"/*) [ -f "${f%.xml}.args" ] || continue ;; esac
		n=$(basename "$(dirname "$f")")/$(basename "$f")
		if ! virt-xml-validate "$f" domain >"$tmp/v" 2>&1; then
			bad "schema $n" "virt-xml-validate: $(grep -v validates "$tmp/v" | head -n1)"
		else
			ok "schema $n"
		fi
	done
fi
if ! have xmllint; then
	skp metadata-schema "xmllint missing (apt-get install libxml2-utils)"
else
	for f in "$examples"/*.xml "$data"/*.xml; do
		case $f in "$data"/*) [ -f "${f%.xml}.args" ] || continue ;; esac
		meta_of "$f" "$tmp/meta.xml" || continue
		n=$(basename "$(dirname "$f")")/$(basename "$f")
		if xmllint --noout --relaxng "$rng" "$tmp/meta.xml" >"$tmp/v" 2>&1; then
			ok "metadata-schema $n"
		else
			bad "metadata-schema $n" "$(head -n1 "$tmp/v")"
		fi
	done
	# The schema must refuse what xml2args refuses.
	for f in err-meta-bad-value err-meta-bad-attr err-meta-unknown err-meta-host-mirror \
		 err-meta-mirror-start err-meta-child-ns; do
		meta_of "$data/$f.xml" "$tmp/meta.xml"
		if xmllint --noout --relaxng "$rng" "$tmp/meta.xml" >/dev/null 2>&1; then
			bad "metadata-schema-refuses $f" "mirrorvm.rng accepts it"
		else
			ok "metadata-schema-refuses $f"
		fi
	done
fi

# Examples convert cleanly.
for f in "$examples"/*.xml; do
	n=$(basename "$f")
	if "$bin" xml2args "$f" >"$tmp/out" 2>"$tmp/err" && [ -s "$tmp/out" ]; then
		ok "example $n"
	else
		bad "example $n" "$(head -c 200 "$tmp/err")"
	fi
done

# ---- virsh test driver: define + dumpxml keeps our metadata ----
virsh_dump() {	# DOMAIN.xml OUT
	name=$(xmllint --xpath 'string(/domain/name)' "$1" 2>/dev/null)
	virsh -q -c test:///default "define $1; dumpxml $name" >"$2" 2>"$tmp/virsh.err"
}
if ! have virsh || ! have xmllint; then
	skp virsh "virsh or xmllint missing (apt-get install libvirt-clients libxml2-utils)"
else
	for f in "$examples"/*.xml "$data"/real-libvirt.xml "$data"/metadata-all.xml; do
		n=virsh-$(basename "$f" .xml)
		if ! virsh_dump "$f" "$tmp/dump.xml"; then
			bad "$n" "virsh define failed: $(head -n1 "$tmp/virsh.err")"
			continue
		fi
		"$bin" xml2args "$f" >"$tmp/a" 2>/dev/null
		"$bin" xml2args "$tmp/dump.xml" >"$tmp/b" 2>/dev/null
		meta_of "$f" "$tmp/m1.xml"
		meta_of "$tmp/dump.xml" "$tmp/m2.xml"
		# Canonical form, blanks between elements dropped.
		xmllint --noblanks "$tmp/m1.xml" | xmllint --c14n - >"$tmp/c1" 2>/dev/null
		xmllint --noblanks "$tmp/m2.xml" | xmllint --c14n - >"$tmp/c2" 2>/dev/null
		if ! [ -s "$tmp/a" ] || ! cmp -s "$tmp/a" "$tmp/b"; then
			bad "$n" "flags differ after dumpxml: $(diff "$tmp/a" "$tmp/b" | grep '^[<>]' | head -n2 | tr '\n' ' ')"
		elif ! [ -s "$tmp/c1" ] || ! cmp -s "$tmp/c1" "$tmp/c2"; then
			bad "$n" "metadata differs after dumpxml: $(cat "$tmp/c2")"
		else
			ok "$n"
		fi
	done
fi

# ---- args2xml -> xml2args ----
i=0
while IFS= read -r line; do
	case $line in '' | '#'*) continue ;; esac
	i=$((i + 1))
	n="args2xml-$i"
	set -f
	# shellcheck disable=SC2086
	set -- $line
	set +f
	printf '%s\n' "$@" | sed -e 's/@SP@/ /g' -e 's/@TAB@/\t/g' >"$tmp/flags"
	for w; do
		shift
		set -- "$@" "$(printf '%s' "$w" | sed -e 's/@SP@/ /g' -e 's/@TAB@/\t/g')"
	done
	if ! "$bin" args2xml --name "rt$i" "$@" >"$tmp/dom.xml" 2>"$tmp/err"; then
		bad "$n" "args2xml failed: $(head -c 200 "$tmp/err")"
		continue
	fi
	if ! "$bin" xml2args "$tmp/dom.xml" >"$tmp/out" 2>"$tmp/err"; then
		bad "$n" "xml2args failed: $(head -c 200 "$tmp/err")"
		continue
	fi
	if ! cmp -s "$tmp/flags" "$tmp/out"; then
		bad "$n" "flags differ: $(diff "$tmp/flags" "$tmp/out" | grep '^[<>]' | tr '\n' ' ')"
		continue
	fi
	if have virt-xml-validate && ! virt-xml-validate "$tmp/dom.xml" domain >/dev/null 2>&1; then
		bad "$n" "virt-xml-validate rejects the domain"
		continue
	fi
	if have virsh && have xmllint; then
		if ! virsh_dump "$tmp/dom.xml" "$tmp/dump.xml"; then
			bad "$n" "virsh define failed: $(head -n1 "$tmp/virsh.err")"
			continue
		fi
		"$bin" xml2args "$tmp/dump.xml" >"$tmp/out2" 2>/dev/null
		if ! cmp -s "$tmp/flags" "$tmp/out2"; then
			bad "$n" "flags differ after virsh dumpxml: $(diff "$tmp/flags" "$tmp/out2" | grep '^[<>]' | tr '\n' ' ')"
			continue
		fi
	fi
	ok "$n"
done <"$here/roundtrip.txt"

# xml2args -> args2xml -> xml2args: every golden domain that xml2args takes
# reads back as the same flags once args2xml has written it again.
for x in "$data"/*.xml; do
	n="xml-roundtrip-$(basename "$x" .xml)"
	"$bin" xml2args "$x" >"$tmp/f1" 2>/dev/null || continue
	set --
	while IFS= read -r w; do set -- "$@" "$w"; done <"$tmp/f1"
	if ! "$bin" args2xml "$@" >"$tmp/d2.xml" 2>"$tmp/err"; then
		bad "$n" "args2xml failed: $(head -c 200 "$tmp/err")"
	elif ! "$bin" xml2args "$tmp/d2.xml" >"$tmp/f2" 2>"$tmp/err"; then
		bad "$n" "xml2args failed: $(head -c 200 "$tmp/err")"
	elif ! cmp -s "$tmp/f1" "$tmp/f2"; then
		bad "$n" "flags differ: $(diff "$tmp/f1" "$tmp/f2" | grep '^[<>]' | tr '\n' ' ')"
	else
		ok "$n"
	fi
done

# args2xml refuses what libvirt cannot say, names runtime-only flags.
args_err() {	# NAME EXPECTED-SUBSTRING FLAGS...
	n=$1 want=$2
	shift 2
	if "$bin" args2xml "$@" >"$tmp/out" 2>"$tmp/err"; then
		bad "$n" "args2xml accepted it"
	elif ! grep -qF -- "$want" "$tmp/err"; then
		bad "$n" "expected '$want', got: $(head -c 200 "$tmp/err")"
	else
		ok "$n"
	fi
}
args_err args2xml-err-prefault "covers the whole domain" \
	--node id=0,size=1G,prefault=on --node id=1,size=1G
args_err args2xml-err-memfd "source type='memfd'" \
	--node id=0,size=1G,backing=memfd --node id=1,size=1G,backing=anon
args_err args2xml-err-layout "hotplug=on is not possible" \
	--node id=0,size=1G,hotplug=on
args_err args2xml-err-flag "unknown flag" --bogus 1
args_err args2xml-err-name "libvirt names" --name a/b --memory 1G
# What XML cannot carry, or xml2args would read back as something else, is
# refused up front, naming the flag: xml2args refuses the same values.
args_err args2xml-err-cmdline-cr "--cmdline contains a carriage return (offset 13)" \
	--cmdline "$(printf 'console=ttyS0\rquiet')" --memory 64M
args_err args2xml-err-cmdline-newline "--cmdline contains a newline" \
	--cmdline "$(printf 'console=ttyS0\nquiet')" --memory 64M
args_err args2xml-err-kernel-control "--kernel contains the control character 0x01 (offset 2)" \
	--kernel "$(printf '/k\001')" --memory 64M
args_err args2xml-err-initrd-escape "--initrd contains the control character 0x1b (offset 0)" \
	--initrd "$(printf '\033[2J')" --memory 64M
args_err args2xml-err-kernel-latin1 "--kernel is not UTF-8 (byte 0xe9 at offset 9)" \
	--kernel "$(printf '/boot/caf\351')" --memory 64M
args_err args2xml-err-cmdline-overlong "--cmdline is not UTF-8 (byte 0xc0 at offset 0)" \
	--cmdline "$(printf '\300\257')" --memory 64M
args_err args2xml-err-cmdline-surrogate "--cmdline is not UTF-8 (byte 0xed at offset 1)" \
	--cmdline "$(printf 'x\355\240\200')" --memory 64M
args_err args2xml-err-cmdline-fffe "--cmdline contains U+FFFF (offset 0)" \
	--cmdline "$(printf '\357\277\277')" --memory 64M
args_err args2xml-err-name-control "--name contains the control character 0x07" \
	--name "$(printf 'bell\007')" --memory 64M
args_err args2xml-err-name-utf8 "--name is not UTF-8" --name "$(printf 'n\377')" --memory 64M
if "$bin" args2xml --engine qemu --dump-firmware /nonexistent --memory 1G >"$tmp/out" 2>"$tmp/err" &&
	[ "$(wc -l <"$tmp/err")" -eq 1 ] && grep -q -- '--engine, --dump-firmware' "$tmp/err" &&
	"$bin" xml2args "$tmp/out" 2>/dev/null | grep -qx -- '--memory=1G'; then
	ok args2xml-runtime-flags
else
	bad args2xml-runtime-flags "$(head -c 200 "$tmp/err")"
fi
# --domain-xml with overrides: the merged domain.
if "$bin" args2xml --domain-xml "$examples/reliable-node.xml" --cpus 6 \
	--node id=1,size=2G,cpus=2-5 >"$tmp/out" 2>/dev/null &&
	"$bin" xml2args "$tmp/out" 2>/dev/null | grep -qx -- "--node=id=1,size=2G,cpus=2-5"; then
	ok args2xml-domain-xml-override
else
	bad args2xml-domain-xml-override "merged domain lacks the overriding node"
fi
# --shell: one line that the shell splits back into the same words.
if "$bin" xml2args --shell "$data/boot.xml" >"$tmp/sh" 2>/dev/null &&
	[ "$(wc -l <"$tmp/sh")" -eq 1 ] &&
	eval "set -- $(cat "$tmp/sh")" && printf '%s\n' "$@" >"$tmp/words" &&
	cmp -s "$tmp/words" "$data/boot.args"; then
	ok xml2args-shell
else
	bad xml2args-shell "shell-quoted line does not split into boot.args"
fi
if "$bin" xml2args - <"$data/minimal.xml" >"$tmp/out" 2>/dev/null && cmp -s "$tmp/out" "$data/minimal.args"; then
	ok xml2args-stdin
else
	bad xml2args-stdin "xml2args - differs from minimal.args"
fi
if "$bin" xml2args "$tmp/nonexistent.xml" >/dev/null 2>"$tmp/err" ||
	! grep -q 'cannot read' "$tmp/err"; then
	bad xml2args-missing-file "$(head -c 200 "$tmp/err")"
else
	ok xml2args-missing-file
fi
# Entity expansion: the fuzzer's 103 KB domain, one 100 KB entity used 1000
# times in <cmdline> (a 100 MB flag, 205 MB RSS), is refused at its
# <!DOCTYPE>, in little time and memory (the plain binary under a 128 MiB
# address-space limit; ASan's shadow memory rules that out for -san).
{ printf '<?xml version="1.0"?>\n<!DOCTYPE domain [\n<!ENTITY e "'
  head -c 100000 /dev/zero | tr '\0' x
  printf '">\n]>\n<domain type="kvm"><name>e</name><memory unit="MiB">512</memory><os><type>hvm</type><cmdline>'
  i=0; while [ $i -lt 1000 ]; do printf '&e;'; i=$((i + 1)); done
  printf '</cmdline></os></domain>\n'; } >"$tmp/entities.xml"
case $bin in
*-san) limit=unlimited ;;
*) limit=131072 ;;
esac
# shellcheck disable=SC3045 # dash and bash have ulimit -v
(ulimit -v $limit && exec timeout 10 "$bin" xml2args "$tmp/entities.xml") >"$tmp/out" 2>"$tmp/err"
rc=$?
if [ $rc -ne 1 ] || [ -s "$tmp/out" ] ||
	! grep -q '^mirrorvm: .*entities.xml:2: <!DOCTYPE>: libvirt domains have no DTD' "$tmp/err"; then
	bad xml2args-entity-expansion "exit $rc: $(head -c 200 "$tmp/err")"
else
	ok xml2args-entity-expansion
fi
# At most 1 MiB of domain XML, refused before parsing: a valid domain padded
# to the limit passes, one byte more fails (file and stdin), and a 1 GiB
# file is refused by its size without being read.
pad_domain() {	# SIZE OUT: data/minimal.xml with a comment, SIZE bytes in all
	base=$(wc -c <"$data/minimal.xml")
	{ cat "$data/minimal.xml"; printf '<!--'
	  head -c $(($1 - base - 8)) /dev/zero | tr '\0' ' '; printf -- '-->\n'; } >"$2"
}
pad_domain 1048576 "$tmp/max.xml"
pad_domain 1048577 "$tmp/big.xml"
truncate -s 1G "$tmp/huge.xml"
if [ "$(wc -c <"$tmp/max.xml")" -ne 1048576 ] ||
	! "$bin" xml2args "$tmp/max.xml" 2>"$tmp/err" | cmp -s - "$data/minimal.args"; then
	bad xml2args-size-limit "a domain of exactly 1 MiB: $(head -c 200 "$tmp/err")"
elif "$bin" xml2args "$tmp/big.xml" >"$tmp/out" 2>"$tmp/err" ||
	! grep -q 'big.xml: larger than 1048576 bytes (1 MiB)' "$tmp/err" || [ -s "$tmp/out" ]; then
	bad xml2args-size-limit "1 MiB + 1 byte: $(head -c 200 "$tmp/err")"
elif "$bin" xml2args - <"$tmp/big.xml" >/dev/null 2>"$tmp/err" ||
	! grep -q '^mirrorvm: -: larger than 1048576 bytes' "$tmp/err"; then
	bad xml2args-size-limit "1 MiB + 1 byte on stdin: $(head -c 200 "$tmp/err")"
elif timeout 10 "$bin" xml2args "$tmp/huge.xml" >/dev/null 2>"$tmp/err" ||
	! grep -q 'huge.xml: larger than' "$tmp/err"; then
	bad xml2args-size-limit "a 1 GiB file: $(head -c 200 "$tmp/err")"
elif "$bin" run --domain-xml "$tmp/big.xml" --dump-firmware "$tmp/d0" >/dev/null 2>"$tmp/err" ||
	! grep -q 'larger than 1048576 bytes' "$tmp/err"; then
	bad xml2args-size-limit "run --domain-xml: $(head -c 200 "$tmp/err")"
else
	ok xml2args-size-limit
fi
rm -f "$tmp/max.xml" "$tmp/big.xml" "$tmp/huge.xml"
# Only a regular file or stdin: a FIFO without a writer must not block, a
# directory is no domain.
mkfifo "$tmp/fifo"
timeout 10 "$bin" xml2args "$tmp/fifo" >/dev/null 2>"$tmp/err"
rc=$?
if [ $rc -ne 1 ] || ! grep -q 'not a regular file' "$tmp/err"; then
	bad xml2args-fifo "exit $rc (124: it blocked): $(head -c 200 "$tmp/err")"
else
	ok xml2args-fifo
fi
if "$bin" xml2args "$tmp" >/dev/null 2>"$tmp/err" ||
	[ "$(cat "$tmp/err")" != "mirrorvm: $tmp: not a regular file: mirrorvm reads a domain from a file, or from stdin with -" ]; then
	bad xml2args-directory "$(head -c 200 "$tmp/err")"
else
	ok xml2args-directory
fi

# Every allocation failure is an error: MIRRORVM_XML_FAIL_ALLOC=N fails the
# Nth allocation of the converter or libxml2 (N+: that one and all later
# ones).  Each run must exit 1 with "out of memory" and print no flags, or
# print exactly the clean run's flags and warning (a failure libxml2 can
# absorb), until the plugin says the run made fewer than N allocations.
alloc_failures() {	# NAME DOMAIN SUFFIX(""|+)
	n=$1 doc=$2 sfx=$3
	if ! "$bin" xml2args "$doc" >"$tmp/clean" 2>"$tmp/clean.err"; then
		bad "$n" "the clean run fails: $(head -c 200 "$tmp/clean.err")"
		return
	fi
	i=1 reported=0 absorbed=0
	while :; do
		MIRRORVM_XML_FAIL_ALLOC=$i$sfx "$bin" xml2args "$doc" >"$tmp/out" 2>"$tmp/err"
		rc=$?
		if grep -q "^mirrorvm: MIRRORVM_XML_FAIL_ALLOC=$i: only [0-9]* allocations, none failed\$" "$tmp/err"; then
			[ $rc -eq 0 ] && cmp -s "$tmp/out" "$tmp/clean" && break
			bad "$n" "the run after the last allocation differs (exit $rc)"
			return
		fi
		if [ $rc -eq 0 ]; then
			if ! cmp -s "$tmp/out" "$tmp/clean" || ! cmp -s "$tmp/err" "$tmp/clean.err"; then
				bad "$n" "allocation $i$sfx failed, yet xml2args exited 0 with other output: $(diff "$tmp/clean" "$tmp/out" | grep '^[<>]' | head -n2 | tr '\n' ' ')"
				return
			fi
			absorbed=$((absorbed + 1))
		elif [ $rc -ne 1 ] || [ -s "$tmp/out" ] || [ "$(wc -l <"$tmp/err")" -ne 1 ] ||
			! grep -q 'out of memory' "$tmp/err"; then
			bad "$n" "allocation $i$sfx failed: exit $rc: $(head -c 300 "$tmp/err")"
			return
		else
			reported=$((reported + 1))
		fi
		i=$((i + 1))
	done
	echo "     $n: $reported failed allocations reported, $absorbed absorbed by libxml2"
	ok "$n"
}
alloc_failures xml2args-alloc-failures "$data/alloc-all.xml" ""
# Under ASan each run costs a quarter of a second: the persistent pass only
# with the plain binary.
case $bin in
*-san) ;;
*) alloc_failures xml2args-alloc-failures-persistent "$data/alloc-all.xml" "+" ;;
esac

# ---- run --domain-xml: same firmware as the equivalent flags ----
run_words() {	# FLAGS-FILE DIR: mirrorvm run with the file's words, one a line
	f=$1 d=$2
	set --
	while IFS= read -r w; do set -- "$@" "$w"; done <"$f"
	"$bin" run "$@" --dump-firmware "$d"
}
dump_same() {	# NAME FLAGS-FILE RUN-ARGS...
	n=$1 flags=$2
	shift 2
	rm -rf "$tmp/d1" "$tmp/d2"
	mkdir -p "$tmp/d1" "$tmp/d2"
	# The plain flags first: if they cannot dump firmware, the fault lies
	# outside the XML code.
	if ! run_words "$flags" "$tmp/d2" >/dev/null 2>"$tmp/err"; then
		skp "$n" "run --dump-firmware fails with the plain flags too (not an XML fault): $(head -n1 "$tmp/err")"
		return
	fi
	if ! "$bin" run "$@" --dump-firmware "$tmp/d1" >/dev/null 2>"$tmp/err"; then
		bad "$n" "run --domain-xml failed: $(grep -v '^mirrorvm: warning' "$tmp/err" | head -c 200)"
		return
	fi
	if [ -z "$(ls "$tmp/d1")" ] || ! diff -r "$tmp/d1" "$tmp/d2" >/dev/null; then
		bad "$n" "firmware differs: $(diff -rq "$tmp/d1" "$tmp/d2" | head -n1)"
		return
	fi
	ok "$n"
}
for f in "$examples"/*.xml; do
	"$bin" xml2args "$f" >"$tmp/flags" 2>/dev/null
	dump_same "run-domain-xml-$(basename "$f" .xml)" "$tmp/flags" --domain-xml "$f"
done
# Overrides: a later --node id= replaces the node, the first --mirror the
# list, scalars win.
f=$examples/reliable-node.xml
"$bin" xml2args "$f" 2>/dev/null |
	sed -e 's/^--node=id=1,.*/--node=id=1,size=2G,cpus=2-3,hotplug=on/' \
	    -e 's/^--cpus=.*/--cpus=4/' >"$tmp/flags"
echo "--mirror=64M@0x40000000" >>"$tmp/flags"
dump_same run-domain-xml-override "$tmp/flags" --domain-xml "$f" \
	--node id=1,size=2G,cpus=2-3,hotplug=on --mirror 64M@0x40000000 --cpus 4
f=$examples/mirror-ranges.xml
"$bin" xml2args "$f" 2>/dev/null | grep -v '^--mirror=' >"$tmp/flags"
echo "--mirror=8M@0x1000000" >>"$tmp/flags"
dump_same run-domain-xml-mirror-replace "$tmp/flags" --mirror 8M@0x1000000 --domain-xml "$f"
if "$bin" run --domain-xml "$data/err-locked.xml" --dump-firmware "$tmp/d3" >/dev/null 2>"$tmp/err" ||
	! grep -q 'locked' "$tmp/err"; then
	bad run-domain-xml-error "$(head -c 200 "$tmp/err")"
else
	ok run-domain-xml-error
fi
# An override can repair what the domain alone gets wrong (layout runs once, merged).
printf '%s\n' --kernel=/boot/bzImage --node=id=0,size=1G --node=id=1,size=1G >"$tmp/flags"
dump_same run-domain-xml-override-repairs "$tmp/flags" \
	--domain-xml "$data/err-layout-hotplug-node0.xml" --node id=0,size=1G
# The same overrides, seen through args2xml (no firmware involved).
roundtrip_override() {	# NAME EXPECTED-FLAGS-FILE ARGS...
	n=$1 want=$2
	shift 2
	if ! "$bin" args2xml "$@" >"$tmp/dom.xml" 2>"$tmp/err"; then
		bad "$n" "args2xml failed: $(grep -v '^mirrorvm: warning' "$tmp/err" | head -c 200)"
	elif ! "$bin" xml2args "$tmp/dom.xml" >"$tmp/out" 2>/dev/null || ! cmp -s "$tmp/out" "$want"; then
		bad "$n" "flags differ: $(diff "$want" "$tmp/out" | grep '^[<>]' | tr '\n' ' ')"
	else
		ok "$n"
	fi
}
f=$examples/reliable-node.xml
"$bin" xml2args "$f" 2>/dev/null |
	sed -e 's/^--node=id=1,.*/--node=id=1,size=2G,cpus=2-3,hotplug=on/' \
	    -e 's/^--cpus=.*/--cpus=4/' >"$tmp/all"
{ grep -v '^--host-mirror=' "$tmp/all"; echo "--mirror=64M@0x40000000"; grep '^--host-mirror=' "$tmp/all"; } >"$tmp/want"
roundtrip_override override-node-mirror-cpus "$tmp/want" --domain-xml "$f" \
	--node id=1,size=2G,cpus=2-3,hotplug=on --mirror 64M@0x40000000 --cpus 4
f=$examples/mirror-ranges.xml
"$bin" xml2args "$f" 2>/dev/null >"$tmp/all"
{ grep -v -e '^--mirror=' -e '^--host-mirror=' "$tmp/all"; echo "--mirror=8M@0x1000000"; grep '^--host-mirror=' "$tmp/all"; } >"$tmp/want"
roundtrip_override override-mirror-list "$tmp/want" --mirror 8M@0x1000000 --domain-xml "$f"

# ---- the libvirt hook ----
hook_case() {	# NAME EXPECT(allow|refuse) DOC ARGS MEMINFO DMESG SYSFS [STDERR-SUBSTRING]
	n=hook-$1 expect=$2 doc=$3 args=$4
	case $doc in /*) ;; *) doc=$fix/$doc ;; esac
	# shellcheck disable=SC2086
	MIRRORVM_HOOK_MIRRORVM=${hook_mirrorvm:-$bin} \
	MIRRORVM_HOOK_MEMINFO=$fix/$5 MIRRORVM_HOOK_DMESG=$fix/$6 MIRRORVM_HOOK_SYSFS=$fix/$7 \
		sh "$hook" $args <"$doc" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ "$expect" = allow ] && [ $rc -ne 0 ]; then
		bad "$n" "refused: $(head -c 200 "$tmp/err")"
	elif [ "$expect" = refuse ] && [ $rc -ne 1 ]; then
		bad "$n" "exit $rc, expected 1 (refused): $(head -c 200 "$tmp/err")"
	elif [ $# -ge 8 ] && ! grep -qF -- "$8" "$tmp/err"; then
		bad "$n" "stderr lacks '$8': $(head -c 200 "$tmp/err")"
	else
		ok "$n"
	fi
}
P="vm prepare begin -"
hook_case plain-domain allow plain.xml "$P" meminfo-plain dmesg-plain sysfs-2nodes
hook_case reliable-meminfo allow reliable.xml "$P" meminfo-mirror dmesg-plain sysfs-2nodes
hook_case reliable-dmesg allow reliable.xml "$P" meminfo-plain dmesg-mirror sysfs-2nodes
hook_case reliable-none refuse reliable.xml "$P" meminfo-plain dmesg-plain sysfs-2nodes \
	"no mirrored memory"
hook_case reliable-zero-mirror refuse reliable.xml "$P" meminfo-zero dmesg-zero sysfs-2nodes \
	"no mirrored memory"
hook_case mirror-range-none refuse mirror-range.xml "$P" meminfo-plain dmesg-plain sysfs-2nodes \
	"host-mirror policy 'required'"
hook_case host-mirror-off allow reliable-off.xml "$P" meminfo-plain dmesg-plain sysfs-2nodes
hook_case host-node-missing refuse reliable.xml "$P" meminfo-mirror dmesg-plain sysfs-1node \
	"host NUMA node 1"
hook_case hotplug-nodes-exist allow hotplug.xml "$P" meminfo-plain dmesg-plain sysfs-2nodes
hook_case hotplug-node-missing refuse hotplug.xml "$P" meminfo-plain dmesg-plain sysfs-1node \
	"nodeset '0-1'"
hook_case other-op allow reliable.xml "vm start begin -" meminfo-plain dmesg-plain sysfs-1node
hook_case release allow malformed.xml "vm release end -" meminfo-plain dmesg-plain sysfs-1node
hook_case malformed refuse malformed.xml "$P" meminfo-plain dmesg-plain sysfs-2nodes "malformed"
hook_case foreign-ns-only allow foreign.xml "$P" meminfo-plain dmesg-plain sysfs-1node
# Issue 12: where the hook used to fail open.  A namespace written with a
# character reference is still mirrorvm's (xml2args enables mirror=on).
hook_case charref-namespace refuse charref-ns.xml "$P" meminfo-plain dmesg-plain sysfs-2nodes \
	"no mirrored memory"
# Nodesets the shell could not read: refused with mirrorvm's reason.
hook_case nodeset-negative refuse nodeset-negative.xml "$P" meminfo-plain dmesg-plain sysfs-2nodes \
	"line 16: <numatune><memory nodeset='-1'>: expected a host node number at '-1'"
hook_case nodeset-open-range refuse nodeset-open.xml "$P" meminfo-plain dmesg-plain sysfs-2nodes \
	"<numatune><memory nodeset='0-'>: expected a host node number at ''"
hook_case nodeset-huge refuse nodeset-huge.xml "$P" meminfo-plain dmesg-plain sysfs-2nodes \
	"node 99999999999999999999...: host node numbers are below 1024"
# 08 is node 8 (decimal, as libvirt reads it), which the host lacks.
hook_case nodeset-leading-zero refuse nodeset-leading-zero.xml "$P" meminfo-plain dmesg-plain sysfs-2nodes \
	"nodeset '8' (line 16) names host NUMA node 8"
# libvirt's ^N exclusions: 0-3,^2,^3 is nodes 0 and 1.
hook_case nodeset-exclusion allow nodeset-exclusion.xml "$P" meminfo-plain dmesg-plain sysfs-2nodes
# A mirrorvm namespace this mirrorvm does not know: refused, not ignored.
hook_case lookalike-namespace refuse lookalike-ns.xml "$P" meminfo-plain dmesg-plain sysfs-2nodes \
	"mirrorvm's is 'http://mirrorvm.dev/xmlns/domain/1.0'"
hook_case doctype refuse "$data/err-doctype-laughs.xml" "$P" meminfo-plain dmesg-plain sysfs-2nodes \
	"line 3: <!DOCTYPE>"
hook_mirrorvm=/nonexistent/mirrorvm
hook_case no-mirrorvm refuse plain.xml "$P" meminfo-plain dmesg-plain sysfs-2nodes \
	"needs /nonexistent/mirrorvm, which is not installed"
hook_mirrorvm=
# 2000 memnodes: one mirrorvm run, however many nodesets (18 s before).
many_memnodes() {	# LAST-NODESET: hotplug.xml with 2000 memnodes on stdout
	sed -n '1,/<numatune>/p' "$fix/hotplug.xml" | grep -v '<numatune>'
	echo '  <numatune>'
	i=0
	while [ $i -lt 1999 ]; do
		echo "    <memnode cellid='$i' mode='strict' nodeset='0-1'/>"
		i=$((i + 1))
	done
	echo "    <memnode cellid='1999' mode='strict' nodeset='$1'/>"
	sed -n '/<\/numatune>/,$p' "$fix/hotplug.xml"
}
many_memnodes 1 >"$tmp/many.xml"
many_memnodes 0,7 >"$tmp/many-bad.xml"
start=$(date +%s)
hook_case many-memnodes allow "$tmp/many.xml" "$P" meminfo-plain dmesg-plain sysfs-2nodes
hook_case many-memnodes-last-missing refuse "$tmp/many-bad.xml" "$P" meminfo-plain dmesg-plain sysfs-2nodes \
	"nodeset '0,7' (line 2015) names host NUMA node 7"
if [ $(($(date +%s) - start)) -gt 10 ]; then
	bad hook-many-memnodes-fast "2 x 2000 memnodes took $(($(date +%s) - start)) s"
else
	ok hook-many-memnodes-fast
fi
# Installed: the hook as "make install-libvirt-hook" writes it, with only
# the installed mirrorvm (its plugin in ../lib/mirrorvm/) and no build tree.
inst=$tmp/inst
mkdir -p "$inst/bin" "$inst/lib/mirrorvm"
cp "$bin" "$inst/bin/mirrorvm"
for so in "$(dirname "$bin")"/mirrorvm-xml*.so; do cp "$so" "$inst/lib/mirrorvm/"; done
if ! make -s -C "$top" install-libvirt-hook PREFIX="$inst" LIBVIRT_HOOKDIR="$inst/hooks" >"$tmp/err" 2>&1; then
	bad hook-installed "make install-libvirt-hook: $(head -c 200 "$tmp/err")"
else
	saved_hook=$hook
	hook=$inst/hooks/qemu.d/mirrorvm
	hook_mirrorvm=$inst/bin/mirrorvm
	hook_case installed-refuses refuse reliable.xml "$P" meminfo-plain dmesg-plain sysfs-2nodes \
		"no mirrored memory"
	hook_mirrorvm=
	# No MIRRORVM_HOOK_MIRRORVM: the path install-libvirt-hook wrote.
	if MIRRORVM_HOOK_MEMINFO=$fix/meminfo-plain MIRRORVM_HOOK_DMESG=$fix/dmesg-plain \
		MIRRORVM_HOOK_SYSFS=$fix/sysfs-2nodes sh "$hook" vm prepare begin - <"$fix/charref-ns.xml" 2>"$tmp/err" ||
		! grep -q 'no mirrored memory' "$tmp/err"; then
		bad hook-installed-path "$(head -c 200 "$tmp/err")"
	else
		ok hook-installed-path
	fi
	hook=$saved_hook
fi
# xml2args agrees with the recorded documents.
if "$bin" xml2args "$fix/reliable.xml" >/dev/null 2>&1 && "$bin" xml2args "$fix/hotplug.xml" >/dev/null 2>&1; then
	ok hook-documents-convert
else
	bad hook-documents-convert "xml2args rejects a hook fixture"
fi

finish
