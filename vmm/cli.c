// SPDX-License-Identifier: GPL-2.0
/*
 * "mirrorvm run" flags -> struct run_opts + the guest flags (struct
 * run_flags), which cli__apply() lays over a struct vm_spec.  Keeping the
 * given guest flags apart from the spec is what lets "run --domain-xml FILE
 * --node ..." lay the command line over the domain without parsing either
 * twice, and keeps the parser's own state out of the data model.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

struct run_flags {
	const char *kernel, *initrd, *cmdline;	/* into argv; NULL: not given */
	bool cpus_given;
	unsigned int cpus;
	bool memory_given;
	u64 memory;
	struct node_spec nodes[MAX_NODES];
	unsigned int nr_nodes;
	bool reliable_given;
	struct addr_range reliable[MAX_RELIABLE];
	unsigned int nr_reliable;
	bool host_mirror_given;
	enum host_mirror_policy host_mirror;
};

static const char *const engine_names[] = {
	[ENGINE_AUTO] = "auto", [ENGINE_KVM] = "kvm", [ENGINE_QEMU] = "qemu",
};
static const char *const accel_names[] = {
	[ACCEL_AUTO] = "auto", [ACCEL_TCG] = "tcg", [ACCEL_KVM] = "kvm",
};
static const char *const host_mirror_choices[] = {
	[HOST_MIRROR_PREFERRED] = "preferred", [HOST_MIRROR_REQUIRED] = "required",
	[HOST_MIRROR_OFF] = "off",
};
static const char *const seccomp_choices[] = { "on", "off" };

const char *engine_name(enum engine_kind k)
{
	return engine_names[k];
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

/* Keys of --node, in the order the help text and errors list them. */
#define NODE_KEYS "id, size, cpus, mirror, hotplug, unplug-unit, host-nodes, policy, backing, prefault"

/*
 * Splits "id=1,size=1G,cpus=0-3,6,mirror=on".  A list value may itself hold
 * commas, so a piece without '=' continues the previous list-valued key.
 * The lists are as long as the argument: nothing is cut.  Empty pieces are
 * kept (strsep, not strtok): in a list parse_idlist() refuses them
 * ("cpus=0," is not "cpus=0"), elsewhere they are a comma too many.
 */
static int parse_node(char *copy, char *lists[2], struct node_spec *node, struct err *e)
{
	char *tok, *next = *copy ? copy : NULL;
	bool have_id = false, have_size = false;
	int list = -1, idx;
	struct err sub;
	u64 id;

	while ((tok = strsep(&next, ","))) {
		char *eq = strchr(tok, '=');
		const char *key = tok, *val;

		if (!eq) {
			if (list < 0 && !*tok)
				return err_set(e, "an empty item: a comma too many");
			if (list < 0)
				return err_set(e, "'%s': expected key=value", tok);
			strcat(lists[list], ",");
			strcat(lists[list], tok);
			continue;
		}
		*eq = '\0';
		val = eq + 1;
		list = -1;
		if (!strcmp(key, "id")) {
			if (parse_u64(val, &id, &sub) || id >= MAX_NODES)
				return err_set(e, "id=%s: node ids are 0 to %d", val, MAX_NODES - 1);
			if (have_id)
				return err_set(e, "id given twice");
			node->id = id;
			have_id = true;
		} else if (!strcmp(key, "size")) {
			if (have_size)
				return err_set(e, "size given twice");
			if (parse_size(val, &node->size, &sub))
				return err_set(e, "size=%s: %s", val, sub.msg);
			have_size = true;
		} else if (!strcmp(key, "cpus") || !strcmp(key, "host-nodes")) {
			unsigned int bit;

			list = key[0] == 'c' ? 0 : 1;
			bit = list ? NODE_KEY_HOST_NODES : NODE_KEY_CPUS;
			if (node->keys & bit)
				return err_set(e, "%s given twice", key);
			node->keys |= bit;
			strcpy(lists[list], val);
		} else if (!strcmp(key, "mirror")) {
			if (node->keys & NODE_KEY_MIRROR)
				return err_set(e, "mirror given twice");
			if (parse_onoff(key, val, &node->reliable, e))
				return -EINVAL;
			node->keys |= NODE_KEY_MIRROR;
		} else if (!strcmp(key, "hotplug")) {
			if (node->keys & NODE_KEY_HOTPLUG)
				return err_set(e, "hotplug given twice");
			if (parse_onoff(key, val, &node->hotplug, e))
				return -EINVAL;
			node->keys |= NODE_KEY_HOTPLUG;
		} else if (!strcmp(key, "unplug-unit")) {
			if (node->keys & NODE_KEY_UNPLUG_UNIT)
				return err_set(e, "unplug-unit given twice");
			if (parse_size(val, &node->unplug_unit, &sub))
				return err_set(e, "unplug-unit=%s: %s", val, sub.msg);
			if (!node->unplug_unit)
				return err_set(e, "unplug-unit=%s: must not be 0", val);
			node->keys |= NODE_KEY_UNPLUG_UNIT;
		} else if (!strcmp(key, "prefault")) {
			if (node->keys & NODE_KEY_PREFAULT)
				return err_set(e, "prefault given twice");
			if (parse_onoff(key, val, &node->host.prefault, e))
				return -EINVAL;
			node->keys |= NODE_KEY_PREFAULT;
		} else if (!strcmp(key, "policy")) {
			if (node->keys & NODE_KEY_POLICY)
				return err_set(e, "policy given twice");
			idx = policy_lookup(val);
			if (idx < 0)
				return err_set(e, "policy=%s: expected bind, preferred or interleave", val);
			node->host.policy = idx;
			node->keys |= NODE_KEY_POLICY;
		} else if (!strcmp(key, "backing")) {
			if (node->keys & NODE_KEY_BACKING)
				return err_set(e, "backing given twice");
			idx = backing_lookup(val);
			if (idx < 0)
				return err_set(e, "backing=%s: expected anon, memfd, hugetlb2m or hugetlb1g",
					       val);
			node->host.backing = idx;
			node->keys |= NODE_KEY_BACKING;
		} else {
			return err_set(e, "unknown key '%s' (keys: " NODE_KEYS ")", key);
		}
	}
	if (!have_id)
		return err_set(e, "missing id=");
	if (!have_size)
		return err_set(e, "missing size=");
	if ((node->keys & NODE_KEY_CPUS) &&
	    parse_idlist(lists[0], MAX_CPUS, &node->cpus, &sub))
		return err_set(e, "cpus=%s: %s", lists[0], sub.msg);
	if (node->keys & NODE_KEY_HOST_NODES) {
		if (parse_idlist(lists[1], IDSET_MAX, &node->host.host_nodes, &sub))
			return err_set(e, "host-nodes=%s: %s", lists[1], sub.msg);
		node->host.has_host_nodes = true;
	}
	if ((node->keys & NODE_KEY_POLICY) && !(node->keys & NODE_KEY_HOST_NODES))
		return err_set(e, "policy=%s needs host-nodes=", policy_name(node->host.policy));
	if ((node->keys & NODE_KEY_HOST_NODES) && !(node->keys & NODE_KEY_POLICY))
		node->host.policy = POLICY_BIND;
	return 0;
}

int cli__parse_node(const char *arg, struct node_spec *node, struct err *e)
{
	size_t len = strlen(arg) + 1;
	char *copy = malloc(3 * len);
	char *lists[2];
	int ret;

	memset(node, 0, sizeof(*node));
	if (!copy)
		return err_set(e, "out of memory");
	memcpy(copy, arg, len);
	lists[0] = copy + len;
	lists[1] = copy + 2 * len;
	lists[0][0] = lists[1][0] = '\0';
	ret = parse_node(copy, lists, node, e);
	free(copy);
	return ret;
}

/* SIZE@START, the kernel's memmap= spelling. */
int cli__parse_reliable(const char *arg, struct addr_range *r, struct err *e)
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
	if (parse_size(size, &r->size, &sub))
		return err_set(e, "'%s': %s", arg, sub.msg);
	if (parse_size(at + 1, &r->start, &sub))
		return err_set(e, "'%s': start: %s", arg, sub.msg);
	if (!r->size)
		return err_set(e, "'%s': empty range", arg);
	if (r->start + r->size < r->start)
		return err_set(e, "'%s': range wraps around the address space", arg);
	return 0;
}

enum {
	OPT_KERNEL = 256, OPT_INITRD, OPT_CMDLINE, OPT_CPUS, OPT_MEMORY, OPT_NODE,
	OPT_MIRROR, OPT_ENGINE, OPT_DUMP, OPT_QEMU, OPT_ACCEL, OPT_HOST_MIRROR,
	OPT_DOMAIN_XML, OPT_REPORT, OPT_API_SOCKET, OPT_SECCOMP, OPT_RESTORE, OPT_LIVE_RESTORE, OPT_HELP,
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
	{ "api-socket",		required_argument, NULL, OPT_API_SOCKET },
	{ "seccomp",		required_argument, NULL, OPT_SECCOMP },
	{ "restore",		required_argument, NULL, OPT_RESTORE },
	{ "live-restore",	required_argument, NULL, OPT_LIVE_RESTORE },
	{ "help",		no_argument,       NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

void run_usage(FILE *out)
{
	fputs(
"usage: mirrorvm run --kernel FILE [--initrd FILE] [--cmdline STR] [--cpus N]\n"
"           [--memory SIZE | --node id=N,size=SIZE[,KEY=VALUE...] ...]\n"
"           [--mirror SIZE@START ...] [--engine auto|kvm|qemu]\n"
"           [--dump-firmware DIR] [--domain-xml FILE] [--seccomp on|off]\n"
"       mirrorvm run --restore DIR [--api-socket PATH] [--seccomp on|off] ...\n"
"       mirrorvm run --live-restore NAME [--api-socket PATH] ...\n"
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
"       unplug-unit=SIZE  what memory-unplug takes at a time from a hotplug node\n"
"                         (a multiple of the memory block size; default one block)\n"
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
"  --dump-firmware DIR  write the ACPI tables, e820 and EFI maps and layout.json\n"
"                       to DIR and exit\n"
"  --domain-xml FILE    take the VM from a libvirt domain; later flags override\n"
"  --placement-report F write a JSON placement report when the guest ends\n"
"  --api-socket PATH    serve the control socket (kvm engine): JSON commands such\n"
"                       as stop, cont, query-status, quit; see mirrorvm ctl\n"
"  --seccomp on|off     kvm engine: once set up, allow mirrorvm only the system\n"
"                       calls a running VM needs (default on); any other stops it\n"
"                       with exit status 159.  off is for debugging\n""  --restore DIR        kvm engine: resume the guest of a snapshot (mirrorvm ctl\n"
"                       SOCKET snapshot DIR) instead of booting one; the guest's\n"
"                       flags come from the snapshot, only how to run it (--api-socket,\n"
"                       --seccomp, --placement-report, --engine kvm) may be given\n"
"  --live-restore NAME  kvm engine: resume the guest that mirrorvm ctl SOCKET\n"
"                       live-update NAME preserved in place before this host\n"
"                       kernel was kexec'ed (kvm-patches PRAM); as --restore\n"
"\n"
"The guest ends mirrorvm with status 0 on poweroff or reboot, 2 when it crashes\n"
"(kernel panic, triple fault), or the status it writes to I/O port 0x602.\n"
"See mirrorvm(1).\n", out);
}

static int parse_choice(const char *flag, const char *const *names, size_t n,
			const char *v, int *out, struct err *e)
{
	char list[128] = "";
	size_t i;

	for (i = 0; i < n; i++) {
		if (!strcmp(names[i], v)) {
			*out = i;
			return 0;
		}
	}
	for (i = 0; i < n; i++) {
		strcat(list, i ? (i + 1 == n ? " or " : ", ") : "");
		strcat(list, names[i]);
	}
	return err_set(e, "%s %s: expected %s", flag, v, list);
}

static int add_node(struct run_flags *f, const char *arg, struct err *e)
{
	struct node_spec node;
	struct err sub;
	unsigned int i;

	if (cli__parse_node(arg, &node, &sub))
		return err_set(e, "--node %s: %s", arg, sub.msg);
	for (i = 0; i < f->nr_nodes; i++)
		if (f->nodes[i].id == node.id)
			return err_set(e, "--node id=%u: node %u is given twice", node.id, node.id);
	if (f->nr_nodes == MAX_NODES)
		return err_set(e, "--node id=%u: too many nodes (at most %d)", node.id, MAX_NODES);
	f->nodes[f->nr_nodes++] = node;
	return 0;
}

static int add_reliable(struct run_flags *f, const char *arg, struct err *e)
{
	struct addr_range r;
	struct err sub;

	if (cli__parse_reliable(arg, &r, &sub))
		return err_set(e, "--mirror %s", sub.msg);
	if (f->nr_reliable == MAX_RELIABLE)
		return err_set(e, "--mirror %s: too many ranges (at most %d)", arg, MAX_RELIABLE);
	f->reliable[f->nr_reliable++] = r;
	f->reliable_given = true;
	return 0;
}

static int parse_flag(struct run_flags *f, struct run_opts *opts, int c, int argc,
		      char **argv, struct err *e)
{
	struct err sub;
	int v;
	u64 n;

	(void)argc;
	switch (c) {
	case OPT_KERNEL:
		f->kernel = optarg;
		return 0;
	case OPT_INITRD:
		f->initrd = optarg;
		return 0;
	case OPT_CMDLINE:
		f->cmdline = optarg;
		return 0;
	case OPT_CPUS:
		if (parse_u64(optarg, &n, &sub) || n < 1 || n > MAX_CPUS)
			return err_set(e, "--cpus %s: expected a number from 1 to %d", optarg,
				       MAX_CPUS);
		f->cpus = n;
		f->cpus_given = true;
		return 0;
	case OPT_MEMORY:
		if (parse_size(optarg, &f->memory, &sub))
			return err_set(e, "--memory %s: %s", optarg, sub.msg);
		f->memory_given = true;
		return 0;
	case OPT_NODE:
		return add_node(f, optarg, e);
	case OPT_MIRROR:
		return add_reliable(f, optarg, e);
	case OPT_ENGINE:
		if (parse_choice("--engine", engine_names, ARRAY_SIZE(engine_names), optarg, &v, e))
			return -EINVAL;
		opts->engine = v;
		return 0;
	case OPT_ACCEL:
		if (parse_choice("--qemu-accel", accel_names, ARRAY_SIZE(accel_names), optarg,
				 &v, e))
			return -EINVAL;
		opts->qemu_accel = v;
		return 0;
	case OPT_HOST_MIRROR:
		if (parse_choice("--host-mirror", host_mirror_choices,
				 ARRAY_SIZE(host_mirror_choices), optarg, &v, e))
			return -EINVAL;
		f->host_mirror = v;
		f->host_mirror_given = true;
		return 0;
	case OPT_DUMP:
		opts->dump_dir = optarg;
		return 0;
	case OPT_QEMU:
		opts->qemu_binary = optarg;
		return 0;
	case OPT_DOMAIN_XML:
		opts->domain_xml = optarg;
		return 0;
	case OPT_REPORT:
		opts->placement_report = optarg;
		return 0;
	case OPT_API_SOCKET:
		opts->api_socket = optarg;
		return 0;
	case OPT_SECCOMP:
		if (parse_choice("--seccomp", seccomp_choices, ARRAY_SIZE(seccomp_choices), optarg,
				 &v, e))
			return -EINVAL;
		opts->seccomp = v ? SECCOMP_OFF : SECCOMP_ON;
		return 0;
	case OPT_RESTORE:
	case OPT_LIVE_RESTORE:
		if (opts->restore_dir && opts->live_restore != (c == OPT_LIVE_RESTORE))
			return err_set(e, "--restore and --live-restore exclude each other");
		opts->restore_dir = optarg;
		opts->live_restore = c == OPT_LIVE_RESTORE;
		return 0;
	case ':':
		return err_set(e, "%s: needs a value", argv[optind - 1]);
	default:
		/*
		 * An unknown letter inside a cluster ("-xq") leaves optind on
		 * the word still being read, so argv[optind - 1] would name the
		 * word before it; getopt gives the letter itself in optopt
		 * (0 for an unknown long flag, whose word optind has passed).
		 */
		if (optopt)
			return err_set(e, "-%c: unknown flag (see mirrorvm run --help)", optopt);
		return err_set(e, "%s: unknown flag (see mirrorvm run --help)", argv[optind - 1]);
	}
}

struct run_flags *cli__parse_run(int argc, char **argv, struct run_opts *opts,
				 bool *help, struct err *e)
{
	struct run_flags *f = calloc(1, sizeof(*f));
	int c;

	*help = false;
	memset(opts, 0, sizeof(*opts));
	if (!f) {
		err_set(e, "out of memory");
		return NULL;
	}
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:h", run_options, NULL)) != -1) {
		if (c == 'h' || c == OPT_HELP) {
			*help = true;
			goto fail;
		}
		if (parse_flag(f, opts, c, argc, argv, e))
			goto fail;
	}
	if (optind < argc) {
		err_set(e, "unexpected argument '%s' (flags start with --)", argv[optind]);
		goto fail;
	}
	return f;
fail:
	free(f);
	return NULL;
}

int cli__apply(const struct run_flags *f, struct vm_spec *spec, struct err *e)
{
	unsigned int i;
	char where[32];
	int ret;

	if ((f->kernel && spec__set_string(&spec->kernel, f->kernel, e)) ||
	    (f->initrd && spec__set_string(&spec->initrd, f->initrd, e)) ||
	    (f->cmdline && spec__set_string(&spec->cmdline, f->cmdline, e)))
		return -ENOMEM;
	if (f->cpus_given) {
		spec->cpus = f->cpus;
		spec->cpus_given = true;
	}
	if (f->memory_given) {
		spec->memory = f->memory;
		spec->memory_given = true;
	}
	for (i = 0; i < f->nr_nodes; i++) {
		snprintf(where, sizeof(where), "--node id=%u", f->nodes[i].id);
		ret = spec__add_node(spec, &f->nodes[i], true, where, e);
		if (ret)
			return ret;
	}
	if (f->reliable_given) {
		spec->nr_reliable = 0;
		for (i = 0; i < f->nr_reliable; i++) {
			ret = spec__add_reliable(spec, &f->reliable[i], "--mirror", e);
			if (ret)
				return ret;
		}
	}
	if (f->host_mirror_given) {
		spec->host_mirror = f->host_mirror;
		spec->host_mirror_given = true;
	}
	return 0;
}

void cli__free(struct run_flags *f)
{
	free(f);
}

/* The first guest flag @f has, as the user spelt its name, or NULL. */
static const char *first_guest_flag(const struct run_flags *f)
{
	if (f->kernel)
		return "--kernel";
	if (f->initrd)
		return "--initrd";
	if (f->cmdline)
		return "--cmdline";
	if (f->cpus_given)
		return "--cpus";
	if (f->memory_given)
		return "--memory";
	if (f->nr_nodes)
		return "--node";
	if (f->reliable_given)
		return "--mirror";
	if (f->host_mirror_given)
		return "--host-mirror";
	return NULL;
}

int cli__spec_from_flags(int argc, char **argv, struct vm_spec *spec, struct err *e)
{
	struct run_opts none;
	struct run_flags *f;
	bool help;
	int ret;

	spec__init(spec);
	f = cli__parse_run(argc, argv, &none, &help, e);
	if (!f)
		return help ? err_set(e, "--help among the guest's flags") : -EINVAL;
	if (none.engine || none.dump_dir || none.domain_xml || none.api_socket ||
	    none.placement_report || none.restore_dir || none.qemu_binary || none.seccomp ||
	    none.qemu_accel)
		ret = err_set(e, "a run option among the guest's flags");
	else
		ret = cli__apply(f, spec, e);
	cli__free(f);
	return ret;
}

int cli__parse_spec(int argc, char **argv, domain_loader load, struct vm_spec *spec,
		    struct run_opts *opts, struct err *e)
{
	struct run_flags *f;
	bool help;
	int ret = 0;

	spec__init(spec);
	f = cli__parse_run(argc, argv, opts, &help, e);
	if (!f)
		return help ? 1 : -EINVAL;
	if (opts->restore_dir) {
		/* the guest is the snapshot's: run.c reads it from there */
		const char *g = first_guest_flag(f);

		if (g || opts->domain_xml || opts->dump_dir)
			ret = err_set(e, "%s %s: %s cannot be given with it: the guest comes from the %s",
				      cli__restore_flag(opts), opts->restore_dir,
				      g ? g : opts->domain_xml ? "--domain-xml" : "--dump-firmware",
				      opts->live_restore ? "live update" : "snapshot");
		else if (opts->engine == ENGINE_QEMU)
			ret = err_set(e, "%s %s: --engine qemu cannot restore snapshots (the kvm engine takes them)",
				      cli__restore_flag(opts), opts->restore_dir);
		cli__free(f);
		return ret;
	}
	if (opts->domain_xml) {
		if (!load)
			ret = err_set(e, "--domain-xml %s: this build has no libvirt XML support",
				      opts->domain_xml);
		else
			ret = load(opts->domain_xml, spec, e);
	}
	if (!ret)
		ret = cli__apply(f, spec, e);
	cli__free(f);
	return ret;
}

void cli__run_opts_given(const struct run_opts *opts, char *buf, size_t len)
{
	size_t pos = 0;

#define GIVEN(cond, flag) do {							\
	if ((cond) && pos < len)						\
		pos += snprintf(buf + pos, len - pos, "%s%s", pos ? ", " : "", flag); \
} while (0)
	buf[0] = '\0';
	GIVEN(opts->engine != ENGINE_AUTO, "--engine");
	GIVEN(opts->qemu_accel != ACCEL_AUTO, "--qemu-accel");
	GIVEN(opts->qemu_binary, "--qemu");
	GIVEN(opts->dump_dir, "--dump-firmware");
	GIVEN(opts->placement_report, "--placement-report");
	GIVEN(opts->api_socket, "--api-socket");
	GIVEN(opts->seccomp != SECCOMP_DEFAULT, "--seccomp");
	GIVEN(opts->restore_dir, cli__restore_flag(opts));
#undef GIVEN
}
