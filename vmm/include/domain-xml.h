/* SPDX-License-Identifier: GPL-2.0 */
#ifndef MIRRORVM_DOMAIN_XML_H
#define MIRRORVM_DOMAIN_XML_H

/*
 * libvirt domain XML <-> "mirrorvm run" flags (vmm/xml/).  The libvirt
 * elements map onto flags directly; what libvirt has no XML for (reliable
 * and hotpluggable cells, explicit reliable ranges, the host-mirror policy)
 * lives in <metadata> under MIRRORVM_XMLNS.  See libvirt-xml/README.md.
 */
#include "spec.h"

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
	bool has_unplug_unit;
	u64 unplug_unit;		/* bytes; unplug-unit= with unit= */
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
	struct addr_range mirrors[MAX_RELIABLE];
	unsigned int nr_mirrors;
	bool has_host_mirror;
	enum host_mirror_policy host_mirror;

	/* Parts that do not change the guest's memory, comma-separated. */
	char ignored[1024];
};

/*
 * The largest domain XML mirrorvm reads, in bytes (1 MiB): libvirt's own
 * domains are a few KiB, and libxml2 needs many times a document's size.
 */
#define DOMAIN_XML_MAX		(1024 * 1024)

/*
 * domain.c: parses @path ("-" is stdin; else a regular file, at most
 * DOMAIN_XML_MAX bytes); every message starts "PATH:LINE: ".
 */
int domain__parse_file(const char *path, struct domain *d, struct err *e);
void domain__free(struct domain *d);
/*
 * What a domain asks of the host, for the libvirt hook (xml2args
 * --host-needs): reliable memory (a reliable cell or a <mirrorvm:mirror>),
 * hotplug cells, the host-mirror policy, and every <numatune> nodeset (in
 * libvirt's syntax, ^N included).  Only the metadata and <numatune> are
 * read; the metadata exactly as domain__parse_file() reads it.
 */
struct host_nodeset {
	int line;
	struct idset nodes;
};

struct host_needs {
	bool reliable;
	bool hotplug;
	enum host_mirror_policy host_mirror;	/* preferred when not given */
	struct host_nodeset *nodesets;		/* in document order */
	unsigned int nr_nodesets, cap_nodesets;
};

int domain__host_needs(const char *path, struct host_needs *needs, struct err *e);
void domain__free_host_needs(struct host_needs *needs);

/*
 * What a text value (<kernel>, <initrd>, <cmdline>, <name>) may hold, read
 * by xml2args and written by args2xml alike, so that each reads back what
 * the other wrote: UTF-8 text of XML 1.0 characters without line breaks
 * (one flag per line; XML reads a carriage return back as a newline) and
 * without the control characters XML cannot carry; a tab is fine.  @what
 * names the value in the message.
 */
int domain__check_text(const char *what, const char *v, struct err *e);

/*
 * to-spec.c: domain -> guest description, built as structs.  The domain's
 * own rules are domain.c's; spec__add_node() holds each cell to the rules
 * of a --node flag.  With @whole the result must also lay out
 * (layout__build), as xml2args requires; "run --domain-xml" lays out the
 * spec only after the command line's flags are laid over it.  The one
 * warning line about ignored parts goes to stderr.
 */
int domain__to_spec(const struct domain *d, struct vm_spec *spec, struct err *e);
int domain_xml__load_spec(const char *path, bool whole, struct vm_spec *spec,
			  struct err *e);

/*
 * alloc.c: every allocation of the converter goes through these, and with
 * the hook set (MIRRORVM_XML_FAIL_ALLOC, for tests) libxml2's too; a true
 * return of the hook fails the allocation.  NULL otherwise.
 */
extern bool (*domain_xml_fail_alloc_hook)(void);
void *xml__malloc(size_t n);
void *xml__calloc(size_t n, size_t size);
void *xml__realloc(void *p, size_t n);
char *xml__strdup(const char *s);

/* args2xml.c: the domain for @spec, written to @out. */
int domain__write_xml(const struct vm_spec *spec, const char *name, FILE *out,
		      struct err *e);

#endif
