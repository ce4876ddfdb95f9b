/* SPDX-License-Identifier: GPL-2.0 */
#ifndef MIRRORVM_BOOT_H
#define MIRRORVM_BOOT_H

#include "fw.h"

/* A loadable piece of an uncompressed kernel (ELF PT_LOAD). */
struct kernel_segment {
	u64 paddr;
	u64 offset;			/* in the file */
	u64 filesz;
	u64 memsz;			/* the rest, memsz - filesz, is zero */
};

#define KERNEL_MAX_SEGMENTS	16

/*
 * A kernel and initrd, checked and placed in guest-physical memory.  The
 * kernel is a bzImage (both engines) or an uncompressed x86-64 vmlinux ELF
 * (KVM engine: entered at its 64-bit startup_64, no decompressor).
 */
struct kernel_image {
	u8 *file;			/* the whole kernel file */
	size_t file_len;
	bool elf;
	size_t pm_offset;		/* bzImage: protected-mode kernel in the file */
	struct kernel_segment seg[KERNEL_MAX_SEGMENTS];	/* ELF */
	unsigned int nr_seg;
	u8 setup_header[0x80];		/* ELF: the header a bzImage would carry */
	const char *initrd_path;
	u64 initrd_size;
	struct boot_info info;
};

int boot__prepare(const struct vm_config *cfg, const struct layout *lay,
		  struct kernel_image *k, struct err *e);
void boot__release(struct kernel_image *k);

#endif
