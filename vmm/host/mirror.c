// SPDX-License-Identifier: GPL-2.0
/*
 * Host mirrored memory for reliable guest ranges.  In order of preference:
 *
 * 1. A host kernel with kvm-patches: memfd_create(MFD_MIRROR) hands out
 *    pages that all lie in mirrored ranges, or fails with ENOMEM.
 * 2. A stock host booted with kernelcore=mirror: 1 GiB hugetlb pages, which
 *    Linux takes from kernel zones.  Above 4 GiB kernel zones are mirrored
 *    memory, but unmirrored memory below 4 GiB is a kernel zone too, so this
 *    is best effort; the placement report checks every page.
 * 3. Nothing: say why.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/klog.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include "host.h"

#ifndef MFD_MIRROR
#define MFD_MIRROR	0x0020U		/* kvm-patches: include/uapi/linux/memfd.h */
#endif
#ifndef MFD_HUGE_1GB
#define MFD_HUGE_1GB	(30U << 26)
#endif
#define SYSLOG_ACTION_READ_ALL	3
#define SYSLOG_ACTION_SIZE_BUFFER 10

#define HUGE_1G_DIR "/sys/kernel/mm/hugepages/hugepages-1048576kB"

static void add_range(struct host_mirror *hm, u64 start, u64 end_incl)
{
	if (hm->nr_ranges == HOST_MAX_MIRROR_RANGES)
		return;
	hm->ranges[hm->nr_ranges].start = start;
	hm->ranges[hm->nr_ranges].size = end_incl - start + 1;
	hm->nr_ranges++;
}

/*
 * /sys/kernel/mm/mirror/ranges: "0xSTART-0xEND" per line, END inclusive.
 * Returns 0 or the errno of opening it: kvm-patches v2 made it root only,
 * like the addresses of /proc/iomem.
 */
int host_mirror__read_ranges(struct host_mirror *hm)
{
	char path[512], line[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/sys/kernel/mm/mirror/ranges", hostfs__root());
	f = fopen(path, "r");
	if (!f)
		return errno;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long s, e;

		if (sscanf(line, "%llx-%llx", &s, &e) == 2 && e >= s)
			add_range(hm, s, e);
	}
	fclose(f);
	return 0;
}

/* The kernel log, from a fixture file or the syslog syscall. */
static char *read_kernel_log(void)
{
	const char *fixture = getenv("MIRRORVM_HOST_DMESG");
	char *buf;
	int len, n;

	if (fixture) {
		u8 *p;
		size_t l;
		struct err e;

		return read_file(fixture, &p, &l, &e) ? NULL : (char *)p;
	}
	len = klogctl(SYSLOG_ACTION_SIZE_BUFFER, NULL, 0);
	if (len <= 0)
		len = 1 << 20;
	buf = malloc(len + 1);
	if (!buf)
		return NULL;
	n = klogctl(SYSLOG_ACTION_READ_ALL, buf, len);
	if (n < 0) {
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	return buf;
}

/*
 * "efi: Memory: 512M/4096M mirrored memory" (efi_find_mirror) and, with
 * efi=debug, "efi: mem08: [Conventional|   |MR|...] range=[0x...-0x...]".
 */
static u64 parse_kernel_log(struct host_mirror *hm, const char *log)
{
	const char *p;
	u64 mirrored = 0;

	p = strstr(log, "efi: Memory: ");
	if (p) {
		unsigned long long x, y;

		if (sscanf(p, "efi: Memory: %lluM/%lluM mirrored memory", &x, &y) == 2)
			mirrored = x << 20;
	}
	for (p = log; (p = strstr(p, "efi: mem")); p++) {
		const char *eol = strchr(p, '\n'), *r = strstr(p, "range=[");
		unsigned long long s, e;

		if (!r || (eol && r > eol))
			continue;
		if (!memmem(p, (eol ? eol : p + strlen(p)) - p, "|MR|", 4))
			continue;
		if (sscanf(r, "range=[0x%llx-0x%llx]", &s, &e) == 2 && e >= s)
			add_range(hm, s, e);
	}
	return mirrored;
}

static bool cmdline_has(const char *word)
{
	char path[512], buf[4096];
	FILE *f;
	bool found = false;
	char *tok, *save = NULL;

	snprintf(path, sizeof(path), "%s/proc/cmdline", hostfs__root());
	f = fopen(path, "r");
	if (!f)
		return false;
	if (fgets(buf, sizeof(buf), f))
		for (tok = strtok_r(buf, " \n", &save); tok; tok = strtok_r(NULL, " \n", &save))
			found |= !strcmp(tok, word);
	fclose(f);
	return found;
}

void host_mirror__detect(struct host_mirror *hm)
{
	char *log;
	u64 mirrored;
	long huge;
	int fd;

	memset(hm, 0, sizeof(*hm));
	fd = getenv("MIRRORVM_HOST_ROOT") ? -1 :
	     memfd_create("mirrorvm-probe", MFD_CLOEXEC | MFD_MIRROR);
	if (fd >= 0) {
		int err;

		close(fd);
		hm->method = HOST_MIRROR_MFD;
		err = host_mirror__read_ranges(hm);
		if (err)
			snprintf(hm->why, sizeof(hm->why),
				 "host kernel has MFD_MIRROR (kvm-patches): every page of a reliable range comes from mirrored memory, or the start fails; /sys/kernel/mm/mirror/ranges: %s%s, so the placement report cannot check pages against the ranges",
				 strerror(err), err == EACCES ? " (root only)" : "");
		else
			snprintf(hm->why, sizeof(hm->why),
				 "host kernel has MFD_MIRROR (kvm-patches): every page of a reliable range comes from the %u mirrored ranges of /sys/kernel/mm/mirror/ranges, or the start fails",
				 hm->nr_ranges);
		return;
	}
	if (errno == ENODEV) {
		snprintf(hm->why, sizeof(hm->why),
			 "host kernel supports MFD_MIRROR but has no mirrored memory (not booted with kernelcore=mirror, or the firmware reports none)");
		return;
	}

	if (!cmdline_has("kernelcore=mirror")) {
		snprintf(hm->why, sizeof(hm->why),
			 "host has no mirrored memory for mirrorvm: its kernel has no MFD_MIRROR and was not booted with kernelcore=mirror");
		return;
	}
	log = read_kernel_log();
	mirrored = log ? parse_kernel_log(hm, log) : 0;
	free(log);
	if (!mirrored) {
		snprintf(hm->why, sizeof(hm->why),
			 "host was booted with kernelcore=mirror but its kernel log shows no mirrored memory (\"efi: Memory: XM/YM mirrored memory\")");
		hm->nr_ranges = 0;
		return;
	}
	huge = hostfs__read_long(HUGE_1G_DIR "/free_hugepages");
	if (huge <= 0) {
		snprintf(hm->why, sizeof(hm->why),
			 "host runs kernelcore=mirror with %lluM mirrored, but has no free 1 GiB huge pages: boot it with hugepagesz=1G hugepages=N so they come from mirrored kernel memory",
			 (unsigned long long)(mirrored >> 20));
		hm->nr_ranges = 0;
		return;
	}
	hm->method = HOST_MIRROR_HUGETLB1G;
	snprintf(hm->why, sizeof(hm->why),
		 "stock host with kernelcore=mirror (%lluM mirrored): reliable ranges use 1 GiB hugetlb pages (%ld free), which Linux takes from kernel zones; not guaranteed: unmirrored memory below 4 GiB is a kernel zone too%s",
		 (unsigned long long)(mirrored >> 20), huge,
		 hm->nr_ranges ? "; the placement report checks every page against the EFI map"
			       : "; boot the host with efi=debug so the placement report can check pages");
}

void host_mirror__explain_enomem(char *buf, size_t len)
{
	long free_kb = hostfs__meminfo_kb("MirrorFree");
	long reserve = hostfs__read_long("/proc/sys/vm/mirror_reserve_kbytes");
	char lim[64] = "unlimited";
	struct rlimit rl;

	if (getrlimit(RLIMIT_MEMLOCK, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
		snprintf(lim, sizeof(lim), "%llu kB", (unsigned long long)rl.rlim_cur >> 10);
	snprintf(buf, len,
		 "MirrorFree %ld kB, vm.mirror_reserve_kbytes %ld kB kept for the kernel, RLIMIT_MEMLOCK %s (MFD_MIRROR pages count against it unless CAP_IPC_LOCK, and against the memory cgroup)",
		 free_kb, reserve, lim);
}

static void *map_fd(int fd, u64 size, const char *what, struct err *e)
{
	void *p;

	if (ftruncate(fd, size)) {
		err_set(e, "%s: cannot size %llu bytes: %s", what, (unsigned long long)size,
			strerror(errno));
		return MAP_FAILED;
	}
	/* Allocate now: failing at start beats a guest page fault later. */
	if (fallocate(fd, 0, 0, size)) {
		int err = errno;
		char why[400] = "";

		if (err == ENOMEM && !strcmp(what, "MFD_MIRROR")) {
			why[0] = ';';
			why[1] = ' ';
			host_mirror__explain_enomem(why + 2, sizeof(why) - 2);
		}
		err_set(e, "%s: the host cannot provide %lluM of mirrored memory: %s%s", what,
			(unsigned long long)(size >> 20), strerror(err), why);
		return MAP_FAILED;
	}
	/*
	 * Shared, never private: a private writable mapping of an MFD_MIRROR
	 * memfd would copy written pages into unmirrored anonymous memory
	 * (kvm-patches v2 refuses it with EINVAL).
	 */
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		err_set(e, "%s: mmap: %s", what, strerror(errno));
	return p;
}

/*
 * A stock host gives no guarantee for hugetlb pages (unmirrored memory below
 * 4 GiB is a kernel zone too, and boot-time gigantic pages fall back to it),
 * so check every 1 GiB page against the host's mirrored ranges when they
 * are known, and refuse rather than back a reliable range silently with
 * unmirrored memory.
 */
static int check_hugetlb_pages(const struct host_mirror *hm, u8 *p, u64 size, struct err *e)
{
	u64 off;
	int fd;

	if (!hm->nr_ranges)
		return 0;
	fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	for (off = 0; off < size; off += SZ_1G) {
		volatile u8 *b = p + off;
		u64 ent = 0, pa;
		unsigned int i;
		bool ok = false;

		(void)*b;	/* fault the page in (it is allocated already) */
		if (pread(fd, &ent, 8, ((uintptr_t)p + off) / SZ_4K * 8) != 8 ||
		    !(ent >> 63) || !(ent & ((1ULL << 55) - 1)))
			break;	/* PFNs hidden (not root): the report says so */
		pa = (ent & ((1ULL << 55) - 1)) * SZ_4K;
		for (i = 0; i < hm->nr_ranges; i++)
			ok |= pa >= hm->ranges[i].start && pa + SZ_1G <= range_end(&hm->ranges[i]);
		if (!ok) {
			close(fd);
			return err_set(e, "the host's 1 GiB huge page at 0x%llx is not mirrored memory (a stock kernelcore=mirror host may place gigantic pages in unmirrored memory below 4 GiB); reserve them on a mirrored node, e.g. hugepages=NODE:COUNT",
				       (unsigned long long)pa);
		}
	}
	close(fd);
	return 0;
}

void *host_mirror__map(const struct host_mirror *hm, u64 size, int *memfd, struct err *e)
{
	void *p;
	int fd;

	if (memfd)
		*memfd = -1;
	switch (hm->method) {
	case HOST_MIRROR_MFD:
		fd = memfd_create("mirrorvm-reliable", MFD_CLOEXEC | MFD_MIRROR);
		if (fd < 0) {
			err_set(e, "memfd_create(MFD_MIRROR): %s", strerror(errno));
			return MAP_FAILED;
		}
		p = map_fd(fd, size, "MFD_MIRROR", e);
		if (p != MAP_FAILED && memfd)
			*memfd = fd;
		else
			close(fd);
		return p;
	case HOST_MIRROR_HUGETLB1G:
		if (!IS_ALIGNED(size, SZ_1G)) {
			err_set(e, "a reliable guest range of %lluM is not a multiple of 1 GiB, which the stock-host method (1 GiB hugetlb pages) needs",
				(unsigned long long)(size >> 20));
			return MAP_FAILED;
		}
		fd = memfd_create("mirrorvm-reliable", MFD_CLOEXEC | MFD_HUGETLB | MFD_HUGE_1GB);
		if (fd < 0) {
			err_set(e, "memfd_create(MFD_HUGETLB|MFD_HUGE_1GB): %s", strerror(errno));
			return MAP_FAILED;
		}
		p = map_fd(fd, size, "1 GiB hugetlb", e);
		close(fd);
		if (p != MAP_FAILED && check_hugetlb_pages(hm, p, size, e)) {
			munmap(p, size);
			return MAP_FAILED;
		}
		return p;
	default:
		err_set(e, "%s", hm->why);
		return MAP_FAILED;
	}
}
