#!/bin/bash
# setup.sh: everything a fresh Debian 12 machine needs for mirrorvm, then the
# build and the demo.  Run as root (or with sudo).  --no-demo skips the demo.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
demo=1
[ "${1:-}" = --no-demo ] && demo=0

packages=(
	# build
	gcc make pkg-config libc6-dev libxml2-dev libnuma-dev
	# the KVM engine's system call filter (static archive included)
	libseccomp-dev
	# the fuzzers (tests/fuzz/): clang, and libFuzzer's runtime (libclang_rt.fuzzer)
	clang libclang-rt-14-dev
	# guests: QEMU engine, firmware checks, initramfs
	qemu-system-x86 acpica-tools busybox-static cpio gzip xz-utils zstd file python3 numactl
	# libvirt XML tools and tests
	libxml2-utils libvirt-clients libvirt-daemon
	# guest/host kernel series build (kvm-patches/)
	linux-source-6.12 git flex bison bc libelf-dev libssl-dev kexec-tools
)
sudo=
[ "$(id -u)" -eq 0 ] || sudo=sudo
echo "setup: installing ${#packages[@]} Debian packages" >&2
$sudo apt-get update -q >&2
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${packages[@]}" >&2

echo "setup: fetching Debian's 6.12 cloud kernel for the guest trials" >&2
"$top/scripts/fetch-debian-kernel.sh" >/dev/null

echo "setup: building mirrorvm" >&2
make -C "$top" -j"$(nproc)" all >&2

if [ $demo -eq 1 ]; then
	"$top/scripts/demo.sh"
fi
