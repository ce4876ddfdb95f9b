/* SPDX-License-Identifier: GPL-2.0 */
#ifndef MIRRORVM_DOMAIN_XML_H
#define MIRRORVM_DOMAIN_XML_H

/*
 * libvirt domain XML <-> "mirrorvm run" flags (vmm/xml/).  The libvirt
 * elements map onto flags directly; what libvirt has no XML for (reliable
 * and hotpluggable cells, explicit reliable ranges, the host-mirror policy)
 * lives in <metadata> under MIRRORVM_XMLNS.  See libvirt-xml/README.md.
 */
#include "config.h"

#define MIRRORVM_XMLNS		"http://mirrorvm.dev/xmlns/domain/1.0"
#define MIRRORVM_XMLNS_PREFIX	"mirrorvm"

/* One guest NUMA node as the domain describes it. */
struct dom_cell {
	unsigned int id;
	u64 size;			/* bytes */
	bool has_cpus;
	struct idset cpus;
	int line;
	/* <numatune><memnode cellid=...> */
	bool has_memnode;
	enum mem_policy memnode_policy;
	struct idset memnode_nodes;
	/* <mirrorvm:cell id=...> */
	bool in_metadata;
	bool has_reliable, reliable;
	bool has_hotplug, hotplug;
};

/* <memoryBacking><hugepages><page size= nodeset=> */
struct dom_page {
	u64 size;			/* bytes: 4K, 2M or 1G */
	bool has_nodeset;
	struct idset nodeset;		/* guest cell ids */
	int line;
};

#define DOM_MAX_PAGES	8

struct domain {
	char *kernel, *initrd, *cmdline;

	bool has_vcpu;
	unsigned int vcpus;
	bool has_memory;
	u64 memory;
	bool has_current;
	u64 current;

	unsigned int nr_cells;		/* <cpu><numa><cell>, indexed by id */
	struct dom_cell cells[MAX_NODES];

	/* <numatune><memory mode= nodeset=> */
	bool has_numa_memory;
	enum mem_policy numa_policy;
	struct idset numa_nodes;
	int numa_line;

	/* <memoryBacking> */
	bool hugepages;
	unsigned int nr_pages;		/* 0 with <hugepages/>: the 2M default */
	struct dom_page pages[DOM_MAX_PAGES];
	bool has_source;
	enum mem_backing source;	/* BACKING_ANON or BACKING_MEMFD */
	bool has_allocation;
	bool prefault;

	/* <metadata><mirrorvm:domain> */
	bool has_metadata;
	struct mirror_config mirrors[MAX_MIRRORS];
	unsigned int nr_mirrors;
	bool has_host_mirror;
	enum host_mirror_policy host_mirror;

	/* Parts that do not change the guest's memory, comma-separated. */
	char ignored[1024];
};

/* domain.c: parses @path ("-" is stdin); every message starts "PATH:LINE: ". */
int domain__parse_file(const char *path, struct domain *d, struct err *e);
void domain__free(struct domain *d);

/* A growing argv of run flags, argv[0] a placeholder, NULL-terminated. */
struct flag_list {
	char **argv;
	int argc;
	int cap;
};

int flags__add(struct flag_list *f, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void flags__free(struct flag_list *f);

/*
 * flags.c: domain file -> flags, checked by config__parse_run() and, with
 * @whole, by layout__build() (run --domain-xml leaves that to the merged
 * config); the one warning line about ignored parts goes to stderr.
 */
int domain__to_flags(const struct domain *d, struct flag_list *f, struct err *e);
int domain_xml__flags(const char *path, bool whole, struct flag_list *f, struct err *e);

/* args2xml.c: the domain for @cfg, written to @out. */
int domain__write_xml(const struct vm_config *cfg, const char *name, FILE *out,
		      struct err *e);

#endif
