// SPDX-License-Identifier: GPL-2.0
/*
 * struct domain -> struct vm_spec, for "mirrorvm xml2args" and "mirrorvm
 * run --domain-xml".  The libvirt elements map onto what the run flags say
 * (cells onto nodes, numatune onto host-nodes and policy, memoryBacking onto
 * backing and prefault, the metadata onto reliable and hotplug): built as
 * structs, so nothing is printed and parsed again on the way.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xml-plugin.h"
#include "domain-xml.h"
#include "layout.h"

/* The backing of guest cell @id: <hugepages> first, then <source>. */
static bool cell_backing(const struct domain *d, unsigned int id, enum mem_backing *b)
{
	const struct dom_page *pg = NULL;
	unsigned int i;

	for (i = 0; i < d->nr_pages; i++)
		if (d->pages[i].has_nodeset && idset_has(&d->pages[i].nodeset, id))
			pg = &d->pages[i];
	for (i = 0; !pg && i < d->nr_pages; i++)
		if (!d->pages[i].has_nodeset)
			pg = &d->pages[i];
	if (d->hugepages && !d->nr_pages) {
		*b = BACKING_HUGETLB2M;	/* <hugepages/>: x86's default huge page */
		return true;
	}
	if (pg && pg->size == SZ_2M) {
		*b = BACKING_HUGETLB2M;
		return true;
	}
	if (pg && pg->size == SZ_1G) {
		*b = BACKING_HUGETLB1G;
		return true;
	}
	/* A 4 KiB page, or no page: ordinary memory of the <source> type. */
	if (d->has_source) {
		*b = d->source;
		return true;
	}
	return false;
}

static void cell_node(const struct domain *d, unsigned int i, struct node_spec *n)
{
	const struct dom_cell *c = &d->cells[i];
	enum mem_backing b;

	memset(n, 0, sizeof(*n));
	n->id = i;
	n->size = c->size;
	if (c->has_cpus) {
		n->cpus = c->cpus;
		n->keys |= NODE_KEY_CPUS;
	}
	if (c->has_reliable) {
		n->reliable = c->reliable;
		n->keys |= NODE_KEY_MIRROR;
	}
	if (c->has_hotplug) {
		n->hotplug = c->hotplug;
		n->keys |= NODE_KEY_HOTPLUG;
	}
	if (c->has_unplug_unit) {
		n->unplug_unit = c->unplug_unit;
		n->keys |= NODE_KEY_UNPLUG_UNIT;
	}
	if (c->has_memnode || d->has_numa_memory) {
		n->host.has_host_nodes = true;
		n->host.host_nodes = c->has_memnode ? c->memnode_nodes : d->numa_nodes;
		n->host.policy = c->has_memnode ? c->memnode_policy : d->numa_policy;
		n->keys |= NODE_KEY_HOST_NODES | NODE_KEY_POLICY;
	}
	if (cell_backing(d, i, &b)) {
		n->host.backing = b;
		n->keys |= NODE_KEY_BACKING;
	}
	if (d->has_allocation) {
		n->host.prefault = d->prefault;
		n->keys |= NODE_KEY_PREFAULT;
	}
}

int domain__to_spec(const struct domain *d, struct vm_spec *spec, struct err *e)
{
	unsigned int i, count = d->nr_cells ? d->nr_cells : 1;
	char where[64];
	int ret;

	if (spec__set_string(&spec->kernel, d->kernel, e) ||
	    spec__set_string(&spec->initrd, d->initrd, e) ||
	    spec__set_string(&spec->cmdline, d->cmdline && *d->cmdline ? d->cmdline : NULL, e))
		return -ENOMEM;
	/*
	 * Always given: libvirt reads a domain without <vcpu> as one vCPU and
	 * writes <vcpu> back (virsh dumpxml, args2xml), so the flags of a
	 * domain stay the same whoever rewrote it last.
	 */
	spec->cpus = d->has_vcpu ? d->vcpus : 1;
	spec->cpus_given = true;
	for (i = 0; i < count; i++) {
		struct node_spec n;

		cell_node(d, i, &n);
		/* A domain without cells and without node settings: --memory. */
		if (!d->nr_cells && !n.keys) {
			spec->memory = n.size;
			spec->memory_given = true;
			continue;
		}
		snprintf(where, sizeof(where), "<cell id='%u'>", i);
		ret = spec__add_node(spec, &n, false, where, e);
		if (ret)
			return ret;
	}
	for (i = 0; i < d->nr_mirrors; i++) {
		ret = spec__add_reliable(spec, &d->mirrors[i], "<mirrorvm:mirror>", e);
		if (ret)
			return ret;
	}
	if (d->has_host_mirror) {
		spec->host_mirror = d->host_mirror;
		spec->host_mirror_given = true;
	}
	return 0;
}

int domain_xml__load_spec(const char *path, bool whole, struct vm_spec *spec,
			  struct err *e)
{
	struct domain *d = xml__calloc(1, sizeof(*d));
	struct layout *lay = NULL;
	struct err sub;
	int ret;

	if (!d)
		return err_set(e, "out of memory");
	ret = domain__parse_file(path, d, e);
	if (ret)
		goto out;
	ret = domain__to_spec(d, spec, &sub);
	if (ret) {
		err_set(e, "%s: %s", path, sub.msg);
		goto out;
	}
	if (whole) {
		lay = xml__malloc(sizeof(*lay));
		if (!lay) {
			ret = err_set(e, "out of memory");
			goto out;
		}
		ret = layout__build(spec, lay, &sub);
		if (ret) {
			err_set(e, "%s: the domain does not fit mirrorvm: %s", path, sub.msg);
			goto out;
		}
	}
	if (d->ignored[0])
		warn("%s: ignored, as they do not change the guest's memory: %s", path,
		     d->ignored);
out:
	free(lay);
	domain__free(d);
	free(d);
	return ret;
}

int xml_load_run_spec(const char *path, struct vm_spec *spec, struct err *e)
{
	return domain_xml__load_spec(path, false, spec, e);
}
