/* SPDX-License-Identifier: GPL-2.0 */
#ifndef MIRRORVM_BACKING_H
#define MIRRORVM_BACKING_H

/*
 * Host memory behind guest nodes (vmm/engine/backing.c).  The KVM engine
 * maps with it; both engines check with it before starting, so the same
 * request fails the same way whichever engine runs the guest.
 */
#include "layout.h"

/*
 * Checks what every node's backing asks of the host before anything is
 * mapped: host nodes that exist, enough free huge pages, slot sizes that
 * the page size divides.  @e names the node and what is missing.
 */
int backing__check(const struct layout *lay, const struct mem_slot *slots,
		   unsigned int nr, bool host_mirrored_reliable, struct err *e);
/*
 * Maps one slot as its node asks and applies the node's mbind policy.
 * *@memfd (if given) gets the memfd of backing=memfd, the caller's to
 * close, or -1 (anonymous, hugetlb).
 */
void *backing__map(const struct layout_node *n, const struct mem_slot *s, int *memfd,
		   struct err *e);
/* Applies the node's host-nodes policy to an existing mapping. */
int backing__bind(const struct layout_node *n, void *hva, u64 size, struct err *e);
/* Populates @nr mappings (one node's) in parallel, with a progress line. */
struct backing_range {
	void *hva;
	u64 size;
};
int backing__prefault(unsigned int node, const struct backing_range *r, unsigned int nr,
		      struct err *e);
/* The host's huge page size for a backing, 0 for small pages. */
u64 backing__page_size(enum mem_backing b);

#endif
