// SPDX-License-Identifier: GPL-2.0
/*
 * mirror-alloc-probe: check MFD_MIRROR memfds inside a guest running the
 * mirrorvm kernel (kvm-patches/). Build:
 *   gcc -static -O2 -Wall -Wextra -Werror -std=gnu11 -o mirror-alloc-probe mirror-alloc-probe.c
 *
 * Usage:
 *   mirror-alloc-probe [--expect-ranges START-END,...] MiB
 *   mirror-alloc-probe --expect-enomem
 *   mirror-alloc-probe --expect-limits
 *   mirror-alloc-probe --expect-migrate MIRROR_NODE PLAIN_NODE
 *   mirror-alloc-probe --expect-unsupported
 *
 * The MiB mode allocates, maps (shared), checks PFNs, MirrorFree and data,
 * and checks that private mappings are read-only for good. --expect-limits
 * checks vm.mirror_reserve_kbytes (default, MirrorFree, refusal) and the
 * RLIMIT_MEMLOCK charge of an unprivileged user. --expect-migrate moves
 * MFD_MIRROR pages with move_pages(2) to a node with mirrored memory (they
 * move and stay mirrored) and to one without (ENOMEM: no target there,
 * nothing changes).
 * One line per check, "PASS ..." or "FAIL ...". Exit 0 only if all pass.
 * Needs root for PFNs in /proc/self/pagemap.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef MFD_CLOEXEC
#define MFD_CLOEXEC 0x0001U
#endif
#ifndef MFD_MIRROR
#define MFD_MIRROR 0x0020U
#endif
/* errno of memfd_create(MFD_MIRROR) without mirrored memory */
#define MFD_MIRROR_UNSUPPORTED_ERRNO ENODEV

#define RANGES_PATH "/sys/kernel/mm/mirror/ranges"
#define MAX_RANGES 256
#define SLACK_KB (8 * 1024)	/* per-cpu lists, page tables, ... */

struct range {
	uint64_t start, end;	/* inclusive */
};

static int failures;

static void result(int ok, const char *fmt, ...)
{
	va_list ap;

	printf("%s ", ok ? "PASS" : "FAIL");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	if (!ok)
		failures++;
}

static int memfd_create_raw(const char *name, unsigned int flags)
{
	return (int)syscall(SYS_memfd_create, name, flags);
}

/* Returns the value in kB of a /proc/meminfo field, or -1 */
static long meminfo_kb(const char *field)
{
	char line[256];
	size_t len = strlen(field);
	long val = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, field, len) && line[len] == ':') {
			val = strtol(line + len + 1, NULL, 10);
			break;
		}
	}
	fclose(f);
	return val;
}

/*
 * Pages freed by the memfd go to per-cpu lists first, which MirrorFree does
 * not count; the mirrored zones are the Normal zones under kernelcore=mirror,
 * so add their per-cpu counts (/proc/zoneinfo "count:").
 */
static long normal_pcp_kb(void)
{
	char line[256], zone[32] = "";
	long pages = 0, v;
	FILE *f = fopen("/proc/zoneinfo", "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		int node;

		if (sscanf(line, "Node %d, zone %31s", &node, zone) == 2)
			continue;
		if (!strcmp(zone, "Normal") && sscanf(line, " count: %ld", &v) == 1)
			pages += v;
	}
	fclose(f);
	return pages * (sysconf(_SC_PAGESIZE) / 1024);
}

/* Parses "START-END" (hex or decimal, inclusive end) separated by sep */
static int parse_ranges(const char *text, const char *sep, struct range *r,
			int max)
{
	char *copy = strdup(text), *save = NULL, *tok;
	int n = 0;

	if (!copy)
		return -1;
	for (tok = strtok_r(copy, sep, &save); tok;
	     tok = strtok_r(NULL, sep, &save)) {
		char *end;

		while (*tok == ' ' || *tok == '\t')
			tok++;
		if (!*tok)
			continue;
		if (n == max) {
			n = -1;
			break;
		}
		errno = 0;
		r[n].start = strtoull(tok, &end, 0);
		if (errno || *end != '-') {
			n = -1;
			break;
		}
		r[n].end = strtoull(end + 1, &end, 0);
		if (errno || (*end && *end != ' ' && *end != '\t') ||
		    r[n].end < r[n].start) {
			n = -1;
			break;
		}
		n++;
	}
	free(copy);
	return n;
}

static int read_exported_ranges(struct range *r, int max)
{
	char buf[16384];
	ssize_t len;
	int fd = open(RANGES_PATH, O_RDONLY);

	if (fd < 0)
		return -1;
	len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (len < 0)
		return -1;
	buf[len] = '\0';
	return parse_ranges(buf, "\n", r, max);
}

static int in_ranges(uint64_t addr, const struct range *r, int n)
{
	for (int i = 0; i < n; i++)
		if (addr >= r[i].start && addr <= r[i].end)
			return 1;
	return 0;
}

static int test_unsupported(void)
{
	int fd = memfd_create_raw("mirror-probe", MFD_CLOEXEC | MFD_MIRROR);

	if (fd >= 0) {
		result(0, "memfd_create(MFD_MIRROR) succeeded, expected errno %d (%s)",
		       MFD_MIRROR_UNSUPPORTED_ERRNO,
		       strerror(MFD_MIRROR_UNSUPPORTED_ERRNO));
		close(fd);
	} else {
		result(errno == MFD_MIRROR_UNSUPPORTED_ERRNO,
		       "memfd_create(MFD_MIRROR) fails with errno %d (%s), expected %d (%s)",
		       errno, strerror(errno), MFD_MIRROR_UNSUPPORTED_ERRNO,
		       strerror(MFD_MIRROR_UNSUPPORTED_ERRNO));
	}
	long total = meminfo_kb("MirrorTotal"), free_kb = meminfo_kb("MirrorFree");

	result(total == 0 && free_kb == 0,
	       "/proc/meminfo MirrorTotal=%ld kB MirrorFree=%ld kB (expect 0 and 0)",
	       total, free_kb);
	return failures ? 1 : 0;
}

static int test_enomem(void)
{
	long free_kb = meminfo_kb("MirrorFree"), pcp_kb = normal_pcp_kb();
	int fd;

	result(free_kb >= 0, "/proc/meminfo MirrorFree=%ld kB", free_kb);
	if (free_kb < 0)
		return 1;
	fd = memfd_create_raw("mirror-probe", MFD_CLOEXEC | MFD_MIRROR);
	result(fd >= 0, "memfd_create(MFD_MIRROR)%s%s", fd < 0 ? ": " : "",
	       fd < 0 ? strerror(errno) : "");
	if (fd < 0)
		return 1;
	/* more than is free: must fail, never fall back to other memory */
	off_t size = (off_t)free_kb * 1024 + 256LL * 1024 * 1024;
	int ret = fallocate(fd, 0, 0, size);
	int err = errno;

	result(ret < 0 && err == ENOMEM,
	       "fallocate(%lld MiB > MirrorFree) fails with ENOMEM (ret %d, %s)",
	       (long long)(size >> 20), ret, ret < 0 ? strerror(err) : "success");
	close(fd);
	usleep(100000);
	/* freed pages may wait on per-cpu lists, which MirrorFree does not count */
	long after = meminfo_kb("MirrorFree"), pcp_after = normal_pcp_kb();

	result(after + pcp_after + SLACK_KB >= free_kb + pcp_kb,
	       "MirrorFree + per-cpu free pages back after failed fallocate: before %ld + %ld kB, after %ld + %ld kB",
	       free_kb, pcp_kb, after, pcp_after);
	/* and they can be had again: the kernel drains the lists when short */
	fd = memfd_create_raw("mirror-probe", MFD_CLOEXEC | MFD_MIRROR);
	long again_kb = free_kb - SLACK_KB;
	ret = fd >= 0 ? fallocate(fd, 0, 0, (off_t)again_kb * 1024) : -1;
	err = errno;
	result(ret == 0, "fallocate(%ld MiB, MirrorFree before less %d MiB) works again (%s)",
	       again_kb >> 10, SLACK_KB >> 10, ret ? strerror(err) : "success");
	if (fd >= 0)
		close(fd);
	return failures ? 1 : 0;
}

#define RESERVE_PATH "/proc/sys/vm/mirror_reserve_kbytes"

static long read_long(const char *path)
{
	FILE *f = fopen(path, "r");
	long v = -1;

	if (!f)
		return -1;
	if (fscanf(f, "%ld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

static int write_long(const char *path, long v)
{
	FILE *f = fopen(path, "w");
	int ok;

	if (!f)
		return -1;
	ok = fprintf(f, "%ld\n", v) > 0;
	return (fclose(f) == 0 && ok) ? 0 : -1;
}

/* fallocate() of [off, off + kb) on @fd: 0 or the errno */
static int try_fallocate(int fd, long off_kb, long kb)
{
	return fallocate(fd, 0, (off_t)off_kb * 1024, (off_t)kb * 1024) ? errno : 0;
}

/* A new MFD_MIRROR memfd with @kb allocated: 0 or the errno */
static int mirror_alloc_kb(long kb)
{
	int fd = memfd_create_raw("mirror-limit", MFD_CLOEXEC | MFD_MIRROR);
	int err;

	if (fd < 0)
		return errno;
	err = try_fallocate(fd, 0, kb);
	close(fd);
	return err;
}

/*
 * vm.mirror_reserve_kbytes: 1/32 of MirrorTotal at boot (at most 1 GiB),
 * excluded from MirrorFree, and MFD_MIRROR cannot dip into it.
 */
static void test_reserve(void)
{
	long total = meminfo_kb("MirrorTotal");
	long reserve = read_long(RESERVE_PATH);
	long expect = (total / 4 / 32 < 262144 ? total / 4 / 32 : 262144) * 4;
	long free_kb, left_kb, err;

	result(total > 0 && reserve == expect,
	       "vm.mirror_reserve_kbytes defaults to 1/32 of MirrorTotal %ld kB, at most 1 GiB: %ld kB (expect %ld)",
	       total, reserve, expect);
	if (reserve < 0)
		return;
	/* leave MFD_MIRROR 8 MiB above a raised reserve */
	free_kb = meminfo_kb("MirrorFree");
	if (write_long(RESERVE_PATH, reserve + free_kb - 8192)) {
		result(0, "raise vm.mirror_reserve_kbytes: %s", strerror(errno));
		return;
	}
	left_kb = meminfo_kb("MirrorFree");
	result(left_kb >= 0 && left_kb <= 8192 + 1024,
	       "reserve raised by %ld kB: MirrorFree %ld kB -> %ld kB (about 8 MiB left)",
	       free_kb - 8192, free_kb, left_kb);
	err = mirror_alloc_kb(32 * 1024);
	result(err == ENOMEM, "MFD_MIRROR fallocate(32 MiB) into the reserve fails with ENOMEM (%s)",
	       err ? strerror(err) : "success");
	err = mirror_alloc_kb(2 * 1024);
	result(err == 0, "MFD_MIRROR fallocate(2 MiB) above the reserve works (%s)",
	       err ? strerror(err) : "success");
	result(write_long(RESERVE_PATH, reserve) == 0 && read_long(RESERVE_PATH) == reserve,
	       "vm.mirror_reserve_kbytes restored to %ld kB", reserve);
	err = mirror_alloc_kb(32 * 1024);
	result(err == 0, "MFD_MIRROR fallocate(32 MiB) works again (%s)", err ? strerror(err) : "success");
}

/* In a child: RLIMIT_MEMLOCK 1 MiB, then user nobody (no CAP_IPC_LOCK). */
static void memlock_child(void)
{
	struct rlimit rl = { 1 << 20, 1 << 20 };
	long page = sysconf(_SC_PAGESIZE);
	unsigned char *p;
	pid_t pid;
	int fd, err, st;

	if (setrlimit(RLIMIT_MEMLOCK, &rl) || setresgid(65534, 65534, 65534) ||
	    setresuid(65534, 65534, 65534)) {
		result(0, "unprivileged child: %s", strerror(errno));
		exit(1);
	}
	fd = memfd_create_raw("mirror-memlock", MFD_CLOEXEC | MFD_MIRROR);
	result(fd >= 0, "unprivileged: memfd_create(MFD_MIRROR)%s%s", fd < 0 ? ": " : "",
	       fd < 0 ? strerror(errno) : "");
	if (fd < 0)
		exit(1);
	err = try_fallocate(fd, 0, 1024);
	result(err == 0, "unprivileged, RLIMIT_MEMLOCK 1 MiB: fallocate(1 MiB) works (%s)",
	       err ? strerror(err) : "success");
	err = try_fallocate(fd, 1024, 64);
	result(err == ENOMEM, "unprivileged: fallocate of 64 KiB more fails with ENOMEM (%s)",
	       err ? strerror(err) : "success");
	/* a fault beyond the limit through a shared mapping: SIGBUS */
	if (ftruncate(fd, 2 << 20) == 0 &&
	    (p = mmap(NULL, 2 << 20, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)) != MAP_FAILED) {
		pid = fork();
		if (pid == 0) {
			p[(1 << 20) + page] = 1;
			_exit(0);
		}
		st = 0;
		waitpid(pid, &st, 0);
		result(WIFSIGNALED(st) && WTERMSIG(st) == SIGBUS,
		       "unprivileged: a write fault beyond RLIMIT_MEMLOCK gets SIGBUS (status 0x%x)", st);
		p[0] = 1;	/* allocated already: no charge, no signal */
		munmap(p, 2 << 20);
	} else {
		result(0, "unprivileged: map 2 MiB: %s", strerror(errno));
	}
	close(fd);	/* frees the pages, uncharges them */
	err = mirror_alloc_kb(1024);
	result(err == 0, "unprivileged: after close, 1 MiB can be allocated again (%s)",
	       err ? strerror(err) : "success");
	exit(failures ? 1 : 0);
}

static void test_memlock(void)
{
	struct rlimit old, rl = { 1 << 20, 1 << 20 };
	int st = 0, err;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0)
		memlock_child();
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st))
		failures++;	/* the child printed why */
	/* root has CAP_IPC_LOCK: the limit does not apply */
	getrlimit(RLIMIT_MEMLOCK, &old);
	setrlimit(RLIMIT_MEMLOCK, &rl);
	err = mirror_alloc_kb(8 * 1024);
	setrlimit(RLIMIT_MEMLOCK, &old);
	result(err == 0, "root (CAP_IPC_LOCK), RLIMIT_MEMLOCK 1 MiB: fallocate(8 MiB) works (%s)",
	       err ? strerror(err) : "success");
}

/* PFN of the page at @addr (present, root), or 0 */
static uint64_t pfn_of(int pagemap, const void *addr)
{
	long page = sysconf(_SC_PAGESIZE);
	uint64_t ent;

	if (pread(pagemap, &ent, sizeof(ent), (off_t)((uintptr_t)addr / page) * 8) != sizeof(ent) ||
	    !(ent & (1ULL << 63)))
		return 0;
	return ent & ((1ULL << 55) - 1);
}

#define MIGRATE_PAGES 256
#ifndef MPOL_MF_MOVE
#define MPOL_MF_MOVE (1 << 1)
#endif

/*
 * move_pages(2) of @n pages at @p to @node: how many statuses say @node
 * (moved); *@ret is what the call returned (pages not migrated, or -errno:
 * on a failed migration Linux returns the count and leaves the statuses).
 */
static int move_to(unsigned char *p, long page, int n, int node, long *ret)
{
	void *pages[MIGRATE_PAGES];
	int nodes[MIGRATE_PAGES], status[MIGRATE_PAGES], moved = 0;

	for (int i = 0; i < n; i++) {
		pages[i] = p + (size_t)i * page;
		nodes[i] = node;
		status[i] = -1000;
	}
	*ret = syscall(SYS_move_pages, 0, n, pages, nodes, status, MPOL_MF_MOVE);
	if (*ret < 0)
		*ret = -errno;
	for (int i = 0; i < n; i++)
		moved += status[i] == node;
	return moved;
}

/* Pages whose PFN lies in the exported mirrored ranges; their PFNs in @pfn */
static int count_mirrored(int pm, unsigned char *p, long page, int n, uint64_t *pfn,
			  const struct range *r, int nr)
{
	int in = 0;

	for (int i = 0; i < n; i++) {
		pfn[i] = pfn_of(pm, p + (size_t)i * page);
		in += pfn[i] && in_ranges(pfn[i] * page, r, nr);
	}
	return in;
}

static int test_migrate(int mirror_node, int plain_node)
{
	struct range r[MAX_RANGES];
	long page = sysconf(_SC_PAGESIZE);
	int n = MIGRATE_PAGES, nr, fd, pm, moved, in, same, bad;
	long ret;
	uint64_t pfn0[MIGRATE_PAGES], pfn1[MIGRATE_PAGES];
	unsigned char *p;

	nr = read_exported_ranges(r, MAX_RANGES);
	fd = memfd_create_raw("mirror-migrate", MFD_CLOEXEC | MFD_MIRROR);
	pm = open("/proc/self/pagemap", O_RDONLY);
	if (nr <= 0 || fd < 0 || pm < 0 || ftruncate(fd, (off_t)n * page)) {
		result(0, "migrate setup: %d ranges, memfd %d, pagemap %d: %s", nr, fd, pm, strerror(errno));
		return 1;
	}
	p = mmap(NULL, (size_t)n * page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		result(0, "migrate: mmap: %s", strerror(errno));
		return 1;
	}
	for (int i = 0; i < n; i++)
		memset(p + (size_t)i * page, i & 0xff, page);
	in = count_mirrored(pm, p, page, n, pfn0, r, nr);
	result(in == n, "migrate: %d of %d MFD_MIRROR pages mirrored before", in, n);

	/* to a node with mirrored memory: they move and stay mirrored */
	moved = move_to(p, page, n, mirror_node, &ret);
	in = count_mirrored(pm, p, page, n, pfn1, r, nr);
	same = 0;
	for (int i = 0; i < n; i++)
		same += pfn1[i] == pfn0[i];
	result(ret == 0 && moved == n && in == n && same == 0,
	       "migrate: move_pages to node %d (mirrored memory): returns %ld, %d of %d moved, %d mirrored after, %d kept their PFN",
	       mirror_node, ret, moved, n, in, same);

	/* to a node without: no target, the pages stay where they are */
	moved = move_to(p, page, n, plain_node, &ret);
	in = count_mirrored(pm, p, page, n, pfn0, r, nr);
	same = 0;
	for (int i = 0; i < n; i++)
		same += pfn1[i] == pfn0[i];
	result(ret == -ENOMEM && moved == 0 && in == n && same == n,
	       "migrate: move_pages to node %d (no mirrored memory): returns %ld (expect -ENOMEM: no mirrored target there), %d moved, %d mirrored, %d kept their PFN",
	       plain_node, ret, moved, in, same);
	bad = 0;
	for (int i = 0; i < n; i++)
		for (long j = 0; j < page; j++)
			bad += p[(size_t)i * page + j] != (unsigned char)(i & 0xff);
	result(bad == 0, "migrate: data intact after both (%d bytes differ)", bad);
	munmap(p, (size_t)n * page);
	close(fd);
	close(pm);
	return failures ? 1 : 0;
}

static int test_limits(void)
{
	test_reserve();
	test_memlock();
	return failures ? 1 : 0;
}

/*
 * A private mapping's copy-on-write pages would be ordinary anonymous memory:
 * a writable private mapping is refused (EINVAL); a read-only one is
 * allowed, reads the memfd's pages and can be made writable neither by
 * mprotect() nor by a forced write (/proc/self/mem).
 */
static void test_private(int fd, const unsigned char *shared, long page)
{
	void *q = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);

	result(q == MAP_FAILED && errno == EINVAL,
	       "mmap MAP_PRIVATE PROT_WRITE refused with EINVAL (%s)",
	       q == MAP_FAILED ? strerror(errno) : "it was mapped");
	if (q != MAP_FAILED)
		munmap(q, page);
	q = mmap(NULL, page, PROT_READ, MAP_PRIVATE, fd, 0);
	result(q != MAP_FAILED && !memcmp(q, shared, page),
	       "mmap MAP_PRIVATE PROT_READ maps the memfd's pages (%s)",
	       q == MAP_FAILED ? strerror(errno) : "ok");
	if (q == MAP_FAILED)
		return;
	int ret = mprotect(q, page, PROT_READ | PROT_WRITE);

	result(ret && errno == EACCES,
	       "mprotect PROT_WRITE of the MAP_PRIVATE mapping refused with EACCES (%s)",
	       ret ? strerror(errno) : "it was allowed");
	/*
	 * A write through /proc/self/mem is a FOLL_FORCE access, which would
	 * copy the page on write even in a read-only private mapping.
	 */
	int mem = open("/proc/self/mem", O_RDWR);
	unsigned char byte = (unsigned char)~shared[0];
	ssize_t n = mem < 0 ? -1 : pwrite(mem, &byte, 1, (off_t)(uintptr_t)q);

	result(mem >= 0 && n != 1 && !memcmp(q, shared, page),
	       "write through /proc/self/mem to the MAP_PRIVATE mapping refused, its page unchanged (%s)",
	       mem < 0 ? strerror(errno) : n == 1 ? "it was written" : "ok");
	if (mem >= 0)
		close(mem);
	munmap(q, page);
}

static int test_alloc(long mib, const char *expect)
{
	struct range exported[MAX_RANGES], expected[MAX_RANGES];
	int nexp = 0, nexport;
	long page = sysconf(_SC_PAGESIZE);
	size_t size = (size_t)mib << 20;
	size_t npages = size / page, bad_export = 0, bad_expect = 0, nopfn = 0;
	uint64_t first_bad = 0;

	nexport = read_exported_ranges(exported, MAX_RANGES);
	result(nexport > 0, "%s lists %d mirrored ranges", RANGES_PATH, nexport);
	if (nexport <= 0)
		return 1;
	for (int i = 0; i < nexport; i++)
		printf("  mirrored 0x%" PRIx64 "-0x%" PRIx64 "\n",
		       exported[i].start, exported[i].end);
	if (expect) {
		nexp = parse_ranges(expect, ",", expected, MAX_RANGES);
		result(nexp > 0, "--expect-ranges %s parsed (%d ranges)", expect,
		       nexp);
		if (nexp <= 0)
			return 1;
		int covered = 1;

		for (int i = 0; i < nexport; i++) {
			int ok = 0;

			for (int j = 0; j < nexp; j++)
				if (exported[i].start >= expected[j].start &&
				    exported[i].end <= expected[j].end)
					ok = 1;
			covered &= ok;
		}
		result(covered, "every exported range lies in an expected range");
	}

	long free_before = meminfo_kb("MirrorFree");
	long total = meminfo_kb("MirrorTotal");

	result(free_before > mib * 1024,
	       "MirrorTotal=%ld kB MirrorFree=%ld kB, need %ld MiB", total,
	       free_before, mib);
	if (free_before <= mib * 1024)
		return 1;

	int fd = memfd_create_raw("mirror-probe", MFD_CLOEXEC | MFD_MIRROR);

	result(fd >= 0, "memfd_create(MFD_MIRROR)%s%s", fd < 0 ? ": " : "",
	       fd < 0 ? strerror(errno) : "");
	if (fd < 0)
		return 1;
	int ret = fallocate(fd, 0, 0, size);

	result(ret == 0, "fallocate %ld MiB%s%s", mib, ret ? ": " : "",
	       ret ? strerror(errno) : "");
	if (ret)
		return 1;
	unsigned char *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED,
				fd, 0);

	result(p != MAP_FAILED, "mmap MAP_SHARED %ld MiB", mib);
	if (p == MAP_FAILED)
		return 1;
	for (size_t i = 0; i < npages; i++)
		p[i * page] = (unsigned char)i;

	usleep(100000);
	long free_mid = meminfo_kb("MirrorFree");
	long fell = free_before - free_mid;

	result(fell >= mib * 1024 - SLACK_KB && fell <= mib * 1024 + SLACK_KB,
	       "MirrorFree fell by %ld kB (before %ld, after %ld), expected %ld +- %d kB",
	       fell, free_before, free_mid, mib * 1024, SLACK_KB);

	int pm = open("/proc/self/pagemap", O_RDONLY);

	result(pm >= 0, "open /proc/self/pagemap");
	if (pm >= 0) {
		for (size_t i = 0; i < npages; i++) {
			uint64_t ent;
			off_t off = (off_t)(((uintptr_t)p / page) + i) * 8;

			if (pread(pm, &ent, 8, off) != 8 ||
			    !(ent & (1ULL << 63)) ||
			    !(ent & ((1ULL << 55) - 1))) {
				nopfn++;
				continue;
			}
			uint64_t addr = (ent & ((1ULL << 55) - 1)) * (uint64_t)page;

			if (!in_ranges(addr, exported, nexport)) {
				if (!bad_export && !bad_expect)
					first_bad = addr;
				bad_export++;
			}
			if (nexp && !in_ranges(addr, expected, nexp)) {
				if (!bad_export && !bad_expect)
					first_bad = addr;
				bad_expect++;
			}
		}
		close(pm);
		result(nopfn == 0, "%zu of %zu pages have a PFN in pagemap (need root)",
		       npages - nopfn, npages);
		result(bad_export == 0,
		       "%zu pages outside the exported mirrored ranges (first 0x%" PRIx64 ")",
		       bad_export, first_bad);
		if (nexp)
			result(bad_expect == 0,
			       "%zu pages outside the expected ranges (first 0x%" PRIx64 ")",
			       bad_expect, first_bad);
	}

	size_t wrong = 0;

	for (size_t i = 0; i < npages; i++)
		if (p[i * page] != (unsigned char)i)
			wrong++;
	result(wrong == 0, "data intact in %zu pages", npages);
	test_private(fd, p, page);

	long pcp_mid = normal_pcp_kb();

	munmap(p, size);
	close(fd);
	long free_after = 0, pcp_after = 0, rose = 0;

	/* the last reference may drop a moment later (deferred fput) */
	for (int tries = 0; tries < 20; tries++) {
		usleep(100000);
		free_after = meminfo_kb("MirrorFree");
		pcp_after = normal_pcp_kb();
		rose = (free_after + pcp_after) - (free_mid + pcp_mid);
		if (rose >= mib * 1024 - SLACK_KB)
			break;
	}
	result(rose >= mib * 1024 - SLACK_KB,
	       "MirrorFree + per-cpu free pages rose by %ld kB after close (MirrorFree now %ld, before alloc %ld; per-cpu %ld -> %ld kB)",
	       rose, free_after, free_before, pcp_mid, pcp_after);
	return failures ? 1 : 0;
}

static void usage(const char *argv0)
{
	fprintf(stderr,
		"usage: %s [--expect-ranges START-END,...] MiB\n"
		"       %s --expect-enomem\n"
		"       %s --expect-limits\n"
		"       %s --expect-migrate MIRROR_NODE PLAIN_NODE\n"
		"       %s --expect-unsupported\n",
		argv0, argv0, argv0, argv0, argv0);
	exit(2);
}

int main(int argc, char **argv)
{
	const char *expect = NULL;
	int enomem = 0, limits = 0, unsupported = 0;
	int migrate = 0, mirror_node = -1, plain_node = -1;
	long mib = -1;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--expect-ranges") && i + 1 < argc) {
			expect = argv[++i];
		} else if (!strncmp(argv[i], "--expect-ranges=", 16)) {
			expect = argv[i] + 16;
		} else if (!strcmp(argv[i], "--expect-enomem")) {
			enomem = 1;
		} else if (!strcmp(argv[i], "--expect-migrate") && i + 2 < argc) {
			char *end1, *end2;

			mirror_node = strtol(argv[i + 1], &end1, 10);
			plain_node = strtol(argv[i + 2], &end2, 10);
			if (*end1 || *end2 || end1 == argv[i + 1] || end2 == argv[i + 2] ||
			    mirror_node < 0 || plain_node < 0)
				usage(argv[0]);
			i += 2;
			migrate = 1;
		} else if (!strcmp(argv[i], "--expect-limits")) {
			limits = 1;
		} else if (!strcmp(argv[i], "--expect-unsupported")) {
			unsupported = 1;
		} else if (argv[i][0] != '-') {
			char *end;

			mib = strtol(argv[i], &end, 0);
			if (*end || mib <= 0)
				usage(argv[0]);
		} else {
			usage(argv[0]);
		}
	}

	if (unsupported)
		return test_unsupported();
	if (enomem)
		return test_enomem();
	if (limits)
		return test_limits();
	if (migrate)
		return test_migrate(mirror_node, plain_node);
	if (mib <= 0)
		usage(argv[0]);
	return test_alloc(mib, expect);
}
