#!/bin/bash
# setup.sh: everything a fresh Debian 12 machine needs for mirrorvm, then the
# build and the demo.  Run as root (or with sudo).  --no-demo skips the demo.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
demo=1
[ "${1:-}" = --no-demo ] && demo=0

packages=(
	# build
	gcc make pkg-config libc6-dev libxml2-dev
	# the KVM engine's system call filter (static archive included)
	libseccomp-dev
	# the fuzzers (tests/fuzz/): clang, and libFuzzer's runtime (libclang_rt.fuzzer)
	clang libclang-rt-14-dev
	# guests: QEMU engine, firmware checks, initramfs
	qemu-system-x86 acpica-tools busybox-static cpio gzip xz-utils zstd file python3 numactl
	# libvirt XML tools and tests
	libxml2-utils libvirt-clients libvirt-daemon
	# guest/host kernel series build (kvm-patches/); linux-source-6.12 is
	# pinned below to the version the series is made for
	git flex bison bc libelf-dev libssl-dev kexec-tools
)
# The series applies to one Debian linux-source-6.12: kvm-patches/BASE-VERSION.
# A newer point release in the archive must not break a fresh machine, so
# exactly that version is installed (older ones stay in Debian's security
# archive); if the package lists lack it, say so rather than install another.
base_version=$(cat "$top/kvm-patches/BASE-VERSION")
sudo=
[ "$(id -u)" -eq 0 ] || sudo=sudo
$sudo apt-get update -q >&2
if ! apt-cache madison linux-source-6.12 | awk -F'|' '{ gsub(/ /, "", $2); print $2 }' |
	grep -qxF "$base_version"; then
	echo "setup: ERROR: linux-source-6.12 $base_version (kvm-patches/BASE-VERSION, the version" \
	     "the kernel series is made for) is not in the package lists; they have:" \
	     "$(apt-cache madison linux-source-6.12 | awk -F'|' '{ gsub(/ /, "", $2); printf " %s", $2 }')" >&2
	exit 1
fi
packages+=("linux-source-6.12=$base_version")
echo "setup: installing ${#packages[@]} Debian packages" >&2
# --allow-downgrades: a machine that already has a newer linux-source-6.12
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends --allow-downgrades \
	"${packages[@]}" >&2

echo "setup: fetching Debian's 6.12 cloud kernel for the guest trials" >&2
"$top/scripts/fetch-debian-kernel.sh" >/dev/null

echo "setup: building mirrorvm" >&2
make -C "$top" -j"$(nproc)" all >&2

if [ $demo -eq 1 ]; then
	"$top/scripts/demo.sh"
fi
