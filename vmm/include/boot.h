/* SPDX-License-Identifier: GPL-2.0 */
#ifndef MIRRORVM_BOOT_H
#define MIRRORVM_BOOT_H

#include "fw.h"

/* A bzImage and initrd, checked and placed in guest-physical memory. */
struct kernel_image {
	u8 *file;			/* the whole bzImage */
	size_t file_len;
	size_t pm_offset;		/* protected-mode kernel inside the file */
	const char *initrd_path;
	u64 initrd_size;
	struct boot_info info;
};

int boot__prepare(const struct vm_config *cfg, const struct layout *lay,
		  struct kernel_image *k, struct err *e);
void boot__release(struct kernel_image *k);

#endif
