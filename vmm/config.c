// SPDX-License-Identifier: GPL-2.0
/*
 * "mirrorvm run" flags -> struct vm_config.  Syntax is checked here, one flag
 * at a time, so every message names the flag it is about; how the pieces fit
 * together (ids, CPUs, ranges, alignment) is layout.c's job.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

static const char *const policy_names[] = {
	[POLICY_NONE] = "default", [POLICY_BIND] = "bind",
	[POLICY_PREFERRED] = "preferred", [POLICY_INTERLEAVE] = "interleave",
};
static const char *const backing_names[] = {
	[BACKING_ANON] = "anon", [BACKING_MEMFD] = "memfd",
	[BACKING_HUGETLB2M] = "hugetlb2m", [BACKING_HUGETLB1G] = "hugetlb1g",
};
static const char *const engine_names[] = {
	[ENGINE_AUTO] = "auto", [ENGINE_KVM] = "kvm", [ENGINE_QEMU] = "qemu",
};
static const char *const host_mirror_names[] = {
	[HOST_MIRROR_PREFERRED] = "preferred", [HOST_MIRROR_REQUIRED] = "required",
	[HOST_MIRROR_OFF] = "off",
};

const char *policy_name(enum mem_policy p) { return policy_names[p]; }
const char *backing_name(enum mem_backing b) { return backing_names[b]; }
const char *engine_name(enum engine_kind k) { return engine_names[k]; }
const char *host_mirror_name(enum host_mirror_policy h) { return host_mirror_names[h]; }

static int lookup(const char *const *names, size_t n, const char *v, size_t first)
{
	size_t i;

	for (i = first; i < n; i++)
		if (names[i] && !strcmp(names[i], v))
			return i;
	return -1;
}

void config__init(struct vm_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->cpus = 1;
	cfg->memory = DEFAULT_MEMORY;
	cfg->cmdline = "";
}

static int parse_onoff(const char *key, const char *v, bool *out, struct err *e)
{
	if (!strcmp(v, "on")) {
		*out = true;
		return 0;
	}
	if (!strcmp(v, "off")) {
		*out = false;
		return 0;
	}
	return err_set(e, "%s=%s: expected on or off", key, v);
}

/*
 * Splits "id=1,size=1G,cpus=0-3,6,mirror=on".  A list value may itself hold
 * commas, so a piece without '=' continues the previous list-valued key.
 */
int config__parse_node(const char *arg, struct node_config *node, struct err *e)
{
	char *copy, *tok, *save = NULL;
	char lists[2][256] = { "", "" };	/* cpus, host-nodes */
	int list = -1, ret = 0;
	bool have_id = false, have_size = false;
	struct err sub;

	memset(node, 0, sizeof(*node));
	copy = strdup(arg);
	if (!copy)
		return err_set(e, "out of memory");

	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '=');
		const char *key = tok, *val;
		int idx;

		if (!eq) {
			if (list < 0) {
				ret = err_set(e, "'%s': expected key=value", tok);
				goto out;
			}
			if (strlen(lists[list]) + strlen(tok) + 2 > sizeof(lists[list])) {
				ret = err_set(e, "list too long");
				goto out;
			}
			strcat(lists[list], ",");
			strcat(lists[list], tok);
			continue;
		}
		*eq = '\0';
		val = eq + 1;
		list = -1;
		if (!strcmp(key, "id")) {
			u64 id;

			if (parse_u64(val, &id, &sub) || id >= MAX_NODES) {
				ret = err_set(e, "id=%s: node ids are 0 to %d", val, MAX_NODES - 1);
				goto out;
			}
			if (have_id) {
				ret = err_set(e, "id given twice");
				goto out;
			}
			node->id = id;
			have_id = true;
		} else if (!strcmp(key, "size")) {
			if (parse_size(val, &node->size, &sub)) {
				ret = err_set(e, "size=%s: %s", val, sub.msg);
				goto out;
			}
			have_size = true;
		} else if (!strcmp(key, "cpus") || !strcmp(key, "host-nodes")) {
			list = key[0] == 'c' ? 0 : 1;
			if (node->keys & (list ? NODE_KEY_HOST_NODES : NODE_KEY_CPUS)) {
				ret = err_set(e, "%s given twice", key);
				goto out;
			}
			node->keys |= list ? NODE_KEY_HOST_NODES : NODE_KEY_CPUS;
			snprintf(lists[list], sizeof(lists[list]), "%s", val);
		} else if (!strcmp(key, "mirror")) {
			if ((ret = parse_onoff(key, val, &node->mirror, e)))
				goto out;
			node->keys |= NODE_KEY_MIRROR;
		} else if (!strcmp(key, "hotplug")) {
			if ((ret = parse_onoff(key, val, &node->hotplug, e)))
				goto out;
			node->keys |= NODE_KEY_HOTPLUG;
		} else if (!strcmp(key, "prefault")) {
			if ((ret = parse_onoff(key, val, &node->prefault, e)))
				goto out;
			node->keys |= NODE_KEY_PREFAULT;
		} else if (!strcmp(key, "policy")) {
			idx = lookup(policy_names, ARRAY_SIZE(policy_names), val, POLICY_BIND);
			if (idx < 0) {
				ret = err_set(e, "policy=%s: expected bind, preferred or interleave", val);
				goto out;
			}
			node->policy = idx;
			node->keys |= NODE_KEY_POLICY;
		} else if (!strcmp(key, "backing")) {
			idx = lookup(backing_names, ARRAY_SIZE(backing_names), val, 0);
			if (idx < 0) {
				ret = err_set(e, "backing=%s: expected anon, memfd, hugetlb2m or hugetlb1g",
					      val);
				goto out;
			}
			node->backing = idx;
			node->keys |= NODE_KEY_BACKING;
		} else {
			ret = err_set(e, "unknown key '%s' (keys: id, size, cpus, mirror, hotplug, host-nodes, policy, backing, prefault)",
				      key);
			goto out;
		}
	}
	if (!have_id) {
		ret = err_set(e, "missing id=");
		goto out;
	}
	if (!have_size) {
		ret = err_set(e, "missing size=");
		goto out;
	}
	if ((node->keys & NODE_KEY_CPUS) &&
	    parse_idlist(lists[0], MAX_CPUS, &node->cpus, &sub)) {
		ret = err_set(e, "cpus=%s: %s", lists[0], sub.msg);
		goto out;
	}
	if ((node->keys & NODE_KEY_HOST_NODES) &&
	    parse_idlist(lists[1], IDSET_MAX, &node->host_nodes, &sub)) {
		ret = err_set(e, "host-nodes=%s: %s", lists[1], sub.msg);
		goto out;
	}
	if ((node->keys & NODE_KEY_POLICY) && !(node->keys & NODE_KEY_HOST_NODES)) {
		ret = err_set(e, "policy=%s needs host-nodes=", policy_names[node->policy]);
		goto out;
	}
	if ((node->keys & NODE_KEY_HOST_NODES) && !(node->keys & NODE_KEY_POLICY))
		node->policy = POLICY_BIND;
out:
	free(copy);
	return ret;
}

/* SIZE@START, the kernel's memmap= spelling. */
int config__parse_mirror(const char *arg, struct mirror_config *m, struct err *e)
{
	const char *at = strchr(arg, '@');
	char size[64];
	struct err sub;

	if (!at)
		return err_set(e, "'%s': expected SIZE@START, e.g. 512M@0x100000000", arg);
	if ((size_t)(at - arg) >= sizeof(size))
		return err_set(e, "'%s': size too long", arg);
	memcpy(size, arg, at - arg);
	size[at - arg] = '\0';
	if (parse_size(size, &m->size, &sub))
		return err_set(e, "'%s': %s", arg, sub.msg);
	if (parse_size(at + 1, &m->start, &sub))
		return err_set(e, "'%s': start: %s", arg, sub.msg);
	if (!m->size)
		return err_set(e, "'%s': empty range", arg);
	if (m->start + m->size < m->start)
		return err_set(e, "'%s': range wraps around the address space", arg);
	return 0;
}

enum {
	OPT_KERNEL = 256, OPT_INITRD, OPT_CMDLINE, OPT_CPUS, OPT_MEMORY, OPT_NODE,
	OPT_MIRROR, OPT_ENGINE, OPT_DUMP, OPT_QEMU, OPT_ACCEL, OPT_HOST_MIRROR,
	OPT_DOMAIN_XML, OPT_REPORT, OPT_HELP,
};

static const struct option run_options[] = {
	{ "kernel",		required_argument, NULL, OPT_KERNEL },
	{ "initrd",		required_argument, NULL, OPT_INITRD },
	{ "cmdline",		required_argument, NULL, OPT_CMDLINE },
	{ "cpus",		required_argument, NULL, OPT_CPUS },
	{ "memory",		required_argument, NULL, OPT_MEMORY },
	{ "node",		required_argument, NULL, OPT_NODE },
	{ "mirror",		required_argument, NULL, OPT_MIRROR },
	{ "engine",		required_argument, NULL, OPT_ENGINE },
	{ "dump-firmware",	required_argument, NULL, OPT_DUMP },
	{ "qemu",		required_argument, NULL, OPT_QEMU },
	{ "qemu-accel",		required_argument, NULL, OPT_ACCEL },
	{ "host-mirror",	required_argument, NULL, OPT_HOST_MIRROR },
	{ "domain-xml",		required_argument, NULL, OPT_DOMAIN_XML },
	{ "placement-report",	required_argument, NULL, OPT_REPORT },
	{ "help",		no_argument,       NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

void run_usage(FILE *out)
{
	fputs(
"usage: mirrorvm run --kernel FILE [--initrd FILE] [--cmdline STR] [--cpus N]\n"
"           [--memory SIZE | --node id=N,size=SIZE[,KEY=VALUE...] ...]\n"
"           [--mirror SIZE@START ...] [--engine auto|kvm|qemu]\n"
"           [--dump-firmware DIR] [--domain-xml FILE]\n"
"\n"
"  --kernel FILE        bzImage to boot directly, or (kvm engine) a vmlinux ELF;\n"
"                       not needed with --dump-firmware\n"
"  --initrd FILE        initramfs to load\n"
"  --cmdline STR        kernel command line\n"
"  --cpus N             number of vCPUs (1-255, default 1)\n"
"  --memory SIZE        RAM of the single node used when no --node is given (512M)\n"
"  --node KEYS          a guest NUMA node, repeatable; keys:\n"
"       id=N              node id; ids must be 0..count-1, laid out in id order\n"
"       size=SIZE         RAM of the node (K, M, G, T suffixes)\n"
"       cpus=LIST         vCPUs of the node, e.g. 0-3,6 (unnamed CPUs go to node 0)\n"
"       mirror=on|off     the whole node is reliable (EFI_MEMORY_MORE_RELIABLE)\n"
"       hotplug=on|off    SRAT marks the node Hot Pluggable (block-size aligned)\n"
"       host-nodes=LIST   host NUMA nodes backing the node\n"
"       policy=bind|preferred|interleave   how host-nodes applies (default bind)\n"
"       backing=anon|memfd|hugetlb2m|hugetlb1g   host memory type (default anon)\n"
"       prefault=on|off   populate host memory before the guest starts\n"
"  --mirror SIZE@START  a guest-physical range reported reliable, repeatable\n"
"  --engine E           auto (default), kvm or qemu\n"
"  --qemu PATH          QEMU binary for the qemu engine (qemu-system-x86_64)\n"
"  --qemu-accel A       auto (default), tcg or kvm, for the qemu engine\n"
"  --host-mirror M      preferred (default), required or off: host mirrored\n"
"                       memory behind reliable guest ranges\n"
"  --dump-firmware DIR  write the ACPI tables, e820 and EFI maps to DIR and exit\n"
"  --domain-xml FILE    take the VM from a libvirt domain; later flags override\n"
"  --placement-report F write a JSON placement report when the guest ends\n"
"\n"
"The guest ends mirrorvm with status 0 on poweroff or reboot, 2 when it crashes\n"
"(kernel panic, triple fault), or the status it writes to I/O port 0x602.\n"
"See mirrorvm(1).\n", out);
}

static int parse_choice(const char *flag, const char *const *names, size_t n,
			const char *v, int *out, struct err *e)
{
	int idx = lookup(names, n, v, 0);
	char list[128] = "";
	size_t i;

	if (idx >= 0) {
		*out = idx;
		return 0;
	}
	for (i = 0; i < n; i++) {
		strcat(list, i ? (i + 1 == n ? " or " : ", ") : "");
		strcat(list, names[i]);
	}
	return err_set(e, "%s %s: expected %s", flag, v, list);
}

static int add_node(struct vm_config *cfg, const struct node_config *node, struct err *e)
{
	unsigned int i;

	for (i = 0; i < cfg->nr_nodes; i++) {
		if (cfg->nodes[i].id != node->id)
			continue;
		if (cfg->override_pass) {
			cfg->nodes[i] = *node;
			return 0;
		}
		return err_set(e, "--node id=%u: node %u is given twice", node->id, node->id);
	}
	if (cfg->nr_nodes == MAX_NODES)
		return err_set(e, "--node id=%u: too many nodes (at most %d)", node->id,
			       MAX_NODES);
	cfg->nodes[cfg->nr_nodes++] = *node;
	return 0;
}

int config__parse_run(struct vm_config *cfg, int argc, char **argv, struct err *e)
{
	struct err sub;
	int c, v;
	u64 n;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:h", run_options, NULL)) != -1) {
		switch (c) {
		case OPT_KERNEL:
			cfg->kernel = optarg;
			break;
		case OPT_INITRD:
			cfg->initrd = optarg;
			break;
		case OPT_CMDLINE:
			cfg->cmdline = optarg;
			break;
		case OPT_CPUS:
			if (parse_u64(optarg, &n, &sub) || n < 1 || n > MAX_CPUS)
				return err_set(e, "--cpus %s: expected a number from 1 to %d",
					       optarg, MAX_CPUS);
			cfg->cpus = n;
			cfg->cpus_given = true;
			break;
		case OPT_MEMORY:
			if (parse_size(optarg, &cfg->memory, &sub))
				return err_set(e, "--memory %s: %s", optarg, sub.msg);
			cfg->memory_given = true;
			break;
		case OPT_NODE: {
			struct node_config node;

			if (config__parse_node(optarg, &node, &sub))
				return err_set(e, "--node %s: %s", optarg, sub.msg);
			if (add_node(cfg, &node, e))
				return -EINVAL;
			break;
		}
		case OPT_MIRROR: {
			struct mirror_config m;

			if (config__parse_mirror(optarg, &m, &sub))
				return err_set(e, "--mirror %s", sub.msg);
			if (cfg->override_pass && !cfg->mirrors_overridden) {
				cfg->nr_mirrors = 0;
				cfg->mirrors_overridden = true;
			}
			if (cfg->nr_mirrors == MAX_MIRRORS)
				return err_set(e, "--mirror %s: too many ranges (at most %d)",
					       optarg, MAX_MIRRORS);
			cfg->mirrors[cfg->nr_mirrors++] = m;
			break;
		}
		case OPT_ENGINE:
			if (parse_choice("--engine", engine_names, ARRAY_SIZE(engine_names),
					 optarg, &v, e))
				return -EINVAL;
			cfg->engine = v;
			break;
		case OPT_ACCEL: {
			static const char *const accels[] = { "auto", "tcg", "kvm" };

			if (parse_choice("--qemu-accel", accels, ARRAY_SIZE(accels), optarg,
					 &v, e))
				return -EINVAL;
			cfg->qemu_accel = v;
			break;
		}
		case OPT_HOST_MIRROR:
			if (parse_choice("--host-mirror", host_mirror_names,
					 ARRAY_SIZE(host_mirror_names), optarg, &v, e))
				return -EINVAL;
			cfg->host_mirror = v;
			cfg->host_mirror_given = true;
			break;
		case OPT_DUMP:
			cfg->dump_dir = optarg;
			break;
		case OPT_QEMU:
			cfg->qemu_binary = optarg;
			break;
		case OPT_DOMAIN_XML:
			/* The override pass re-reads the flags that named it. */
			if (!cfg->override_pass)
				cfg->domain_xml = optarg;
			break;
		case OPT_REPORT:
			cfg->placement_report = optarg;
			break;
		case 'h':
		case OPT_HELP:
			return 1;
		case ':':
			return err_set(e, "%s: needs a value", argv[optind - 1]);
		default:
			return err_set(e, "%s: unknown flag (see mirrorvm run --help)",
				       argv[optind - 1]);
		}
	}
	if (optind < argc)
		return err_set(e, "unexpected argument '%s' (flags start with --)",
			       argv[optind]);
	return 0;
}

/* Appends one line; never overruns @buf. */
static void appendf(char *buf, size_t len, size_t *pos, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void appendf(char *buf, size_t len, size_t *pos, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf + MIN(*pos, len), *pos < len ? len - *pos : 0, fmt, ap);
	va_end(ap);
	if (n > 0)
		*pos += n;
}

int config__format_args(const struct vm_config *cfg, char *buf, size_t len)
{
	size_t pos = 0;
	unsigned int i;
	char s[32], list[512];

	if (len)
		buf[0] = '\0';
	if (cfg->kernel)
		appendf(buf, len, &pos, "--kernel\n%s\n", cfg->kernel);
	if (cfg->initrd)
		appendf(buf, len, &pos, "--initrd\n%s\n", cfg->initrd);
	if (cfg->cmdline && *cfg->cmdline)
		appendf(buf, len, &pos, "--cmdline\n%s\n", cfg->cmdline);
	if (cfg->cpus_given)
		appendf(buf, len, &pos, "--cpus\n%u\n", cfg->cpus);
	if (!cfg->nr_nodes && cfg->memory_given)
		appendf(buf, len, &pos, "--memory\n%s\n", fmt_size(cfg->memory, s));
	for (i = 0; i < cfg->nr_nodes; i++) {
		const struct node_config *n = &cfg->nodes[i];

		appendf(buf, len, &pos, "--node\nid=%u,size=%s", n->id, fmt_size(n->size, s));
		if (n->keys & NODE_KEY_CPUS) {
			idset_format(&n->cpus, list, sizeof(list));
			appendf(buf, len, &pos, ",cpus=%s", list);
		}
		if (n->keys & NODE_KEY_MIRROR)
			appendf(buf, len, &pos, ",mirror=%s", n->mirror ? "on" : "off");
		if (n->keys & NODE_KEY_HOTPLUG)
			appendf(buf, len, &pos, ",hotplug=%s", n->hotplug ? "on" : "off");
		if (n->keys & NODE_KEY_HOST_NODES) {
			idset_format(&n->host_nodes, list, sizeof(list));
			appendf(buf, len, &pos, ",host-nodes=%s", list);
		}
		if (n->keys & NODE_KEY_POLICY)
			appendf(buf, len, &pos, ",policy=%s", policy_name(n->policy));
		if (n->keys & NODE_KEY_BACKING)
			appendf(buf, len, &pos, ",backing=%s", backing_name(n->backing));
		if (n->keys & NODE_KEY_PREFAULT)
			appendf(buf, len, &pos, ",prefault=%s", n->prefault ? "on" : "off");
		appendf(buf, len, &pos, "\n");
	}
	for (i = 0; i < cfg->nr_mirrors; i++)
		appendf(buf, len, &pos, "--mirror\n%s@0x%llx\n",
			fmt_size(cfg->mirrors[i].size, s),
			(unsigned long long)cfg->mirrors[i].start);
	if (cfg->engine != ENGINE_AUTO)
		appendf(buf, len, &pos, "--engine\n%s\n", engine_name(cfg->engine));
	if (cfg->host_mirror_given)
		appendf(buf, len, &pos, "--host-mirror\n%s\n", host_mirror_name(cfg->host_mirror));
	return pos < len ? 0 : -ENOSPC;
}
