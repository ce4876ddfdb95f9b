// SPDX-License-Identifier: GPL-2.0
/*
 * Flags -> guest-physical layout.  Every rule a Linux guest would otherwise
 * bend silently is checked here and reported with the flag that broke it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "layout.h"

u64 layout__block_size(u64 ram_end)
{
	u64 bz;

	/*
	 * arch/x86/mm/init_64.c probe_memory_block_size() under a hypervisor:
	 * 128 MiB below 64 GiB, else the largest power of two up to 2 GiB
	 * that divides the end of boot memory.
	 */
	if (ram_end < SZ_64G)
		return SZ_128M;
	for (bz = SZ_2G; bz > SZ_128M; bz >>= 1)
		if (IS_ALIGNED(ram_end, bz))
			break;
	return bz;
}

static int cmp_range(const void *a, const void *b)
{
	const struct addr_range *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

bool layout__is_ram(const struct layout *lay, u64 start, u64 size)
{
	u64 pos = start, end = start + size;
	unsigned int i;

	/* RAM ranges are sorted; walk them while they cover [pos, end). */
	for (i = 0; i < lay->nr_ram && pos < end; i++) {
		u64 rs = lay->ram[i].start, re = rs + lay->ram[i].size;

		if (pos >= rs && pos < re)
			pos = re;
	}
	return pos >= end;
}

u64 layout__reliable_bytes(const struct layout *lay, u64 start, u64 size)
{
	u64 end = start + size, sum = 0;
	unsigned int i;

	for (i = 0; i < lay->nr_reliable; i++) {
		u64 s = MAX(start, lay->reliable[i].start);
		u64 e = MIN(end, range_end(&lay->reliable[i]));

		if (s < e)
			sum += e - s;
	}
	return sum;
}

static int place_nodes(struct layout *lay, struct err *e)
{
	u64 addr = 0;
	unsigned int i;
	char s[32];

	for (i = 0; i < lay->nr_nodes; i++) {
		struct layout_node *n = &lay->nodes[i];
		u64 left = n->size;

		n->first_ram = lay->nr_ram;
		while (left) {
			u64 piece = left;
			struct ram_range *r;

			if (addr == PCI_HOLE_START)
				addr = PCI_HOLE_END;
			if (addr < PCI_HOLE_START)
				piece = MIN(left, PCI_HOLE_START - addr);
			r = &lay->ram[lay->nr_ram++];
			r->start = addr;
			r->size = piece;
			r->node = n->id;
			addr += piece;
			left -= piece;
			n->nr_ram++;
		}
		if (addr > GUEST_PHYS_LIMIT)
			return err_set(e, "--node id=%u: RAM would end at 0x%llx, beyond the guest's %s physical address space",
				       n->id, (unsigned long long)addr,
				       fmt_size(GUEST_PHYS_LIMIT, s));
	}
	lay->ram_end = addr;
	return 0;
}

static int check_node_sizes(const struct vm_spec *spec, struct layout *lay,
			    struct err *e)
{
	u64 total = 0;
	unsigned int i;
	char s[32];

	for (i = 0; i < lay->nr_nodes; i++) {
		const struct layout_node *n = &lay->nodes[i];
		u64 align = SZ_4K;
		const char *why = "the page size";

		if (n->host.backing == BACKING_HUGETLB2M) {
			align = SZ_2M;
			why = "its 2 MiB huge pages (backing=hugetlb2m)";
		} else if (n->host.backing == BACKING_HUGETLB1G) {
			align = SZ_1G;
			why = "its 1 GiB huge pages (backing=hugetlb1g)";
		}
		if (n->size < NODE_MIN_SIZE)
			return err_set(e, "--node id=%u: size=%s is below %s, which Linux drops as a NUMA node",
				       n->id, fmt_size(n->size, s), "4M");
		if (!IS_ALIGNED(n->size, align))
			return err_set(e, "--node id=%u: size=%s is not a multiple of %s",
				       n->id, fmt_size(n->size, s), why);
		if (total + n->size < total || total + n->size > GUEST_PHYS_LIMIT)
			return err_set(e, "--node id=%u: total RAM overflows the guest's physical address space",
				       n->id);
		total += n->size;
	}
	if (spec->memory_given && spec->nr_nodes && spec->memory != total) {
		char t[32];

		return err_set(e, "--memory %s disagrees with the nodes, which add up to %s",
			       fmt_size(spec->memory, s), fmt_size(total, t));
	}
	lay->total_ram = total;
	return 0;
}

/* @named[i]: the CPUs node i's cpus= names, as given (node order). */
static int assign_cpus(const struct idset *named, struct layout *lay, struct err *e)
{
	int owner[MAX_CPUS];
	unsigned int i, c;

	for (c = 0; c < MAX_CPUS; c++)
		owner[c] = -1;
	for (i = 0; i < lay->nr_nodes; i++) {
		for (c = 0; c < MAX_CPUS; c++) {
			if (!idset_has(&named[i], c))
				continue;
			if (c >= lay->nr_cpus)
				return err_set(e, "--node id=%u: cpus= names CPU %u, but the guest has %u CPU%s (--cpus)",
					       i, c, lay->nr_cpus, lay->nr_cpus == 1 ? "" : "s");
			if (owner[c] >= 0)
				return err_set(e, "--node id=%u: CPU %u is already in node %d",
					       i, c, owner[c]);
			owner[c] = i;
		}
	}
	for (c = 0; c < lay->nr_cpus; c++) {
		unsigned int node = owner[c] < 0 ? 0 : owner[c];

		lay->cpu_node[c] = node;
		idset_add(&lay->nodes[node].cpus, c);
	}
	return 0;
}

static int check_reliable(const struct vm_spec *spec, struct layout *lay, struct err *e)
{
	unsigned int i, j, k;
	char s[32];

	for (i = 0; i < spec->nr_reliable; i++) {
		const struct addr_range *m = &spec->reliable[i];
		u64 end = m->start + m->size;

		if (!IS_ALIGNED(m->start, SZ_4K) || !IS_ALIGNED(m->size, SZ_4K))
			return err_set(e, "--mirror %s@0x%llx: start and size must be multiples of 4K (EFI pages)",
				       fmt_size(m->size, s), (unsigned long long)m->start);
		if (!layout__is_ram(lay, m->start, m->size))
			return err_set(e, "--mirror %s@0x%llx: [0x%llx-0x%llx) is not all guest RAM (RAM ends at 0x%llx; [0xc0000000-0x100000000) is the PCI hole)",
				       fmt_size(m->size, s), (unsigned long long)m->start,
				       (unsigned long long)m->start, (unsigned long long)end,
				       (unsigned long long)lay->ram_end);
		for (j = 0; j < i; j++) {
			const struct addr_range *o = &spec->reliable[j];

			if (m->start < o->start + o->size && o->start < end)
				return err_set(e, "--mirror %s@0x%llx overlaps --mirror %s@0x%llx",
					       fmt_size(m->size, s), (unsigned long long)m->start,
					       fmt_size(o->size, s), (unsigned long long)o->start);
		}
		for (j = 0; j < lay->nr_nodes; j++) {
			const struct layout_node *n = &lay->nodes[j];

			if (!n->reliable)
				continue;
			for (k = n->first_ram; k < n->first_ram + n->nr_ram; k++) {
				const struct ram_range *r = &lay->ram[k];

				if (m->start < r->start + r->size && r->start < end)
					return err_set(e, "--mirror %s@0x%llx overlaps node %u, which is mirror=on already",
						       fmt_size(m->size, s),
						       (unsigned long long)m->start, n->id);
			}
		}
		lay->reliable[lay->nr_reliable].start = m->start;
		lay->reliable[lay->nr_reliable++].size = m->size;
	}
	for (j = 0; j < lay->nr_nodes; j++) {
		const struct layout_node *n = &lay->nodes[j];

		if (!n->reliable)
			continue;
		for (k = n->first_ram; k < n->first_ram + n->nr_ram; k++) {
			lay->reliable[lay->nr_reliable].start = lay->ram[k].start;
			lay->reliable[lay->nr_reliable++].size = lay->ram[k].size;
		}
	}
	qsort(lay->reliable, lay->nr_reliable, sizeof(lay->reliable[0]), cmp_range);
	/* Merge touching ranges so the firmware describes each once. */
	for (i = 0, j = 0; i < lay->nr_reliable; i++) {
		if (j && range_end(&lay->reliable[j - 1]) == lay->reliable[i].start)
			lay->reliable[j - 1].size += lay->reliable[i].size;
		else
			lay->reliable[j++] = lay->reliable[i];
	}
	lay->nr_reliable = j;
	return 0;
}

static int check_hotplug(struct layout *lay, struct err *e)
{
	unsigned int i, k;
	char s[32], t[32];

	lay->block_size = layout__block_size(lay->ram_end);
	for (i = 0; i < lay->nr_nodes; i++) {
		struct layout_node *n = &lay->nodes[i];

		if (!n->hotplug)
			continue;
		if (n->id == 0)
			return err_set(e, "--node id=0: hotplug=on is not possible: node 0 holds the firmware and the kernel image, and Linux never makes that node movable");
		for (k = n->first_ram; k < n->first_ram + n->nr_ram; k++) {
			const struct ram_range *r = &lay->ram[k];

			if (!IS_ALIGNED(r->start, lay->block_size) ||
			    !IS_ALIGNED(r->size, lay->block_size))
				return err_set(e, "--node id=%u: hotplug=on needs the node aligned to the guest's %s memory blocks, but its RAM [0x%llx-0x%llx) is not",
					       n->id, fmt_size(lay->block_size, s),
					       (unsigned long long)r->start,
					       (unsigned long long)(r->start + r->size));
		}
		if (!n->unplug_unit)
			n->unplug_unit = lay->block_size;
		if (!IS_ALIGNED(n->unplug_unit, lay->block_size))
			return err_set(e, "--node id=%u: unplug-unit=%s is not a multiple of the guest's %s memory blocks",
				       n->id, fmt_size(n->unplug_unit, s),
				       fmt_size(lay->block_size, t));
		/*
		 * A unit is any multiple of the block size, not only a power
		 * of two (768M is three blocks of 256M): IS_ALIGNED()'s mask
		 * would pass RAM that the units do not divide, and the last
		 * unit would run past the node's RAM.
		 */
		for (k = n->first_ram; k < n->first_ram + n->nr_ram; k++) {
			const struct ram_range *r = &lay->ram[k];

			if (r->start % n->unplug_unit || r->size % n->unplug_unit)
				return err_set(e, "--node id=%u: unplug-unit=%s does not divide the node's RAM [0x%llx-0x%llx) into aligned units",
					       n->id, fmt_size(n->unplug_unit, s),
					       (unsigned long long)r->start,
					       (unsigned long long)(r->start + r->size));
		}
	}
	return 0;
}

/* Every hotplug node's RAM, cut into its units, in address order. */
static int cut_units(struct layout *lay, struct err *e)
{
	unsigned int k;
	char s[32];

	for (k = 0; k < lay->nr_ram; k++) {
		const struct ram_range *r = &lay->ram[k];
		const struct layout_node *n = &lay->nodes[r->node];
		u64 pos;

		if (!n->hotplug)
			continue;
		for (pos = r->start; pos < r->start + r->size; pos += n->unplug_unit) {
			struct unplug_unit *u;

			if (lay->nr_units == MAX_UNITS)
				return err_set(e, "--node id=%u: the hotplug nodes have more than %d unplug units of which the firmware can describe each; give them a larger unplug-unit= (now %s)",
					       n->id, MAX_UNITS, fmt_size(n->unplug_unit, s));
			u = &lay->units[lay->nr_units++];
			u->gpa = pos;
			u->size = n->unplug_unit;
			u->node = n->id;
		}
	}
	return 0;
}

int layout__build(const struct vm_spec *spec, struct layout *lay, struct err *e)
{
	struct idset named[MAX_NODES];
	bool seen[MAX_NODES] = { false };
	unsigned int i;
	int ret;

	memset(lay, 0, sizeof(*lay));
	memset(named, 0, sizeof(named));
	lay->nr_cpus = spec->cpus;
	lay->host_mirror = spec->host_mirror;
	if (!spec->nr_nodes) {
		lay->nr_nodes = 1;
		lay->nodes[0].size = spec->memory;
		seen[0] = true;
	}
	if (spec->nr_nodes)
		lay->nr_nodes = spec->nr_nodes;
	for (i = 0; i < spec->nr_nodes; i++) {
		const struct node_spec *ns = &spec->nodes[i];
		struct layout_node *n;

		if (ns->id >= spec->nr_nodes)
			return err_set(e, "--node id=%u: node ids must run from 0 to %u without gaps (there are %u nodes)",
				       ns->id, spec->nr_nodes - 1, spec->nr_nodes);
		n = &lay->nodes[ns->id];
		n->size = ns->size;
		n->reliable = ns->reliable;
		n->hotplug = ns->hotplug;
		n->unplug_unit = ns->unplug_unit;
		n->host = ns->host;
		if (ns->keys & NODE_KEY_CPUS)
			named[ns->id] = ns->cpus;
		seen[ns->id] = true;
	}
	for (i = 0; i < lay->nr_nodes; i++) {
		if (!seen[i])
			return err_set(e, "--node: node %u is missing (ids must run from 0 to %u)",
				       i, lay->nr_nodes - 1);
		lay->nodes[i].id = i;
	}
	if ((ret = check_node_sizes(spec, lay, e)))
		return ret;
	if ((ret = place_nodes(lay, e)))
		return ret;
	if ((ret = assign_cpus(named, lay, e)))
		return ret;
	if ((ret = check_reliable(spec, lay, e)))
		return ret;
	if ((ret = check_hotplug(lay, e)))
		return ret;
	return cut_units(lay, e);
}

u64 layout__reliable_cut(const struct layout *lay, u64 pos, u64 end, bool *reliable)
{
	u64 cut = end;
	unsigned int j;

	*reliable = false;
	for (j = 0; j < lay->nr_reliable; j++) {
		u64 rs = lay->reliable[j].start, re = range_end(&lay->reliable[j]);

		if (pos >= rs && pos < re) {
			*reliable = true;
			cut = MIN(cut, re);
		} else if (rs > pos) {
			cut = MIN(cut, rs);
		}
	}
	return cut;
}

u64 layout__unit_cut(const struct layout *lay, u64 pos, u64 end, unsigned int *unit)
{
	unsigned int j;

	*unit = 0;
	for (j = 0; j < lay->nr_units; j++) {
		const struct unplug_unit *u = &lay->units[j];

		if (pos >= u->gpa && pos < u->gpa + u->size) {
			*unit = j + 1;
			return MIN(end, u->gpa + u->size);
		}
		if (u->gpa > pos)
			return MIN(end, u->gpa);	/* units are in address order */
	}
	return end;
}

const struct unplug_unit *layout__unit_at(const struct layout *lay, u64 gpa)
{
	unsigned int unit;

	layout__unit_cut(lay, gpa, gpa + 1, &unit);
	return unit ? &lay->units[unit - 1] : NULL;
}

/* "0x80000000, 0x88000000, ..." : the unit edges around @pos, for an error. */
static void unit_edges_near(const struct layout *lay, u64 pos, char *buf, size_t len)
{
	unsigned int i, first = 0, n = 0;
	size_t used = 0;

	buf[0] = '\0';
	for (i = 0; i < lay->nr_units; i++)
		if (lay->units[i].gpa + lay->units[i].size <= pos)
			first = i;
	first = first >= 2 ? first - 2 : 0;
	for (i = first; i < lay->nr_units && n < 6 && used < len; i++, n++) {
		const struct unplug_unit *u = &lay->units[i];

		used += snprintf(buf + used, len - used, "%s0x%llx-0x%llx (unit %u)", n ? ", " : "",
				 (unsigned long long)u->gpa, (unsigned long long)(u->gpa + u->size), i);
	}
	if (i < lay->nr_units && used < len)
		snprintf(buf + used, len - used, ", ...");
}

int layout__select_units(const struct layout *lay, const struct unit_selector *sel,
			 bool *units, struct err *e)
{
	char edges[512], s[32];
	unsigned int i, n = 0;
	u64 end, covered = 0;

	memset(units, 0, MAX_UNITS * sizeof(*units));
	if (!lay->nr_units)
		return err_set(e, "no node is hotplug=on: nothing can be unplugged");
	switch (sel->by) {
	case SELECT_NODE:
		for (i = 0; i < lay->nr_nodes; i++)
			if (lay->nodes[i].id == sel->node)
				break;
		if (i == lay->nr_nodes)
			return err_set(e, "node %llu: no such node", (unsigned long long)sel->node);
		if (!lay->nodes[i].hotplug)
			return err_set(e, "node %llu is not hotplug=on: its memory cannot be unplugged",
				       (unsigned long long)sel->node);
		for (i = 0; i < lay->nr_units; i++)
			if (lay->units[i].node == sel->node) {
				units[i] = true;
				n++;
			}
		return n;
	case SELECT_UNIT:
		if (sel->unit >= lay->nr_units)
			return err_set(e, "unit %llu: no such unit (units 0-%u)",
				       (unsigned long long)sel->unit, lay->nr_units - 1);
		units[sel->unit] = true;
		return 1;
	case SELECT_RANGE:
		end = sel->start + sel->size;
		if (!sel->size || end < sel->start)
			return err_set(e, "start 0x%llx, size 0x%llx: not a range",
				       (unsigned long long)sel->start, (unsigned long long)sel->size);
		for (i = 0; i < lay->nr_units; i++) {
			const struct unplug_unit *u = &lay->units[i];

			if (u->gpa >= end || u->gpa + u->size <= sel->start)
				continue;
			if (u->gpa < sel->start || u->gpa + u->size > end) {
				unit_edges_near(lay, u->gpa < sel->start ? sel->start : end, edges,
						sizeof(edges));
				return err_set(e, "[0x%llx-0x%llx) cuts unit %u [0x%llx-0x%llx) (unplug-unit=%s): a range must be whole units; unit edges there: %s",
					       (unsigned long long)sel->start, (unsigned long long)end, i,
					       (unsigned long long)u->gpa,
					       (unsigned long long)(u->gpa + u->size),
					       fmt_size(u->size, s), edges);
			}
			units[i] = true;
			covered += u->size;
			n++;
		}
		if (covered != sel->size) {
			unit_edges_near(lay, sel->start, edges, sizeof(edges));
			memset(units, 0, MAX_UNITS * sizeof(*units));
			return err_set(e, "[0x%llx-0x%llx): %s of it is not in any unplug unit; unit edges there: %s",
				       (unsigned long long)sel->start, (unsigned long long)end,
				       fmt_size(sel->size - covered, s), edges[0] ? edges : "none");
		}
		return n;
	}
	return err_set(e, "bad selector");
}

unsigned int layout__slots(const struct layout *lay, struct mem_slot *out,
			   unsigned int max)
{
	unsigned int i, n = 0;

	for (i = 0; i < lay->nr_ram; i++) {
		u64 pos = lay->ram[i].start, end = pos + lay->ram[i].size;

		while (pos < end && n < max) {
			u64 cut = layout__reliable_cut(lay, pos, end, &out[n].reliable);

			cut = layout__unit_cut(lay, pos, cut, &out[n].unit);
			out[n].gpa = pos;
			out[n].size = cut - pos;
			out[n].node = lay->ram[i].node;
			n++;
			pos = cut;
		}
	}
	return n;
}
