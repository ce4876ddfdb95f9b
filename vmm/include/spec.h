/* SPDX-License-Identifier: GPL-2.0 */
#ifndef MIRRORVM_SPEC_H
#define MIRRORVM_SPEC_H

/*
 * The guest description: what the guest is (kernel, CPUs, nodes, reliable
 * ranges) and where its memory lives on the host (backing, host nodes, the
 * host-mirror policy).  "mirrorvm run" flags and libvirt domains both become
 * one of these; layout__build() turns it into the machine.  How a run is made
 * (engine, QEMU binary, dump directory, report file) is not here but in
 * struct run_opts (cli.h).
 *
 * Words: "reliable" is the guest side (EFI_MEMORY_MORE_RELIABLE ranges the
 * guest is told about); "mirrored" is the host side (physical memory that
 * Address Range Mirroring protects).  The flags keep their historical names
 * (--mirror, mirror=on) for reliable guest ranges.
 */
#include "util.h"

/*
 * Limits of what the firmware tables carry: xAPIC MADT/SRAT entries hold
 * 8-bit APIC ids (0xff is broadcast), and the firmware area below 1 MiB
 * holds SLIT, SRAT and the EFI map for this many nodes and ranges.
 */
#define MAX_CPUS	255
#define MAX_NODES	64
#define MAX_RELIABLE	128	/* --mirror ranges */

#define DEFAULT_MEMORY	(512ULL << 20)

enum mem_policy { POLICY_NONE, POLICY_BIND, POLICY_PREFERRED, POLICY_INTERLEAVE };
enum mem_backing { BACKING_ANON, BACKING_MEMFD, BACKING_HUGETLB2M, BACKING_HUGETLB1G };
enum host_mirror_policy { HOST_MIRROR_PREFERRED, HOST_MIRROR_REQUIRED, HOST_MIRROR_OFF };

/* Which keys a node spelled out (args2xml, xml2args, overrides). */
enum node_key {
	NODE_KEY_CPUS		= 1 << 0,
	NODE_KEY_MIRROR		= 1 << 1,
	NODE_KEY_HOTPLUG	= 1 << 2,
	NODE_KEY_HOST_NODES	= 1 << 3,
	NODE_KEY_POLICY		= 1 << 4,
	NODE_KEY_BACKING	= 1 << 5,
	NODE_KEY_PREFAULT	= 1 << 6,
	NODE_KEY_UNPLUG_UNIT	= 1 << 7,
};

/* Where a guest node's memory comes from on the host. */
struct node_host {
	enum mem_backing backing;
	bool prefault;			/* populate before the guest starts */
	bool has_host_nodes;
	struct idset host_nodes;	/* with has_host_nodes */
	enum mem_policy policy;		/* with has_host_nodes: bind unless given */
};

struct node_spec {
	unsigned int id;
	u64 size;
	struct idset cpus;		/* guest CPUs; with NODE_KEY_CPUS */
	bool reliable;			/* mirror=on: the whole node is reliable */
	bool hotplug;			/* SRAT Hot Pluggable */
	u64 unplug_unit;		/* with NODE_KEY_UNPLUG_UNIT; else the block size */
	struct node_host host;
	unsigned int keys;		/* enum node_key */
};

struct vm_spec {
	char *kernel;			/* owned; NULL when not given */
	char *initrd;
	char *cmdline;			/* NULL is the empty command line */
	unsigned int cpus;
	bool cpus_given;
	u64 memory;			/* the single node's size without nodes */
	bool memory_given;

	struct node_spec nodes[MAX_NODES];	/* in the order given */
	unsigned int nr_nodes;
	struct addr_range reliable[MAX_RELIABLE];	/* --mirror ranges */
	unsigned int nr_reliable;

	enum host_mirror_policy host_mirror;
	bool host_mirror_given;
};

void spec__init(struct vm_spec *spec);
void spec__free(struct vm_spec *spec);
/* Replaces an owned string of @spec with a copy of @value (NULL clears). */
int spec__set_string(char **field, const char *value, struct err *e);

static inline const char *spec__cmdline(const struct vm_spec *spec)
{
	return spec->cmdline ? spec->cmdline : "";
}

/*
 * Checks what a node says on its own (ids, CPU and host-node numbers, keys
 * that need each other), with @where naming the node's source in messages.
 * Whole-machine rules (sizes, overlaps, alignment) are layout__build()'s.
 */
int spec__check_node(const struct node_spec *n, const char *where, struct err *e);
int spec__check_reliable(const struct addr_range *r, const char *where, struct err *e);
/*
 * Adds @n, or replaces the node with the same id when @replace is set;
 * otherwise a repeated id is an error naming @where.
 */
int spec__add_node(struct vm_spec *spec, const struct node_spec *n, bool replace,
		   const char *where, struct err *e);
int spec__add_reliable(struct vm_spec *spec, const struct addr_range *r,
		       const char *where, struct err *e);

/* Names of the enums, as the flags spell them. */
const char *policy_name(enum mem_policy p);
const char *backing_name(enum mem_backing b);
const char *host_mirror_name(enum host_mirror_policy h);
/* Name -> value (-1 when unknown); @first skips leading names. */
int policy_lookup(const char *name);
int backing_lookup(const char *name);
int host_mirror_lookup(const char *name);

/* A growing argv: argv[0] a placeholder, NULL-terminated. */
struct flag_list {
	char **argv;
	int argc;
	int cap;
};

int flags__add(struct flag_list *f, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void flags__free(struct flag_list *f);

/*
 * The "mirrorvm run" flags that describe @spec, one "--flag=value" word
 * each, in a fixed order: what xml2args prints and what round trips read.
 */
int spec__to_flags(const struct vm_spec *spec, struct flag_list *f, struct err *e);

#endif
