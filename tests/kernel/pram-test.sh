#!/bin/busybox sh
# In a guest of the patched kernel (mvm.exec=/bin/pram-test): memfds handed
# across kexec through /dev/pram, over four kernels, the round on the
# command line (mvm.pram_round=N):
#   0  preserve a plain and an MFD_MIRROR memfd (with mvm.pram_ballast=1
#      also most of free memory in a ballast memfd, so that kexec must
#      place its segments around preserved memory), kexec (mirrorvm kexec
#      finalizes and appends pram=)
#   1  get them back (same data and PFNs, still mirrored); preserve again
#      and kexec into a kernel without kernelcore=mirror
#   2  the plain memfd comes back, the MFD_MIRROR one is refused (EIO);
#      kexec with a pram= that points at no super block
#   3  the kernel is up and says so; nothing to retrieve; pram-probe
#      forges a super block with a bad checksum and kexecs with pram=
#      naming it
#   4  refused at once, nothing to retrieve; pram-probe forges a valid
#      super block whose file has a corrupt table page
#   5  refused late in boot (the memory stays reserved), nothing to
#      retrieve
# Every round prints "PRAMROUND n=N"; pram-probe prints PASS/FAIL lines.
round=0 ballast=
base=
for arg in $(cat /proc/cmdline); do
	case "$arg" in
	mvm.pram_round=*) round=${arg#mvm.pram_round=} ;;
	mvm.pram_ballast=1) ballast=--ballast ;;
	pram=*) ;;
	*) base="$base${base:+ }$arg" ;;
	esac
done
echo "PRAMROUND n=$round"
dmesg | grep 'pram' | sed 's/^/DMESG /'
kexec() { # EXTRA-ARGS...
	/bin/mirrorvm kexec --kernel /boot/bzImage --initrd /sys/firmware/initrd "$@"
	echo "FAIL round $round: mirrorvm kexec returned $?"
	exit 1
}
case $round in
0)	/bin/pram-probe preserve 64 $ballast || exit 1
	kexec --cmdline "$base mvm.pram_round=1" ;;
1)	/bin/pram-probe retrieve || exit 1
	/bin/pram-probe preserve 16 || exit 1
	kexec --cmdline "$(echo "$base" | sed 's/kernelcore=mirror//') mvm.pram_round=2" ;;
2)	/bin/pram-probe retrieve --mirror-refused || exit 1
	kexec --cmdline "$base mvm.pram_round=3" --append pram=0x12345 ;;
3)	/bin/pram-probe none || exit 1
	/bin/pram-probe forge bad-crc /boot/bzImage /sys/firmware/initrd "$base mvm.pram_round=4"
	exit 1 ;;
4)	/bin/pram-probe none || exit 1
	/bin/pram-probe forge bad-table /boot/bzImage /sys/firmware/initrd "$base mvm.pram_round=5"
	exit 1 ;;
5)	/bin/pram-probe none ;;
esac
