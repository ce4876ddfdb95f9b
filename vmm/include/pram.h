/* SPDX-License-Identifier: GPL-2.0 */
#ifndef MIRRORVM_PRAM_H
#define MIRRORVM_PRAM_H

/*
 * /dev/pram of kvm-patches 0015 (include/uapi/linux/pram.h there): memfds
 * whose pages the next kernel, kexec'ed with pram=<pfn>, gives back in
 * place.  Debian's headers do not have it, so it is repeated here.
 */
#include <linux/ioctl.h>
#include <linux/types.h>

#define PRAM_DEVICE		"/dev/pram"
#define PRAM_FD_MIRROR		(1U << 0)

struct pram_preserve_fd {
	__s32 fd;
	__u32 flags;
	__u64 token;
};

struct pram_finalize {
	__u64 sb_pfn;
	__u32 nr_files;
	__u32 nr_extents;
	__u64 nr_pages;
	__u64 nr_meta_pages;
};

struct pram_retrieve_fd {
	__u64 token;
	__s32 fd;
	__u32 flags;
	__u64 size;
};

#define PRAM_IOC_MAGIC		0xB9
#define PRAM_IOC_PRESERVE_FD	_IOW(PRAM_IOC_MAGIC, 0x00, struct pram_preserve_fd)
#define PRAM_IOC_FINALIZE	_IOR(PRAM_IOC_MAGIC, 0x01, struct pram_finalize)
#define PRAM_IOC_CANCEL		_IO(PRAM_IOC_MAGIC, 0x02)
#define PRAM_IOC_RETRIEVE_FD	_IOWR(PRAM_IOC_MAGIC, 0x03, struct pram_retrieve_fd)
#define PRAM_IOC_FINISH		_IO(PRAM_IOC_MAGIC, 0x04)

#endif
