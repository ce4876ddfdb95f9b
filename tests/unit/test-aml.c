// SPDX-License-Identifier: GPL-2.0
/*
 * The AML encoder (vmm/fw/aml.c) and struct acpi_buf:
 * - every builder's bytes against what the real iasl makes of the same ASL:
 *   the ASL is in the comment above each expected array; regenerate with
 *   "tests/unit/aml-expect.sh < snippet.asl" (the snippet goes inside a
 *   DSDT DefinitionBlock and the 36-byte header is left out);
 * - the error contract of aml.h and acpi.h: bad arguments and failed
 *   allocations reach the root as -EINVAL or -ENOMEM, without a crash or,
 *   under ASan, a leak.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "acpi.h"
#include "aml.h"
#include "unit.h"

static void dump(const char *what, const u8 *p, size_t len)
{
	size_t i;

	printf("  %s (%zu bytes):", what, len);
	for (i = 0; i < len; i++)
		printf("%s%02x", i % 16 ? " " : "\n    ", p[i]);
	printf("\n");
}

/* Serialises (and frees) @root and compares it with @want. */
static void check_bytes(int line, struct aml *root, const u8 *want, size_t want_len)
{
	u8 *got;
	size_t len;
	int ret = aml_serialize(root, &got, &len);

	CHECK(ret == 0, "line %d: aml_serialize failed: %d", line, ret);
	if (ret)
		return;
	CHECK(len == want_len && !memcmp(got, want, len),
	      "line %d: bytes differ from iasl's", line);
	if (len != want_len || memcmp(got, want, len)) {
		dump("got", got, len);
		dump("iasl", want, want_len);
	}
	free(got);
}

#define CHECK_BYTES(root, want) check_bytes(__LINE__, root, want, sizeof(want))

/* Appends @child to @parent and returns @child's error, for the error tests. */
static int append_err(struct aml *child)
{
	struct aml *root = aml_raw();
	u8 *out = (u8 *)1;
	size_t len = 1;
	int ret;

	aml_append(root, child);
	ret = aml_serialize(root, &out, &len);
	CHECK(ret || out, "success without bytes");
	if (ret)
		CHECK(!out && !len, "a failed serialisation returned bytes");
	free(out);
	return ret;
}

/* What dsdt.c builds, plus a string and integers of every size. */
static struct aml *existing_tree(void)
{
	static const u64 ints[] = {
		1, 0x12, 0x1234, 0x12345678, 0x123456789aULL, ~0ULL, 0xff, 0x100,
		0x10000, 0x100000000ULL
	};
	struct aml *root = aml_raw();
	struct aml *sb = aml_scope("\\_SB");
	struct aml *dev = aml_device("COM1");
	struct aml *crs = aml_resource_template();
	struct aml *pkg;
	unsigned int i;

	aml_append(dev, aml_name("_HID", aml_eisaid("PNP0501")));
	aml_append(dev, aml_name("_UID", aml_int(0)));
	aml_res_io(crs, 0x3f8, 8);
	aml_res_irq(crs, 4);
	aml_append(dev, aml_name("_CRS", aml_resource_end(crs)));
	aml_append(sb, dev);
	aml_append(sb, aml_name("STR0", aml_string("QEMU0001")));
	aml_append(root, sb);
	pkg = aml_package(4);
	aml_append(pkg, aml_int(5));
	aml_append(pkg, aml_int(5));
	aml_append(pkg, aml_int(0));
	aml_append(pkg, aml_int(0));
	aml_append(root, aml_name("\\_S5", pkg));
	pkg = aml_package(ARRAY_SIZE(ints));
	for (i = 0; i < ARRAY_SIZE(ints); i++)
		aml_append(pkg, aml_int(ints[i]));
	aml_append(root, aml_name("INTS", pkg));
	return root;
}

/*
 * The terms mirrorvm had before: dsdt.c builds its DSDT from these.  iasl
 * is run with -on (no namepath optimisation): otherwise it drops the '\'
 * of \_SB and \_S5 at the root, where it changes nothing.
 */
static void test_existing_builders(void)
{
	/*
	 * Scope (\_SB)
	 * {
	 *     Device (COM1)
	 *     {
	 *         Name (_HID, EisaId ("PNP0501"))
	 *         Name (_UID, Zero)
	 *         Name (_CRS, ResourceTemplate () { IO (Decode16, 0x03F8, 0x03F8, 0x01, 0x08) IRQNoFlags () {4} })
	 *     }
	 *     Name (STR0, "QEMU0001")
	 * }
	 * Name (\_S5, Package (0x04) { 0x05, 0x05, Zero, Zero })
	 * Name (INTS, Package () { One, 0x12, 0x1234, 0x12345678, 0x123456789A, 0xFFFFFFFFFFFFFFFF, 0xFF, 0x100, 0x10000, 0x100000000 })
	 */
	static const u8 want[] = {
		0x10, 0x43, 0x04, 0x5c, 0x5f, 0x53, 0x42, 0x5f, 0x5b, 0x82, 0x2b, 0x43,
		0x4f, 0x4d, 0x31, 0x08, 0x5f, 0x48, 0x49, 0x44, 0x0c, 0x41, 0xd0, 0x05,
		0x01, 0x08, 0x5f, 0x55, 0x49, 0x44, 0x00, 0x08, 0x5f, 0x43, 0x52, 0x53,
		0x11, 0x10, 0x0a, 0x0d, 0x47, 0x01, 0xf8, 0x03, 0xf8, 0x03, 0x01, 0x08,
		0x22, 0x10, 0x00, 0x79, 0x00, 0x08, 0x53, 0x54, 0x52, 0x30, 0x0d, 0x51,
		0x45, 0x4d, 0x55, 0x30, 0x30, 0x30, 0x31, 0x00, 0x08, 0x5c, 0x5f, 0x53,
		0x35, 0x5f, 0x12, 0x08, 0x04, 0x0a, 0x05, 0x0a, 0x05, 0x00, 0x00, 0x08,
		0x49, 0x4e, 0x54, 0x53, 0x12, 0x2a, 0x0a, 0x01, 0x0a, 0x12, 0x0b, 0x34,
		0x12, 0x0c, 0x78, 0x56, 0x34, 0x12, 0x0e, 0x9a, 0x78, 0x56, 0x34, 0x12,
		0x00, 0x00, 0x00, 0xff, 0x0a, 0xff, 0x0b, 0x00, 0x01, 0x0c, 0x00, 0x00,
		0x01, 0x00, 0x0e, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00
	};
	CHECK_BYTES(existing_tree(), want);
}

static const char *const bad_names[] = {
	"", "ABCDE", "abcd", "1ABC", "A-B", "AB..CD", "AB.", ".AB", "^",
	"\\^A", "\\\\A", "A B", "^\\A", "_SB.TOOLONG",
};

/* NameStrings (20.2.2) the terms dsdt.c uses refuse, and some they take. */
static void test_bad_names(void)
{
	static const char *const good[] = { "\\", "^^A", "\\_SB.A.B9", "_", "A.B.C.D" };
	char path[256 * 2 + 1];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad_names); i++) {
		const char *n = bad_names[i];

		CHECK(append_err(aml_scope(n)) == -EINVAL, "aml_scope(\"%s\")", n);
		CHECK(append_err(aml_device(n)) == -EINVAL, "aml_device(\"%s\")", n);
		/* the value is freed all the same (ASan would see a leak) */
		CHECK(append_err(aml_name(n, aml_int(5))) == -EINVAL, "aml_name(\"%s\")", n);
	}
	CHECK(append_err(aml_scope(NULL)) == -EINVAL, "aml_scope(NULL)");
	for (i = 0; i < ARRAY_SIZE(good); i++)
		CHECK(append_err(aml_scope(good[i])) == 0, "aml_scope(\"%s\")", good[i]);

	/* SegCount is a byte: 255 segments at most */
	for (i = 0; i < 255; i++)
		memcpy(path + 2 * i, i ? ".A" : "AA", 2);
	path[2 * 255] = '\0';
	CHECK(append_err(aml_scope(path)) == 0, "255 segments");
	memcpy(path + 2 * 255, ".A", 3);
	CHECK(append_err(aml_scope(path)) == -EINVAL, "256 segments");
}

static void test_bad_data(void)
{
	static const char *const bad_ids[] = {
		"pnp0501", "PNP050", "PNP05011", "PNP0G01", "@NP0501", "[NP0501", "", NULL,
	};
	u8 s[2] = { 0x80, 0 };
	struct aml *rt;
	unsigned int i;

	CHECK(append_err(aml_package(256)) == -EINVAL, "NumElements 256");
	CHECK(append_err(aml_string((char *)s)) == -EINVAL, "non-ASCII string");
	CHECK(append_err(aml_string(NULL)) == -EINVAL, "NULL string");
	CHECK(append_err(aml_eisaid("PNP0a01")) == 0, "lowercase hex digits (as iasl)");
	for (i = 0; i < ARRAY_SIZE(bad_ids); i++)
		CHECK(append_err(aml_eisaid(bad_ids[i])) == -EINVAL, "EisaId (\"%s\")",
		      bad_ids[i] ? bad_ids[i] : "(null)");
	rt = aml_resource_template();
	aml_res_irq(rt, 16);
	CHECK(append_err(aml_resource_end(rt)) == -EINVAL, "IRQNoFlags () {16}");
}

/* Appends the grammar forbids, and NULLs where a node should be. */
static void test_bad_composition(void)
{
	struct aml *dev, *rt;
	u8 *out = NULL;
	size_t len = 0;

	rt = aml_resource_template();
	aml_res_io(rt, 0x3f8, 8);
	CHECK(append_err(aml_name("_CRS", rt)) == -EINVAL, "a template without its end");
	rt = aml_resource_template();
	aml_append(rt, aml_int(1));
	CHECK(append_err(aml_resource_end(rt)) == -EINVAL, "a term in a template");
	dev = aml_device("D");
	aml_res_io(dev, 0x3f8, 8);
	CHECK(append_err(dev) == -EINVAL, "a descriptor in a Device");
	CHECK(append_err(aml_resource_end(aml_device("D"))) == -EINVAL,
	      "aml_resource_end of a Device");
	CHECK(append_err(aml_resource_end(NULL)) == -EINVAL, "aml_resource_end (NULL)");
	aml_res_io(NULL, 0x3f8, 8);	/* nothing to report it to, but no crash */

	dev = aml_device("D");
	CHECK(aml_append(dev, dev) == dev, "appending to itself");
	CHECK(append_err(dev) == -EINVAL, "a node appended to itself");
	CHECK(append_err(aml_append(NULL, aml_int(1))) == -EINVAL, "NULL parent");
	CHECK(append_err(aml_append(aml_device("D"), NULL)) == -EINVAL, "NULL child");
	CHECK(append_err(aml_finish(NULL)) == -EINVAL, "aml_finish (NULL)");
	CHECK(aml_err(NULL) == -EINVAL, "aml_err (NULL)");
	aml_free(NULL);

	CHECK(aml_serialize(NULL, &out, &len) == -EINVAL && !out && !len, "aml_serialize (NULL)");
	CHECK(aml_serialize(aml_int(1), NULL, &len) == -EINVAL, "no output pointer");
	CHECK(aml_serialize(aml_raw(), &out, &len) == 0 && out && !len, "an empty list");
	free(out);

	/* a failed child deep in a tree reaches the root */
	CHECK(append_err(aml_append(aml_scope("\\_SB"),
				    aml_append(aml_device("D"),
					       aml_name("_HID", aml_eisaid("PNP05"))))) == -EINVAL,
	      "a bad EisaId deep in a tree");
}

/* Fault injection: fail the Nth allocation, or every one from the Nth. */
static unsigned long nr_allocs, fail_from;
static bool fail_all_after;

static bool fail_nth(void)
{
	nr_allocs++;
	return fail_all_after ? nr_allocs >= fail_from : nr_allocs == fail_from;
}

/* Builds a tree failing each allocation in turn, then from each on. */
static void alloc_failures(struct aml *(*build)(void), const char *what)
{
	unsigned long n;
	unsigned int pass, runs = 0, nomem = 0;

	for (pass = 0; pass < 2; pass++) {
		fail_all_after = pass;
		for (n = 1;; n++) {
			u8 *out = (u8 *)1;
			size_t len = 1;
			int ret;

			nr_allocs = 0;
			fail_from = n;
			aml_fail_alloc_hook = fail_nth;
			ret = aml_serialize(build(), &out, &len);
			aml_fail_alloc_hook = NULL;
			runs++;
			if (nr_allocs < n) {	/* nothing failed: done */
				CHECK(ret == 0 && out && len > 0, "%s: the clean run: %d", what, ret);
				free(out);
				break;
			}
			nomem++;
			CHECK(ret == -ENOMEM, "%s: allocation %lu failed: got %d", what, n, ret);
			CHECK(!out && !len, "%s: allocation %lu failed: bytes returned", what, n);
			if (ret != -ENOMEM)
				break;
		}
	}
	CHECK(nomem > 20, "%s: only %u allocations", what, nomem);
	printf("  %s: %u builds, %u with an allocation failed\n", what, runs, nomem);
}

static void test_alloc_failures(void)
{
	alloc_failures(existing_tree, "dsdt.c's terms");
}

/* A package of @n DWords: about 5n bytes of AML. */
static struct aml *dwords(unsigned int n)
{
	struct aml *pkg = aml_package(n);

	while (n--)
		aml_append(pkg, aml_int(0x12345678));
	return aml_name("DWDS", pkg);
}

static void test_acpi_buf(void)
{
	struct acpi_buf b;
	void *p;

	/* a table built without failure */
	acpi_buf_begin(&b, "TEST", 1);
	memset(acpi_buf_append(&b, 8), 0xab, 8);
	acpi_buf_append_aml(&b, aml_name("X", aml_int(7)));
	CHECK(acpi_buf_end(&b) == 0, "end: %d", b.err);
	CHECK(b.len == 36 + 8 + 7 && acpi_checksum(b.data, b.len) == 0, "%zu bytes", b.len);
	CHECK(!memcmp(b.data + 44, "\x08X___\x0a\x07", 7), "AML appended");
	acpi_buf_free(&b);

	/* an AML error reaches acpi_buf_end() */
	acpi_buf_begin(&b, "TEST", 1);
	acpi_buf_append_aml(&b, aml_name("TOOLONG", aml_int(7)));
	memset(acpi_buf_append(&b, 8), 0xab, 8);	/* harmless */
	CHECK(acpi_buf_end(&b) == -EINVAL, "end: %d", b.err);
	acpi_buf_free(&b);

	/* the header cannot be allocated: stores still land somewhere */
	nr_allocs = 0;
	fail_from = 1;
	fail_all_after = true;
	acpi_buf_fail_alloc_hook = fail_nth;
	acpi_buf_begin(&b, "TEST", 1);
	CHECK(b.data && !b.len, "a failed buffer's data");
	((struct acpi_table_header *)b.data)->revision = 2;	/* as madt.c does */
	p = acpi_buf_append(&b, ACPI_BUF_SCRATCH);
	CHECK(p, "a scratch area");
	if (p)
		memset(p, 0xab, ACPI_BUF_SCRATCH);
	CHECK(!acpi_buf_append(&b, ACPI_BUF_SCRATCH + 1), "more than the scratch area");
	acpi_buf_append_aml(&b, aml_name("X", aml_int(7)));
	CHECK(acpi_buf_end(&b) == -ENOMEM, "end: %d", b.err);
	acpi_buf_free(&b);

	/* growing fails later: the same, and the first allocation is freed */
	nr_allocs = 0;
	fail_from = 2;
	acpi_buf_begin(&b, "TEST", 1);
	CHECK(!b.err, "the header fits");
	acpi_buf_append_aml(&b, dwords(255));
	CHECK(acpi_buf_end(&b) == -ENOMEM, "end: %d", b.err);
	acpi_buf_free(&b);
	acpi_buf_fail_alloc_hook = NULL;

	/* never begun */
	memset(&b, 0, sizeof(b));
	CHECK(acpi_buf_end(&b) == -EINVAL, "end of nothing: %d", b.err);
	acpi_buf_free(&b);
}

int main(void)
{
	RUN(test_existing_builders);
	RUN(test_bad_names);
	RUN(test_bad_data);
	RUN(test_bad_composition);
	RUN(test_alloc_failures);
	RUN(test_acpi_buf);
	UNIT_DONE();
}
