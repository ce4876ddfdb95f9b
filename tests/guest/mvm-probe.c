// SPDX-License-Identifier: GPL-2.0
/*
 * mvm-probe: runs inside a mirrorvm guest (static, no libc beyond what
 * -static brings) and prints what Linux reports, one fact per line, for the
 * host-side checkers:
 *
 *   ZONE node=N zone=NAME start_pfn=S spanned=X present=P managed=M
 *   BLOCK id=N node=X state=online|offline zones=...
 *   NODE id=N memtotal_kb=K
 *   OFFLINE node=N blocks=B ok=K failed=F
 *
 *   OFFLINE-RANGE start=0x.. size=0x.. state=offline blocks=B ok=K failed=F
 *   ONLINE-RANGE start=0x.. size=0x.. state=STATE blocks=B ok=K failed=F
 *   MEMDEV name=PNP0C80:NN uid=U status=S blocks=B first=ID
 *   MEMDEVS count=N
 *
 * Commands (argv): zones, blocks, nodes, offline:N, offline-range:START:SIZE,
 * online-range:START:SIZE[:online|online_kernel|online_movable] (blocks
 * failing either print OFFLINE-FAIL/ONLINE-FAIL block=ID err=...),
 * memdevs (the ACPI memory devices Linux enumerated, their _STA and the
 * memory blocks bound to them), exit:STATUS.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/io.h>
#include <unistd.h>

#define MVM_STATUS_PORT 0x602

static int read_str(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	return 0;
}

static int write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, s, strlen(s));
	close(fd);
	return n < 0 ? -errno : 0;
}

static void zones(void)
{
	FILE *f = fopen("/proc/zoneinfo", "r");
	char line[512], zone[32] = "";
	long node = -1, spanned = 0, present = 0, managed = 0, start = 0;

	if (!f) {
		printf("ERROR zoneinfo: %s\n", strerror(errno));
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		long v;

		if (sscanf(line, "Node %ld, zone %31s", &node, zone) == 2)
			continue;
		if (sscanf(line, " spanned %ld", &v) == 1)
			spanned = v;
		else if (sscanf(line, " present %ld", &v) == 1)
			present = v;
		else if (sscanf(line, " managed %ld", &v) == 1)
			managed = v;
		else if (sscanf(line, " start_pfn: %ld", &v) == 1) {
			start = v;
			/* start_pfn closes each zone's block in 6.12 */
			printf("ZONE node=%ld zone=%s start_pfn=%ld spanned=%ld present=%ld managed=%ld\n",
			       node, zone, start, spanned, present, managed);
		}
	}
	fclose(f);
}

/* The node a memory block belongs to: its nodeN link. */
static int block_node(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int node = -1;

	if (!d)
		return -1;
	while ((de = readdir(d)))
		if (!strncmp(de->d_name, "node", 4) && de->d_name[4] >= '0' && de->d_name[4] <= '9')
			node = atoi(de->d_name + 4);
	closedir(d);
	return node;
}

static int cmp_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

static int list_blocks(int *ids, int max)
{
	DIR *d = opendir("/sys/devices/system/memory");
	struct dirent *de;
	int n = 0;

	if (!d)
		return 0;
	while ((de = readdir(d)) && n < max)
		if (!strncmp(de->d_name, "memory", 6) && de->d_name[6] >= '0' && de->d_name[6] <= '9')
			ids[n++] = atoi(de->d_name + 6);
	closedir(d);
	qsort(ids, n, sizeof(int), cmp_int);
	return n;
}

static int ids[1 << 16];

static void blocks(void)
{
	char path[256], state[64], zones_buf[256], bs[64];
	int i, n = list_blocks(ids, 1 << 16);

	if (!read_str("/sys/devices/system/memory/block_size_bytes", bs, sizeof(bs)))
		printf("BLOCKSIZE bytes=0x%s\n", bs);
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "/sys/devices/system/memory/memory%d/state", ids[i]);
		if (read_str(path, state, sizeof(state)))
			strcpy(state, "?");
		snprintf(path, sizeof(path), "/sys/devices/system/memory/memory%d/valid_zones", ids[i]);
		if (read_str(path, zones_buf, sizeof(zones_buf)))
			strcpy(zones_buf, "?");
		for (char *p = zones_buf; *p; p++)
			if (*p == ' ')
				*p = '+';
		snprintf(path, sizeof(path), "/sys/devices/system/memory/memory%d", ids[i]);
		printf("BLOCK id=%d node=%d state=%s zones=%s\n", ids[i], block_node(path), state,
		       zones_buf);
	}
}

static void nodes(void)
{
	char path[128], buf[4096];
	int id;

	for (id = 0; id < 1024; id++) {
		char *p;

		snprintf(path, sizeof(path), "/sys/devices/system/node/node%d/meminfo", id);
		if (read_str(path, buf, sizeof(buf)))
			continue;
		p = strstr(buf, "MemTotal:");
		printf("NODE id=%d memtotal_kb=%ld\n", id, p ? atol(p + 9) : -1L);
	}
}

static void offline(int node)
{
	char path[256];
	int i, n = list_blocks(ids, 1 << 16), total = 0, ok = 0, failed = 0;

	for (i = 0; i < n; i++) {
		int ret;

		snprintf(path, sizeof(path), "/sys/devices/system/memory/memory%d", ids[i]);
		if (block_node(path) != node)
			continue;
		total++;
		strcat(path, "/state");
		ret = write_str(path, "offline");
		if (ret) {
			failed++;
			printf("OFFLINE-FAIL block=%d err=%s\n", ids[i], strerror(-ret));
		} else {
			ok++;
		}
	}
	printf("OFFLINE node=%d blocks=%d ok=%d failed=%d\n", node, total, ok, failed);
}

/*
 * Writes @state ("offline", "online", "online_kernel", "online_movable") to
 * the memory blocks covering [start, start + size) and reports as @kind,
 * each failure as a @fail line.
 */
static void range_state(const char *kind, const char *fail, const char *state,
			unsigned long long start, unsigned long long size)
{
	char path[256], bs[64];
	unsigned long long block, id;
	int ok = 0, failed = 0, total = 0;

	if (read_str("/sys/devices/system/memory/block_size_bytes", bs, sizeof(bs))) {
		printf("ERROR no memory blocks\n");
		return;
	}
	block = strtoull(bs, NULL, 16);
	for (id = start / block; id * block < start + size; id++) {
		int ret;

		total++;
		snprintf(path, sizeof(path), "/sys/devices/system/memory/memory%llu/state", id);
		ret = write_str(path, state);
		if (ret) {
			failed++;
			printf("%s block=%llu err=%s\n", fail, id, strerror(-ret));
		} else {
			ok++;
		}
	}
	printf("%s start=0x%llx size=0x%llx state=%s blocks=%d ok=%d failed=%d\n", kind, start, size,
	       state, total, ok, failed);
}

static void memdevs(void)
{
	DIR *d = opendir("/sys/bus/acpi/devices");
	struct dirent *de;
	int count = 0;

	while (d && (de = readdir(d))) {
		char path[512], uid[64] = "?", sta[64] = "?";
		int nblocks = 0, first = -1;
		struct dirent *le;
		DIR *dev;

		if (strncmp(de->d_name, "PNP0C80:", 8))
			continue;
		count++;
		snprintf(path, sizeof(path), "/sys/bus/acpi/devices/%s/uid", de->d_name);
		read_str(path, uid, sizeof(uid));
		snprintf(path, sizeof(path), "/sys/bus/acpi/devices/%s/status", de->d_name);
		read_str(path, sta, sizeof(sta));
		/* acpi_memhotplug links each bound block as physical_nodeN */
		snprintf(path, sizeof(path), "/sys/bus/acpi/devices/%s", de->d_name);
		dev = opendir(path);
		while (dev && (le = readdir(dev))) {
			char link[800], target[512];
			ssize_t n;
			const char *b;

			if (strncmp(le->d_name, "physical_node", 13))
				continue;
			snprintf(link, sizeof(link), "%s/%s", path, le->d_name);
			n = readlink(link, target, sizeof(target) - 1);
			if (n < 0)
				continue;
			target[n] = '\0';
			b = strstr(target, "/memory/memory");
			if (!b)
				continue;
			nblocks++;
			if (first < 0 || atoi(b + 14) < first)
				first = atoi(b + 14);
		}
		if (dev)
			closedir(dev);
		printf("MEMDEV name=%s uid=%s status=%s blocks=%d first=%d\n", de->d_name, uid, sta,
		       nblocks, first);
	}
	if (d)
		closedir(d);
	printf("MEMDEVS count=%d\n", count);
}

static void guest_exit(int status)
{
	fflush(stdout);
	sync();
	if (ioperm(MVM_STATUS_PORT, 1, 1)) {
		printf("ERROR ioperm: %s\n", strerror(errno));
		return;
	}
	outb(status, MVM_STATUS_PORT);
	for (;;)
		pause();
}

int main(int argc, char **argv)
{
	int i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (i = 1; i < argc; i++) {
		const char *c = argv[i];

		if (!strcmp(c, "zones"))
			zones();
		else if (!strcmp(c, "blocks"))
			blocks();
		else if (!strcmp(c, "nodes"))
			nodes();
		else if (!strcmp(c, "memdevs"))
			memdevs();
		else if (!strncmp(c, "offline:", 8))
			offline(atoi(c + 8));
		else if (!strncmp(c, "offline-range:", 14)) {
			char *end;
			unsigned long long st = strtoull(c + 14, &end, 0);

			range_state("OFFLINE-RANGE", "OFFLINE-FAIL", "offline", st,
				    *end == ':' ? strtoull(end + 1, NULL, 0) : 0);
		} else if (!strncmp(c, "online-range:", 13)) {
			/* online-range:START:SIZE[:STATE], STATE online by default */
			char *end, *how;
			unsigned long long st = strtoull(c + 13, &end, 0);
			unsigned long long sz = *end == ':' ? strtoull(end + 1, &how, 0) : 0;

			range_state("ONLINE-RANGE", "ONLINE-FAIL",
				    *end == ':' && *how == ':' ? how + 1 : "online", st, sz);
		} else if (!strncmp(c, "exit:", 5))
			guest_exit(atoi(c + 5));
		else
			printf("ERROR unknown probe command '%s'\n", c);
	}
	return 0;
}
