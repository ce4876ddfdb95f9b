#!/bin/bash
# bench-startup.sh [--samples N] [--level auto|l0|l1] [--keep DIR]
#
# Start-up time of a 4 GiB two-node guest: from execve() of the VMM to its
# first KVM_RUN, for
#
#   floor            tests/bench/kvm-floor.c: only the KVM calls such a VM
#                    needs (create VM, TSS and identity map, irqchip, PIT2,
#                    three memory slots over anonymous MAP_NORESERVE memory
#                    as mirrorvm lays 2G+2G out: [0,2G) [2G,3G) [4G,5G),
#                    one vCPU with KVM_SET_CPUID2 from
#                    KVM_GET_SUPPORTED_CPUID), static: no dynamic loading
#   mirrorvm         build/mirrorvm run --engine kvm --kernel TINY --cmdline h
#                    --node id=0,size=2G --node id=1,size=2G (the dynamic
#                    build users run; TINY is tests/nested/tiny-guest.S)
#   mirrorvm-static  the same objects linked static (build/mirrorvm-static's
#                    list): what the dynamic loading of libxml2 and ICU costs
#   qemu             qemu-system-x86_64 -machine pc -accel kvm -cpu qemu64
#                    -smp 1 -m 4G with two memory-backend-ram objects
#                    (reserve=off, as mirrorvm's MAP_NORESERVE) in two -numa
#                    nodes, a 64 KiB reset stub as -bios (cli; hlt), -nodefaults
#
# N samples of each (default 20), interleaved round by round; medians, and
# mirrorvm - floor (target: <= 1 ms; also as the median of the rounds'
# differences, which the host's drift scatters less) and mirrorvm / qemu
# (target: <= 0.15).
# A benchmark, not a test: it prints figures; it fails only when a program
# could not be measured.
#
# How a sample is taken (tests/bench/launch.c): launch forks; the child
# installs a seccomp filter that turns ioctl(KVM_RUN) into a user
# notification, reads CLOCK_MONOTONIC and execs the program.  A shim
# (tests/bench/first-run-shim.c) reads CLOCK_MONOTONIC in the program's own
# ioctl() at the first KVM_RUN and writes it to a pipe; the KVM_RUN then
# stops in the seccomp notification, which proves it was the first KVM_RUN
# syscall, and launch kills the program before the guest ever runs.  The
# shim is LD_PRELOAD'ed into the dynamic programs (mirrorvm, QEMU: both call
# libc's ioctl) and linked into the static ones with -Wl,--wrap=ioctl (the
# floor, mirrorvm-static); loading that one small library is in mirrorvm's
# and QEMU's figures, not in the floor's.  A program whose KVM_RUN the shim did not see, or
# that ended before any KVM_RUN, is an error, never a number.  Why not the
# seccomp notification alone: its time includes launch's wakeup, measured
# here at 0.1 to 6 ms at L0 (a two-vCPU VM) and 0.3 to 22 ms in the TCG L1;
# it is printed as a check of the instrument.  Why not strace or ptrace:
# they stop the program at every syscall.
#
# Where: on this machine (L0) when /dev/kvm is a character device that
# answers KVM_CREATE_VM (kvm-floor --probe).  Otherwise (or with --level l1)
# inside an L1 Linux with 2 vCPUs and 3 GiB under mirrorvm's QEMU engine
# (TCG, -cpu max, kvm-amd loaded: Debian's 6.12 cloud kernel, as
# tests/nested and scripts/bench-boot.sh do), with the same programs and,
# for the dynamic
# ones, their shared libraries at their own paths and an ld.so.cache, so
# that they load as they do at L0.  L1 runs with tsc=reliable: under TCG
# its clocksource watchdog otherwise drops the TSC for jiffies, and every
# time is then a multiple of 4 ms.  In L1 one more VM stays open for the
# whole run (kvm-floor --hold): each first VM otherwise live-patches the
# kernel's preempt-notifier static key, which crashed the TCG L1 once (an
# int3 Oops in __schedule); the held VM takes that patching out of every
# program's figure alike.  Under TCG every figure is inflated many
# times; the report says at which level it ran (and the clocksource).
# --keep DIR keeps the programs, each program's last output (log/), the
# raw samples (results) and, at L1, its console (l1-console.log).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
samples=20 level=auto keep=
usage() { echo "usage: $0 [--samples N] [--level auto|l0|l1] [--keep DIR]" >&2; exit 2; }
while [ $# -gt 0 ]; do
	case "$1" in
	--samples) samples=${2:-}; shift 2 || usage ;;
	--level) level=${2:-}; shift 2 || usage ;;
	--keep) keep=${2:-}; shift 2 || usage ;;
	*) usage ;;
	esac
done
case "$samples" in ''|*[!0-9]*|0) echo "bench-startup: --samples $samples: expected a positive number" >&2; exit 2 ;; esac
case "$level" in auto|l0|l1) ;; *) echo "bench-startup: --level $level: expected auto, l0 or l1" >&2; exit 2 ;; esac
qemu=$(command -v qemu-system-x86_64) || { echo "bench-startup: qemu-system-x86_64 is not installed" >&2; exit 1; }
if [ -n "$keep" ]; then
	mkdir -p "$keep"
	work=$(cd "$keep" && pwd)
else
	work=$(mktemp -d)
	trap 'rm -rf "$work"' EXIT
fi

# ---- the programs ------------------------------------------------------
make -s build/mirrorvm build/mirrorvm-static
bench=$work/bench
mkdir -p "$bench"
cflags="-O2 -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE"
# shellcheck disable=SC2086
{
	gcc $cflags -static -o "$bench/launch" tests/bench/launch.c
	gcc $cflags -shared -fPIC -o "$bench/first-run-shim.so" tests/bench/first-run-shim.c -ldl
	gcc $cflags -DSHIM_WRAP -c -o "$bench/first-run-shim-wrap.o" tests/bench/first-run-shim.c
	gcc $cflags -static -o "$bench/kvm-floor" tests/bench/kvm-floor.c \
		"$bench/first-run-shim-wrap.o" -Wl,--wrap=ioctl
}
# mirrorvm-static relinked with the shim: the Makefile's own link inputs
# (objects, the layer libraries, the libraries they need).
static_inputs=$(make -s --no-print-directory bench-print-static 2>/dev/null || true)
# shellcheck disable=SC2086  # a list of objects and libraries
if [ -n "$static_inputs" ] && gcc -static -o "$bench/mirrorvm-static" \
	"$bench/first-run-shim-wrap.o" -Wl,--wrap=ioctl $static_inputs 2>"$work/static.err"; then
	:
else
	echo "bench-startup: no mirrorvm-static row: relinking the Makefile's static link inputs failed" >&2
	cat "$work/static.err" >&2 2>/dev/null || true
	rm -f "$bench/mirrorvm-static"
fi
# The tiny guest, as tests/nested/nested_test.py build_tiny() makes it.
gcc -c -o "$work/tiny.o" tests/nested/tiny-guest.S
objcopy -O binary -j .text "$work/tiny.o" "$bench/tiny-bzImage"
# QEMU's -bios: 64 KiB of zeros with "cli; hlt; jmp .-1" at the reset vector.
head -c 65536 /dev/zero > "$bench/qemu-stub.bin"
printf '\372\364\353\375' | dd of="$bench/qemu-stub.bin" bs=1 seek=$((0xfff0)) conv=notrunc status=none
cp tests/bench/measure.sh "$bench/measure.sh"

# ---- the samples -------------------------------------------------------
load0=$(cut -d ' ' -f 1-3 /proc/loadavg)
# L0 when this machine's /dev/kvm is KVM (a character device that answers
# KVM_GET_API_VERSION and KVM_CREATE_VM), else L1.
if [ "$level" = auto ]; then
	if [ -c /dev/kvm ] && "$bench/kvm-floor" --probe 2>/dev/null; then level=l0; else level=l1; fi
fi
results=$work/results
if [ "$level" = l0 ]; then
	echo "bench-startup: L0 (/dev/kvm on this machine), $samples samples of each" >&2
	BENCH_DIR=$bench BENCH_MIRRORVM=$top/build/mirrorvm BENCH_QEMU=$qemu BENCH_QEMU_DATA='' \
	BENCH_SAMPLES=$samples BENCH_LEVEL=L0 BENCH_LOG=$work/log \
		sh "$bench/measure.sh" > "$results"
else
	echo "bench-startup: no usable /dev/kvm here: measuring inside an L1 Linux (QEMU TCG, kvm-amd), $samples samples of each" >&2
	kdir=$(scripts/fetch-debian-kernel.sh)
	l1kernel=$(find "$kdir/boot" -name 'vmlinuz-*' | head -n 1)
	# The dynamic programs' libraries at their own paths, plus ld.so.cache.
	root=$work/l1root
	mkdir -p "$root/etc" "$root/bench/qemu-share"
	for bin in "$top/build/mirrorvm" "$qemu" "$bench/first-run-shim.so"; do
		ldd "$bin" | awk '/=>/ { print $3 } /^\t\// { print $1 }'
	done | sort -u | while read -r lib; do
		[ -f "$lib" ] || continue
		mkdir -p "$root$(dirname "$lib")"
		cp -L "$lib" "$root$lib"
	done
	printf '/lib/x86_64-linux-gnu\n/usr/lib/x86_64-linux-gnu\n' > "$root/etc/ld.so.conf"
	ldconfig -r "$root" 2>/dev/null ||
		echo "bench-startup: ldconfig -r failed: L1's loader searches without a cache" >&2
	cp "$top/build/mirrorvm" "$root/bench/mirrorvm"
	cp "$qemu" "$root/bench/qemu-system-x86_64"
	for f in kvmvapic.bin linuxboot_dma.bin; do
		for d in /usr/share/qemu /usr/share/seabios; do
			[ -e "$d/$f" ] && { cp -L "$d/$f" "$root/bench/qemu-share/"; break; }
		done
	done
	cp -a "$bench"/. "$root/bench/"
	cat > "$root/bench/l1-extra.sh" <<EOF
#!/bin/busybox sh
# /bin/mvm-extra of bench-startup.sh's L1: the same loop as at L0.
[ -c /dev/kvm ] || echo "BENCH-ERROR l1 no /dev/kvm in L1 (kvm-amd did not load)"
BENCH_DIR=/bench BENCH_MIRRORVM=/bench/mirrorvm BENCH_QEMU=/bench/qemu-system-x86_64 \\
BENCH_QEMU_DATA=/bench/qemu-share BENCH_SAMPLES=$samples BENCH_LEVEL=L1 BENCH_LOG=/tmp/bench \\
BENCH_HOLD_VM=1 sh /bench/measure.sh
EOF
	chmod +x "$root/bench/l1-extra.sh"
	# build-initramfs copies each SRC to DEST; its /lib already exists.
	adds=()
	for d in "$root"/*; do
		case "${d##*/}" in
		etc) ;;
		lib) for l in "$root"/lib/*; do adds+=(--add "$l:/lib/${l##*/}"); done ;;
		*) adds+=(--add "$d:/${d##*/}") ;;
		esac
	done
	[ -f "$root/etc/ld.so.cache" ] && adds+=(--add "$root/etc/ld.so.cache:/etc/ld.so.cache")
	scripts/build-initramfs.sh "$work/l1.cpio.gz" --modules-from "$kdir" \
		--module irqbypass.ko --module kvm.ko --module kvm-amd.ko \
		"${adds[@]}" --add "$root/bench/l1-extra.sh:/bin/mvm-extra"
	timeout 3600 build/mirrorvm run --engine qemu --kernel "$l1kernel" --initrd "$work/l1.cpio.gz" \
		--cmdline "console=ttyS0 quiet loglevel=4 tsc=reliable mvm.end=poweroff" \
		--cpus 2 --node id=0,size=3G,cpus=0-1 </dev/null 2>"$work/l1.err" |
		tr -d '\r' | tee "$work/l1-console.log" | grep -E '^BENCH-' > "$results" || true
fi

# ---- the report --------------------------------------------------------
if ! grep -q '^BENCH-DONE' "$results"; then
	echo "bench-startup: the measurement did not finish" >&2
	[ "$level" = l1 ] && tail -n 30 "$work/l1-console.log" "$work/l1.err" >&2
	exit 1
fi
echo "load average on this machine: $load0 before, $(cut -d ' ' -f 1-3 /proc/loadavg) after" \
	"($(nproc) CPUs; other work here scatters the samples)"
awk -v samples="$samples" '
# Median of the round-by-round differences @a - @b (the i-th samples of
# both come from the same round): less scattered by the machine than the
# difference of two medians when the host itself drifts.
function paired(a, b,    n, i, j, t, d) {
	n = cnt[a] < cnt[b] ? cnt[a] : cnt[b]
	for (i = 1; i <= n; i++) d[i] = v[a, i] - v[b, i]
	for (i = 2; i <= n; i++) { t = d[i]; for (j = i - 1; j >= 1 && d[j] > t; j--) d[j + 1] = d[j]; d[j + 1] = t }
	return n % 2 ? d[(n + 1) / 2] : (d[n / 2] + d[n / 2 + 1]) / 2
}
function median(name,    n, i, j, t, a) {
	n = cnt[name]
	for (i = 1; i <= n; i++) a[i] = v[name, i]
	for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
	lo[name] = a[1]; hi[name] = a[n]
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
$1 == "BENCH-LEVEL" { where = $0; sub(/^BENCH-LEVEL /, "", where); lvl = $2 }
$1 == "BENCH-SAMPLE" { cnt[$2]++; v[$2, cnt[$2]] = $3 / 1e6; nw++; w[nw] = $4 / 1e3 }
$1 == "BENCH-ERROR" { err[$2] = $0; sub(/^BENCH-ERROR [^ ]+ /, "", err[$2]); bad = 1 }
$1 == "BENCH-PHASE" { ph = ph "  " substr($0, 13) "\n" }
END {
	if (lvl == "L0")
		printf "level: L0, this machine'"'"'s /dev/kvm (%s)\n", where
	else
		printf "level: L1, nested: KVM (kvm-amd) inside a Linux that runs under QEMU TCG on this machine\n" \
		       "       (%s)\n       TCG inflates every absolute figure; compare the differences and ratios\n", where
	printf "exec -> first KVM_RUN, 4 GiB guest in two NUMA nodes, %d samples each, interleaved\n", samples
	printf "%-16s %7s %11s %11s %11s\n", "program", "samples", "median", "min", "max"
	split("floor mirrorvm mirrorvm-static qemu", order, " ")
	for (k = 1; k <= 4; k++) {
		p = order[k]
		if (cnt[p]) {
			m[p] = median(p)
			printf "%-16s %7d %8.3f ms %8.3f ms %8.3f ms\n", p, cnt[p], m[p], lo[p], hi[p]
		} else if (p in err) {
			printf "%-16s %7d  no figure: %s\n", p, 0, err[p]
		} else if (p != "mirrorvm-static") {
			printf "%-16s %7d  no figure\n", p, 0; bad = 1
		}
		if (cnt[p] && (p in err))
			printf "%-16s         failed after %d samples: %s\n", "", cnt[p], err[p]
	}
	if (cnt["mirrorvm"] && cnt["floor"])
		printf "mirrorvm - floor         %8.3f ms   (target: <= 1 ms; paired, median of the rounds'"'"' differences: %.3f ms)\n",
			m["mirrorvm"] - m["floor"], paired("mirrorvm", "floor")
	if (cnt["mirrorvm-static"] && cnt["floor"])
		printf "mirrorvm-static - floor  %8.3f ms   (mirrorvm - mirrorvm-static: %.3f ms of dynamic loading)\n",
			m["mirrorvm-static"] - m["floor"], m["mirrorvm"] - m["mirrorvm-static"]
	if (cnt["mirrorvm"] && cnt["qemu"])
		printf "mirrorvm / qemu          %8.3f      (target: <= 0.15)\n", m["mirrorvm"] / m["qemu"]
	if (cnt["floor"] && cnt["qemu"])
		printf "floor / qemu             %8.3f\n", m["floor"] / m["qemu"]
	if (nw) {
		for (i = 2; i <= nw; i++) { t = w[i]; for (j = i - 1; j >= 1 && w[j] > t; j--) w[j + 1] = w[j]; w[j + 1] = t }
		printf "instrument: the seccomp stop came %.0f us (median; %.0f-%.0f) after the shim'"'"'s time\n", \
			nw % 2 ? w[(nw + 1) / 2] : (w[nw / 2] + w[nw / 2 + 1]) / 2, w[1], w[nw]
	}
	if (ph != "")
		printf "the floor'"'"'s steps (one extra run; ms since its main()):\n%s", ph
	exit bad
}' "$results"
