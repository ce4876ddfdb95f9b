#!/bin/sh
# The sampling loop of scripts/bench-startup.sh.  POSIX sh: it runs on the
# machine itself (L0) and, unchanged, under busybox sh inside the nested
# L1.  Prints lines for the script to add up:
#
#   BENCH-LEVEL   where it ran (kernel, KVM modules, CPU)
#   BENCH-SAMPLE  NAME NS WAKEUP_NS   one exec -> first KVM_RUN, in ns
#   BENCH-ERROR   NAME MESSAGE        a run whose shim never fired, or that
#                                     failed: that program gets no more runs
#   BENCH-PHASE   ...                 the floor's own steps, one extra run
#   BENCH-DONE
#
# Environment: BENCH_DIR (launch, kvm-floor, first-run-shim.so,
# tiny-bzImage, qemu-stub.bin, mirrorvm-static when it was built),
# BENCH_MIRRORVM (dynamic mirrorvm), BENCH_QEMU (qemu-system-x86_64),
# BENCH_QEMU_DATA (optional -L directory), BENCH_SAMPLES, BENCH_LEVEL,
# BENCH_LOG (a scratch directory), BENCH_HOLD_VM (non-empty: keep one
# VM open throughout, see below).
set -u
B=$BENCH_DIR
log=$BENCH_LOG
mkdir -p "$log"

# Every KVM_CREATE_VM while no other VM exists enables the kernel's
# preempt-notifier static key (kvm_create_vm -> preempt_notifier_inc), and
# the last VM's end disables it: live patching of __schedule() twice a
# sample.  Under TCG that patching crashed L1 once, after 25 samples (an int3
# Oops in __schedule), so there a VM is held open for the whole run, as on
# a host that already runs guests; it takes the key's patching out of
# every program's figure alike.
held=no
if [ -n "${BENCH_HOLD_VM:-}" ]; then
	"$B/kvm-floor" --hold &
	hold=$!
	held=yes
	trap 'kill $hold 2>/dev/null' EXIT
fi

kvm=
for m in /sys/module/kvm*; do [ -e "$m" ] && kvm="$kvm${kvm:+,}${m##*/}"; done
cs=/sys/devices/system/clocksource/clocksource0/current_clocksource
echo "BENCH-LEVEL $BENCH_LEVEL kernel=$(uname -r) kvm=${kvm:-none} clocksource=$(cat $cs 2>/dev/null || echo unknown) held_vm=$held cpus=$(grep -c ^processor /proc/cpuinfo) cpu=$(grep -m 1 'model name' /proc/cpuinfo | sed 's/.*: //; s/ /_/g')"

# The guest: 4 GiB in two NUMA nodes, one vCPU, on each VMM.
mvm_args="run --engine kvm --kernel $B/tiny-bzImage --cmdline h --node id=0,size=2G --node id=1,size=2G"
qemu_args="-machine pc -accel kvm -cpu qemu64 -smp 1 -m 4G
 -object memory-backend-ram,id=m0,size=2G,reserve=off
 -object memory-backend-ram,id=m1,size=2G,reserve=off
 -numa node,nodeid=0,cpus=0,memdev=m0 -numa node,nodeid=1,memdev=m1
 -bios $B/qemu-stub.bin -nodefaults -no-user-config -display none
 -serial none -monitor none -no-reboot"
[ -n "${BENCH_QEMU_DATA:-}" ] && qemu_args="-L $BENCH_QEMU_DATA $qemu_args"

progs="floor mirrorvm"
[ -x "$B/mirrorvm-static" ] && progs="$progs mirrorvm-static"
progs="$progs qemu"

sample() {	# NAME: one run under launch; BENCH-SAMPLE or BENCH-ERROR
	# shellcheck disable=SC2086  # the argument lists are split on purpose
	case "$1" in
	floor) set -- "$1" -- "$B/kvm-floor" ;;
	mirrorvm) set -- "$1" --preload "$B/first-run-shim.so" -- "$BENCH_MIRRORVM" $mvm_args ;;
	mirrorvm-static) set -- "$1" -- "$B/mirrorvm-static" $mvm_args ;;
	qemu) set -- "$1" --preload "$B/first-run-shim.so" -- "$BENCH_QEMU" $qemu_args ;;
	esac
	name=$1; shift
	if res=$("$B/launch" --timeout 300 --log "$log/$name.log" "$@" 2>"$log/launch.err"); then
		ns=${res#first_kvm_run_ns=}; ns=${ns%% *}
		wake=${res##*seccomp_wakeup_ns=}
		echo "BENCH-SAMPLE $name $ns $wake"
	else
		echo "BENCH-ERROR $name $(tr '\n' ' ' < "$log/launch.err") | $(tail -c 400 "$log/$name.log" | tr '\n' ' ')"
		failed="$failed $name"
	fi
}

failed=
i=0
while [ "$i" -lt "$BENCH_SAMPLES" ]; do
	# Interleaved, and each round starts with the next program, so that
	# no program always runs right after the same other one.
	# shellcheck disable=SC2086  # a list of names
	set -- $progs
	r=0
	while [ "$r" -lt $((i % $#)) ]; do
		first=$1; shift; set -- "$@" "$first"; r=$((r + 1))
	done
	for p in "$@"; do
		case " $failed " in *" $p "*) continue ;; esac
		sample "$p"
	done
	i=$((i + 1))
done

# Where the floor's time goes (an extra run, not a sample: printing costs).
if "$B/launch" --timeout 300 --log "$log/phases.log" -- "$B/kvm-floor" --phases >/dev/null 2>&1; then
	sed 's/^kvm-floor: /BENCH-PHASE /' "$log/phases.log"
fi
echo "BENCH-DONE"
