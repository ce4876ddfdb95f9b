// SPDX-License-Identifier: GPL-2.0
/*
 * The host's NUMA nodes: which nodes exist and how much memory each has
 * (sysfs), and mbind(2) for a node's host-nodes policy.
 *
 * No libnuma: these few reads and one system call are all mirrorvm needs,
 * and libnuma's constructor reads /proc/self/status and every node's
 * meminfo on each start, before main(), whether or not the guest names a
 * host node (about 1 ms, as much as the guest's memory slots cost KVM).
 * MIRRORVM_HOST_ROOT points the node list at test fixtures; node sizes are
 * then unknown, as libnuma, which read only the real host, had them.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "host.h"

static bool fixtures(void)
{
	return hostfs__root()[0] != '\0';
}

/* nodeN directories: a kernel without NUMA has none, nor the directory */
void host_numa__nodes(struct idset *set)
{
	char dir[512];
	struct dirent *de;
	DIR *d;

	memset(set, 0, sizeof(*set));
	snprintf(dir, sizeof(dir), "%s/sys/devices/system/node", hostfs__root());
	d = opendir(dir);
	while (d && (de = readdir(d))) {
		char *end;
		unsigned long id;

		if (strncmp(de->d_name, "node", 4) || de->d_name[4] < '0' || de->d_name[4] > '9')
			continue;
		id = strtoul(de->d_name + 4, &end, 10);
		if (!*end && id < IDSET_MAX)
			idset_add(set, id);
	}
	if (d)
		closedir(d);
}

/*
 * MemTotal and MemFree of /sys/devices/system/node/nodeN/meminfo, in
 * bytes ("Node 0 MemTotal:  2014048 kB"); -1 when unknown.
 */
long long host_numa__node_size(unsigned int node, long long *free)
{
	long long total = -1, kb;
	char path[128], line[256];
	unsigned int id;
	FILE *f;

	*free = -1;
	if (fixtures() || node >= IDSET_MAX)
		return -1;
	snprintf(path, sizeof(path), "/sys/devices/system/node/node%u/meminfo", node);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "Node %u MemTotal: %lld kB", &id, &kb) == 2 && id == node)
			total = kb << 10;
		else if (sscanf(line, "Node %u MemFree: %lld kB", &id, &kb) == 2 && id == node)
			*free = kb << 10;
	}
	fclose(f);
	if (total < 0)
		*free = -1;
	return total;
}

int host_numa__mbind(void *addr, u64 len, int mode, const struct idset *nodes)
{
	unsigned long mask[IDSET_MAX / (8 * sizeof(unsigned long))];
	unsigned int id;

	memset(mask, 0, sizeof(mask));
	for (id = 0; id < IDSET_MAX; id++)
		if (idset_has(nodes, id))
			mask[id / (8 * sizeof(unsigned long))] |= 1UL << (id % (8 * sizeof(unsigned long)));
	return syscall(SYS_mbind, addr, len, mode, mask, IDSET_MAX + 1, 0) ? -errno : 0;
}
