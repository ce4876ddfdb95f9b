// SPDX-License-Identifier: GPL-2.0
/* Flags -> layout: the placement rules and every rejected input. */
#include "unit.h"
#include "helpers.h"

static struct vm_spec cfg;
static struct layout lay;

static void test_default_single_node(void)
{
	struct err e = { "" };

	CHECK(build_layout("", &cfg, &lay, &e) == 0, "%s", e.msg);
	CHECK(lay.nr_nodes == 1, "%u", lay.nr_nodes);
	CHECK(lay.total_ram == 512ULL << 20, "%llx", (unsigned long long)lay.total_ram);
	CHECK(lay.nr_ram == 1 && lay.ram[0].start == 0, "ram");
	CHECK(lay.nr_cpus == 1 && lay.cpu_node[0] == 0, "cpus");
	CHECK(lay.block_size == SZ_128M, "%llx", (unsigned long long)lay.block_size);
}

static void test_nodes_in_id_order_and_hole(void)
{
	struct err e = { "" };

	/* Given out of order: node 1 (2G) still comes after node 0 (2G). */
	CHECK(build_layout("--node id=1,size=2G --node id=0,size=2G --cpus 4",
			   &cfg, &lay, &e) == 0, "%s", e.msg);
	CHECK(lay.nr_ram == 3, "%u", lay.nr_ram);
	CHECK(lay.ram[0].start == 0 && lay.ram[0].size == SZ_2G && lay.ram[0].node == 0, "r0");
	/* node 1 runs into the hole at 3G and continues at 4G */
	CHECK(lay.ram[1].start == SZ_2G && lay.ram[1].size == SZ_1G && lay.ram[1].node == 1, "r1");
	CHECK(lay.ram[2].start == SZ_4G && lay.ram[2].size == SZ_1G && lay.ram[2].node == 1, "r2");
	CHECK(lay.ram_end == SZ_4G + SZ_1G, "end");
	/* CPUs no node names belong to node 0 */
	CHECK(idset_count(&lay.nodes[0].cpus) == 4, "%u", idset_count(&lay.nodes[0].cpus));
}

static void test_node_exactly_at_hole(void)
{
	struct err e = { "" };

	CHECK(build_layout("--node id=0,size=3G --node id=1,size=1G", &cfg, &lay, &e) == 0,
	      "%s", e.msg);
	CHECK(lay.nr_ram == 2 && lay.ram[1].start == SZ_4G, "node 1 starts at 4G");
}

static void test_cpus_and_memory_only_nodes(void)
{
	struct err e = { "" };

	CHECK(build_layout("--cpus 6 --node id=0,size=1G,cpus=0-1,5 --node id=1,size=1G,cpus=2-3 --node id=2,size=1G",
			   &cfg, &lay, &e) == 0, "%s", e.msg);
	CHECK(lay.cpu_node[0] == 0 && lay.cpu_node[5] == 0 && lay.cpu_node[2] == 1, "cpus");
	CHECK(lay.cpu_node[4] == 0, "unnamed CPU 4 goes to node 0");
	CHECK(idset_empty(&lay.nodes[2].cpus), "memory-only node");
}

static void test_reliable_ranges_merge(void)
{
	struct err e = { "" };

	CHECK(build_layout("--node id=0,size=1G --node id=1,size=1G,mirror=on --mirror 256M@0x30000000 --mirror 16M@0x1000000",
			   &cfg, &lay, &e) == 0, "%s", e.msg);
	/* 256M@768M touches node 1 (1G..2G): merged into one range */
	CHECK(lay.nr_reliable == 2, "%u", lay.nr_reliable);
	CHECK(lay.reliable[0].start == 0x1000000 && lay.reliable[0].size == 16 << 20, "first");
	CHECK(lay.reliable[1].start == 0x30000000 &&
	      lay.reliable[1].size == (256ULL << 20) + SZ_1G, "merged");
	CHECK(layout__reliable_bytes(&lay, 0, lay.ram_end) == (272ULL << 20) + SZ_1G, "sum");
}

static void test_block_size_rule(void)
{
	CHECK(layout__block_size(SZ_4G) == SZ_128M, "small");
	CHECK(layout__block_size(SZ_64G) == SZ_2G, "64G");
	CHECK(layout__block_size(131 * SZ_1G) == SZ_1G, "131G");
	CHECK(layout__block_size(SZ_64G + SZ_128M) == SZ_128M, "odd end");
	CHECK(layout__block_size(SZ_64G + 512 * SZ_1M) == 512 * SZ_1M, "512M");
}

static void test_hotplug_alignment_large(void)
{
	struct err e = { "" };

	/* 3G + 128G: RAM ends at 132G, 2 GiB blocks; node 1 starts at 4G. */
	CHECK(build_layout("--node id=0,size=3G --node id=1,size=128G,hotplug=on", &cfg, &lay, &e) == 0,
	      "%s", e.msg);
	CHECK(lay.block_size == SZ_2G, "%llx", (unsigned long long)lay.block_size);
	/* 2G + 128G: RAM ends at 131G, 1 GiB blocks. */
	CHECK(build_layout("--node id=0,size=2G --node id=1,size=128G", &cfg, &lay, &e) == 0,
	      "%s", e.msg);
	CHECK(lay.block_size == SZ_1G, "%llx", (unsigned long long)lay.block_size);
	/* RAM ends at 64G+1G+512M: 512 MiB blocks; a 1G-aligned node is fine */
	CHECK(build_layout("--node id=0,size=2G --node id=1,size=62G,hotplug=on --node id=2,size=1536M",
			   &cfg, &lay, &e) == 0, "%s", e.msg);
	CHECK(lay.block_size == 512 * SZ_1M, "%llx", (unsigned long long)lay.block_size);
}

/* Hotplug nodes cut into unplug units; slots and units never straddle. */
static void test_unplug_units(void)
{
	struct mem_slot slots[MAX_SLOTS];
	struct err e = { "" };
	unsigned int i, nr, unit;

	CHECK(build_layout("--node id=0,size=1G --node id=1,size=1G,hotplug=on,unplug-unit=256M "
			   "--node id=2,size=2G,hotplug=on --mirror 64M@0x50000000", &cfg, &lay, &e) == 0,
	      "%s", e.msg);
	/* node 1 [1G,2G): 4 x 256M; node 2 [2G,3G)+[4G,5G): 16 x 128M */
	CHECK(lay.nr_units == 20, "%u units", lay.nr_units);
	CHECK(lay.units[0].gpa == SZ_1G && lay.units[0].size == 256 * SZ_1M && lay.units[0].node == 1,
	      "first unit");
	CHECK(lay.units[4].gpa == SZ_2G && lay.units[4].size == SZ_128M && lay.units[4].node == 2,
	      "node 2's first unit");
	CHECK(lay.units[12].gpa == SZ_4G, "the hole: unit 12 at 4G, %llx",
	      (unsigned long long)lay.units[12].gpa);
	CHECK(layout__unit_at(&lay, 0x50000000 + 5) == &lay.units[1], "unit at an address");
	CHECK(!layout__unit_at(&lay, 0x1000), "node 0 has no unit");
	CHECK(layout__unit_cut(&lay, 0, SZ_4G, &unit) == SZ_1G && unit == 0, "cut before the units");
	nr = layout__slots(&lay, slots, MAX_SLOTS);
	for (i = 0; i < nr; i++) {
		const struct unplug_unit *u = slots[i].unit ? &lay.units[slots[i].unit - 1] : NULL;

		CHECK(!u || (slots[i].gpa >= u->gpa && slots[i].gpa + slots[i].size <= u->gpa + u->size),
		      "slot %u straddles its unit", i);
		CHECK(!!u == (slots[i].node != 0), "slot %u's unit", i);
	}
	/* node 1's second unit is cut at the reliable range: 64M reliable + 192M */
	CHECK(nr == 1 + 1 + 2 + 2 + 16, "%u slots", nr);

	/* a unit of three blocks: [768M, 2304M) is three whole 384M units */
	CHECK(build_layout("--node id=0,size=768M --node id=1,size=1536M,hotplug=on,unplug-unit=384M",
			   &cfg, &lay, &e) == 0, "%s", e.msg);
	CHECK(lay.nr_units == 4, "%u units of 384M", lay.nr_units);
	for (i = 0; i < lay.nr_units; i++)
		CHECK(lay.units[i].gpa == (768 + 384 * (u64)i) * SZ_1M &&
		      lay.units[i].size == 384 * SZ_1M, "unit %u", i);
}

/* What memory-unplug and memory-plug may name: nodes, units, whole-unit ranges. */
static void test_select_units(void)
{
	static bool units[MAX_UNITS];
	struct unit_selector sel;
	struct err e = { "" };
	unsigned int i, n;

	CHECK(build_layout("--node id=0,size=1G --node id=1,size=1G,hotplug=on,unplug-unit=256M "
			   "--node id=2,size=2G,hotplug=on", &cfg, &lay, &e) == 0, "%s", e.msg);
	sel = (struct unit_selector){ .by = SELECT_NODE, .node = 2 };
	CHECK(layout__select_units(&lay, &sel, units, &e) == 16, "node 2: %s", e.msg);
	for (i = 0, n = 0; i < lay.nr_units; i++)
		n += units[i] && lay.units[i].node == 2;
	CHECK(n == 16 && !units[0], "node 2's units only");
	sel = (struct unit_selector){ .by = SELECT_UNIT, .unit = 3 };
	CHECK(layout__select_units(&lay, &sel, units, &e) == 1 && units[3] && !units[2], "unit 3");
	/* [1G+256M, 1G+768M): units 1 and 2 of node 1 */
	sel = (struct unit_selector){ .by = SELECT_RANGE, .start = SZ_1G + 256 * SZ_1M,
				      .size = 512 * SZ_1M };
	CHECK(layout__select_units(&lay, &sel, units, &e) == 2 && units[1] && units[2] && !units[3],
	      "whole units: %s", e.msg);
	/* a range across two nodes' units is fine when it is whole units */
	sel = (struct unit_selector){ .by = SELECT_RANGE, .start = SZ_1G + 768 * SZ_1M,
				      .size = 256 * SZ_1M + SZ_128M };
	CHECK(layout__select_units(&lay, &sel, units, &e) == 2 && units[3] && units[4], "%s", e.msg);

	sel = (struct unit_selector){ .by = SELECT_NODE, .node = 0 };
	CHECK(layout__select_units(&lay, &sel, units, &e) < 0 &&
	      strstr(e.msg, "node 0 is not hotplug=on"), "%s", e.msg);
	sel = (struct unit_selector){ .by = SELECT_NODE, .node = 5 };
	CHECK(layout__select_units(&lay, &sel, units, &e) < 0 && strstr(e.msg, "node 5: no such node"),
	      "%s", e.msg);
	sel = (struct unit_selector){ .by = SELECT_UNIT, .unit = 20 };
	CHECK(layout__select_units(&lay, &sel, units, &e) < 0 &&
	      strstr(e.msg, "unit 20: no such unit (units 0-19)"), "%s", e.msg);
	/* half a unit: the error names the unit and lists the edges there */
	sel = (struct unit_selector){ .by = SELECT_RANGE, .start = SZ_1G, .size = SZ_128M };
	CHECK(layout__select_units(&lay, &sel, units, &e) < 0 &&
	      strstr(e.msg, "cuts unit 0 [0x40000000-0x50000000) (unplug-unit=256M): a range must be whole units") &&
	      strstr(e.msg, "0x40000000-0x50000000 (unit 0), 0x50000000-0x60000000 (unit 1)"),
	      "%s", e.msg);
	for (i = 0; i < MAX_UNITS; i++)
		CHECK(!units[i], "a refused selection selects nothing (unit %u)", i);
	/* memory outside every unit */
	sel = (struct unit_selector){ .by = SELECT_RANGE, .start = 0, .size = SZ_1G };
	CHECK(layout__select_units(&lay, &sel, units, &e) < 0 &&
	      strstr(e.msg, "1G of it is not in any unplug unit"), "%s", e.msg);
	sel = (struct unit_selector){ .by = SELECT_RANGE, .start = ~0ULL - 5, .size = 10 };
	CHECK(layout__select_units(&lay, &sel, units, &e) < 0 && strstr(e.msg, "not a range"),
	      "%s", e.msg);
	CHECK(build_layout("--node id=0,size=1G", &cfg, &lay, &e) == 0, "%s", e.msg);
	sel = (struct unit_selector){ .by = SELECT_UNIT, .unit = 0 };
	CHECK(layout__select_units(&lay, &sel, units, &e) < 0 &&
	      strstr(e.msg, "no node is hotplug=on"), "%s", e.msg);
}

struct bad_case {
	const char *flags;
	const char *needle;	/* must appear in the message */
};

static const struct bad_case bad[] = {
	{ "--node id=0,size=1G --node id=1,size=1G,unplug-unit=256M", "unplug-unit= needs hotplug=on" },
	{ "--node id=0,size=1G --node id=1,size=1G,hotplug=on,unplug-unit=192M",
	  "unplug-unit=192M is not a multiple of the guest's 128M memory blocks" },
	{ "--node id=0,size=1G --node id=1,size=768M,hotplug=on,unplug-unit=512M",
	  "unplug-unit=512M does not divide the node's RAM [0x40000000-0x70000000) into aligned units" },
	/* 384M is three blocks, not a power of two: 1G is no multiple of it */
	{ "--node id=0,size=1G --node id=1,size=1G,hotplug=on,unplug-unit=384M",
	  "unplug-unit=384M does not divide the node's RAM [0x40000000-0x80000000) into aligned units" },
	{ "--node id=0,size=2G --node id=1,size=4G,hotplug=on --node id=2,size=9G,hotplug=on,unplug-unit=896M",
	  "unplug-unit=896M does not divide the node's RAM [0x1c0000000-0x400000000) into aligned units" },
	{ "--node id=0,size=1G --node id=1,size=1G,hotplug=on,unplug-unit=0", "must not be 0" },
	{ "--node id=0,size=1G --node id=1,size=1G,hotplug=on,unplug-unit=1G,unplug-unit=1G",
	  "unplug-unit given twice" },
	{ "--node id=0,size=1G --node id=1,size=40G,hotplug=on",
	  "more than 256 unplug units" },
	{ "--node id=0,size=1G,colour=red", "unknown key 'colour'" },
	{ "--node id=0,size=1X", "unknown suffix" },
	{ "--node id=0,size=1GB", "junk after the suffix" },
	{ "--node id=0,size=abc", "not a number" },
	{ "--node id=0,size=99999999999999999999", "too large" },
	{ "--node id=0,size=20000000T", "too large" },
	{ "--node id=0,size=1G --node id=0,size=1G", "node 0 is given twice" },
	{ "--node id=0,size=1G --node id=2,size=1G", "without gaps" },
	{ "--node id=1,size=1G", "without gaps" },
	{ "--node size=1G", "missing id=" },
	{ "--node id=0", "missing size=" },
	{ "--node id=0,size=1G,id=1", "id given twice" },
	{ "--node id=64,size=1G", "node ids are 0 to 63" },
	{ "--node id=0,size=1G,cpus=0-3", "but the guest has 1 CPU" },
	{ "--cpus 4 --node id=0,size=1G,cpus=0-2 --node id=1,size=1G,cpus=2-3", "CPU 2 is already in node 0" },
	{ "--cpus 4 --node id=0,size=1G,cpus=3-1", "backwards" },
	{ "--cpus 256", "from 1 to 255" },
	{ "--cpus 0", "from 1 to 255" },
	{ "--node id=0,size=1G,cpus=300", "below 255" },
	{ "--node id=0,size=1G --mirror 1G@0x40000000", "not all guest RAM" },
	{ "--node id=0,size=4G --mirror 2G@0x80000000", "not all guest RAM" },
	{ "--node id=0,size=1G --mirror 1M@0x1000 --mirror 4M@0", "overlaps --mirror" },
	{ "--node id=0,size=1G --node id=1,size=1G,mirror=on --mirror 1G@0x20000000", "which is mirror=on already" },
	{ "--node id=0,size=1G --mirror 1M@0x800", "multiples of 4K" },
	{ "--node id=0,size=1G --mirror 1M", "expected SIZE@START" },
	{ "--node id=0,size=1G --mirror 0@0", "empty range" },
	{ "--mirror 1M@0xffffffffffffffff", "wraps" },
	{ "--node id=0,size=1G --node id=1,size=100M,hotplug=on", "128M memory blocks" },
	{ "--node id=0,size=1G,hotplug=on", "node 0 holds the firmware" },
	{ "--node id=0,size=1G --node id=1,size=2G,hotplug=on --node id=2,size=1G", "" },
	{ "--node id=0,size=2G --node id=1,size=63744M,hotplug=on --node id=2,size=256M", "512M memory blocks" },
	{ "--node id=0,size=2M", "below 4M" },
	{ "--node id=0,size=5001K", "not a multiple of the page size" },
	{ "--node id=0,size=1G,backing=hugetlb1g --node id=1,size=1536M,backing=hugetlb1g", "1 GiB huge pages" },
	{ "--node id=0,size=1G,backing=hugetlb2m --node id=1,size=3M,backing=hugetlb2m", "below 4M" },
	{ "--node id=0,size=1G,backing=tmpfs", "expected anon, memfd" },
	{ "--node id=0,size=1G,policy=bind", "needs host-nodes" },
	{ "--node id=0,size=1G,host-nodes=0,policy=random", "expected bind" },
	{ "--node id=0,size=1G,mirror=yes", "expected on or off" },
	{ "--node id=0,size=1G,prefault=1", "expected on or off" },
	{ "--node id=0,size=1G,stray", "expected key=value" },
	{ "--memory 1G --node id=0,size=2G", "disagrees with the nodes" },
	{ "--node id=0,size=1T --node id=1,size=1T", "physical address space" },
	{ "--engine vmware", "expected auto, kvm or qemu" },
	{ "--host-mirror maybe", "expected preferred, required or off" },
	{ "--qemu-accel hvf", "expected auto, tcg or kvm" },
	/* Empty items are not skipped (issue 12: cpus=0, meant cpus=0). */
	{ "--node id=0,size=1G,cpus=0,", "cpus=0,: bad list '0,': trailing comma" },
	{ "--cpus 2 --node id=0,size=1G,cpus=0,,1", "cpus=0,,1: bad list '0,,1': expected a number at ',1'" },
	{ "--node id=0,size=1G,host-nodes=0,", "host-nodes=0,: bad list '0,': trailing comma" },
	{ "--node id=0,size=1G,", "an empty item: a comma too many" },
	{ "--node id=0,,size=1G", "an empty item: a comma too many" },
	{ "--node ,id=0,size=1G", "an empty item: a comma too many" },
	{ "--frobnicate", "unknown flag" },
	{ "--kernel", "needs a value" },
	{ "stray", "unexpected argument" },
};

static void test_rejections(void)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		struct err e = { "" };
		int ret = build_layout(bad[i].flags, &cfg, &lay, &e);

		if (!bad[i].needle[0]) {
			/* hotplug node spanning the hole is fine when aligned */
			CHECK(ret == 0, "'%s' rejected: %s", bad[i].flags, e.msg);
			continue;
		}
		CHECK(ret != 0, "'%s' accepted", bad[i].flags);
		CHECK(strstr(e.msg, bad[i].needle), "'%s': message '%s' lacks '%s'",
		      bad[i].flags, e.msg, bad[i].needle);
	}
}

static void test_too_many_nodes(void)
{
	struct err e = { "" };
	struct node_spec n;
	int i;

	spec__free(&cfg);
	for (i = 0; i < MAX_NODES; i++) {
		CHECK(cli__parse_node("id=0,size=64M", &n, &e) == 0, "%s", e.msg);
		n.id = i;
		CHECK(spec__add_node(&cfg, &n, false, "--node", &e) == 0, "%s", e.msg);
	}
	CHECK(layout__build(&cfg, &lay, &e) == 0, "64 nodes: %s", e.msg);
	CHECK(cli__parse_node("id=0,size=64M", &n, &e) == 0, "%s", e.msg);
	CHECK(spec__add_node(&cfg, &n, false, "--node id=0", &e) != 0, "65th node accepted");
	CHECK(strstr(e.msg, "given twice") || strstr(e.msg, "too many"), "%s", e.msg);
	CHECK(parse_flags(&cfg, "--node id=64,size=64M", &e) != 0 && strstr(e.msg, "node ids are 0 to 63"),
	      "id 64: %s", e.msg);
}

/* "run --domain-xml D FLAGS": FLAGS laid over D's guest (cli__apply). */
static void test_flags_override(void)
{
	struct err e = { "" };
	char *argv[] = { "run", "--node", "id=1,size=2G,hotplug=on", "--mirror", "4M@0", NULL };
	struct run_opts opts;
	struct run_flags *f;
	bool help;

	CHECK(parse_flags(&cfg, "--node id=0,size=1G --node id=1,size=1G --mirror 8M@0x1000000", &e) == 0,
	      "%s", e.msg);
	f = cli__parse_run(5, argv, &opts, &help, &e);
	CHECK(f != NULL, "%s", e.msg);
	if (!f)
		return;
	CHECK(cli__apply(f, &cfg, &e) == 0, "%s", e.msg);
	cli__free(f);
	CHECK(cfg.nr_nodes == 2 && cfg.nodes[1].size == SZ_2G && cfg.nodes[1].hotplug, "replaced");
	CHECK(cfg.nr_reliable == 1 && cfg.reliable[0].size == 4 << 20, "mirrors replaced");
}

/* A node named twice on one command line is an error, as before. */
static void test_node_twice(void)
{
	struct err e = { "" };

	CHECK(parse_flags(&cfg, "--node id=0,size=1G --node id=0,size=2G", &e) != 0 &&
	      strstr(e.msg, "--node id=0: node 0 is given twice"), "%s", e.msg);
	CHECK(parse_flags(&cfg, "--node id=0,size=1G,size=2G", &e) != 0 &&
	      strstr(e.msg, "size given twice"), "%s", e.msg);
}

/*
 * A list value longer than any fixed buffer (issue 12): cpus= and host-nodes=
 * with 300 zeros and a 1 mean CPU 1 and host node 1.  config__parse_node
 * once copied the first list token into 256 bytes and cut it, which put
 * CPU 0 in the node and bound host node 0, without an error.
 */
static void test_long_list_tokens(void)
{
	static char flags[2048], zeros[301];
	const struct node_spec *n;
	struct err e = { "" };

	memset(zeros, '0', 300);
	snprintf(flags, sizeof(flags), "--cpus 3 --node id=0,size=1G --node id=1,size=1G,cpus=%s1,host-nodes=%s1",
		 zeros, zeros);
	CHECK(parse_flags(&cfg, flags, &e) == 0, "%s", e.msg);
	n = &cfg.nodes[1];
	CHECK(cfg.nr_nodes == 2 && n->id == 1, "%u nodes", cfg.nr_nodes);
	CHECK(idset_count(&n->cpus) == 1 && idset_has(&n->cpus, 1), "cpus: %d first, %u in all",
	      idset_first(&n->cpus), idset_count(&n->cpus));
	CHECK(idset_count(&n->host.host_nodes) == 1 && idset_has(&n->host.host_nodes, 1),
	      "host-nodes: %d first, %u in all", idset_first(&n->host.host_nodes),
	      idset_count(&n->host.host_nodes));
	/* The same in a later item and at the end of a range. */
	snprintf(flags, sizeof(flags), "--cpus 3 --node id=0,size=1G --node id=1,size=1G,cpus=0,%s2,host-nodes=0-%s1",
		 zeros, zeros);
	CHECK(parse_flags(&cfg, flags, &e) == 0, "%s", e.msg);
	n = &cfg.nodes[1];
	CHECK(idset_count(&n->cpus) == 2 && idset_has(&n->cpus, 0) && idset_has(&n->cpus, 2),
	      "cpus: %u in all", idset_count(&n->cpus));
	CHECK(idset_count(&n->host.host_nodes) == 2 && idset_has(&n->host.host_nodes, 1),
	      "host-nodes: %u in all", idset_count(&n->host.host_nodes));
	CHECK(build_layout(flags, &cfg, &lay, &e) == 0 && lay.cpu_node[2] == 1 && lay.cpu_node[1] == 0,
	      "layout: %s", e.msg);
}

/* A valid UTF-8 string: no sequence cut, none missing its start. */
static bool utf8_whole(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	int more = 0;

	for (; *p; p++) {
		if ((*p & 0xc0) == 0x80) {
			if (!more--)
				return false;
		} else if (more) {
			return false;
		} else {
			more = *p >= 0xf0 ? 3 : *p >= 0xe0 ? 2 : *p >= 0xc0 ? 1 : 0;
		}
	}
	return !more;
}

/*
 * A message longer than struct err keeps its start and its reason (issue
 * 12: a long list was cut at 511 bytes, before the reason).
 */
static void test_long_messages(void)
{
	static char flags[2048], nines[601], accents[1201];
	struct err e = { "" };
	size_t i;

	memset(nines, '9', 600);
	snprintf(flags, sizeof(flags), "--cpus 2 --node id=0,size=1G,cpus=0-%s", nines);
	CHECK(parse_flags(&cfg, flags, &e) != 0, "accepted");
	CHECK(!strncmp(e.msg, "--node id=0,size=1G,cpus=0-999", 30), "start: %s", e.msg);
	CHECK(strstr(e.msg, " ... ") && strstr(e.msg, "': ids must be below 255"), "reason: %s", e.msg);
	CHECK(strlen(e.msg) == sizeof(e.msg) - 1, "%zu bytes", strlen(e.msg));
	/* Directly, and on UTF-8 character boundaries. */
	for (i = 0; i < 600; i++)
		memcpy(accents + 2 * i, "\xc3\xa9", 2);
	for (i = 0; i < 4; i++) {
		err_set(&e, "%.*s'%s': the reason", (int)i, "xxx", accents);
		CHECK(utf8_whole(e.msg), "%zu: cut inside a character", i);
		CHECK(strstr(e.msg, "\xc3\xa9 ... \xc3\xa9"), "%zu: %s", i, e.msg);
		CHECK(strlen(e.msg) >= sizeof(e.msg) - 3 && strlen(e.msg) < sizeof(e.msg) &&
		      !strcmp(e.msg + strlen(e.msg) - 13, "': the reason"), "%zu: %s", i, e.msg);
	}
	/* An argument may point into the buffer it is formatted into. */
	err_set(&e, "%s", "inner");
	err_set(&e, "outer: %s: %s", nines, e.msg);
	CHECK(!strcmp(e.msg + strlen(e.msg) - 10, "999: inner"), "%s", e.msg);
	err_set(&e, "short");
	CHECK(!strcmp(e.msg, "short"), "%s", e.msg);
}

static void join(const struct flag_list *f, char *buf, size_t len)
{
	size_t pos = 0;
	int i;

	buf[0] = '\0';
	for (i = 1; i < f->argc && pos < len; i++)
		pos += snprintf(buf + pos, len - pos, "%s\n", f->argv[i]);
}

static void test_format_args_roundtrip(void)
{
	static struct vm_spec again;
	static char text[8192], text2[8192];
	struct flag_list f = { 0 }, f2 = { 0 };
	struct run_opts opts;
	struct err e = { "" };

	CHECK(parse_run(&cfg, &opts, "--cpus 3 --node id=0,size=1536M,cpus=0,2 --node id=1,size=2G,mirror=on,hotplug=off,host-nodes=0,policy=preferred,backing=memfd,prefault=on --mirror 4M@0x100000 --engine qemu",
			&e) == 0, "%s", e.msg);
	CHECK(opts.engine == ENGINE_QEMU, "--engine is a run option");
	CHECK(spec__to_flags(&cfg, &f, &e) == 0, "format: %s", e.msg);
	join(&f, text, sizeof(text));
	CHECK(cli__parse_spec(f.argc, f.argv, NULL, &again, &opts, &e) == 0, "%s", e.msg);
	CHECK(spec__to_flags(&again, &f2, &e) == 0, "format 2: %s", e.msg);
	join(&f2, text2, sizeof(text2));
	CHECK(!strcmp(text, text2), "\n%s\nvs\n%s", text, text2);
	CHECK(strstr(text, "cpus=0,2"), "%s", text);
	CHECK(!strstr(text, "engine"), "run options are not the guest: %s", text);
	flags__free(&f);
	flags__free(&f2);
	spec__free(&again);
}

static void test_idlist(void)
{
	struct idset s;
	struct err e;
	char buf[64];

	CHECK(parse_idlist("0-3,6,8-9", 16, &s, &e) == 0, "%s", e.msg);
	idset_format(&s, buf, sizeof(buf));
	CHECK(!strcmp(buf, "0-3,6,8-9"), "%s", buf);
	CHECK(parse_idlist("1,", 16, &s, &e) != 0, "trailing comma");
	CHECK(parse_idlist("1-", 16, &s, &e) != 0, "open range");
	CHECK(parse_idlist("a", 16, &s, &e) != 0, "letter");
}

static void test_sizes(void)
{
	struct err e;
	u64 v;

	CHECK(parse_size("512M", &v, &e) == 0 && v == 512ULL << 20, "512M");
	CHECK(parse_size("0x1000", &v, &e) == 0 && v == 0x1000, "hex");
	CHECK(parse_size("4k", &v, &e) == 0 && v == 4096, "lower case");
	CHECK(parse_size("16T", &v, &e) == 0 && v == 16ULL << 40, "T");
	CHECK(parse_size("16777216T", &v, &e) != 0, "overflow");
	CHECK(parse_size("-1", &v, &e) != 0, "negative");
	CHECK(parse_size("", &v, &e) != 0, "empty");
}

int main(void)
{
	RUN(test_default_single_node);
	RUN(test_nodes_in_id_order_and_hole);
	RUN(test_node_exactly_at_hole);
	RUN(test_cpus_and_memory_only_nodes);
	RUN(test_reliable_ranges_merge);
	RUN(test_block_size_rule);
	RUN(test_hotplug_alignment_large);
	RUN(test_unplug_units);
	RUN(test_select_units);
	RUN(test_rejections);
	RUN(test_too_many_nodes);
	RUN(test_flags_override);
	RUN(test_node_twice);
	RUN(test_long_list_tokens);
	RUN(test_long_messages);
	RUN(test_format_args_roundtrip);
	RUN(test_idlist);
	RUN(test_sizes);
	UNIT_DONE();
}
