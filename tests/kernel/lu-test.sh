#!/bin/busybox sh
# /bin/mvm-extra of the e2e live update trial's L1 (tests/kernel/e2e_test.py):
# an L2 on the KVM engine, its RAM in memfds (MFD_MIRROR for its reliable
# range), live-updated across a kexec of L1 into the same kernel.
#   round 0: start L2 (heartbeats around a checksum, l2-extra.sh), at
#            HEARTBEAT 10 "mirrorvm ctl SOCK live-update lu1", then
#            "mirrorvm kexec" of /nested/next-bzImage with mvm.lu_round=1
#   round 1: "mirrorvm run --live-restore lu1", L2 runs to its end; then
#            "mirrorvm kexec --finish"
# One "LU what value" line per step and LU-OUT1/2, LU-ERR1/2 lines of L2's
# console and mirrorvm's stderr, for the checker.
mvm=/bin/mirrorvm sock=/tmp/lu.sock
round=0
for arg in $(cat /proc/cmdline); do
	case "$arg" in mvm.lu_round=*) round=${arg#mvm.lu_round=} ;; esac
done
now() { cut -d' ' -f1 /proc/uptime; }
echo "LU kernel$((round + 1)) $(cat /proc/version | tr ' ' _)"
if [ "$round" = 0 ]; then
	# shellcheck disable=SC2086  # flags
	"$mvm" run --engine kvm --kernel /nested/bzImage --initrd /nested/initrd.gz $(cat /nested/lu-flags) \
		--cmdline "console=ttyS0 quiet loglevel=4 mvm.heartsum=40 mvm.end=poweroff" \
		--api-socket "$sock" </dev/null >/tmp/lu1.out 2>/tmp/lu1.err &
	pid=$!
	i=0
	while ! tr -d '\r' < /tmp/lu1.out | grep -qx "HEARTBEAT 10" && [ $i -lt 3000 ]; do
		sleep 0.1; i=$((i + 1))
	done
	echo "LU placement1 $("$mvm" ctl --json "$sock" query-placement 2>&1 | tr -d '\n')"
	echo "LU paused-rt $(date +%s)"
	echo "LU live-update $("$mvm" ctl --json --timeout 120 "$sock" live-update lu1 2>&1 | tr -d '\n')"
	wait $pid
	echo "LU rc1=$?"
	tr -d '\r' < /tmp/lu1.out | grep -E "^(HEARTBEAT|SUM-|MVM-BEGIN)" | sed 's/^/LU-OUT1 /'
	sed 's/^/LU-ERR1 /' /tmp/lu1.err
	echo "LU kexec-at $(now)"
	"$mvm" kexec --kernel /nested/next-bzImage --initrd /sys/firmware/initrd --append mvm.lu_round=1 2>&1 |
		sed 's/^/LU-KEXEC /'
	echo "LU kexec-failed"
	exit 1
fi
echo "LU booted-at $(now)"
echo "LU restore-rt $(date +%s)"
dmesg | grep -E 'pram:|mirror:' | sed 's/^/LU-DMESG /'
MIRRORVM_DEBUG_STARTUP=1 "$mvm" run --live-restore lu1 --api-socket "$sock" --placement-report=- \
	</dev/null >/tmp/lu2.out 2>/tmp/lu2.err
echo "LU rc2=$?"
echo "LU finish $("$mvm" kexec --finish 2>&1)"
echo "LU restore-again $("$mvm" run --live-restore lu1 2>&1 </dev/null)"
tr -d '\r' < /tmp/lu2.out | grep -E "^(HEARTBEAT|SUM-|MVM-BEGIN)" | sed 's/^/LU-OUT2 /'
sed 's/^/LU-ERR2 /' /tmp/lu2.err
