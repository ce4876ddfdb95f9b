// SPDX-License-Identifier: GPL-2.0
/*
 * mvm-memload: a guest workload for memory hot-unplug trials (static, raw
 * syscalls: no libnuma in the initramfs).
 *
 *   mvm-memload hold NODE MIB FILE
 *	Maps MIB of anonymous memory bound to NODE (mbind MPOL_BIND), fills
 *	every page with data derived from its index and a seed, prints
 *	"MEMLOAD hold pages=N on_node=K", and stays.  On SIGUSR1 it checks
 *	every page and appends "MEMLOAD verify pages=N bad=B on_node=K" to
 *	FILE (K: pages now on NODE, from move_pages); SIGTERM ends it.
 *   mvm-memload bound NODE PROG ARG...
 *	Runs PROG with its memory policy bound to NODE (set_mempolicy), so
 *	the tmpfs pages and page cache it creates are allocated there.
 *   mvm-memload slab NODE COUNT DIR
 *	Bound to NODE, creates COUNT empty files in DIR: inodes and dentries
 *	are slab, which memory offlining cannot move.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define PAGE		4096UL
#define MPOL_BIND	2

static volatile sig_atomic_t want_verify, want_exit;

static void on_usr1(int sig)
{
	(void)sig;
	want_verify = 1;
}

static void on_term(int sig)
{
	(void)sig;
	want_exit = 1;
}

/*
 * A page's contents: every word says which page and which word it is (and
 * the seed), so a lost, zeroed, swapped or shifted page fails its check.
 * Cheap on purpose: the trials run it under nested TCG.
 */
static void fill_page(uint64_t *p, uint64_t index, uint64_t seed)
{
	uint64_t i, base = seed ^ (index << 20);

	for (i = 0; i < PAGE / 8; i++)
		p[i] = base + i * 0x9e3779b97f4a7c15ULL;
}

static int check_page(const uint64_t *p, uint64_t index, uint64_t seed)
{
	uint64_t i, base = seed ^ (index << 20);

	for (i = 0; i < PAGE / 8; i++)
		if (p[i] != base + i * 0x9e3779b97f4a7c15ULL)
			return 0;
	return 1;
}

static int bind_task(int node)
{
	unsigned long mask[16] = { 0 };

	mask[node / 64] = 1UL << (node % 64);
	return syscall(SYS_set_mempolicy, MPOL_BIND, mask, 1024);
}

/* Pages of [p, p + n pages) now on @node. */
static unsigned long on_node(void *p, unsigned long n, int node)
{
	static void *pages[4096];
	static int status[4096];
	unsigned long done = 0, count = 0, i;

	while (done < n) {
		unsigned long k = n - done < 4096 ? n - done : 4096;

		for (i = 0; i < k; i++)
			pages[i] = (char *)p + (done + i) * PAGE;
		if (syscall(SYS_move_pages, 0, k, pages, NULL, status, 0))
			return 0;
		for (i = 0; i < k; i++)
			count += status[i] == node;
		done += k;
	}
	return count;
}

static int hold(int node, unsigned long mib, const char *file)
{
	unsigned long n = mib * 1024 * 1024 / PAGE, mask[16] = { 0 }, i, bad;
	uint64_t seed = (uint64_t)getpid() * 7919;
	char *p;
	FILE *f;

	p = mmap(NULL, n * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		printf("MEMLOAD error mmap: %s\n", strerror(errno));
		return 1;
	}
	mask[node / 64] = 1UL << (node % 64);
	if (syscall(SYS_mbind, p, n * PAGE, MPOL_BIND, mask, 1024, 0)) {
		printf("MEMLOAD error mbind: %s\n", strerror(errno));
		return 1;
	}
	for (i = 0; i < n; i++)
		fill_page((uint64_t *)(p + i * PAGE), i, seed);
	signal(SIGUSR1, on_usr1);
	signal(SIGTERM, on_term);
	printf("MEMLOAD hold pages=%lu on_node=%lu\n", n, on_node(p, n, node));
	fflush(stdout);
	while (!want_exit) {
		pause();
		if (!want_verify)
			continue;
		want_verify = 0;
		for (i = 0, bad = 0; i < n; i++)
			bad += !check_page((const uint64_t *)(p + i * PAGE), i, seed);
		f = fopen(file, "a");
		if (f) {
			fprintf(f, "MEMLOAD verify pages=%lu bad=%lu on_node=%lu\n", n, bad,
				on_node(p, n, node));
			fclose(f);
		}
	}
	return 0;
}

static int slab(int node, unsigned long count, const char *dir)
{
	char path[512];
	unsigned long i, made = 0;

	if (bind_task(node)) {
		printf("MEMLOAD error set_mempolicy: %s\n", strerror(errno));
		return 1;
	}
	for (i = 0; i < count; i++) {
		int fd;

		snprintf(path, sizeof(path), "%s/f%lu", dir, i);
		fd = open(path, O_CREAT | O_WRONLY, 0600);
		if (fd >= 0) {
			made++;
			close(fd);
		}
	}
	printf("MEMLOAD slab files=%lu\n", made);
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 5 && !strcmp(argv[1], "hold"))
		return hold(atoi(argv[2]), strtoul(argv[3], NULL, 0), argv[4]);
	if (argc >= 4 && !strcmp(argv[1], "bound")) {
		if (bind_task(atoi(argv[2]))) {
			printf("MEMLOAD error set_mempolicy: %s\n", strerror(errno));
			return 1;
		}
		execvp(argv[3], argv + 3);
		printf("MEMLOAD error exec %s: %s\n", argv[3], strerror(errno));
		return 127;
	}
	if (argc == 5 && !strcmp(argv[1], "slab"))
		return slab(atoi(argv[2]), strtoul(argv[3], NULL, 0), argv[4]);
	fprintf(stderr, "usage: mvm-memload hold NODE MIB FILE | bound NODE PROG ARG... | slab NODE COUNT DIR\n");
	return 2;
}
