#!/bin/busybox sh
# In a guest of the patched kernel: kexec into the same kernel ROUNDS times
# (mvm.exec=/bin/kexec-loop,ROUNDS[,PROBE-ARGS...]), printing on every boot
# what tests/kernel/guest_kernel_tests.py compares across them:
#   KEXEC round=N mirror_total_kb=KB ranges=A-B,C-D uptime=S
# and on the last kernel runs mirror-alloc-probe PROBE-ARGS (MFD_MIRROR
# after kexec), if given.
# The round travels on the command line (mvm.kexec_round=N); the initramfs
# is the one the first kernel kept (retain_initrd, /sys/firmware/initrd).
rounds=${1:-3}
[ $# -gt 0 ] && shift
round=0
cmdline=
for arg in $(cat /proc/cmdline); do
	case "$arg" in
	mvm.kexec_round=*) round=${arg#mvm.kexec_round=} ;;
	*) cmdline="$cmdline${cmdline:+ }$arg" ;;
	esac
done
ranges=$(tr '\n' ',' < /sys/kernel/mm/mirror/ranges)
echo "KEXEC round=$round mirror_total_kb=$(awk '/^MirrorTotal:/ {print $2}' /proc/meminfo) ranges=${ranges%,} uptime=$(cut -d' ' -f1 /proc/uptime)"
if [ "$round" -ge "$rounds" ]; then
	[ $# -gt 0 ] && exec /bin/mirror-alloc-probe "$@"
	exit 0
fi
/bin/mirrorvm kexec --kernel /boot/bzImage --initrd /sys/firmware/initrd \
	--cmdline "$cmdline mvm.kexec_round=$((round + 1))"
echo "KEXEC-FAIL round=$round status=$?"
exit 1
