/* SPDX-License-Identifier: GPL-2.0 */
#ifndef MIRRORVM_BOOT_INFO_H
#define MIRRORVM_BOOT_INFO_H

#include "util.h"

/*
 * What the firmware builder needs to know about the kernel it boots: where
 * kernel_image__prepare() (kernel-image.c) put the kernel and initrd, their
 * entry points, the setup header to copy into the zero page, and the
 * command line.  The firmware builds without one for --dump-firmware.
 */
struct boot_info {
	const u8 *setup_header;		/* bzImage bytes 0x1f1.. */
	size_t setup_header_len;
	u64 kernel_addr;		/* protected-mode image */
	u64 kernel_size;
	u64 entry32;			/* 32-bit boot protocol entry */
	u64 entry64;			/* 64-bit boot protocol entry */
	u64 initrd_addr;
	u64 initrd_size;
	const char *cmdline;		/* the guest's, as given */
	/*
	 * Arguments the engine adds (the QEMU engine's TCG TSC hint), appended
	 * after a space: kept apart so the guest's own command line is never
	 * edited.
	 */
	const char *cmdline_extra;
};

#endif
