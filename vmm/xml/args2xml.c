// SPDX-License-Identifier: GPL-2.0
/*
 * "mirrorvm args2xml": run flags -> struct vm_spec -> a libvirt domain
 * (type kvm, direct kernel boot, mirrorvm's <metadata>) that xml2args turns
 * back into the same flags.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "xml-plugin.h"
#include "domain-xml.h"
#include "layout.h"

/* The node keys libvirt has no XML for: <mirrorvm:cell> carries them. */
#define NODE_KEYS_IN_META	(NODE_KEY_MIRROR | NODE_KEY_HOTPLUG | NODE_KEY_UNPLUG_UNIT)

static void put_escaped(FILE *out, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", out); break;
		case '<': fputs("&lt;", out); break;
		case '>': fputs("&gt;", out); break;
		case '\'': fputs("&apos;", out); break;
		case '"': fputs("&quot;", out); break;
		default: fputc(*s, out);
		}
	}
}

/* "size='512' unit='MiB'"-style: the largest unit that divides @v. */
static const char *size_unit(u64 v, u64 *n)
{
	static const char *const units[] = { "TiB", "GiB", "MiB", "KiB" };
	int i;

	for (i = 0; i < 4; i++) {
		unsigned int shift = 10 * (4 - i);

		if (v && !(v & ((1ULL << shift) - 1))) {
			*n = v >> shift;
			return units[i];
		}
	}
	*n = v;
	return "b";
}

static void put_text_el(FILE *out, const char *indent, const char *el, const char *v)
{
	fprintf(out, "%s<%s>", indent, el);
	put_escaped(out, v);
	fprintf(out, "</%s>\n", el);
}

static void put_size_el(FILE *out, const char *el, u64 bytes)
{
	u64 n;
	const char *u = size_unit(bytes, &n);

	fprintf(out, "  <%s unit='%s'>%llu</%s>\n", el, u, (unsigned long long)n, el);
}

/* libvirt's allocation and source apply to every cell; refuse what differs. */
static int check_domain_wide(const struct vm_spec *spec, bool *prefault_set,
			     bool *prefault, int *source, struct err *e)
{
	unsigned int i, on = 0, keyed = 0, memfd = 0, plain = 0, anon = 0;
	int first_memfd = -1, first_plain = -1, first_off = -1, first_on = -1;

	for (i = 0; i < spec->nr_nodes; i++) {
		const struct node_spec *n = &spec->nodes[i];
		bool huge = (n->keys & NODE_KEY_BACKING) && (n->host.backing == BACKING_HUGETLB2M ||
							     n->host.backing == BACKING_HUGETLB1G);

		if ((n->keys & NODE_KEY_PREFAULT) && n->host.prefault) {
			on++;
			if (first_on < 0)
				first_on = n->id;
		} else if (first_off < 0) {
			first_off = n->id;
		}
		if (n->keys & NODE_KEY_PREFAULT)
			keyed++;
		if (huge)
			continue;
		if ((n->keys & NODE_KEY_BACKING) && n->host.backing == BACKING_MEMFD) {
			memfd++;
			if (first_memfd < 0)
				first_memfd = n->id;
		} else {
			plain++;
			if (first_plain < 0)
				first_plain = n->id;
			if (n->keys & NODE_KEY_BACKING)
				anon++;
		}
	}
	if (on && on != spec->nr_nodes)
		return err_set(e, "--node id=%d has prefault=on but --node id=%d does not: libvirt's <memoryBacking><allocation mode='immediate'/> covers the whole domain",
			       first_on, first_off);
	if (memfd && plain)
		return err_set(e, "--node id=%d has backing=memfd but --node id=%d does not: libvirt's <memoryBacking><source type='memfd'/> covers every cell without huge pages",
			       first_memfd, first_plain);
	*prefault_set = keyed;
	*prefault = on;
	*source = memfd ? BACKING_MEMFD : anon ? BACKING_ANON : -1;
	return 0;
}

static void put_pages(FILE *out, const struct vm_spec *spec, enum mem_backing b,
		      u64 kib)
{
	struct idset set = { { 0 } };
	char list[512];
	unsigned int i;

	for (i = 0; i < spec->nr_nodes; i++)
		if ((spec->nodes[i].keys & NODE_KEY_BACKING) && spec->nodes[i].host.backing == b)
			idset_add(&set, spec->nodes[i].id);
	if (idset_empty(&set))
		return;
	idset_format(&set, list, sizeof(list));
	fprintf(out, "      <page size='%llu' unit='KiB' nodeset='%s'/>\n",
		(unsigned long long)kib, list);
}

int domain__write_xml(const struct vm_spec *spec, const char *name, FILE *out,
		      struct err *e)
{
	bool prefault_set = false, prefault = false, huge = false, meta = false, tune = false;
	unsigned int i;
	int source = -1, ret;
	u64 total = 0, n;
	char list[512];

	/* Refused up front: XML cannot carry them, or xml2args reads back others. */
	if ((ret = domain__check_text("--name", name, e)) ||
	    (spec->kernel && (ret = domain__check_text("--kernel", spec->kernel, e))) ||
	    (spec->initrd && (ret = domain__check_text("--initrd", spec->initrd, e))) ||
	    (spec->cmdline && (ret = domain__check_text("--cmdline", spec->cmdline, e))))
		return ret;
	if ((ret = check_domain_wide(spec, &prefault_set, &prefault, &source, e)))
		return ret;
	for (i = 0; i < spec->nr_nodes; i++) {
		const struct node_spec *nc = &spec->nodes[i];

		total += nc->size;
		huge |= (nc->keys & NODE_KEY_BACKING) && (nc->host.backing == BACKING_HUGETLB2M ||
							   nc->host.backing == BACKING_HUGETLB1G);
		meta |= !!(nc->keys & NODE_KEYS_IN_META);
		tune |= !!(nc->keys & NODE_KEY_HOST_NODES);
	}
	if (!spec->nr_nodes)
		total = spec->memory;
	meta |= spec->nr_reliable || spec->host_mirror_given;

	fputs("<domain type='kvm'>\n", out);
	put_text_el(out, "  ", "name", name);
	if (meta) {
		fprintf(out, "  <metadata>\n    <%s:domain xmlns:%s='%s'>\n",
			MIRRORVM_XMLNS_PREFIX, MIRRORVM_XMLNS_PREFIX, MIRRORVM_XMLNS);
		for (i = 0; i < spec->nr_nodes; i++) {
			const struct node_spec *nc = &spec->nodes[i];

			if (!(nc->keys & NODE_KEYS_IN_META))
				continue;
			fprintf(out, "      <%s:cell id='%u'", MIRRORVM_XMLNS_PREFIX, nc->id);
			if (nc->keys & NODE_KEY_MIRROR)
				fprintf(out, " reliable='%s'", nc->reliable ? "yes" : "no");
			if (nc->keys & NODE_KEY_HOTPLUG)
				fprintf(out, " hotplug='%s'", nc->hotplug ? "yes" : "no");
			if (nc->keys & NODE_KEY_UNPLUG_UNIT) {
				const char *u = size_unit(nc->unplug_unit, &n);

				fprintf(out, " unplug-unit='%llu' unit='%s'", (unsigned long long)n, u);
			}
			fputs("/>\n", out);
		}
		for (i = 0; i < spec->nr_reliable; i++) {
			const char *u = size_unit(spec->reliable[i].size, &n);

			fprintf(out, "      <%s:mirror start='0x%llx' size='%llu' unit='%s'/>\n",
				MIRRORVM_XMLNS_PREFIX,
				(unsigned long long)spec->reliable[i].start,
				(unsigned long long)n, u);
		}
		if (spec->host_mirror_given)
			fprintf(out, "      <%s:host-mirror policy='%s'/>\n", MIRRORVM_XMLNS_PREFIX,
				host_mirror_name(spec->host_mirror));
		fprintf(out, "    </%s:domain>\n  </metadata>\n", MIRRORVM_XMLNS_PREFIX);
	}
	put_size_el(out, "memory", total);
	put_size_el(out, "currentMemory", total);
	if (huge || source >= 0 || prefault_set) {
		fputs("  <memoryBacking>\n", out);
		if (huge) {
			fputs("    <hugepages>\n", out);
			put_pages(out, spec, BACKING_HUGETLB2M, 2048);
			put_pages(out, spec, BACKING_HUGETLB1G, 1048576);
			fputs("    </hugepages>\n", out);
		}
		if (source >= 0)
			fprintf(out, "    <source type='%s'/>\n",
				source == BACKING_MEMFD ? "memfd" : "anonymous");
		if (prefault_set)
			fprintf(out, "    <allocation mode='%s'/>\n",
				prefault ? "immediate" : "ondemand");
		fputs("  </memoryBacking>\n", out);
	}
	fprintf(out, "  <vcpu placement='static'>%u</vcpu>\n", spec->cpus);
	if (tune) {
		static const char *const modes[] = {
			[POLICY_NONE] = "strict", [POLICY_BIND] = "strict",
			[POLICY_PREFERRED] = "preferred", [POLICY_INTERLEAVE] = "interleave",
		};

		fputs("  <numatune>\n", out);
		for (i = 0; i < spec->nr_nodes; i++) {
			const struct node_spec *nc = &spec->nodes[i];

			if (!(nc->keys & NODE_KEY_HOST_NODES))
				continue;
			idset_format(&nc->host.host_nodes, list, sizeof(list));
			fprintf(out, "    <memnode cellid='%u' mode='%s' nodeset='%s'/>\n",
				nc->id, modes[nc->host.policy], list);
		}
		fputs("  </numatune>\n", out);
	}
	fputs("  <os>\n    <type arch='x86_64'>hvm</type>\n", out);
	if (spec->kernel)
		put_text_el(out, "    ", "kernel", spec->kernel);
	if (spec->initrd)
		put_text_el(out, "    ", "initrd", spec->initrd);
	if (spec->cmdline && *spec->cmdline)
		put_text_el(out, "    ", "cmdline", spec->cmdline);
	fputs("  </os>\n", out);
	if (spec->nr_nodes) {
		fputs("  <cpu>\n    <numa>\n", out);
		for (i = 0; i < spec->nr_nodes; i++) {
			const struct node_spec *nc = &spec->nodes[i];
			const char *u = size_unit(nc->size, &n);

			fprintf(out, "      <cell id='%u'", nc->id);
			if (nc->keys & NODE_KEY_CPUS) {
				idset_format(&nc->cpus, list, sizeof(list));
				fprintf(out, " cpus='%s'", list);
			}
			fprintf(out, " memory='%llu' unit='%s'/>\n", (unsigned long long)n, u);
		}
		fputs("    </numa>\n  </cpu>\n", out);
	}
	fputs("</domain>\n", out);
	return 0;
}

static int args2xml_load(const char *path, struct vm_spec *spec, struct err *e)
{
	return domain_xml__load_spec(path, false, spec, e);
}

static void args2xml_usage(FILE *out)
{
	fputs("usage: mirrorvm args2xml [--name NAME] RUN-FLAGS...\n"
	      "\n"
	      "Prints a libvirt domain (type kvm, direct kernel boot, mirrorvm's\n"
	      "<metadata>) for \"mirrorvm run\" flags; xml2args turns it back into the\n"
	      "same flags.  With --domain-xml FILE, later flags override that domain.\n"
	      "See docs/mirrorvm-xml.md.\n", out);
}

int xml_cmd_args2xml(int argc, char **argv)
{
	struct vm_spec spec;
	struct run_opts opts;
	struct layout *lay = xml__malloc(sizeof(*lay));
	const char *name = "mirrorvm";
	char runtime[256];
	struct err e = { "" };
	char **av = argv;
	int ac = argc, ret;

	if (ac > 2 && !strcmp(av[1], "--name")) {
		name = av[2];
		av[2] = av[0];
		av += 2;
		ac -= 2;
	} else if (ac > 1 && !strncmp(av[1], "--name=", 7)) {
		name = av[1] + 7;
		av[1] = av[0];
		av += 1;
		ac -= 1;
	}
	if (!*name || strchr(name, '/')) {
		fprintf(stderr, "mirrorvm: args2xml: --name '%s': libvirt names are non-empty and have no '/'\n",
			name);
		free(lay);
		return 1;
	}
	ret = cli__parse_spec(ac, av, args2xml_load, &spec, &opts, &e);
	if (ret == 1) {
		args2xml_usage(stdout);
		ret = 0;
		goto out;
	}
	if (!ret && opts.restore_dir)
		ret = err_set(&e, "--restore %s: a snapshot's guest has no flags to convert here",
			      opts.restore_dir);
	if (!ret && !lay)
		ret = err_set(&e, "out of memory");
	if (!ret)
		ret = layout__build(&spec, lay, &e);
	if (ret)
		goto fail;
	cli__run_opts_given(&opts, runtime, sizeof(runtime));
	if (runtime[0])
		warn("args2xml: not in the domain, give them to mirrorvm run: %s", runtime);
	ret = domain__write_xml(&spec, name, stdout, &e);
	if (ret)
		goto fail;
	if (fflush(stdout)) {
		perror("mirrorvm: args2xml: stdout");
		ret = 1;
	}
	goto out;
fail:
	fprintf(stderr, "mirrorvm: args2xml: %s\n", e.msg);
	ret = 1;
out:
	spec__free(&spec);
	free(lay);
	return ret;
}
