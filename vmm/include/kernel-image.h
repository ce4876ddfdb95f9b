/* SPDX-License-Identifier: GPL-2.0 */
#ifndef MIRRORVM_KERNEL_IMAGE_H
#define MIRRORVM_KERNEL_IMAGE_H

#include "boot-info.h"
#include "layout.h"

/* A loadable piece of an uncompressed kernel (ELF PT_LOAD). */
struct kernel_segment {
	u64 paddr;
	u64 offset;			/* in the file */
	u64 filesz;
	u64 memsz;			/* the rest, memsz - filesz, is zero */
};

#define KERNEL_MAX_SEGMENTS	16

/*
 * What mirrorvm reads of a kernel file into its own memory: a bzImage's boot
 * sector and setup sectors (setup_sects is one byte: at most 256 sectors of
 * 512 bytes) or a vmlinux's ELF and program headers.  The engines copy the
 * kernel itself straight from the file into guest RAM.
 */
#define KERNEL_HEAD_MAX		(128 * 1024)

/*
 * A kernel and initrd, checked and placed in guest-physical memory.  The
 * kernel is a bzImage (both engines) or an uncompressed x86-64 vmlinux ELF
 * (KVM engine: entered at its 64-bit startup_64, no decompressor).
 */
struct kernel_image {
	int fd;				/* the kernel file, open until released */
	const char *path;
	u8 *head;			/* its first head_len bytes */
	size_t head_len;
	u64 file_len;			/* its size when it was checked */
	bool elf;
	size_t pm_offset;		/* bzImage: protected-mode kernel in the file */
	struct kernel_segment seg[KERNEL_MAX_SEGMENTS];	/* ELF */
	unsigned int nr_seg;
	u8 setup_header[0x80];		/* ELF: the header a bzImage would carry */
	const char *initrd_path;
	u64 initrd_size;
	struct boot_info info;
};

/*
 * Opens and checks @spec's kernel and initrd, places them in @lay's RAM and
 * fills @k->info, with @cmdline_extra (the engine's kernel arguments, or
 * NULL) counted in the command line's length.  A rejected kernel keeps
 * nothing open.
 */
int kernel_image__prepare(const struct vm_spec *spec, const struct layout *lay,
			  const char *cmdline_extra, struct kernel_image *k, struct err *e);
int kernel_image__read(const struct kernel_image *k, u64 off, void *dst, u64 len,
		       struct err *e);
void kernel_image__release(struct kernel_image *k);

#endif
