// SPDX-License-Identifier: GPL-2.0
/*
 * The placement report: where guest memory really is on the host, measured
 * from /proc/self/pagemap PFNs and the host's memory blocks, never from what
 * was asked for.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "host.h"
#include "json.h"

#define PM_PRESENT	(1ULL << 63)
#define PM_PFN_MASK	((1ULL << 55) - 1)
#define MAX_HOST_NODES	64
#define BATCH		4096

/* What the host's memory blocks say about a physical address. */
struct host_blocks {
	u64 block_size;
	unsigned int nr;
	int *node;		/* -1: unknown */
	char *zone;		/* 'M' Movable only, 'K' kernel zone only, '?' mixed/unknown */
};

static void load_blocks(struct host_blocks *hb)
{
	char path[512], buf[128];
	DIR *d;
	struct dirent *de;

	memset(hb, 0, sizeof(*hb));
	if (hostfs__read_str("/sys/devices/system/memory/block_size_bytes", buf, sizeof(buf)))
		return;
	hb->block_size = strtoull(buf, NULL, 16);
	snprintf(path, sizeof(path), "%s/sys/devices/system/memory", hostfs__root());
	d = opendir(path);
	if (!d || !hb->block_size) {
		if (d)
			closedir(d);
		return;
	}
	while ((de = readdir(d))) {
		unsigned int id;

		if (sscanf(de->d_name, "memory%u", &id) == 1 && id + 1 > hb->nr)
			hb->nr = id + 1;
	}
	hb->node = malloc(sizeof(int) * (hb->nr + 1));
	hb->zone = malloc(hb->nr + 1);
	if (!hb->node || !hb->zone) {
		hb->nr = 0;
		closedir(d);
		return;
	}
	memset(hb->zone, '?', hb->nr);
	for (unsigned int i = 0; i < hb->nr; i++)
		hb->node[i] = -1;
	rewinddir(d);
	while ((de = readdir(d))) {
		unsigned int id;
		DIR *bd;
		struct dirent *be;

		if (sscanf(de->d_name, "memory%u", &id) != 1)
			continue;
		snprintf(path, sizeof(path), "/sys/devices/system/memory/%s/valid_zones", de->d_name);
		if (!hostfs__read_str(path, buf, sizeof(buf))) {
			/* online blocks list their zone; "none" spans two zones */
			if (!strncmp(buf, "Movable", 7))
				hb->zone[id] = 'M';
			else if (!strncmp(buf, "Normal", 6) || !strncmp(buf, "DMA", 3))
				hb->zone[id] = strstr(buf, "Movable") ? '?' : 'K';
		}
		snprintf(path, sizeof(path), "%s/sys/devices/system/memory/%s", hostfs__root(), de->d_name);
		bd = opendir(path);
		if (!bd)
			continue;
		while ((be = readdir(bd))) {
			int n;

			if (sscanf(be->d_name, "node%d", &n) == 1)
				hb->node[id] = n;
		}
		closedir(bd);
	}
	closedir(d);
}

static bool in_ranges(const struct host_mirror *hm, u64 pa)
{
	unsigned int i;

	for (i = 0; i < hm->nr_ranges; i++)
		if (pa >= hm->ranges[i].start && pa < range_end(&hm->ranges[i]))
			return true;
	return false;
}

struct node_stats {
	u64 guest, reliable, resident, reliable_resident, mirrored, movable, zone_unknown;
	u64 host_node[MAX_HOST_NODES + 1];	/* last: unknown node */
	bool pfn_seen;
};

static int scan_slot(int pagemap, const struct ram_mapping *r, const struct host_mirror *hm,
		     const struct host_blocks *hb, struct node_stats *st, struct err *e)
{
	static u64 ent[BATCH];
	u64 pages = r->slot.size / SZ_4K, first = (u64)(uintptr_t)r->hva / SZ_4K, i = 0;

	while (i < pages) {
		size_t want = MIN((u64)BATCH, pages - i), j;
		ssize_t n = pread(pagemap, ent, want * 8, (first + i) * 8);

		if (n <= 0)
			return err_set(e, "reading /proc/self/pagemap: %s",
				       n < 0 ? strerror(errno) : "short read");
		want = n / 8;
		for (j = 0; j < want; j++) {
			u64 pfn, pa, blk;
			int node;

			if (!(ent[j] & PM_PRESENT))
				continue;
			st->resident += SZ_4K;
			if (r->slot.reliable)
				st->reliable_resident += SZ_4K;
			pfn = ent[j] & PM_PFN_MASK;
			if (!pfn)
				continue;	/* PFNs hidden: not root */
			st->pfn_seen = true;
			pa = pfn * SZ_4K;
			if (r->slot.reliable && in_ranges(hm, pa))
				st->mirrored += SZ_4K;
			blk = hb->block_size ? pa / hb->block_size : ~0ULL;
			node = blk < hb->nr ? hb->node[blk] : -1;
			st->host_node[node >= 0 && node < MAX_HOST_NODES ? node : MAX_HOST_NODES] += SZ_4K;
			if (blk < hb->nr && hb->zone[blk] == 'M')
				st->movable += SZ_4K;
			else if (blk >= hb->nr || hb->zone[blk] == '?')
				st->zone_unknown += SZ_4K;
		}
		i += want;
	}
	return 0;
}

static u64 vm_rss(void)
{
	char line[256];
	FILE *f = fopen("/proc/self/status", "r");
	unsigned long long kb = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %llu kB", &kb) == 1)
			break;
	fclose(f);
	return kb << 10;
}

static const char *method_name(enum host_mirror_method m)
{
	return m == HOST_MIRROR_MFD ? "mfd_mirror" : m == HOST_MIRROR_HUGETLB1G ? "hugetlb1g" : "none";
}

int placement__json(const struct layout *lay, const struct host_mirror *hm,
		    const struct ram_mapping *ram, unsigned int nr, struct json_writer *w,
		    struct err *e)
{
	static struct node_stats st[MAX_NODES];
	struct host_blocks hb;
	u64 rss_guest = 0, rss, unplugged[MAX_NODES] = { 0 };
	unsigned int i, n, h;
	int pagemap, ret = 0;
	bool pfns = false;
	char name[16];

	memset(st, 0, sizeof(st));
	pagemap = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (pagemap < 0)
		return err_set(e, "placement report: /proc/self/pagemap: %s", strerror(errno));
	load_blocks(&hb);
	for (i = 0; i < nr && !ret; i++) {
		struct node_stats *s = &st[ram[i].slot.node];
		u64 before = s->resident;

		/* hot-unplugged: no memory there (an inaccessible reservation) */
		if (ram[i].unplugged) {
			unplugged[ram[i].slot.node] += ram[i].slot.size;
			continue;
		}
		ret = scan_slot(pagemap, &ram[i], hm, &hb, s, e);
		/* hugetlb pages do not count in VmRSS */
		if (!(ram[i].host_mirrored && hm->method == HOST_MIRROR_HUGETLB1G) &&
		    !(lay->nodes[ram[i].slot.node].host.backing == BACKING_HUGETLB2M ||
		      lay->nodes[ram[i].slot.node].host.backing == BACKING_HUGETLB1G))
			rss_guest += s->resident - before;
		if (ram[i].slot.reliable)
			s->reliable += ram[i].slot.size;
		s->guest += ram[i].slot.size;
	}
	close(pagemap);
	rss = vm_rss();
	if (ret)
		goto out;

	for (n = 0; n < lay->nr_nodes; n++)
		pfns |= st[n].pfn_seen;
	json_object_begin(w);
	json_key(w, "host_mirror");
	json_object_begin(w);
	json_kv_string(w, "method", method_name(hm->method));
	json_kv_string(w, "why", hm->why);
	json_key(w, "ranges");
	json_array_begin(w);
	for (i = 0; i < hm->nr_ranges; i++) {
		json_array_begin(w);
		json_stringf(w, "0x%llx", (unsigned long long)hm->ranges[i].start);
		json_stringf(w, "0x%llx", (unsigned long long)range_end(&hm->ranges[i]));
		json_array_end(w);
	}
	json_array_end(w);
	json_object_end(w);
	json_kv_bool(w, "pfns_visible", pfns);
	json_key(w, "nodes");
	json_array_begin(w);
	for (n = 0; n < lay->nr_nodes; n++) {
		const struct node_stats *s = &st[n];

		json_object_begin(w);
		json_kv_u64(w, "id", n);
		json_kv_u64(w, "guest_bytes", s->guest);
		json_kv_u64(w, "reliable_bytes", s->reliable);
		json_kv_u64(w, "resident_bytes", s->resident);
		json_kv_u64(w, "reliable_resident_bytes", s->reliable_resident);
		json_kv_u64(w, "unplugged_bytes", unplugged[n]);
		json_key(w, "host_nodes");
		json_object_begin(w);
		for (h = 0; h <= MAX_HOST_NODES; h++) {
			if (!s->host_node[h])
				continue;
			if (h == MAX_HOST_NODES)
				snprintf(name, sizeof(name), "unknown");
			else
				snprintf(name, sizeof(name), "%u", h);
			json_kv_u64(w, name, s->host_node[h]);
		}
		json_object_end(w);
		/* Unknowable without PFNs or without the host's mirrored ranges. */
		if (pfns && (hm->nr_ranges || !s->reliable_resident))
			json_kv_u64(w, "mirrored_bytes", s->mirrored);
		else
			json_kv_null(w, "mirrored_bytes");
		if (pfns) {
			json_kv_u64(w, "movable_zone_bytes", s->movable);
			json_kv_u64(w, "zone_unknown_bytes", s->zone_unknown);
		} else {
			json_kv_null(w, "movable_zone_bytes");
			json_kv_null(w, "zone_unknown_bytes");
		}
		json_object_end(w);
	}
	json_array_end(w);
	json_kv_u64(w, "vmm_rss_bytes", rss);
	json_kv_u64(w, "vmm_overhead_bytes", rss > rss_guest ? rss - rss_guest : 0);
	json_object_end(w);
out:
	free(hb.node);
	free(hb.zone);
	return ret;
}

FILE *placement__open(const char *path, struct err *e)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "w") : stderr;

	if (!f)
		err_set(e, "--placement-report %s: %s", path, strerror(errno));
	return f;
}

int placement__report(const struct layout *lay, const struct host_mirror *hm,
		      const struct ram_mapping *ram, unsigned int nr, FILE *f,
		      const char *path, struct err *e)
{
	struct json_writer w;
	int ret;

	json_writer_init(&w, JSON_PRETTY);
	ret = placement__json(lay, hm, ram, nr, &w, e);
	if (!ret)
		ret = json_writer_finish(&w, e);
	if (!ret && fwrite(w.buf, 1, w.len, f) != w.len)
		ret = err_set(e, "--placement-report %s: write failed", path);
	if (f != stderr && fclose(f) && !ret)
		ret = err_set(e, "--placement-report %s: write failed", path);
	json_writer_free(&w);
	return ret;
}
