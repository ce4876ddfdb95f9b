// SPDX-License-Identifier: GPL-2.0
/*
 * Host side: mirror detection from recorded /proc and kernel-log fixtures,
 * and the placement report measured on this test's own memory.
 */
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "unit.h"
#include "helpers.h"
#include "host.h"
#include "json.h"
#include "backing.h"

static char fixdir[] = "/tmp/mirrorvm-host-XXXXXX";

static void put(const char *rel, const char *text)
{
	char path[512], cmd[600];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", fixdir, rel);
	snprintf(cmd, sizeof(cmd), "mkdir -p \"$(dirname '%s')\"", path);
	if (system(cmd))
		return;
	f = fopen(path, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static const char *dmesg_debug =
	"[    0.000000] efi: EFI v2.7 by mirrorvm\n"
	"[    0.000000] efi: mem07: [Conventional|   |  |  |  |  |  |  |  |  |   |WB|WT|WC|UC] range=[0x0000000000100000-0x00000000bfffffff] (3071MB)\n"
	"[    0.000000] efi: mem08: [Conventional|   |MR|  |  |  |  |  |  |  |   |WB|WT|WC|UC] range=[0x0000000100000000-0x000000011fffffff] (512MB)\n"
	"[    0.002845] efi: Memory: 512M/4096M mirrored memory\n";

static void detect_with(const char *cmdline, const char *free_huge, const char *dmesg,
			struct host_mirror *hm)
{
	char path[512];

	put("proc/cmdline", cmdline);
	put("sys/kernel/mm/hugepages/hugepages-1048576kB/free_hugepages", free_huge);
	put("dmesg", dmesg);
	snprintf(path, sizeof(path), "%s/dmesg", fixdir);
	setenv("MIRRORVM_HOST_ROOT", fixdir, 1);
	setenv("MIRRORVM_HOST_DMESG", path, 1);
	host_mirror__detect(hm);
	unsetenv("MIRRORVM_HOST_ROOT");
	unsetenv("MIRRORVM_HOST_DMESG");
}

static void test_detect_stock_kernelcore_mirror(void)
{
	struct host_mirror hm;

	detect_with("console=ttyS0 kernelcore=mirror efi=debug\n", "2\n", dmesg_debug, &hm);
	CHECK(hm.method == HOST_MIRROR_HUGETLB1G, "method %d: %s", hm.method, hm.why);
	CHECK(hm.nr_ranges == 1 && hm.ranges[0].start == 0x100000000ULL &&
	      hm.ranges[0].size == 512ULL << 20, "ranges %u", hm.nr_ranges);
	CHECK(strstr(hm.why, "not guaranteed"), "%s", hm.why);
}

static void test_detect_refusals(void)
{
	struct host_mirror hm;

	detect_with("console=ttyS0\n", "2\n", dmesg_debug, &hm);
	CHECK(hm.method == HOST_MIRROR_NONE && strstr(hm.why, "kernelcore=mirror"), "%s", hm.why);
	detect_with("kernelcore=mirror\n", "0\n", dmesg_debug, &hm);
	CHECK(hm.method == HOST_MIRROR_NONE && strstr(hm.why, "1 GiB huge pages"), "%s", hm.why);
	detect_with("kernelcore=mirror\n", "4\n", "[ 0.0] efi: EFI v2.7\n", &hm);
	CHECK(hm.method == HOST_MIRROR_NONE && strstr(hm.why, "no mirrored memory"), "%s", hm.why);
	/* kernelcore=mirrorx is not kernelcore=mirror */
	detect_with("kernelcore=mirrorx\n", "4\n", dmesg_debug, &hm);
	CHECK(hm.method == HOST_MIRROR_NONE, "%s", hm.why);
}

static void test_detect_this_host(void)
{
	struct host_mirror hm;
	struct err e = { "" };

	/* Whatever this machine is, detection must explain itself. */
	host_mirror__detect(&hm);
	CHECK(hm.why[0], "no reason given");
	if (hm.method == HOST_MIRROR_NONE)
		CHECK(host_mirror__map(&hm, SZ_2M, NULL, &e) == MAP_FAILED && e.msg[0],
		      "NONE must not map");
}

/* A FIFO without a writer is refused at once, not waited on. */
static void test_read_file_fifo(void)
{
	char path[600];
	struct err e = { "" };
	size_t len;
	u8 *buf;

	snprintf(path, sizeof(path), "%s/fifo", fixdir);
	CHECK(mkfifo(path, 0600) == 0, "mkfifo");
	alarm(10);	/* a hang ends the test binary, which run.sh reports */
	CHECK(read_file(path, &buf, &len, &e) != 0 && strstr(e.msg, "is not a regular file"),
	      "%s", e.msg);
	alarm(0);
}

/* A patched host's MFD_MIRROR refusal names what is left and the limits. */
static void test_explain_enomem(void)
{
	struct rlimit old, rl;
	char buf[300];

	put("proc/meminfo", "MemTotal:        8388608 kB\nMirrorTotal:     1048576 kB\n"
			    "MirrorFree:        12288 kB\nMemFree:         6000000 kB\n");
	put("proc/sys/vm/mirror_reserve_kbytes", "65536\n");
	getrlimit(RLIMIT_MEMLOCK, &old);
	rl = old;
	rl.rlim_cur = 8 << 20;
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_cur > rl.rlim_max)
		rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_MEMLOCK, &rl);
	setenv("MIRRORVM_HOST_ROOT", fixdir, 1);
	host_mirror__explain_enomem(buf, sizeof(buf));
	unsetenv("MIRRORVM_HOST_ROOT");
	setrlimit(RLIMIT_MEMLOCK, &old);
	CHECK(strstr(buf, "MirrorFree 12288 kB") && strstr(buf, "vm.mirror_reserve_kbytes 65536 kB"),
	      "%s", buf);
	if (rl.rlim_cur == 8 << 20)
		CHECK(strstr(buf, "RLIMIT_MEMLOCK 8192 kB"), "%s", buf);
	CHECK(strstr(buf, "memory cgroup") != NULL, "%s", buf);
}

/* Whether member @key of node @id in placement report @text is @want. */
static bool node_is(const char *text, unsigned int id, const char *key, u64 want)
{
	static const struct json_limits lim = { 1 << 20, 16, 1 << 16 };
	const struct json_value *nodes, *n;
	struct json_doc *doc;
	struct err e;
	bool ok = false;
	u64 v, nid;

	if (json_parse(text, strlen(text), &lim, &doc, NULL, &e))
		return false;
	if (!json_get_array(json_root(doc), "nodes", &nodes, &e)) {
		json_for_each(n, nodes) {
			if (!json_get_u64(n, "id", &nid, &e) && nid == id &&
			    !json_get_u64(n, key, &v, &e))
				ok = v == want;
		}
	}
	json_doc_free(doc);
	return ok;
}

static void test_placement_report(void)
{
	static struct vm_spec cfg;
	static struct layout lay;
	struct host_mirror hm;
	struct ram_mapping ram[2];
	struct err e = { "" };
	char path[512], *json;
	u8 *buf;
	size_t len;
	u8 *a, *b;
	unsigned int i;

	CHECK(build_layout("--node id=0,size=8M --node id=1,size=4M --mirror 4M@0x0", &cfg, &lay, &e) == 0,
	      "%s", e.msg);
	memset(&hm, 0, sizeof(hm));
	snprintf(hm.why, sizeof(hm.why), "test \"quoted\"");
	/* every physical address counts as mirrored */
	hm.nr_ranges = 1;
	hm.ranges[0].start = 0;
	hm.ranges[0].size = 1ULL << 52;
	a = mmap(NULL, 8 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	b = mmap(NULL, 4 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(a != MAP_FAILED && b != MAP_FAILED, "mmap");
	/* touch 1 MiB of the reliable 4M, 2 MiB of node 0's rest, nothing of node 1 */
	for (i = 0; i < 256; i++)
		a[i * 4096] = 1;
	for (i = 0; i < 512; i++)
		a[(4 << 20) + i * 4096] = 1;
	memset(ram, 0, sizeof(ram));
	ram[0].slot = (struct mem_slot){ 0, 4 << 20, 0, true };
	ram[0].hva = a;
	ram[1].slot = (struct mem_slot){ 4 << 20, 4 << 20, 0, false };
	ram[1].hva = a + (4 << 20);
	{
		struct ram_mapping all[3] = { ram[0], ram[1],
			{ { 8 << 20, 4 << 20, 1, false }, b, false } };

		snprintf(path, sizeof(path), "%s/report.json", fixdir);
		FILE *f = placement__open(path, &e);

		CHECK(f && placement__report(&lay, &hm, all, 3, f, path, &e) == 0, "%s", e.msg);
	}
	CHECK(read_file(path, &buf, &len, &e) == 0, "%s", e.msg);
	json = (char *)buf;
	CHECK(node_is(json, 0, "guest_bytes", 8388608) && node_is(json, 0, "reliable_bytes", 4194304) &&
	      node_is(json, 0, "resident_bytes", 3145728) &&
	      node_is(json, 0, "reliable_resident_bytes", 1048576) &&
	      node_is(json, 0, "unplugged_bytes", 0), "node 0: %s", json);
	CHECK(node_is(json, 1, "guest_bytes", 4194304) && node_is(json, 1, "reliable_bytes", 0) &&
	      node_is(json, 1, "resident_bytes", 0), "node 1: %s", json);
	CHECK(strstr(json, "\"why\": \"test \\\"quoted\\\"\""), "escaping: %s", json);
	CHECK(strstr(json, "\"vmm_overhead_bytes\": "), "overhead");
	if (geteuid() == 0) {
		CHECK(strstr(json, "\"pfns_visible\": true"), "%s", json);
		CHECK(node_is(json, 0, "mirrored_bytes", 1048576), "%s", json);
	}
	free(buf);
	/* a hot-unplugged slot: not scanned, counted as unplugged */
	{
		struct ram_mapping all[3] = { ram[0], ram[1],
			{ { 8 << 20, 4 << 20, 1, false }, b, false, true } };

		FILE *f = placement__open(path, &e);

		CHECK(f && placement__report(&lay, &hm, all, 3, f, path, &e) == 0, "%s", e.msg);
	}
	CHECK(read_file(path, &buf, &len, &e) == 0, "%s", e.msg);
	json = (char *)buf;
	CHECK(node_is(json, 1, "guest_bytes", 0) && node_is(json, 1, "unplugged_bytes", 4194304) &&
	      node_is(json, 0, "resident_bytes", 3145728), "unplugged: %s", json);
	free(buf);
	munmap(a, 8 << 20);
	munmap(b, 4 << 20);
}

static int check_backing(const char *flags, struct err *e)
{
	static struct vm_spec cfg;
	static struct layout lay;
	struct mem_slot slots[MAX_SLOTS];
	unsigned int nr;
	int ret;

	if (build_layout(flags, &cfg, &lay, e))
		return -1;
	nr = layout__slots(&lay, slots, MAX_SLOTS);
	setenv("MIRRORVM_HOST_ROOT", fixdir, 1);
	ret = backing__check(&lay, slots, nr, false, e);
	unsetenv("MIRRORVM_HOST_ROOT");
	return ret;
}

/* policy=bind takes huge pages only from the bound host nodes: counted there. */
static void test_huge_pages_per_host_node(void)
{
	static const char *g = "sys/kernel/mm/hugepages/hugepages-2048kB/";
	static const char *n0 = "sys/devices/system/node/node0/hugepages/hugepages-2048kB/free_hugepages";
	static const char *n1 = "sys/devices/system/node/node1/hugepages/hugepages-2048kB/free_hugepages";
	struct err e = { "" };
	char path[256];

	snprintf(path, sizeof(path), "%snr_hugepages", g);
	put(path, "1000\n");
	snprintf(path, sizeof(path), "%sfree_hugepages", g);
	put(path, "1000\n");
	snprintf(path, sizeof(path), "%sresv_hugepages", g);
	put(path, "0\n");
	put(n0, "900\n");
	put(n1, "100\n");
	/* 512 pages: enough host-wide, not on node 1 */
	CHECK(check_backing("--node id=0,size=1G,backing=hugetlb2m,host-nodes=1", &e) != 0 &&
	      strstr(e.msg, "node 0: backing=hugetlb2m with host-nodes=1 and policy=bind needs 512 free 2M huge pages on those host nodes, they have 100"),
	      "%s", e.msg);
	CHECK(check_backing("--node id=0,size=1G,backing=hugetlb2m,host-nodes=0", &e) == 0, "%s", e.msg);
	CHECK(check_backing("--node id=0,size=1G,backing=hugetlb2m,host-nodes=0-1", &e) == 0, "%s", e.msg);
	/* preferred may fall back to other nodes: only the host-wide count applies */
	CHECK(check_backing("--node id=0,size=1G,backing=hugetlb2m,host-nodes=1,policy=preferred", &e) == 0,
	      "%s", e.msg);
	/* host-wide shortage is still named as before */
	CHECK(check_backing("--node id=0,size=4G,backing=hugetlb2m,host-nodes=0-1", &e) != 0 &&
	      strstr(e.msg, "needs 2048 free 2M huge pages, the host has 1000"), "%s", e.msg);
}

int main(void)
{
	if (!mkdtemp(fixdir))
		return 1;
	RUN(test_detect_stock_kernelcore_mirror);
	RUN(test_detect_refusals);
	RUN(test_detect_this_host);
	RUN(test_explain_enomem);
	RUN(test_read_file_fifo);
	RUN(test_placement_report);
	RUN(test_huge_pages_per_host_node);
	{
		char cmd[600];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fixdir);
		if (system(cmd))
			printf("could not remove %s\n", fixdir);
	}
	UNIT_DONE();
}
