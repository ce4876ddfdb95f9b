// SPDX-License-Identifier: GPL-2.0
/*
 * Host memory behind each guest node, as its --node keys ask:
 *
 *   backing=anon       MAP_PRIVATE|MAP_ANONYMOUS|MAP_NORESERVE (default)
 *   backing=memfd      memfd_create + ftruncate + MAP_SHARED
 *   backing=hugetlb2m  memfd_create(MFD_HUGETLB|MFD_HUGE_2MB), same for 1g
 *   host-nodes,policy  mbind(2) before any page is touched
 *   prefault=on        MADV_POPULATE_WRITE after mbind, 1 GiB chunks on up
 *                      to nproc threads
 *
 * Everything the host must provide is checked first (backing__check), so a
 * missing host node or too few huge pages is one clear error before any
 * memory is mapped.  MIRRORVM_HOST_ROOT points the sysfs reads at fixtures.
 */
#include <errno.h>
#include <linux/mempolicy.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "backing.h"
#include "host.h"
#include "workers.h"

#ifndef MFD_HUGETLB
#define MFD_HUGETLB		0x0004U
#endif
#ifndef MFD_HUGE_2MB
#define MFD_HUGE_2MB		(21U << 26)
#endif
#ifndef MFD_HUGE_1GB
#define MFD_HUGE_1GB		(30U << 26)
#endif
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE	23
#endif

#ifndef MPOL_PREFERRED_MANY	/* uapi headers before Linux 5.15 */
#define MPOL_PREFERRED_MANY	5
#endif

#define PREFAULT_CHUNK		SZ_1G
#define PROGRESS_MIN		(4 * SZ_1G)

u64 backing__page_size(enum mem_backing b)
{
	switch (b) {
	case BACKING_HUGETLB2M:
		return SZ_2M;
	case BACKING_HUGETLB1G:
		return SZ_1G;
	default:
		return 0;
	}
}

/* The host's NUMA nodes, as "0-1,3" (or "none"). */
static void host_nodes(struct idset *set, char *buf, size_t len)
{
	host_numa__nodes(set);
	if (idset_empty(set))
		snprintf(buf, len, "none (no /sys/devices/system/node/node*)");
	else
		idset_format(set, buf, len);
}

static int check_host_nodes(const struct layout_node *n, struct err *e)
{
	const struct node_host *nc = &n->host;
	struct idset have;
	char list[256], want[256];
	unsigned int id;

	if (!nc->has_host_nodes)
		return 0;
	host_nodes(&have, list, sizeof(list));
	for (id = 0; id < IDSET_MAX; id++) {
		if (!idset_has(&nc->host_nodes, id))
			continue;
		if (!idset_has(&have, id)) {
			idset_format(&nc->host_nodes, want, sizeof(want));
			return err_set(e, "node %u: host-nodes=%s: host NUMA node %u does not exist (/sys/devices/system/node/node%u); this host's nodes: %s",
				       n->id, want, id, id, list);
		}
	}
	return 0;
}

static int check_huge(const struct layout *lay, const struct mem_slot *slots,
		      unsigned int nr, bool host_mirrored_reliable, enum mem_backing b,
		      struct err *e)
{
	u64 page = backing__page_size(b), need = 0;
	char dir[128], path[192], s[32], nodes[128] = "";
	unsigned int i;
	int last = -1;
	long have, total;

	for (i = 0; i < nr; i++) {
		const struct layout_node *n = &lay->nodes[slots[i].node];
		size_t l = strlen(nodes);

		if (n->host.backing != b || (slots[i].reliable && host_mirrored_reliable))
			continue;
		if (!IS_ALIGNED(slots[i].gpa, page) || !IS_ALIGNED(slots[i].size, page))
			return err_set(e, "node %u: backing=%s needs guest memory in whole %s pages, but its piece [0x%llx-0x%llx) (cut at a reliable range edge or the PCI hole) is not %s-aligned",
				       n->id, backing_name(b), fmt_size(page, s),
				       (unsigned long long)slots[i].gpa,
				       (unsigned long long)(slots[i].gpa + slots[i].size),
				       fmt_size(page, s));
		need += slots[i].size / page;
		if (last != (int)n->id)
			snprintf(nodes + l, sizeof(nodes) - l, "%s%u", l ? "," : "", n->id);
		last = n->id;
	}
	if (!need)
		return 0;
	snprintf(dir, sizeof(dir), "/sys/kernel/mm/hugepages/hugepages-%llukB",
		 (unsigned long long)(page >> 10));
	if (!hostfs__exists(dir))
		return err_set(e, "node %s: backing=%s: this host kernel has no %s huge pages (no %s)",
			       nodes, backing_name(b), fmt_size(page, s), dir);
	snprintf(path, sizeof(path), "%s/nr_hugepages", dir);
	total = MAX(hostfs__read_long(path), 0L);
	snprintf(path, sizeof(path), "%s/free_hugepages", dir);
	have = MAX(hostfs__read_long(path), 0L);
	/* Pages other mappings reserved but did not fault in yet are taken. */
	snprintf(path, sizeof(path), "%s/resv_hugepages", dir);
	have = MAX(have - MAX(hostfs__read_long(path), 0L), 0L);
	snprintf(path, sizeof(path), "%s/free_hugepages", dir);
	if ((u64)have < need)
		return err_set(e, "node %s: backing=%s needs %llu free %s huge pages, the host has %ld (%s); reserve more as root: echo %llu > %s/nr_hugepages",
			       nodes, backing_name(b), (unsigned long long)need,
			       fmt_size(page, s), have, path,
			       (unsigned long long)(total + need - have), dir);
	return 0;
}

/*
 * With policy=bind a hugetlb fault may only take a page from the bound host
 * nodes: reservations at mmap time are host-wide, so without this check a
 * guest whose nodes lack pages would start and die of SIGBUS on the first
 * touch of a page the host cannot give.  Guest nodes sharing host nodes are
 * each checked alone; the host-wide check above covers their sum.
 */
static int check_huge_on_nodes(const struct layout *lay, const struct mem_slot *slots,
			       unsigned int nr, bool host_mirrored_reliable,
			       enum mem_backing b, struct err *e)
{
	u64 page = backing__page_size(b);
	char path[256], s[32], want[256], where[320];
	unsigned int g, i, h;

	for (g = 0; g < lay->nr_nodes; g++) {
		const struct layout_node *n = &lay->nodes[g];
		const struct node_host *nc = &n->host;
		u64 need = 0;
		long have = 0, free;
		bool known = false;

		/* host-nodes without policy= is bind (cli.c) */
		if (nc->backing != b || !nc->has_host_nodes ||
		    nc->policy != POLICY_BIND)
			continue;
		for (i = 0; i < nr; i++)
			if (slots[i].node == g && !(slots[i].reliable && host_mirrored_reliable))
				need += slots[i].size / page;
		if (!need)
			continue;
		where[0] = '\0';
		for (h = 0; h < IDSET_MAX; h++) {
			if (!idset_has(&nc->host_nodes, h))
				continue;
			snprintf(path, sizeof(path),
				 "/sys/devices/system/node/node%u/hugepages/hugepages-%llukB/free_hugepages",
				 h, (unsigned long long)(page >> 10));
			free = hostfs__read_long(path);
			if (free < 0)
				continue;
			known = true;
			have += free;
			if (!where[0])
				snprintf(where, sizeof(where), "%s", path);
		}
		if (!known || (u64)have >= need)
			continue;
		idset_format(&nc->host_nodes, want, sizeof(want));
		return err_set(e, "node %u: backing=%s with host-nodes=%s and policy=bind needs %llu free %s huge pages on those host nodes, they have %ld (%s); reserve more there as root, or use policy=preferred",
			       n->id, backing_name(b), want, (unsigned long long)need,
			       fmt_size(page, s), have, where);
	}
	return 0;
}

/*
 * A node bound to host nodes that have less memory in all than the node's
 * size can never be backed whole: say so (memory is only taken as the
 * guest touches it, so a guest that stays small still runs).
 */
static void warn_host_node_sizes(const struct layout_node *n)
{
	const struct node_host *nc = &n->host;
	long long total = 0, size, free;
	char list[256], s1[32];
	unsigned int id;

	if (!nc->has_host_nodes || nc->policy != POLICY_BIND)
		return;
	for (id = 0; id < IDSET_MAX; id++) {
		if (!idset_has(&nc->host_nodes, id))
			continue;
		size = host_numa__node_size(id, &free);
		if (size < 0)
			return;		/* unknown: nothing to say */
		total += size;
	}
	if ((u64)total >= n->size)
		return;
	idset_format(&nc->host_nodes, list, sizeof(list));
	warn("node %u: size=%s bound to host-nodes=%s, which have %llu MiB in all: the guest cannot use all of it",
	     n->id, fmt_size(n->size, s1), list, (unsigned long long)total >> 20);
}

int backing__check(const struct layout *lay, const struct mem_slot *slots,
		   unsigned int nr, bool host_mirrored_reliable, struct err *e)
{
	unsigned int i;
	int ret;

	for (i = 0; i < lay->nr_nodes; i++) {
		ret = check_host_nodes(&lay->nodes[i], e);
		if (ret)
			return ret;
		warn_host_node_sizes(&lay->nodes[i]);
	}
	ret = check_huge(lay, slots, nr, host_mirrored_reliable, BACKING_HUGETLB2M, e);
	if (!ret)
		ret = check_huge(lay, slots, nr, host_mirrored_reliable, BACKING_HUGETLB1G, e);
	if (!ret)
		ret = check_huge_on_nodes(lay, slots, nr, host_mirrored_reliable,
					  BACKING_HUGETLB2M, e);
	if (!ret)
		ret = check_huge_on_nodes(lay, slots, nr, host_mirrored_reliable,
					  BACKING_HUGETLB1G, e);
	return ret;
}

int backing__bind(const struct layout_node *n, void *hva, u64 size, struct err *e)
{
	const struct node_host *nc = &n->host;
	struct idset first = { { 0 } };
	char list[256];
	int mode, ret;

	if (!nc->has_host_nodes)
		return 0;
	switch (nc->policy) {
	case POLICY_PREFERRED:
		mode = idset_count(&nc->host_nodes) > 1 ? MPOL_PREFERRED_MANY : MPOL_PREFERRED;
		break;
	case POLICY_INTERLEAVE:
		mode = MPOL_INTERLEAVE;
		break;
	default:
		mode = MPOL_BIND;
		break;
	}
	ret = host_numa__mbind(hva, size, mode, &nc->host_nodes);
	if (!ret)
		return 0;
	if (mode == MPOL_PREFERRED_MANY && ret == -EINVAL) {
		/* Before Linux 5.15: prefer the first node only. */
		idset_add(&first, idset_first(&nc->host_nodes));
		if (!host_numa__mbind(hva, size, MPOL_PREFERRED, &first)) {
			warn("node %u: policy=preferred with several host nodes needs Linux 5.15; preferring host node %d only",
			     n->id, idset_first(&nc->host_nodes));
			return 0;
		}
	}
	idset_format(&nc->host_nodes, list, sizeof(list));
	return err_set(e, "node %u: mbind(host-nodes=%s, policy=%s): %s", n->id, list,
		       policy_name(nc->policy), strerror(-ret));
}

static void *map_anon(u64 size, struct err *e)
{
	/* 2 MiB-aligned, so KVM can map guest huge pages with THP. */
	u64 len = size + SZ_2M;
	u8 *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	u8 *a;

	if (p == MAP_FAILED) {
		err_set(e, "mmap of %llu bytes: %s", (unsigned long long)size, strerror(errno));
		return MAP_FAILED;
	}
	a = (u8 *)ALIGN_UP((uintptr_t)p, SZ_2M);
	if (a > p)
		munmap(p, a - p);
	if (p + len > a + size)
		munmap(a + size, p + len - (a + size));
	/*
	 * Transparent huge pages where the host allows them (its "madvise"
	 * mode, many distributions' default, needs the hint): fewer faults
	 * while images load, and KVM maps guest memory with 2 MiB entries.
	 * Only a hint: a host without THP keeps small pages.
	 */
	madvise(a, size, MADV_HUGEPAGE);
	return a;
}

/* A memfd mapped; *@keep (if given) gets the fd, else it is closed */
static void *map_memfd(const struct layout_node *n, u64 size, unsigned int flags, int *keep,
		       struct err *e)
{
	char name[32];
	void *p;
	int fd;

	snprintf(name, sizeof(name), "mirrorvm-node%u", n->id);
	fd = memfd_create(name, MFD_CLOEXEC | flags);
	if (fd < 0) {
		err_set(e, "memfd_create: %s", strerror(errno));
		return MAP_FAILED;
	}
	if (ftruncate(fd, size)) {
		err_set(e, "memfd of %llu bytes: %s", (unsigned long long)size, strerror(errno));
		close(fd);
		return MAP_FAILED;
	}
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		err_set(e, "mmap of the memfd: %s%s", strerror(errno),
			(flags & MFD_HUGETLB) && errno == ENOMEM ?
			" (not enough free huge pages: another process took them?)" : "");
	if (p != MAP_FAILED && keep)
		*keep = fd;
	else
		close(fd);
	return p;
}

void *backing__map(const struct layout_node *n, const struct mem_slot *s, int *memfd,
		   struct err *e)
{
	struct err sub;
	void *p;
	int fd = -1;

	if (memfd)
		*memfd = -1;
	switch (n->host.backing) {
	case BACKING_MEMFD:
		p = map_memfd(n, s->size, 0, &fd, &sub);
		break;
	case BACKING_HUGETLB2M:
		p = map_memfd(n, s->size, MFD_HUGETLB | MFD_HUGE_2MB, NULL, &sub);
		break;
	case BACKING_HUGETLB1G:
		p = map_memfd(n, s->size, MFD_HUGETLB | MFD_HUGE_1GB, NULL, &sub);
		break;
	default:
		p = map_anon(s->size, &sub);
		break;
	}
	if (p == MAP_FAILED) {
		err_set(e, "node %u: backing=%s: %s", n->id, backing_name(n->host.backing), sub.msg);
		return MAP_FAILED;
	}
	if (backing__bind(n, p, s->size, e)) {
		munmap(p, s->size);
		if (fd >= 0)
			close(fd);
		return MAP_FAILED;
	}
	if (memfd)
		*memfd = fd;
	else if (fd >= 0)
		close(fd);
	return p;
}

/* ---- prefault ---- */

struct prefault_job {
	const struct backing_range *r;
	unsigned int nr;
	struct work_queue q;		/* items: PREFAULT_CHUNK pieces of the ranges */
	atomic_ullong done;
	int err;			/* the first failure's -errno */
};

static int touch(u8 *p, u64 len)
{
	u64 off;

	for (off = 0; off < len; off += SZ_4K)
		((volatile u8 *)p)[off] = 0;
	return 0;
}

static int populate(u8 *p, u64 len)
{
	if (!madvise(p, len, MADV_POPULATE_WRITE))
		return 0;
	if (errno == EINVAL)	/* before Linux 5.14 */
		return touch(p, len);
	return -errno;
}

static void *prefault_worker(void *arg)
{
	struct prefault_job *j = arg;
	unsigned int c;

	while (work_queue__take(&j->q, &c)) {
		unsigned int i, k = c;
		u64 off, len;
		int ret;

		for (i = 0; i < j->nr; i++) {
			unsigned int n = (j->r[i].size + PREFAULT_CHUNK - 1) / PREFAULT_CHUNK;

			if (k < n)
				break;
			k -= n;
		}
		off = (u64)k * PREFAULT_CHUNK;
		len = MIN(PREFAULT_CHUNK, j->r[i].size - off);
		ret = populate((u8 *)j->r[i].hva + off, len);
		if (ret && work_queue__fail(&j->q))
			j->err = ret;
		atomic_fetch_add(&j->done, len);
	}
	return NULL;
}

int backing__prefault(unsigned int node, const struct backing_range *r, unsigned int nr,
		      struct err *e)
{
	struct prefault_job j = { .r = r, .nr = nr };
	pthread_t th[64];
	unsigned int i, started;
	u64 total = 0;
	bool progress;
	char s1[32], s2[32];

	for (i = 0; i < nr; i++) {
		total += r[i].size;
		j.q.nr_items += (r[i].size + PREFAULT_CHUNK - 1) / PREFAULT_CHUNK;
	}
	if (!total)
		return 0;
	progress = total >= PROGRESS_MIN && isatty(STDERR_FILENO);
	started = workers__start(th, ARRAY_SIZE(th), &j.q, prefault_worker, &j);
	if (!progress) {
		prefault_worker(&j);
	} else {
		/* The calling thread reports; the workers populate. */
		if (!started && pthread_create(&th[started], NULL, prefault_worker, &j) == 0)
			started++;
		if (!started) {
			prefault_worker(&j);
		} else {
			while (atomic_load(&j.done) < total && !work_queue__failed(&j.q)) {
				struct timespec ts = { 0, 250 * 1000 * 1000 };

				fprintf(stderr, "\rmirrorvm: node %u: prefaulting %s of %s ", node,
					fmt_size(atomic_load(&j.done) & ~(SZ_1G - 1), s1),
					fmt_size(total, s2));
				nanosleep(&ts, NULL);
			}
		}
	}
	workers__join(th, started);
	if (progress)
		fprintf(stderr, "\rmirrorvm: node %u: prefaulted %s%20s\n", node,
			fmt_size(total, s2), "");
	if (j.err)
		return err_set(e, "node %u: prefault=on: populating %s failed: %s", node,
			       fmt_size(total, s2), strerror(-j.err));
	return 0;
}
