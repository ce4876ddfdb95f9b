/* SPDX-License-Identifier: GPL-2.0 */
#ifndef MIRRORVM_HOST_H
#define MIRRORVM_HOST_H

#include <stdio.h>

#include "layout.h"

/*
 * The host side of reliable memory: how this host can give mirrorvm pages
 * that lie in mirrored ranges, and where guest memory really ended up.
 */
/* The host's /proc and /sys, under MIRRORVM_HOST_ROOT when tests set it. */
const char *hostfs__root(void);
void hostfs__path(char *buf, size_t len, const char *path);
int hostfs__read_str(const char *path, char *buf, size_t len);
long hostfs__read_long(const char *path);		/* -1 when unreadable */
long hostfs__meminfo_kb(const char *key);		/* /proc/meminfo "KEY:"; -1 if absent */
bool hostfs__exists(const char *path);

/* The host's NUMA nodes (numa.c: libnuma, or the fixtures under the root). */
void host_numa__nodes(struct idset *set);
/* Bytes of host node @node and its free bytes (*@free); -1 when unknown. */
long long host_numa__node_size(unsigned int node, long long *free);
/* mbind(2) of [@addr, @addr + @len) to @nodes with MPOL_* @mode: 0 or -errno. */
int host_numa__mbind(void *addr, u64 len, int mode, const struct idset *nodes);

enum host_mirror_method {
	HOST_MIRROR_NONE,	/* no mirrored memory, or no way to reach it */
	HOST_MIRROR_MFD,	/* kvm-patches: memfd_create(MFD_MIRROR) */
	HOST_MIRROR_HUGETLB1G,	/* stock kernelcore=mirror host: 1 GiB hugetlb */
};

#define HOST_MAX_MIRROR_RANGES	256

struct host_mirror {
	enum host_mirror_method method;
	char why[512];		/* what was found, and what the method does not guarantee */
	struct addr_range ranges[HOST_MAX_MIRROR_RANGES];	/* host physical */
	unsigned int nr_ranges;
};

/*
 * Adds the ranges of /sys/kernel/mm/mirror/ranges (kvm-patches) to @hm:
 * 0, or the errno of opening it.
 */
int host_mirror__read_ranges(struct host_mirror *hm);
/* Detects the method (never fails: NONE says why in @hm->why). */
void host_mirror__detect(struct host_mirror *hm);
/*
 * Maps @size bytes of host memory for a reliable guest range with @hm's
 * method; returns MAP_FAILED with @e set when the host cannot.  *@memfd
 * (if given) gets the MFD_MIRROR memfd behind it, the caller's to close,
 * or -1 (hugetlb).
 */
void *host_mirror__map(const struct host_mirror *hm, u64 size, int *memfd, struct err *e);
/*
 * Why a patched host refuses MFD_MIRROR pages (ENOMEM from fallocate, EFAULT
 * from KVM_RUN): what is left, the kernel's reserve, and the limits that
 * apply to this process, read from the host.
 */
void host_mirror__explain_enomem(char *buf, size_t len);

/*
 * /dev/pram (host/pram.c, pram.h): open it (-errno with @e set), preserve
 * a memfd under a token, retrieve one (-ENOENT without a message when the
 * token is not there).
 */
struct pram_retrieve_fd;
int pram__open(struct err *e);
int pram__preserve(int dev, int fd, u64 token, struct err *e);
int pram__retrieve(int dev, u64 token, struct pram_retrieve_fd *out, struct err *e);

/* One piece of guest RAM as an engine mapped it. */
struct ram_mapping {
	struct mem_slot slot;
	void *hva;
	bool host_mirrored;	/* mapped through host_mirror__map() */
	/*
	 * Hot-unplugged: @hva is an inaccessible reservation of the same
	 * size (so a re-plug lands where the slot was), not guest memory.
	 */
	bool unplugged;
	/*
	 * The shmem memfd behind @hva (backing=memfd, MFD_MIRROR), kept open
	 * for a live update to preserve; -1 for anonymous and hugetlb memory.
	 */
	int memfd;
};

/*
 * The placement report, measured from /proc/self/pagemap and the host's
 * memory blocks: as a JSON object into @w (the control socket's
 * query-placement), or written to a file (--placement-report FILE, or "-"
 * for stderr).
 */
struct json_writer;
int placement__json(const struct layout *lay, const struct host_mirror *hm,
		    const struct ram_mapping *ram, unsigned int nr, struct json_writer *w,
		    struct err *e);
/*
 * The report's file, opened (created, truncated) before the guest starts:
 * an unwritable path fails at once rather than after the guest ran, and
 * the KVM engine's system call filter need not allow creating files.
 * @path "-" is stderr.  NULL with @e set.
 */
FILE *placement__open(const char *path, struct err *e);
/* Writes the report to @f (from placement__open(@path)) and closes it. */
int placement__report(const struct layout *lay, const struct host_mirror *hm,
		      const struct ram_mapping *ram, unsigned int nr, FILE *f,
		      const char *path, struct err *e);

#endif
