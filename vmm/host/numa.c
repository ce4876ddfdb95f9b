// SPDX-License-Identifier: GPL-2.0
/*
 * The host's NUMA nodes, through libnuma: which nodes exist, how much
 * memory each has, and mbind(2) for a node's host-nodes policy.  When
 * MIRRORVM_HOST_ROOT points the host reads at test fixtures, the nodes come
 * from the fixture's /sys/devices/system/node instead: libnuma reads only
 * the real host.
 */
#include <dirent.h>
#include <errno.h>
#include <numa.h>
#include <numaif.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host.h"

/*
 * libnuma reports its own errors on stderr through these weak hooks; ours
 * come back as return values and are reported once, naming the guest node.
 */
void numa_error(char *where)
{
	(void)where;
}

void numa_warn(int num, char *fmt, ...)
{
	(void)num;
	(void)fmt;
}

static bool fixtures(void)
{
	return hostfs__root()[0] != '\0';
}

static void nodes_from_sysfs(struct idset *set)
{
	char dir[512];
	struct dirent *de;
	DIR *d;

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

void host_numa__nodes(struct idset *set)
{
	int max, id;

	memset(set, 0, sizeof(*set));
	if (fixtures() || numa_available() < 0) {
		nodes_from_sysfs(set);
		return;
	}
	max = numa_max_node();
	for (id = 0; id <= max && id < IDSET_MAX; id++)
		if (numa_bitmask_isbitset(numa_nodes_ptr, id))
			idset_add(set, id);
}

long long host_numa__node_size(unsigned int node, long long *free)
{
	long long total;

	*free = -1;
	if (fixtures() || numa_available() < 0 || node >= IDSET_MAX)
		return -1;
	total = numa_node_size64(node, free);
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
	return mbind(addr, len, mode, mask, IDSET_MAX + 1, 0) ? -errno : 0;
}
