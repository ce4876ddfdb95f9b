#!/bin/bash
# extract-vmlinux.sh BZIMAGE OUT: the uncompressed vmlinux ELF inside an x86
# bzImage (its boot header's payload_offset/payload_length), for VMMs that
# enter startup_64 directly (mirrorvm --engine kvm accepts it as --kernel).
set -euo pipefail
in=$1 out=$2
u8() { od -An -tu1 -j "$1" -N 1 "$in" | tr -d ' '; }
u32() { od -An -tu4 -j "$1" -N 4 "$in" | tr -d ' '; }
[ "$(dd if="$in" bs=1 skip=514 count=4 2>/dev/null)" = HdrS ] || { echo "extract-vmlinux: $in is not a bzImage" >&2; exit 1; }
sects=$(u8 497); [ "$sects" -eq 0 ] && sects=4
pm=$(( (sects + 1) * 512 ))
off=$(( pm + $(u32 584) )) len=$(u32 588)
tmp=$(mktemp); trap 'rm -f "$tmp"' EXIT
dd if="$in" of="$tmp" bs=1M iflag=skip_bytes,count_bytes skip="$off" count="$len" 2>/dev/null
case "$(od -An -tx1 -N 4 "$tmp" | tr -d ' ')" in
28b52ffd) head -c $((len - 4)) "$tmp" | zstd -dq > "$out" ;;  # size appended
fd377a58) xz -dc < "$tmp" > "$out" 2>/dev/null || true ;;
1f8b08*)  gzip -dc < "$tmp" > "$out" 2>/dev/null || true ;;
*) echo "extract-vmlinux: unknown compression in $in" >&2; exit 1 ;;
esac
[ "$(head -c 4 "$out" | od -An -tx1 | tr -d ' ')" = 7f454c46 ] || { echo "extract-vmlinux: payload of $in is not an ELF" >&2; exit 1; }
