// SPDX-License-Identifier: GPL-2.0
/*
 * The guest description (spec.h): its lifetime, the checks a node or range
 * needs on its own, and its spelling as "mirrorvm run" flags.  Both the
 * flag parser (cli.c) and the libvirt converter (xml/) fill one through
 * these functions, so a guest is held to the same rules however it was
 * described.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spec.h"

static const char *const policy_names[] = {
	[POLICY_NONE] = "default", [POLICY_BIND] = "bind",
	[POLICY_PREFERRED] = "preferred", [POLICY_INTERLEAVE] = "interleave",
};
static const char *const backing_names[] = {
	[BACKING_ANON] = "anon", [BACKING_MEMFD] = "memfd",
	[BACKING_HUGETLB2M] = "hugetlb2m", [BACKING_HUGETLB1G] = "hugetlb1g",
};
static const char *const host_mirror_names[] = {
	[HOST_MIRROR_PREFERRED] = "preferred", [HOST_MIRROR_REQUIRED] = "required",
	[HOST_MIRROR_OFF] = "off",
};

const char *policy_name(enum mem_policy p) { return policy_names[p]; }
const char *backing_name(enum mem_backing b) { return backing_names[b]; }
const char *host_mirror_name(enum host_mirror_policy h) { return host_mirror_names[h]; }

static int lookup(const char *const *names, size_t n, const char *v, size_t first)
{
	size_t i;

	for (i = first; i < n; i++)
		if (names[i] && !strcmp(names[i], v))
			return i;
	return -1;
}

/* "default" is the absence of a policy, never a value to ask for. */
int policy_lookup(const char *name)
{
	return lookup(policy_names, ARRAY_SIZE(policy_names), name, POLICY_BIND);
}

int backing_lookup(const char *name)
{
	return lookup(backing_names, ARRAY_SIZE(backing_names), name, 0);
}

int host_mirror_lookup(const char *name)
{
	return lookup(host_mirror_names, ARRAY_SIZE(host_mirror_names), name, 0);
}

void spec__init(struct vm_spec *spec)
{
	memset(spec, 0, sizeof(*spec));
	spec->cpus = 1;
	spec->memory = DEFAULT_MEMORY;
}

void spec__free(struct vm_spec *spec)
{
	free(spec->kernel);
	free(spec->initrd);
	free(spec->cmdline);
	spec__init(spec);
}

int spec__set_string(char **field, const char *value, struct err *e)
{
	char *copy = NULL;

	if (value) {
		copy = strdup(value);
		if (!copy)
			return err_set(e, "out of memory");
	}
	free(*field);
	*field = copy;
	return 0;
}

int spec__check_node(const struct node_spec *n, const char *where, struct err *e)
{
	int last;

	if (n->id >= MAX_NODES)
		return err_set(e, "%s: node ids are 0 to %d", where, MAX_NODES - 1);
	last = idset_last(&n->cpus);
	if (last >= MAX_CPUS)
		return err_set(e, "%s: CPU %d is beyond the %d CPUs the firmware can describe",
			       where, last, MAX_CPUS);
	if ((n->keys & NODE_KEY_POLICY) && !n->host.has_host_nodes)
		return err_set(e, "%s: policy=%s needs host-nodes=", where,
			       policy_name(n->host.policy));
	if (n->host.has_host_nodes && idset_empty(&n->host.host_nodes))
		return err_set(e, "%s: host-nodes= names no host node", where);
	if (n->host.has_host_nodes && n->host.policy == POLICY_NONE)
		return err_set(e, "%s: host-nodes= without a policy", where);
	if ((n->keys & NODE_KEY_UNPLUG_UNIT) && !n->hotplug)
		return err_set(e, "%s: unplug-unit= needs hotplug=on: only hotpluggable nodes are unplugged",
			       where);
	return 0;
}

int spec__check_reliable(const struct addr_range *r, const char *where, struct err *e)
{
	if (!r->size)
		return err_set(e, "%s: empty range", where);
	if (r->start + r->size < r->start)
		return err_set(e, "%s: range wraps around the address space", where);
	return 0;
}

int spec__add_node(struct vm_spec *spec, const struct node_spec *n, bool replace,
		   const char *where, struct err *e)
{
	unsigned int i;
	int ret = spec__check_node(n, where, e);

	if (ret)
		return ret;
	for (i = 0; i < spec->nr_nodes; i++) {
		if (spec->nodes[i].id != n->id)
			continue;
		if (replace) {
			spec->nodes[i] = *n;
			return 0;
		}
		return err_set(e, "%s: node %u is given twice", where, n->id);
	}
	if (spec->nr_nodes == MAX_NODES)
		return err_set(e, "%s: too many nodes (at most %d)", where, MAX_NODES);
	spec->nodes[spec->nr_nodes++] = *n;
	return 0;
}

int spec__add_reliable(struct vm_spec *spec, const struct addr_range *r,
		       const char *where, struct err *e)
{
	int ret = spec__check_reliable(r, where, e);

	if (ret)
		return ret;
	if (spec->nr_reliable == MAX_RELIABLE)
		return err_set(e, "%s: too many ranges (at most %d)", where, MAX_RELIABLE);
	spec->reliable[spec->nr_reliable++] = *r;
	return 0;
}

int flags__add(struct flag_list *f, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	if (f->argc + 2 > f->cap) {
		int cap = f->cap ? 2 * f->cap : 16;
		char **nv = realloc(f->argv, cap * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		f->argv = nv;
		f->cap = cap;
	}
	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -ENOMEM;
	f->argv[f->argc++] = s;
	f->argv[f->argc] = NULL;
	return 0;
}

void flags__free(struct flag_list *f)
{
	int i;

	for (i = 0; i < f->argc; i++)
		free(f->argv[i]);
	free(f->argv);
	memset(f, 0, sizeof(*f));
}

static int add_word(struct flag_list *f, const char *flag, const char *v, struct err *e)
{
	if (strchr(v, '\n'))
		return err_set(e, "--%s contains a newline, which the one-flag-per-line output cannot carry",
			       flag);
	if (flags__add(f, "--%s=%s", flag, v))
		return err_set(e, "out of memory");
	return 0;
}

/* "--node=id=1,size=1G,..." with the keys the node spelled out. */
static int node_word(const struct node_spec *n, struct flag_list *f, struct err *e)
{
	char node[1024], list[512], s[32];
	size_t len;

	len = snprintf(node, sizeof(node), "--node=id=%u,size=%s", n->id, fmt_size(n->size, s));
#define ADD(...) (len += snprintf(node + MIN(len, sizeof(node)), \
				  sizeof(node) - MIN(len, sizeof(node)), __VA_ARGS__))
	if (n->keys & NODE_KEY_CPUS) {
		idset_format(&n->cpus, list, sizeof(list));
		ADD(",cpus=%s", list);
	}
	if (n->keys & NODE_KEY_MIRROR)
		ADD(",mirror=%s", n->reliable ? "on" : "off");
	if (n->keys & NODE_KEY_HOTPLUG)
		ADD(",hotplug=%s", n->hotplug ? "on" : "off");
	if (n->keys & NODE_KEY_HOST_NODES) {
		idset_format(&n->host.host_nodes, list, sizeof(list));
		ADD(",host-nodes=%s", list);
	}
	if (n->keys & NODE_KEY_POLICY)
		ADD(",policy=%s", policy_name(n->host.policy));
	if (n->keys & NODE_KEY_BACKING)
		ADD(",backing=%s", backing_name(n->host.backing));
	if (n->keys & NODE_KEY_PREFAULT)
		ADD(",prefault=%s", n->host.prefault ? "on" : "off");
	if (n->keys & NODE_KEY_UNPLUG_UNIT)
		ADD(",unplug-unit=%s", fmt_size(n->unplug_unit, s));
#undef ADD
	if (len >= sizeof(node))
		return err_set(e, "node %u: too many settings for one flag", n->id);
	if (flags__add(f, "%s", node))
		return err_set(e, "out of memory");
	return 0;
}

int spec__to_flags(const struct vm_spec *spec, struct flag_list *f, struct err *e)
{
	unsigned int i;
	char s[32];
	int ret;

	if (!f->argc && flags__add(f, "mirrorvm"))
		return err_set(e, "out of memory");
	if (spec->kernel && (ret = add_word(f, "kernel", spec->kernel, e)))
		return ret;
	if (spec->initrd && (ret = add_word(f, "initrd", spec->initrd, e)))
		return ret;
	if (spec->cmdline && *spec->cmdline && (ret = add_word(f, "cmdline", spec->cmdline, e)))
		return ret;
	if (spec->cpus_given && flags__add(f, "--cpus=%u", spec->cpus))
		return err_set(e, "out of memory");
	if (!spec->nr_nodes && spec->memory_given &&
	    flags__add(f, "--memory=%s", fmt_size(spec->memory, s)))
		return err_set(e, "out of memory");
	for (i = 0; i < spec->nr_nodes; i++)
		if ((ret = node_word(&spec->nodes[i], f, e)))
			return ret;
	for (i = 0; i < spec->nr_reliable; i++)
		if (flags__add(f, "--mirror=%s@0x%llx", fmt_size(spec->reliable[i].size, s),
			       (unsigned long long)spec->reliable[i].start))
			return err_set(e, "out of memory");
	if (spec->host_mirror_given &&
	    flags__add(f, "--host-mirror=%s", host_mirror_name(spec->host_mirror)))
		return err_set(e, "out of memory");
	return 0;
}
