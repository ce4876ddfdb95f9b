/* SPDX-License-Identifier: GPL-2.0 */
#ifndef MIRRORVM_CONFIG_H
#define MIRRORVM_CONFIG_H

#include <stdio.h>

#include "util.h"

/*
 * Limits of what the firmware tables carry: xAPIC MADT/SRAT entries hold
 * 8-bit APIC ids (0xff is broadcast), and the firmware area below 1 MiB
 * holds SLIT, SRAT and the EFI map for this many nodes and ranges.
 */
#define MAX_CPUS	255
#define MAX_NODES	64
#define MAX_MIRRORS	128

#define DEFAULT_MEMORY	(512ULL << 20)

enum engine_kind { ENGINE_AUTO, ENGINE_KVM, ENGINE_QEMU };
enum qemu_accel { ACCEL_AUTO, ACCEL_TCG, ACCEL_KVM };
enum mem_policy { POLICY_NONE, POLICY_BIND, POLICY_PREFERRED, POLICY_INTERLEAVE };
enum mem_backing { BACKING_ANON, BACKING_MEMFD, BACKING_HUGETLB2M, BACKING_HUGETLB1G };
enum host_mirror_policy { HOST_MIRROR_PREFERRED, HOST_MIRROR_REQUIRED, HOST_MIRROR_OFF };

/* Which keys a --node flag spelled out (for args2xml and overrides). */
enum node_key {
	NODE_KEY_CPUS		= 1 << 0,
	NODE_KEY_MIRROR		= 1 << 1,
	NODE_KEY_HOTPLUG	= 1 << 2,
	NODE_KEY_HOST_NODES	= 1 << 3,
	NODE_KEY_POLICY		= 1 << 4,
	NODE_KEY_BACKING	= 1 << 5,
	NODE_KEY_PREFAULT	= 1 << 6,
};

struct node_config {
	unsigned int id;
	u64 size;
	struct idset cpus;		/* guest CPUs; valid with NODE_KEY_CPUS */
	bool mirror;			/* whole node reliable */
	bool hotplug;			/* SRAT Hot Pluggable */
	struct idset host_nodes;	/* valid with NODE_KEY_HOST_NODES */
	enum mem_policy policy;
	enum mem_backing backing;
	bool prefault;
	unsigned int keys;		/* enum node_key */
};

struct mirror_config {
	u64 start;
	u64 size;
};

struct vm_config {
	const char *kernel;
	const char *initrd;
	const char *cmdline;
	unsigned int cpus;
	bool cpus_given;
	u64 memory;
	bool memory_given;

	struct node_config nodes[MAX_NODES];
	unsigned int nr_nodes;
	struct mirror_config mirrors[MAX_MIRRORS];
	unsigned int nr_mirrors;

	enum engine_kind engine;
	enum qemu_accel qemu_accel;
	enum host_mirror_policy host_mirror;
	bool host_mirror_given;
	const char *qemu_binary;
	const char *dump_dir;
	const char *domain_xml;
	const char *placement_report;

	/*
	 * Set while parsing flags that come after --domain-xml's: a --node
	 * with an id already present replaces that node, the first --mirror
	 * replaces the inherited list, scalar flags simply win.
	 */
	bool override_pass;
	bool mirrors_overridden;
};

void config__init(struct vm_config *cfg);
/*
 * config__parse_run - parse "mirrorvm run" flags (argv[0] is not a flag).
 * Returns 0, 1 when --help was asked, or -EINVAL with @e naming the flag.
 * Syntax only: cross-checks happen in layout__build().
 */
int config__parse_run(struct vm_config *cfg, int argc, char **argv, struct err *e);
int config__parse_node(const char *arg, struct node_config *node, struct err *e);
int config__parse_mirror(const char *arg, struct mirror_config *m, struct err *e);
/* Turns the config back into "mirrorvm run" flags, one flag per line. */
int config__format_args(const struct vm_config *cfg, char *buf, size_t len);

const char *policy_name(enum mem_policy p);
const char *backing_name(enum mem_backing b);
const char *engine_name(enum engine_kind k);
const char *host_mirror_name(enum host_mirror_policy h);

void run_usage(FILE *out);

#endif
