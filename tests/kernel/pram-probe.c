// SPDX-License-Identifier: GPL-2.0
/*
 * In a guest of the patched kernel: memfds handed to the next kernel
 * through /dev/pram (kvm-patches 0015), for tests/kernel/pram-test.sh.
 *
 *   pram-probe preserve MIB [--ballast]
 *	fills a plain memfd (token 1) and an MFD_MIRROR memfd (token 2) of
 *	MIB MiB each with a pattern (the plain one has a 1 MiB hole after
 *	it), records their pages' PFNs in a third memfd (token 3) and
 *	preserves all three, after the refusals; with --ballast also a
 *	memfd (token 4, never retrieved) of all free memory but 320 MiB, so
 *	that kexec must place its segments around preserved memory
 *   pram-probe retrieve [--mirror-refused]
 *	gets them back: same size, same data, same PFNs, the mirrored one
 *	still in mirrored ranges (or refused with EIO when the kernel runs
 *	without kernelcore=mirror), then frees the rest (FINISH)
 *   pram-probe none
 *	nothing was handed over: retrieving and finishing say ENOENT
 *   pram-probe forge bad-crc|bad-table KERNEL INITRD CMDLINE
 *	forges a super block in a memfd page (preserved, so that the page
 *	outlives the kexec and kexec places its segments around it), then
 *	loads KERNEL and INITRD itself and reboots into them with CMDLINE
 *	and pram= naming the forged page, where mirrorvm kexec would name
 *	the real super block: bad-crc is refused at once (checksum),
 *	bad-table passes the early checks and its corrupt table page is
 *	refused late in boot
 *
 * One "PASS ..." or "FAIL ..." line per check; exit 1 on any FAIL.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../../vmm/include/pram.h"

#ifndef MFD_MIRROR
#define MFD_MIRROR	0x0020U
#endif
#ifndef MFD_HUGETLB
#define MFD_HUGETLB	0x0004U
#endif

#define TOKEN_PLAIN	1
#define TOKEN_MIRROR	2
#define TOKEN_RECORD	3
#define TOKEN_BALLAST	4
#define TOKEN_FORGED	5
#define TOKEN_HUGETLB	6
#define RECORD_MAGIC	0x6d76702d7072616dULL
#define HOLE_BYTES	(1ULL << 20)	/* at the end of the plain memfd */

static int failures;

static void __attribute__((format(printf, 2, 3))) result(bool ok, const char *fmt, ...)
{
	va_list ap;

	printf("%s ", ok ? "PASS" : "FAIL");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	failures += !ok;
}

/* What the first kernel saw, for the second: token 3's contents */
struct record {
	uint64_t magic;
	uint64_t pages;		/* of each of the two files */
	uint64_t pfns[];	/* plain file's, then mirrored file's */
};

static uint64_t pattern(uint64_t token, uint64_t word)
{
	uint64_t x = token * 0x9e3779b97f4a7c15ULL + word + 1;

	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	return x;
}

static uint64_t *map(int fd, uint64_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* The PFN of each page of the mapping (root: /proc/self/pagemap) */
static bool pfns_of(const void *p, uint64_t pages, uint64_t *out)
{
	int fd = open("/proc/self/pagemap", O_RDONLY);
	uint64_t i;

	if (fd < 0)
		return false;
	for (i = 0; i < pages; i++) {
		uint64_t e;
		off_t off = ((uintptr_t)p / 4096 + i) * sizeof(e);

		*(volatile const char *)((const char *)p + i * 4096);
		if (pread(fd, &e, sizeof(e), off) != sizeof(e) || !(e >> 63)) {
			close(fd);
			return false;
		}
		out[i] = e & ((1ULL << 55) - 1);
	}
	close(fd);
	return true;
}

/* The host's mirrored ranges (patch 0007), as PFN ranges */
static int mirror_ranges(uint64_t (*r)[2], int max)
{
	FILE *f = fopen("/sys/kernel/mm/mirror/ranges", "r");
	unsigned long long s, e;
	int n = 0;

	if (!f)
		return -1;
	while (n < max && fscanf(f, "%llx-%llx", &s, &e) == 2) {
		r[n][0] = s / 4096;
		r[n][1] = (e + 1) / 4096;
		n++;
	}
	fclose(f);
	return n;
}

static int pram_open(void)
{
	int fd = open(PRAM_DEVICE, O_RDWR);

	if (fd < 0) {
		result(false, "open %s: %s", PRAM_DEVICE, strerror(errno));
		exit(1);
	}
	return fd;
}

static int preserve(int dev, int fd, uint64_t token)
{
	struct pram_preserve_fd a = { .fd = fd, .token = token };

	return ioctl(dev, PRAM_IOC_PRESERVE_FD, &a) ? errno : 0;
}

static int filled_memfd(uint64_t token, unsigned int flags, uint64_t len, uint64_t hole,
			uint64_t *pfns)
{
	int fd = memfd_create("pram-probe", flags);
	uint64_t *p, i;

	if (fd < 0 || ftruncate(fd, len + hole) || !(p = map(fd, len))) {
		result(false, "memfd of token %" PRIu64 " (flags %#x): %s", token, flags,
		       strerror(errno));
		exit(1);
	}
	for (i = 0; i < len / 8; i++)
		p[i] = pattern(token, i);
	if (!pfns_of(p, len / 4096, pfns)) {
		result(false, "PFNs of token %" PRIu64 ": %s", token, strerror(errno));
		exit(1);
	}
	munmap(p, len);
	return fd;
}

/* MemFree of /proc/meminfo in bytes */
static uint64_t mem_free(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	unsigned long long kb = 0;
	char line[128];

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "MemFree: %llu kB", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb << 10;
}

/*
 * Most of free memory in a preserved memfd, written with pwrite (no page
 * faults; the guest kernel has no madvise): the top of RAM, where
 * kexec_file_load puts segments first, is then preserved, and kexec has
 * to place them around it.
 */
static void preserve_ballast(int dev)
{
	static char zero[1 << 20];
	uint64_t len = (mem_free() - (320ULL << 20)) & ~((uint64_t)sizeof(zero) - 1), off;
	int fd = memfd_create("pram-ballast", 0), err;

	for (off = 0; fd >= 0 && (int64_t)len > 0 && off < len; off += sizeof(zero))
		if (pwrite(fd, zero, sizeof(zero), off) != sizeof(zero))
			break;
	if (fd < 0 || (int64_t)len <= 0 || off < len) {
		result(false, "ballast memfd of %" PRIu64 " MiB: %s", len >> 20, strerror(errno));
		return;
	}
	err = preserve(dev, fd, TOKEN_BALLAST);
	result(!err, "a ballast memfd of %" PRIu64 " MiB (all free memory but 320 MiB) preserved (%s)",
	       len >> 20, strerror(err));
	close(fd);
}

/* The next kernel gives a writable memfd back: a read-only fd is refused */
static void refuse_read_only(int dev, int fd)
{
	char path[64];
	int ro, err;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	ro = open(path, O_RDONLY);
	if (ro < 0) {
		result(false, "a read-only fd of the memfd (%s): %s", path, strerror(errno));
		return;
	}
	err = preserve(dev, ro, 9);
	result(err == EBADF, "a memfd open read-only is refused: EBADF (got %s)", strerror(err));
	close(ro);
}

/*
 * hugetlb pages belong to their own pools, which the next kernel sizes
 * anew: a hugetlb memfd is refused (EOPNOTSUPP). A kernel without
 * hugetlbfs cannot make one: said, not counted.
 */
static void refuse_hugetlb(int dev)
{
	int fd = memfd_create("pram-hugetlb", MFD_HUGETLB), err;

	if (fd < 0) {
		printf("NOTE no hugetlb memfd in this kernel (%s): its refusal not tried\n",
		       strerror(errno));
		return;
	}
	if (ftruncate(fd, 2 << 20))
		result(false, "a hugetlb memfd of 2 MiB: %s", strerror(errno));
	err = preserve(dev, fd, TOKEN_HUGETLB);
	result(err == EOPNOTSUPP, "a hugetlb memfd is refused: EOPNOTSUPP (got %s)", strerror(err));
	close(fd);
}

static int cmd_preserve(uint64_t mib, bool ballast)
{
	uint64_t len = mib << 20, pages = len / 4096;
	size_t rec_len = sizeof(struct record) + 2 * pages * sizeof(uint64_t);
	int dev = pram_open(), plain, mirror, rec_fd, pipefd[2], err;
	struct pram_retrieve_fd r = { .token = TOKEN_PLAIN };
	struct pram_finalize fin, again;
	struct record *rec;

	rec_fd = memfd_create("pram-record", 0);
	if (rec_fd < 0 || ftruncate(rec_fd, rec_len) || !(rec = (void *)map(rec_fd, rec_len))) {
		result(false, "record memfd: %s", strerror(errno));
		return 1;
	}
	rec->magic = RECORD_MAGIC;
	rec->pages = pages;
	plain = filled_memfd(TOKEN_PLAIN, 0, len, HOLE_BYTES, rec->pfns);
	mirror = filled_memfd(TOKEN_MIRROR, MFD_MIRROR, len, 0, rec->pfns + pages);

	/* refusals, before anything is preserved */
	err = ioctl(dev, PRAM_IOC_RETRIEVE_FD, &r) ? errno : 0;
	result(err == ENOENT, "nothing handed to this kernel: retrieve says ENOENT (got %s)",
	       strerror(err));
	err = ioctl(dev, PRAM_IOC_FINALIZE, &fin) ? errno : 0;
	result(err == ENODATA, "nothing preserved: finalize says ENODATA (got %s)", strerror(err));
	if (pipe(pipefd) == 0) {
		err = preserve(dev, pipefd[0], 9);
		result(err == EINVAL, "a pipe is refused: EINVAL (got %s)", strerror(err));
	}
	err = preserve(dev, plain, 0);
	result(err == EINVAL, "token 0 is refused: EINVAL (got %s)", strerror(err));
	refuse_read_only(dev, plain);
	refuse_hugetlb(dev);
	/* the same memfd twice: its pages cannot go twice; cancel drops all */
	err = preserve(dev, plain, 7) ?: preserve(dev, plain, 8);
	result(!err, "the same memfd under tokens 7 and 8 is taken (%s)", strerror(err));
	err = preserve(dev, plain, 7);
	result(err == EEXIST, "token 7 again: EEXIST (got %s)", strerror(err));
	err = ioctl(dev, PRAM_IOC_FINALIZE, &fin) ? errno : 0;
	result(err == EINVAL, "pages preserved twice: finalize says EINVAL (got %s)", strerror(err));
	err = ioctl(dev, PRAM_IOC_CANCEL) ? errno : 0;
	result(!err, "cancel drops tokens 7 and 8 (%s)", strerror(err));

	err = preserve(dev, plain, TOKEN_PLAIN) ?: preserve(dev, mirror, TOKEN_MIRROR) ?:
	      preserve(dev, rec_fd, TOKEN_RECORD);
	result(!err, "plain, MFD_MIRROR and record memfds preserved (%s)", strerror(err));
	if (ballast)
		preserve_ballast(dev);
	err = ioctl(dev, PRAM_IOC_FINALIZE, &fin) ? errno : 0;
	result(!err && fin.nr_files == 3u + ballast && fin.nr_pages >= 2 * pages,
	       "finalized: %u files, %llu pages in %u extents, %llu metadata pages, super block at pfn %#llx",
	       fin.nr_files, (unsigned long long)fin.nr_pages, fin.nr_extents,
	       (unsigned long long)fin.nr_meta_pages, (unsigned long long)fin.sb_pfn);
	err = ioctl(dev, PRAM_IOC_FINALIZE, &again) ? errno : 0;
	result(!err && again.sb_pfn == fin.sb_pfn, "finalize again gives the same super block");
	err = preserve(dev, plain, 11);
	result(err == EBUSY, "preserving after finalize: EBUSY (got %s)", strerror(err));
	printf("PRAM pages=%" PRIu64 " extents=%u meta=%llu\n", (uint64_t)fin.nr_pages,
	       fin.nr_extents, (unsigned long long)fin.nr_meta_pages);
	close(dev);
	return failures ? 1 : 0;
}

static int retrieve(int dev, uint64_t token, struct pram_retrieve_fd *r)
{
	memset(r, 0, sizeof(*r));
	r->token = token;
	r->fd = -1;
	return ioctl(dev, PRAM_IOC_RETRIEVE_FD, r) ? errno : 0;
}

static void check_file(int dev, uint64_t token, const struct record *rec, const uint64_t *want,
		       bool mirrored)
{
	uint64_t len = rec->pages * 4096, *p, *pfns, i, bad = 0, moved = 0, outside = 0;
	uint64_t hole = mirrored ? 0 : HOLE_BYTES, ranges[256][2];
	int nr = mirror_ranges(ranges, 256);
	struct pram_retrieve_fd r;
	struct stat st;
	int err = retrieve(dev, token, &r);

	result(!err && r.size == len + hole && r.flags == (mirrored ? PRAM_FD_MIRROR : 0),
	       "token %" PRIu64 " retrieved: %" PRIu64 " bytes, flags %#x (%s)", token,
	       (uint64_t)r.size, r.flags, strerror(err));
	if (err)
		return;
	/* only the written pages came over: the hole is one still */
	result(!fstat(r.fd, &st) && (uint64_t)st.st_blocks * 512 == len,
	       "token %" PRIu64 ": %llu bytes allocated, the %" PRIu64 " written (a hole stays a hole)",
	       token, (unsigned long long)st.st_blocks * 512, len);
	pfns = calloc(rec->pages, sizeof(*pfns));
	p = map(r.fd, len);
	if (!p || !pfns || !pfns_of(p, rec->pages, pfns)) {
		result(false, "token %" PRIu64 ": mapping or PFNs: %s", token, strerror(errno));
		return;
	}
	for (i = 0; i < len / 8; i++)
		bad += p[i] != pattern(token, i);
	result(!bad, "token %" PRIu64 ": every byte as the first kernel wrote it (%" PRIu64
	       " words differ)", token, bad);
	for (i = 0; i < rec->pages; i++) {
		int k;

		moved += pfns[i] != want[i];
		for (k = 0; k < nr; k++)
			if (pfns[i] >= ranges[k][0] && pfns[i] < ranges[k][1])
				break;
		outside += k == nr;
	}
	result(!moved, "token %" PRIu64 ": every page at the PFN it had (%" PRIu64 " of %" PRIu64
	       " moved)", token, moved, (uint64_t)rec->pages);
	if (mirrored)
		result(nr > 0 && !outside, "token %" PRIu64 ": every page in mirrored ranges (%" PRIu64
		       " outside %d ranges)", token, outside, nr);
	/* a memfd like any other: writable, and the write reads back */
	p[0] = ~pattern(token, 0);
	result(pread(r.fd, &i, sizeof(i), 0) == sizeof(i) && i == ~pattern(token, 0),
	       "token %" PRIu64 ": the memfd takes writes", token);
	munmap(p, len);
	close(r.fd);
	free(pfns);
}

static int cmd_retrieve(bool mirror_refused)
{
	int dev = pram_open(), err;
	struct pram_retrieve_fd r;
	struct record *rec;
	struct stat st;

	err = retrieve(dev, TOKEN_RECORD, &r);
	if (err || fstat(r.fd, &st) || !(rec = (void *)map(r.fd, st.st_size)) ||
	    rec->magic != RECORD_MAGIC) {
		result(false, "the record memfd (token 3): %s", strerror(err ?: errno));
		return 1;
	}
	result(true, "the record memfd (token 3) came back: %" PRIu64 " pages per file", rec->pages);
	check_file(dev, TOKEN_PLAIN, rec, rec->pfns, false);
	if (mirror_refused) {
		err = retrieve(dev, TOKEN_MIRROR, &r);
		result(err == EIO, "without kernelcore=mirror the MFD_MIRROR memfd is refused: EIO (got %s)",
		       strerror(err));
	} else {
		check_file(dev, TOKEN_MIRROR, rec, rec->pfns + rec->pages, true);
	}
	err = retrieve(dev, TOKEN_PLAIN, &r);
	result(err == ENOENT, "a token retrieved before: ENOENT (got %s)", strerror(err));
	err = retrieve(dev, 99, &r);
	result(err == ENOENT, "an unknown token: ENOENT (got %s)", strerror(err));
	err = ioctl(dev, PRAM_IOC_FINISH) ? errno : 0;
	result(!err, "finish frees what was not retrieved (%s)", strerror(err));
	err = ioctl(dev, PRAM_IOC_FINISH) ? errno : 0;
	result(err == ENOENT, "finish again: ENOENT (got %s)", strerror(err));
	close(dev);
	return failures ? 1 : 0;
}

static int cmd_none(void)
{
	int dev = pram_open(), err;
	struct pram_retrieve_fd r;

	err = retrieve(dev, TOKEN_PLAIN, &r);
	result(err == ENOENT, "nothing handed over: retrieve says ENOENT (got %s)", strerror(err));
	err = ioctl(dev, PRAM_IOC_FINISH) ? errno : 0;
	result(err == ENOENT, "nothing handed over: finish says ENOENT (got %s)", strerror(err));
	close(dev);
	return failures ? 1 : 0;
}

/*
 * The layout of mm/pram.c's super block and table page (PRAM_VERSION 1),
 * which are the kernel's own business: copied here only to forge them.
 */
#define PRAM_SB_MAGIC	0x31304253524d5250ULL
#define PRAM_VERSION	1

struct forged_sb {
	uint64_t magic;
	uint32_t version, crc, sb_bytes, nr_files, nr_extents, reserved;
	uint64_t nr_pages, nr_meta_pages;
	struct {
		uint64_t token, size, nr_pages, table_pfn;
		uint32_t flags, reserved;
	} files[64];
	struct {
		uint64_t start_pfn, nr_pages;
	} extents[2];
};

struct forged_table {
	uint64_t next_pfn;
	uint32_t nr, crc;
	uint64_t pfns[];
};

/* The kernel's crc32_le(~0, ...): reflected 0xedb88320, not inverted */
static uint32_t crc32_le(uint32_t crc, const void *p, size_t len)
{
	const unsigned char *b = p;
	int k;

	while (len--)
		for (crc ^= *b++, k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xedb88320U & -(crc & 1));
	return crc;
}

/* pram_crc(): the crc32 of @len bytes with the 4 at @crc_off as zeroes */
static uint32_t pram_crc(const void *p, size_t len, size_t crc_off)
{
	static const unsigned char zero[4];
	uint32_t crc = crc32_le(~0U, p, crc_off);

	crc = crc32_le(crc, zero, sizeof(zero));
	return crc32_le(crc, (const char *)p + crc_off + 4, len - crc_off - 4);
}

/*
 * bad-crc: one page, a super block whose checksum is off by one bit.
 * bad-table: a valid super block (its extents are exactly the two pages)
 * of one file whose table page, the second page, has a bad checksum.
 */
static void forge(bool bad_table, uint64_t pfns[2], char *page[2])
{
	struct forged_sb *sb = (struct forged_sb *)page[0];
	struct forged_table *t = (struct forged_table *)page[1];
	uint64_t lo = pfns[0] < pfns[1] ? pfns[0] : pfns[1];
	uint64_t hi = pfns[0] < pfns[1] ? pfns[1] : pfns[0];

	memset(page[0], 0, 4096);
	memset(page[1], 0, 4096);
	sb->magic = PRAM_SB_MAGIC;
	sb->version = PRAM_VERSION;
	sb->sb_bytes = 4096;
	if (bad_table) {
		sb->nr_files = 1;
		sb->files[0].token = TOKEN_FORGED;
		sb->files[0].size = 4096;
		sb->files[0].nr_pages = 1;
		sb->files[0].table_pfn = pfns[1];
		sb->nr_meta_pages = 2;
		if (hi == lo + 1) {
			sb->extents[0].start_pfn = lo;
			sb->extents[0].nr_pages = 2;
			sb->nr_extents = 1;
		} else {
			sb->extents[0].start_pfn = lo;
			sb->extents[0].nr_pages = 1;
			sb->extents[1].start_pfn = hi;
			sb->extents[1].nr_pages = 1;
			sb->nr_extents = 2;
		}
		t->nr = 1;
		t->pfns[0] = pfns[1];
		t->crc = pram_crc(t, 4096, offsetof(struct forged_table, crc)) ^ 1;
	} else {
		sb->nr_extents = 1;
		sb->extents[0].start_pfn = pfns[0];
		sb->extents[0].nr_pages = 1;
	}
	sb->crc = pram_crc(sb, 4096, offsetof(struct forged_sb, crc)) ^ !bad_table;
}

static int cmd_forge(const char *kind, const char *kernel, const char *initrd, const char *cmdline)
{
	bool bad_table = !strcmp(kind, "bad-table");
	int dev = pram_open(), fd, kfd, ifd, err;
	struct pram_finalize fin;
	uint64_t pfns[2];
	char line[4096];
	char *p;

	if (!bad_table && strcmp(kind, "bad-crc")) {
		fprintf(stderr, "pram-probe forge: %s: not bad-crc or bad-table\n", kind);
		return 2;
	}
	fd = memfd_create("pram-forged", 0);
	if (fd < 0 || ftruncate(fd, 2 * 4096) || !(p = (char *)map(fd, 2 * 4096)) ||
	    !pfns_of(p, 2, pfns)) {
		result(false, "forged memfd: %s", strerror(errno));
		return 1;
	}
	forge(bad_table, pfns, (char *[]){ p, p + 4096 });
	munmap(p, 2 * 4096);
	/* preserved: the page stays put and kexec keeps off it */
	err = preserve(dev, fd, TOKEN_FORGED) ?: (ioctl(dev, PRAM_IOC_FINALIZE, &fin) ? errno : 0);
	result(!err, "a forged super block (%s) at pfn %#" PRIx64 " kept over kexec (%s)", kind,
	       pfns[0], strerror(err));
	if (err)
		return 1;
	snprintf(line, sizeof(line), "%s pram=%#" PRIx64, cmdline, pfns[0]);
	kfd = open(kernel, O_RDONLY | O_CLOEXEC);
	ifd = open(initrd, O_RDONLY | O_CLOEXEC);
	if (kfd < 0 || ifd < 0 ||
	    syscall(SYS_kexec_file_load, kfd, ifd, strlen(line) + 1, line, 0UL)) {
		result(false, "kexec_file_load %s %s: %s", kernel, initrd, strerror(errno));
		return 1;
	}
	printf("FORGED kind=%s pfn=%#" PRIx64 "\n", kind, pfns[0]);
	sync();
	reboot(RB_KEXEC);
	result(false, "reboot(RB_KEXEC): %s", strerror(errno));
	return 1;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if ((argc == 3 || argc == 4) && !strcmp(argv[1], "preserve"))
		return cmd_preserve(strtoull(argv[2], NULL, 0),
				    argc == 4 && !strcmp(argv[3], "--ballast"));
	if (argc >= 2 && !strcmp(argv[1], "retrieve"))
		return cmd_retrieve(argc == 3 && !strcmp(argv[2], "--mirror-refused"));
	if (argc == 2 && !strcmp(argv[1], "none"))
		return cmd_none();
	if (argc == 6 && !strcmp(argv[1], "forge"))
		return cmd_forge(argv[2], argv[3], argv[4], argv[5]);
	fprintf(stderr, "usage: %s preserve MIB [--ballast] | retrieve [--mirror-refused] | none |\n"
		"       forge bad-crc|bad-table KERNEL INITRD CMDLINE\n", argv[0]);
	return 2;
}
