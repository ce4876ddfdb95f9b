/* SPDX-License-Identifier: GPL-2.0 */
#ifndef MIRRORVM_LAYOUT_H
#define MIRRORVM_LAYOUT_H

#include "spec.h"

/*
 * The guest-physical machine: nodes laid out in id order from address 0,
 * RAM that would fall into the 32-bit hole [3 GiB, 4 GiB) continuing at
 * 4 GiB.  Everything downstream (firmware, engines, reports) reads this.
 */
#define PCI_HOLE_START		0xC0000000ULL	/* 3 GiB */
#define PCI_HOLE_END		SZ_4G
/* Guest-physical address width the engines offer (QEMU TCG: 40 bits). */
#define GUEST_PHYS_LIMIT	(1ULL << 40)
/* Linux drops NUMA nodes smaller than this (NODE_MIN_SIZE). */
#define NODE_MIN_SIZE		(4ULL << 20)

struct ram_range {
	u64 start;
	u64 size;
	unsigned int node;
};

struct layout_node {
	unsigned int id;
	u64 size;
	bool reliable;			/* the whole node (mirror=on) */
	bool hotplug;
	u64 unplug_unit;		/* hotplug nodes: the size of their units */
	struct idset cpus;
	unsigned int first_ram;		/* index into layout.ram */
	unsigned int nr_ram;		/* 1, or 2 when split by the hole */
	struct node_host host;		/* where its memory comes from */
};

/*
 * A hotplug node's RAM cut into the pieces memory-unplug takes away and
 * gives back one at a time: each is an ACPI memory device (PNP0C80), one
 * e820 entry and its own KVM slots.
 */
struct unplug_unit {
	u64 gpa;
	u64 size;
	unsigned int node;
};

/* ACPI device names M000..MFFF, and what the ACPI area holds of them. */
#define MAX_UNITS	256

struct layout {
	unsigned int nr_nodes;
	unsigned int nr_cpus;
	struct layout_node nodes[MAX_NODES];	/* index == node id */
	struct ram_range ram[MAX_NODES + 1];
	unsigned int nr_ram;
	/* Reliable guest-physical ranges, sorted and merged. */
	struct addr_range reliable[MAX_RELIABLE + MAX_NODES + 1];
	unsigned int nr_reliable;
	unsigned int cpu_node[MAX_CPUS];
	u64 total_ram;
	u64 ram_end;		/* end of the highest RAM byte: Linux's max_pfn */
	u64 block_size;		/* the guest's memory block size */
	/* Whether reliable ranges must, may or need not be host mirrored. */
	enum host_mirror_policy host_mirror;
	struct unplug_unit units[MAX_UNITS];	/* in address order */
	unsigned int nr_units;
};

/*
 * Lays @spec out; the layout copies everything it needs, so it does not
 * point into @spec.  @e names the flag (or node) that breaks a rule.
 */
int layout__build(const struct vm_spec *spec, struct layout *lay, struct err *e);
/*
 * The guest's memory block size for RAM ending at @ram_end: Linux's
 * probe_memory_block_size() under a hypervisor (arch/x86/mm/init_64.c).
 */
u64 layout__block_size(u64 ram_end);
/* Bytes of [start, start+size) that lie in reliable ranges. */
u64 layout__reliable_bytes(const struct layout *lay, u64 start, u64 size);
bool layout__is_ram(const struct layout *lay, u64 start, u64 size);

/*
 * Guest RAM cut at every reliable edge: what an engine maps, one host
 * allocation (and one KVM memory slot) per piece.
 */
struct mem_slot {
	u64 gpa;
	u64 size;
	unsigned int node;
	bool reliable;
	unsigned int unit;		/* index + 1 of its unplug unit, 0: none */
};

#define MAX_SLOTS	(2 * (MAX_RELIABLE + MAX_NODES) + 2 + MAX_UNITS)

/*
 * Where [pos, end) next changes reliability: returns the first such address
 * (or @end) and says whether [pos, cut) is reliable.
 */
u64 layout__reliable_cut(const struct layout *lay, u64 pos, u64 end, bool *reliable);
/*
 * Where [pos, end) next crosses an unplug unit's edge: returns it (or @end)
 * and the index + 1 of the unit [pos, cut) lies in, 0 for none.
 */
u64 layout__unit_cut(const struct layout *lay, u64 pos, u64 end, unsigned int *unit);
/* The unit holding guest-physical @gpa, or NULL. */
const struct unplug_unit *layout__unit_at(const struct layout *lay, u64 gpa);
unsigned int layout__slots(const struct layout *lay, struct mem_slot *out,
			   unsigned int max);

/* Which unplug units a hot-(un)plug request names. */
struct unit_selector {
	enum { SELECT_NODE, SELECT_UNIT, SELECT_RANGE } by;
	u64 node;		/* SELECT_NODE: every unit of a hotplug node */
	u64 unit;		/* SELECT_UNIT: one unit, by index */
	u64 start, size;	/* SELECT_RANGE: whole units covering exactly this */
};
/*
 * Marks the units @sel names in @units[MAX_UNITS] and returns how many,
 * or -EINVAL with @e saying why (no such node, not a hotplug node, a
 * range that cuts a unit: the message lists the unit edges near it).
 */
int layout__select_units(const struct layout *lay, const struct unit_selector *sel,
			 bool *units, struct err *e);

/* The layout as a JSON object (layout-json.c), and DIR/layout.json. */
struct json_writer;
int layout__json(const struct layout *lay, struct json_writer *w);
int layout__write_json(const struct layout *lay, const char *dir, struct err *e);
#endif
