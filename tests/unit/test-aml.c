// SPDX-License-Identifier: GPL-2.0
/*
 * The AML encoder (vmm/fw/aml.c) and struct acpi_buf:
 * - every builder's bytes against what the real iasl makes of the same ASL:
 *   the ASL is in the comment above each expected array; regenerate with
 *   "tests/unit/aml-expect.sh < snippet.asl" (the snippet goes inside a
 *   DSDT DefinitionBlock and the 36-byte header is left out);
 * - the memory hot-unplug DSDT sketched in the design notes, compared with
 *   iasl's compilation of the same ASL, disassembled with iasl -d and
 *   compiled back (skipped, with a note, when iasl is not installed);
 * - the error contract of aml.h and acpi.h: bad arguments and failed
 *   allocations reach the root as -EINVAL or -ENOMEM, without a crash or,
 *   under ASan, a leak.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

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

/*
 * Every NameString form; iasl run with -on (no namepath optimisation), so
 * that it keeps the paths as written.
 *
 * Scope (\) { Name (RT, One) }
 * Scope (\_SB)
 * {
 *     Device (MHPC)
 *     {
 *         Name (_HID, "PNP0A06")
 *         Method (MSCN) { Return (Zero) }
 *         Device (M000) { Name (_ADR, Zero) Method (_STA) { Return (^^MSCN ()) } }
 *     }
 * }
 * Name (_SB.DUAL, One)
 * Method (TEST) { Return (\_SB.MHPC.MSCN ()) }
 * Method (TST2) { Return (^_SB.MHPC.M000._ADR) }
 */
static void test_names(void)
{
	static const u8 want[] = {
		0x10, 0x09, 0x5c, 0x00, 0x08, 0x52, 0x54, 0x5f, 0x5f, 0x01, 0x10, 0x3f,
		0x5c, 0x5f, 0x53, 0x42, 0x5f, 0x5b, 0x82, 0x37, 0x4d, 0x48, 0x50, 0x43,
		0x08, 0x5f, 0x48, 0x49, 0x44, 0x0d, 0x50, 0x4e, 0x50, 0x30, 0x41, 0x30,
		0x36, 0x00, 0x14, 0x08, 0x4d, 0x53, 0x43, 0x4e, 0x00, 0xa4, 0x00, 0x5b,
		0x82, 0x19, 0x4d, 0x30, 0x30, 0x30, 0x08, 0x5f, 0x41, 0x44, 0x52, 0x00,
		0x14, 0x0d, 0x5f, 0x53, 0x54, 0x41, 0x00, 0xa4, 0x5e, 0x5e, 0x4d, 0x53,
		0x43, 0x4e, 0x08, 0x2e, 0x5f, 0x53, 0x42, 0x5f, 0x44, 0x55, 0x41, 0x4c,
		0x01, 0x14, 0x16, 0x54, 0x45, 0x53, 0x54, 0x00, 0xa4, 0x5c, 0x2f, 0x03,
		0x5f, 0x53, 0x42, 0x5f, 0x4d, 0x48, 0x50, 0x43, 0x4d, 0x53, 0x43, 0x4e,
		0x14, 0x1a, 0x54, 0x53, 0x54, 0x32, 0x00, 0xa4, 0x5e, 0x2f, 0x04, 0x5f,
		0x53, 0x42, 0x5f, 0x4d, 0x48, 0x50, 0x43, 0x4d, 0x30, 0x30, 0x30, 0x5f,
		0x41, 0x44, 0x52
	};
	struct aml *root = aml_raw();
	struct aml *s, *dev, *sub, *m;

	s = aml_scope("\\");
	aml_append(s, aml_name("RT", aml_int(1)));
	aml_append(root, s);
	s = aml_scope("\\_SB");
	dev = aml_device("MHPC");
	aml_append(dev, aml_name("_HID", aml_string("PNP0A06")));
	m = aml_method("MSCN", 0, false);
	aml_append(m, aml_return(aml_int(0)));
	aml_append(dev, m);
	sub = aml_device("M000");
	aml_append(sub, aml_name("_ADR", aml_int(0)));
	m = aml_method("_STA", 0, false);
	aml_append(m, aml_return(aml_call0("^^MSCN")));
	aml_append(sub, m);
	aml_append(dev, sub);
	aml_append(s, dev);
	aml_append(root, s);
	aml_append(root, aml_name("_SB.DUAL", aml_int(1)));
	m = aml_method("TEST", 0, false);
	aml_append(m, aml_return(aml_call0("\\_SB.MHPC.MSCN")));
	aml_append(root, m);
	m = aml_method("TST2", 0, false);
	aml_append(m, aml_return(aml_ref("^_SB.MHPC.M000._ADR")));
	aml_append(root, m);
	CHECK_BYTES(root, want);
}

/*
 * PkgLength (20.2.4) around its 1/2/3/4-byte boundaries, on a Buffer of n
 * bytes i & 0xff (BufferSize a Byte-, Word- or DWordConst):
 *   Name (BUF, Buffer () { 0x00, 0x01, ... })
 * The table gives the bytes of "11 PkgLength".  For n = 60, 61, 4090 and
 * 4091 they are iasl's.  iasl needs more than half an hour for a list of
 * a million bytes, so for n = 1048567 and 1048568 (3 and 4 bytes) they
 * come from 20.2.4, checked with iasl -d on our table with a Name after
 * the Buffer: it finds both Buffers whole and the Name after them.
 */
static void test_pkglength(void)
{
	static const struct {
		size_t n;
		u8 pkglen[5];	/* BufferOp, then the PkgLength */
		size_t pkglen_len;
	} t[] = {
		{ 60, { 0x11, 0x3f }, 2 },
		{ 61, { 0x11, 0x41, 0x04 }, 3 },
		{ 4090, { 0x11, 0x4f, 0xff }, 3 },
		{ 4091, { 0x11, 0x81, 0x00, 0x01 }, 4 },
		{ 1048567, { 0x11, 0x8f, 0xff, 0xff }, 4 },
		{ 1048568, { 0x11, 0xc1, 0x00, 0x00, 0x01 }, 5 },
	};
	unsigned int i;
	size_t j;

	for (i = 0; i < ARRAY_SIZE(t); i++) {
		u8 *data = malloc(t[i].n), *got;
		size_t len, hdr = 5 + t[i].pkglen_len;	/* Name op, "BUF_", ... */
		int ret;

		for (j = 0; j < t[i].n; j++)
			data[j] = j;
		ret = aml_serialize(aml_name("BUF", aml_buffer(t[i].n, data)), &got, &len);
		CHECK(ret == 0, "n=%zu: %d", t[i].n, ret);
		if (ret) {
			free(data);
			continue;
		}
		CHECK(!memcmp(got, "\x08" "BUF_", 5) &&
		      !memcmp(got + 5, t[i].pkglen, t[i].pkglen_len),
		      "n=%zu: PkgLength %02x %02x %02x %02x", t[i].n,
		      got[6], got[7], got[8], got[9]);
		/* then BufferSize and the bytes themselves */
		hdr += t[i].n < 0x100 ? 2 : t[i].n < 0x10000 ? 3 : 5;
		CHECK(len == hdr + t[i].n && !memcmp(got + hdr, data, t[i].n),
		      "n=%zu: %zu bytes", t[i].n, len);
		free(got);
		free(data);
	}
}

/*
 * Method (M0) { }
 * Method (M1, 1) { }
 * Method (M2, 2, Serialized) { }
 * Method (M7, 7, NotSerialized) { }
 */
static void test_method(void)
{
	static const u8 want[] = {
		0x14, 0x06, 0x4d, 0x30, 0x5f, 0x5f, 0x00, 0x14, 0x06, 0x4d, 0x31, 0x5f,
		0x5f, 0x01, 0x14, 0x06, 0x4d, 0x32, 0x5f, 0x5f, 0x0a, 0x14, 0x06, 0x4d,
		0x37, 0x5f, 0x5f, 0x07
	};
	struct aml *root = aml_raw();

	aml_append(root, aml_method("M0", 0, false));
	aml_append(root, aml_method("M1", 1, false));
	aml_append(root, aml_method("M2", 2, true));
	aml_append(root, aml_method("M7", 7, false));
	CHECK_BYTES(root, want);
}

static struct aml *if_return(struct aml *predicate, u64 v)
{
	return aml_append(aml_if(predicate), aml_return(aml_int(v)));
}

static struct aml *else_return(u64 v)
{
	return aml_append(aml_else(), aml_return(aml_int(v)));
}

/*
 * Method (TEST, 1)
 * {
 *     If (Arg0) { Return (One) }
 *     If (Arg0 == 2) { Return (0x02) } Else { Return (0x03) }
 *     If (Arg0 == 4) { Return (0x04) } ElseIf (Arg0 == 5) { Return (0x05) } Else { Return (0x06) }
 *     While (Arg0 < 0x10) { Arg0++ }
 *     Return (Zero)
 * }
 */
static void test_if_else_while(void)
{
	static const u8 want[] = {
		0x14, 0x3c, 0x54, 0x45, 0x53, 0x54, 0x01, 0xa0, 0x04, 0x68, 0xa4, 0x01,
		0xa0, 0x08, 0x93, 0x68, 0x0a, 0x02, 0xa4, 0x0a, 0x02, 0xa1, 0x04, 0xa4,
		0x0a, 0x03, 0xa0, 0x08, 0x93, 0x68, 0x0a, 0x04, 0xa4, 0x0a, 0x04, 0xa1,
		0x0f, 0xa0, 0x08, 0x93, 0x68, 0x0a, 0x05, 0xa4, 0x0a, 0x05, 0xa1, 0x04,
		0xa4, 0x0a, 0x06, 0xa2, 0x07, 0x95, 0x68, 0x0a, 0x10, 0x75, 0x68, 0xa4,
		0x00
	};
	struct aml *m = aml_method("TEST", 1, false);
	struct aml *elseif, *loop;

	aml_append(m, if_return(aml_arg(0), 1));
	aml_append(m, if_return(aml_equal(aml_arg(0), aml_int(2)), 2));
	aml_append(m, else_return(3));
	aml_append(m, if_return(aml_equal(aml_arg(0), aml_int(4)), 4));
	elseif = aml_else();
	aml_append(elseif, if_return(aml_equal(aml_arg(0), aml_int(5)), 5));
	aml_append(elseif, else_return(6));
	aml_append(m, elseif);
	loop = aml_while(aml_lless(aml_arg(0), aml_int(0x10)));
	aml_append(loop, aml_increment(aml_arg(0)));
	aml_append(m, loop);
	aml_append(m, aml_return(aml_int(0)));
	CHECK_BYTES(m, want);
}

/*
 * Method (TEST, 7)
 * {
 *     Local0 = Arg0
 *     Local1 = Arg1
 *     Local2 = Arg2
 *     Local3 = Arg3
 *     Local4 = Arg4
 *     Local5 = Arg5
 *     Local6 = Arg6
 *     Local7 = 0x0F
 *     Return (Local0 + Local1 + Local2 + Local3 + Local4 + Local5 + Local6 + Local7)
 * }
 */
static void test_store_arg_local(void)
{
	static const u8 want[] = {
		0x14, 0x36, 0x54, 0x45, 0x53, 0x54, 0x07, 0x70, 0x68, 0x60, 0x70, 0x69,
		0x61, 0x70, 0x6a, 0x62, 0x70, 0x6b, 0x63, 0x70, 0x6c, 0x64, 0x70, 0x6d,
		0x65, 0x70, 0x6e, 0x66, 0x70, 0x0a, 0x0f, 0x67, 0xa4, 0x72, 0x72, 0x72,
		0x72, 0x72, 0x72, 0x72, 0x60, 0x61, 0x00, 0x62, 0x00, 0x63, 0x00, 0x64,
		0x00, 0x65, 0x00, 0x66, 0x00, 0x67, 0x00
	};
	struct aml *m = aml_method("TEST", 7, false);
	struct aml *sum;
	unsigned int i;

	for (i = 0; i < 7; i++)
		aml_append(m, aml_store(aml_arg(i), aml_local(i)));
	aml_append(m, aml_store(aml_int(0x0f), aml_local(7)));
	sum = aml_local(0);
	for (i = 1; i < 8; i++)
		sum = aml_add(sum, aml_local(i), NULL);
	aml_append(m, aml_return(sum));
	CHECK_BYTES(m, want);
}

/*
 * Method (TEST, 2)
 * {
 *     If (Arg0 == Arg1) { Return (One) }
 *     If (Arg0 < Arg1) { Return (0x02) }
 *     If (Arg0 > Arg1) { Return (0x03) }
 *     If (Arg0 && Arg1) { Return (0x04) }
 *     If (Arg0 || Arg1) { Return (0x05) }
 *     If (!Arg0) { Return (0x06) }
 *     Return (Zero)
 * }
 */
static void test_logic(void)
{
	static const u8 want[] = {
		0x14, 0x36, 0x54, 0x45, 0x53, 0x54, 0x02, 0xa0, 0x06, 0x93, 0x68, 0x69,
		0xa4, 0x01, 0xa0, 0x07, 0x95, 0x68, 0x69, 0xa4, 0x0a, 0x02, 0xa0, 0x07,
		0x94, 0x68, 0x69, 0xa4, 0x0a, 0x03, 0xa0, 0x07, 0x90, 0x68, 0x69, 0xa4,
		0x0a, 0x04, 0xa0, 0x07, 0x91, 0x68, 0x69, 0xa4, 0x0a, 0x05, 0xa0, 0x06,
		0x92, 0x68, 0xa4, 0x0a, 0x06, 0xa4, 0x00
	};
	struct aml *m = aml_method("TEST", 2, false);

	aml_append(m, if_return(aml_equal(aml_arg(0), aml_arg(1)), 1));
	aml_append(m, if_return(aml_lless(aml_arg(0), aml_arg(1)), 2));
	aml_append(m, if_return(aml_lgreater(aml_arg(0), aml_arg(1)), 3));
	aml_append(m, if_return(aml_land(aml_arg(0), aml_arg(1)), 4));
	aml_append(m, if_return(aml_lor(aml_arg(0), aml_arg(1)), 5));
	aml_append(m, if_return(aml_lnot(aml_arg(0)), 6));
	aml_append(m, aml_return(aml_int(0)));
	CHECK_BYTES(m, want);
}

/*
 * Method (TEST, 2)
 * {
 *     Local0 = Arg0 + Arg1
 *     Local1 = Arg0 - 0x02
 *     Local2 = Arg0 & 0xFF
 *     Local3 = Arg0 | 0x0100
 *     Local4 = One << Arg1
 *     Local4++
 *     Local4--
 *     Return (Add (Local0, Local1) + Subtract (Local2, Local3) + And (Local4, One) + Or (Local4, Local4) + ShiftLeft (Local4, 0x02))
 * }
 */
static void test_arithmetic(void)
{
	static const u8 want[] = {
		0x14, 0x41, 0x04, 0x54, 0x45, 0x53, 0x54, 0x02, 0x72, 0x68, 0x69, 0x60,
		0x74, 0x68, 0x0a, 0x02, 0x61, 0x7b, 0x68, 0x0a, 0xff, 0x62, 0x7d, 0x68,
		0x0b, 0x00, 0x01, 0x63, 0x79, 0x01, 0x69, 0x64, 0x75, 0x64, 0x76, 0x64,
		0xa4, 0x72, 0x72, 0x72, 0x72, 0x72, 0x60, 0x61, 0x00, 0x74, 0x62, 0x63,
		0x00, 0x00, 0x7b, 0x64, 0x01, 0x00, 0x00, 0x7d, 0x64, 0x64, 0x00, 0x00,
		0x79, 0x64, 0x0a, 0x02, 0x00, 0x00
	};
	struct aml *m = aml_method("TEST", 2, false);
	struct aml *sum;

	aml_append(m, aml_add(aml_arg(0), aml_arg(1), aml_local(0)));
	aml_append(m, aml_subtract(aml_arg(0), aml_int(2), aml_local(1)));
	aml_append(m, aml_and(aml_arg(0), aml_int(0xff), aml_local(2)));
	aml_append(m, aml_or(aml_arg(0), aml_int(0x100), aml_local(3)));
	aml_append(m, aml_shiftleft(aml_int(1), aml_arg(1), aml_local(4)));
	aml_append(m, aml_increment(aml_local(4)));
	aml_append(m, aml_decrement(aml_local(4)));
	sum = aml_add(aml_local(0), aml_local(1), NULL);
	sum = aml_add(sum, aml_subtract(aml_local(2), aml_local(3), NULL), NULL);
	sum = aml_add(sum, aml_and(aml_local(4), aml_int(1), NULL), NULL);
	sum = aml_add(sum, aml_or(aml_local(4), aml_local(4), NULL), NULL);
	sum = aml_add(sum, aml_shiftleft(aml_local(4), aml_int(2), NULL), NULL);
	aml_append(m, aml_return(sum));
	CHECK_BYTES(m, want);
}

/*
 * Device (M000) { Name (_HID, EisaId ("PNP0C80")) }
 * Mutex (MLCK, 0)
 * Mutex (MLK1, 15)
 * Method (TEST, 1)
 * {
 *     Acquire (MLCK, 0xFFFF)
 *     Acquire (MLK1, 0x0064)
 *     Notify (M000, Arg0)
 *     Notify (M000, 0x03)
 *     Release (MLK1)
 *     Release (MLCK)
 * }
 * (iasl warns that Acquire's result is not used: a timeout of 0xFFFF
 * never times out, and 0x64 is only there to vary the bytes.)
 */
static void test_mutex_notify(void)
{
	static const u8 want[] = {
		0x5b, 0x82, 0x0f, 0x4d, 0x30, 0x30, 0x30, 0x08, 0x5f, 0x48, 0x49, 0x44,
		0x0c, 0x41, 0xd0, 0x0c, 0x80, 0x5b, 0x01, 0x4d, 0x4c, 0x43, 0x4b, 0x00,
		0x5b, 0x01, 0x4d, 0x4c, 0x4b, 0x31, 0x0f, 0x14, 0x2f, 0x54, 0x45, 0x53,
		0x54, 0x01, 0x5b, 0x23, 0x4d, 0x4c, 0x43, 0x4b, 0xff, 0xff, 0x5b, 0x23,
		0x4d, 0x4c, 0x4b, 0x31, 0x64, 0x00, 0x86, 0x4d, 0x30, 0x30, 0x30, 0x68,
		0x86, 0x4d, 0x30, 0x30, 0x30, 0x0a, 0x03, 0x5b, 0x27, 0x4d, 0x4c, 0x4b,
		0x31, 0x5b, 0x27, 0x4d, 0x4c, 0x43, 0x4b
	};
	struct aml *root = aml_raw();
	struct aml *dev = aml_device("M000");
	struct aml *m = aml_method("TEST", 1, false);

	aml_append(dev, aml_name("_HID", aml_eisaid("PNP0C80")));
	aml_append(root, dev);
	aml_append(root, aml_mutex("MLCK", 0));
	aml_append(root, aml_mutex("MLK1", 15));
	aml_append(m, aml_acquire(aml_ref("MLCK"), 0xffff));
	aml_append(m, aml_acquire(aml_ref("MLK1"), 0x64));
	aml_append(m, aml_notify(aml_ref("M000"), aml_arg(0)));
	aml_append(m, aml_notify(aml_ref("M000"), aml_int(3)));
	aml_append(m, aml_release(aml_ref("MLK1")));
	aml_append(m, aml_release(aml_ref("MLCK")));
	aml_append(root, m);
	CHECK_BYTES(root, want);
}

static struct aml *named(const char *name, unsigned int bits)
{
	return aml_named_field(name, bits);
}

/*
 * OperationRegion (HPMR, SystemIO, 0x0A00, 0x18)
 * OperationRegion (MMIO, SystemMemory, 0xFED00000, 0x1000)
 * OperationRegion (HIGH, SystemMemory, 0x0000000100000000, 0x0100)
 * Field (HPMR, ByteAcc, NoLock, WriteAsZeros) { Offset (20), MES,1, MINS,1, MRMV,1, MEJ,1, MRSV,4 }
 * Field (HPMR, DWordAcc, Lock, WriteAsOnes) { MSEL,32, Offset(4), MOEV,32, , 8, Offset(12), MOSC,32 }
 * Field (MMIO, AnyAcc, NoLock, Preserve) { Offset (0x100), BIG, 0x1000, , 0x1000, WID, 4096 }
 * Field (HIGH, QWordAcc, NoLock, Preserve) { Q0, 64 }
 */
static void test_region_field(void)
{
	static const u8 want[] = {
		0x5b, 0x80, 0x48, 0x50, 0x4d, 0x52, 0x01, 0x0b, 0x00, 0x0a, 0x0a, 0x18,
		0x5b, 0x80, 0x4d, 0x4d, 0x49, 0x4f, 0x00, 0x0c, 0x00, 0x00, 0xd0, 0xfe,
		0x0b, 0x00, 0x10, 0x5b, 0x80, 0x48, 0x49, 0x47, 0x48, 0x00, 0x0e, 0x00,
		0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x0b, 0x00, 0x01, 0x5b, 0x81,
		0x22, 0x48, 0x50, 0x4d, 0x52, 0x41, 0x00, 0x40, 0x0a, 0x4d, 0x45, 0x53,
		0x5f, 0x01, 0x4d, 0x49, 0x4e, 0x53, 0x01, 0x4d, 0x52, 0x4d, 0x56, 0x01,
		0x4d, 0x45, 0x4a, 0x5f, 0x01, 0x4d, 0x52, 0x53, 0x56, 0x04, 0x5b, 0x81,
		0x19, 0x48, 0x50, 0x4d, 0x52, 0x33, 0x4d, 0x53, 0x45, 0x4c, 0x20, 0x4d,
		0x4f, 0x45, 0x56, 0x20, 0x00, 0x08, 0x00, 0x18, 0x4d, 0x4f, 0x53, 0x43,
		0x20, 0x5b, 0x81, 0x1b, 0x4d, 0x4d, 0x49, 0x4f, 0x00, 0x00, 0x40, 0x80,
		0x42, 0x49, 0x47, 0x5f, 0x80, 0x00, 0x01, 0x00, 0x80, 0x00, 0x01, 0x57,
		0x49, 0x44, 0x5f, 0x80, 0x00, 0x01, 0x5b, 0x81, 0x0c, 0x48, 0x49, 0x47,
		0x48, 0x04, 0x51, 0x30, 0x5f, 0x5f, 0x40, 0x04
	};
	struct aml *root = aml_raw();
	struct aml *f;

	aml_append(root, aml_operation_region("HPMR", AML_SYSTEM_IO, 0xa00, 0x18));
	aml_append(root, aml_operation_region("MMIO", AML_SYSTEM_MEMORY, 0xfed00000, 0x1000));
	aml_append(root, aml_operation_region("HIGH", AML_SYSTEM_MEMORY, 0x100000000ULL, 0x100));
	f = aml_field("HPMR", AML_BYTE_ACC, AML_NOLOCK, AML_WRITE_AS_ZEROS);
	aml_append(f, aml_field_offset(20));
	aml_append(f, named("MES", 1));
	aml_append(f, named("MINS", 1));
	aml_append(f, named("MRMV", 1));
	aml_append(f, named("MEJ", 1));
	aml_append(f, named("MRSV", 4));
	aml_append(root, f);
	f = aml_field("HPMR", AML_DWORD_ACC, AML_LOCK, AML_WRITE_AS_ONES);
	aml_append(f, named("MSEL", 32));
	aml_append(f, aml_field_offset(4));	/* already there: no bytes */
	aml_append(f, named("MOEV", 32));
	aml_append(f, aml_reserved_field(8));
	aml_append(f, aml_field_offset(12));
	aml_append(f, named("MOSC", 32));
	aml_append(root, f);
	f = aml_field("MMIO", AML_ANY_ACC, AML_NOLOCK, AML_PRESERVE);
	aml_append(f, aml_field_offset(0x100));
	aml_append(f, named("BIG", 0x1000));
	aml_append(f, aml_reserved_field(0x1000));
	aml_append(f, named("WID", 4096));
	aml_append(root, f);
	f = aml_field("HIGH", AML_QWORD_ACC, AML_NOLOCK, AML_PRESERVE);
	aml_append(f, named("Q0", 64));
	aml_append(root, f);
	CHECK_BYTES(root, want);
}

/*
 * Name (BUF0, Buffer (0x04) {})
 * Name (BUF1, Buffer (0x03) { 0x01, 0x02, 0x03 })
 */
static void test_buffer(void)
{
	static const u8 want[] = {
		0x08, 0x42, 0x55, 0x46, 0x30, 0x11, 0x03, 0x0a, 0x04, 0x08, 0x42, 0x55,
		0x46, 0x31, 0x11, 0x06, 0x0a, 0x03, 0x01, 0x02, 0x03
	};
	static const u8 data[] = { 1, 2, 3 };
	struct aml *root = aml_raw();

	aml_append(root, aml_name("BUF0", aml_buffer(4, NULL)));
	aml_append(root, aml_name("BUF1", aml_buffer(sizeof(data), data)));
	CHECK_BYTES(root, want);
}

/*
 * Method (MC0) { Return (Zero) }
 * Method (MC1, 1) { Return (Arg0) }
 * Method (MC2, 2) { Return (Arg1) }
 * Method (MC3, 3) { Return (Arg2) }
 * Method (MC4, 4) { Return (Arg3) }
 * Method (TEST, 1)
 * {
 *     MC0 ()
 *     MC1 (Arg0)
 *     Local0 = MC2 (Arg0, One)
 *     MC3 (Arg0, One, 0x02)
 *     MC4 (Local0, Arg0, 0x03, "X")
 * }
 */
static void test_call(void)
{
	static const u8 want[] = {
		0x14, 0x08, 0x4d, 0x43, 0x30, 0x5f, 0x00, 0xa4, 0x00, 0x14, 0x08, 0x4d,
		0x43, 0x31, 0x5f, 0x01, 0xa4, 0x68, 0x14, 0x08, 0x4d, 0x43, 0x32, 0x5f,
		0x02, 0xa4, 0x69, 0x14, 0x08, 0x4d, 0x43, 0x33, 0x5f, 0x03, 0xa4, 0x6a,
		0x14, 0x08, 0x4d, 0x43, 0x34, 0x5f, 0x04, 0xa4, 0x6b, 0x14, 0x2a, 0x54,
		0x45, 0x53, 0x54, 0x01, 0x4d, 0x43, 0x30, 0x5f, 0x4d, 0x43, 0x31, 0x5f,
		0x68, 0x70, 0x4d, 0x43, 0x32, 0x5f, 0x68, 0x01, 0x60, 0x4d, 0x43, 0x33,
		0x5f, 0x68, 0x01, 0x0a, 0x02, 0x4d, 0x43, 0x34, 0x5f, 0x60, 0x68, 0x0a,
		0x03, 0x0d, 0x58, 0x00
	};
	struct aml *root = aml_raw();
	struct aml *m;
	unsigned int i;

	for (i = 0; i <= 4; i++) {
		char name[5];

		snprintf(name, sizeof(name), "MC%u", i);
		m = aml_method(name, i, false);
		aml_append(m, aml_return(i ? aml_arg(i - 1) : aml_int(0)));
		aml_append(root, m);
	}
	m = aml_method("TEST", 1, false);
	aml_append(m, aml_call0("MC0"));
	aml_append(m, aml_call1("MC1", aml_arg(0)));
	aml_append(m, aml_store(aml_call2("MC2", aml_arg(0), aml_int(1)), aml_local(0)));
	aml_append(m, aml_call3("MC3", aml_arg(0), aml_int(1), aml_int(2)));
	aml_append(m, aml_call4("MC4", aml_local(0), aml_arg(0), aml_int(3), aml_string("X")));
	aml_append(root, m);
	CHECK_BYTES(root, want);
}

/*
 * Name (PKG0, Package (0x02) { 0x0A, 0x0B })
 * Method (TEST, 1)
 * {
 *     Local0 = DerefOf (Index (PKG0, Arg0))
 *     Local1 = SizeOf (PKG0)
 *     Return (Local0 + Local1)
 * }
 */
static void test_derefof_index(void)
{
	static const u8 want[] = {
		0x08, 0x50, 0x4b, 0x47, 0x30, 0x12, 0x06, 0x02, 0x0a, 0x0a, 0x0a, 0x0b,
		0x14, 0x1c, 0x54, 0x45, 0x53, 0x54, 0x01, 0x70, 0x83, 0x88, 0x50, 0x4b,
		0x47, 0x30, 0x68, 0x00, 0x60, 0x70, 0x87, 0x50, 0x4b, 0x47, 0x30, 0x61,
		0xa4, 0x72, 0x60, 0x61, 0x00
	};
	struct aml *root = aml_raw();
	struct aml *pkg = aml_package(2);
	struct aml *m = aml_method("TEST", 1, false);

	aml_append(pkg, aml_int(0x0a));
	aml_append(pkg, aml_int(0x0b));
	aml_append(root, aml_name("PKG0", pkg));
	aml_append(m, aml_store(aml_derefof(aml_index(aml_ref("PKG0"), aml_arg(0))),
				aml_local(0)));
	aml_append(m, aml_store(aml_sizeof(aml_ref("PKG0")), aml_local(1)));
	aml_append(m, aml_return(aml_add(aml_local(0), aml_local(1), NULL)));
	aml_append(root, m);
	CHECK_BYTES(root, want);
}

/*
 * Name (RES0, ResourceTemplate () { QWordMemory (ResourceConsumer, PosDecode, MinFixed, MaxFixed, Cacheable, ReadWrite, 0x0, 0x100000000, 0x13FFFFFFF, 0x0, 0x40000000) })
 * Name (RES1, ResourceTemplate () { QWordMemory (ResourceProducer, SubDecode, MinNotFixed, MaxNotFixed, Prefetchable, ReadOnly, 0xFFF, 0x1000, 0x1FFFF, 0x10, 0x2000) })
 */
static void test_qword_memory(void)
{
	static const u8 want[] = {
		0x08, 0x52, 0x45, 0x53, 0x30, 0x11, 0x33, 0x0a, 0x30, 0x8a, 0x2b, 0x00,
		0x00, 0x0d, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0x3f, 0x01,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x40, 0x00, 0x00, 0x00, 0x00, 0x79, 0x00, 0x08, 0x52, 0x45,
		0x53, 0x31, 0x11, 0x33, 0x0a, 0x30, 0x8a, 0x2b, 0x00, 0x00, 0x02, 0x06,
		0xff, 0x0f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x20, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x00, 0x79, 0x00
	};
	struct aml *root = aml_raw();
	struct aml *rt = aml_resource_template();

	aml_res_qword_memory(rt, AML_RES_CONSUMER | AML_RES_POS_DECODE |
			     AML_RES_MIN_FIXED | AML_RES_MAX_FIXED,
			     AML_MEM_CACHEABLE | AML_MEM_READ_WRITE,
			     0, 0x100000000ULL, 0x13fffffffULL, 0, 0x40000000);
	aml_append(root, aml_name("RES0", aml_resource_end(rt)));
	rt = aml_resource_template();
	aml_res_qword_memory(rt, AML_RES_PRODUCER | AML_RES_SUB_DECODE,
			     AML_MEM_PREFETCHABLE | AML_MEM_READ_ONLY,
			     0xfff, 0x1000, 0x1ffff, 0x10, 0x2000);
	aml_append(root, aml_name("RES1", aml_resource_end(rt)));
	CHECK_BYTES(root, want);
}

/*
 * Name (RES0, ResourceTemplate () { Interrupt (ResourceConsumer, Level, ActiveHigh, Exclusive) { 9 } })
 * Name (RES1, ResourceTemplate () { Interrupt (ResourceProducer, Edge, ActiveLow, SharedAndWake) { 5, 0x100, 0xFFFFFFFF } })
 */
static void test_interrupt(void)
{
	static const u8 want[] = {
		0x08, 0x52, 0x45, 0x53, 0x30, 0x11, 0x0e, 0x0a, 0x0b, 0x89, 0x06, 0x00,
		0x01, 0x01, 0x09, 0x00, 0x00, 0x00, 0x79, 0x00, 0x08, 0x52, 0x45, 0x53,
		0x31, 0x11, 0x16, 0x0a, 0x13, 0x89, 0x0e, 0x00, 0x1e, 0x03, 0x05, 0x00,
		0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0x79, 0x00
	};
	static const u32 gsi = 9, irqs[] = { 5, 0x100, 0xffffffff };
	struct aml *root = aml_raw();
	struct aml *rt = aml_resource_template();

	aml_res_interrupt(rt, AML_INT_CONSUMER | AML_INT_LEVEL | AML_INT_ACTIVE_HIGH |
			  AML_INT_EXCLUSIVE, &gsi, 1);
	aml_append(root, aml_name("RES0", aml_resource_end(rt)));
	rt = aml_resource_template();
	aml_res_interrupt(rt, AML_INT_PRODUCER | AML_INT_EDGE | AML_INT_ACTIVE_LOW |
			  AML_INT_SHARED | AML_INT_WAKE_CAPABLE, irqs, ARRAY_SIZE(irqs));
	aml_append(root, aml_name("RES1", aml_resource_end(rt)));
	CHECK_BYTES(root, want);
}

/*
 * The memory hot-unplug DSDT of the design notes (hot-unplug.md section 2)
 * with two slots, as memory hot-unplug builds it.  HOTPLUG_ASL is
 * the same in ASL; iasl -on compiles it to the same bytes.
 */
#define NR_SLOTS	2
#define SLOT_BASE	0x100000000ULL
#define SLOT_LEN	0x40000000ULL
#define GED_GSI		9

static struct aml *lock_mhpc(void)
{
	return aml_acquire(aml_ref("MLCK"), 0xffff);
}

static struct aml *unlock_mhpc(void)
{
	return aml_release(aml_ref("MLCK"));
}

static struct aml *store_int(u64 v, const char *name)
{
	return aml_store(aml_int(v), aml_ref(name));
}

static struct aml *mhpc_slot(unsigned int i)
{
	u64 base = SLOT_BASE + i * SLOT_LEN;
	struct aml *dev, *crs, *m;
	char name[5];

	snprintf(name, sizeof(name), "M%03u", i);
	dev = aml_device(name);
	aml_append(dev, aml_name("_HID", aml_eisaid("PNP0C80")));
	aml_append(dev, aml_name("_UID", aml_int(i)));
	aml_append(dev, aml_name("_PXM", aml_int(2 + i)));
	crs = aml_resource_template();
	aml_res_qword_memory(crs, AML_RES_CONSUMER | AML_RES_POS_DECODE |
			     AML_RES_MIN_FIXED | AML_RES_MAX_FIXED,
			     AML_MEM_CACHEABLE | AML_MEM_READ_WRITE,
			     0, base, base + SLOT_LEN - 1, 0, SLOT_LEN);
	aml_append(dev, aml_name("_CRS", aml_resource_end(crs)));
	m = aml_method("_STA", 0, false);
	aml_append(m, aml_return(aml_call1("MSTA", aml_int(i))));
	aml_append(dev, m);
	m = aml_method("_EJ0", 1, false);
	aml_append(m, aml_call2("MEJ0", aml_int(i), aml_arg(0)));
	aml_append(dev, m);
	m = aml_method("_OST", 3, false);
	aml_append(m, aml_call4("MOST", aml_int(i), aml_arg(0), aml_arg(1), aml_arg(2)));
	aml_append(dev, m);
	return dev;
}

static struct aml *mhpc(void)
{
	struct aml *dev = aml_device("MHPC");
	struct aml *f, *m, *cond, *inner, *elseif, *loop;
	unsigned int i;

	aml_append(dev, aml_name("_HID", aml_string("PNP0A06")));
	aml_append(dev, aml_name("_UID", aml_string("mirrorvm memory hotplug")));
	aml_append(dev, aml_operation_region("HPMR", AML_SYSTEM_IO, 0x0a00, 0x18));
	f = aml_field("HPMR", AML_BYTE_ACC, AML_NOLOCK, AML_WRITE_AS_ZEROS);
	aml_append(f, aml_field_offset(0x14));
	aml_append(f, aml_named_field("MES", 1));
	aml_append(f, aml_named_field("MINS", 1));
	aml_append(f, aml_named_field("MRMV", 1));
	aml_append(f, aml_named_field("MEJ", 1));
	aml_append(f, aml_named_field("MRSV", 4));
	aml_append(dev, f);
	f = aml_field("HPMR", AML_DWORD_ACC, AML_NOLOCK, AML_PRESERVE);
	aml_append(f, aml_named_field("MSEL", 32));
	aml_append(f, aml_named_field("MOEV", 32));
	aml_append(f, aml_named_field("MOSC", 32));
	aml_append(dev, f);
	aml_append(dev, aml_operation_region("GPE0", AML_SYSTEM_IO, 0xafe0, 4));
	f = aml_field("GPE0", AML_BYTE_ACC, AML_NOLOCK, AML_PRESERVE);
	aml_append(f, aml_named_field("GSTS", 8));
	aml_append(f, aml_field_offset(2));
	aml_append(f, aml_named_field("GEN0", 8));
	aml_append(dev, f);
	aml_append(dev, aml_mutex("MLCK", 0));

	m = aml_method("_INI", 0, false);
	aml_append(m, store_int(0x08, "GEN0"));
	aml_append(dev, m);

	m = aml_method("MSTA", 1, false);
	aml_append(m, lock_mhpc());
	aml_append(m, aml_store(aml_arg(0), aml_ref("MSEL")));
	aml_append(m, aml_store(aml_int(0), aml_local(0)));
	cond = aml_if(aml_land(aml_equal(aml_ref("MRSV"), aml_int(0)), aml_ref("MES")));
	aml_append(cond, aml_store(aml_int(0x0f), aml_local(0)));
	aml_append(m, cond);
	aml_append(m, unlock_mhpc());
	aml_append(m, aml_return(aml_local(0)));
	aml_append(dev, m);

	m = aml_method("MEJ0", 2, false);
	aml_append(m, lock_mhpc());
	aml_append(m, aml_store(aml_arg(0), aml_ref("MSEL")));
	aml_append(m, store_int(1, "MEJ"));
	aml_append(m, unlock_mhpc());
	aml_append(dev, m);

	m = aml_method("MOST", 4, false);
	aml_append(m, lock_mhpc());
	aml_append(m, aml_store(aml_arg(0), aml_ref("MSEL")));
	aml_append(m, aml_store(aml_arg(1), aml_ref("MOEV")));
	aml_append(m, aml_store(aml_arg(2), aml_ref("MOSC")));
	aml_append(m, unlock_mhpc());
	aml_append(dev, m);

	m = aml_method("MTFY", 2, false);
	for (i = 0; i < NR_SLOTS; i++) {
		char name[5];

		snprintf(name, sizeof(name), "M%03u", i);
		cond = aml_if(aml_equal(aml_arg(0), aml_int(i)));
		aml_append(cond, aml_notify(aml_ref(name), aml_arg(1)));
		aml_append(m, cond);
	}
	aml_append(dev, m);

	m = aml_method("MSCN", 0, false);
	aml_append(m, lock_mhpc());
	aml_append(m, aml_store(aml_int(0), aml_local(0)));
	loop = aml_while(aml_lless(aml_local(0), aml_int(NR_SLOTS)));
	aml_append(loop, aml_store(aml_local(0), aml_ref("MSEL")));
	cond = aml_if(aml_equal(aml_ref("MRSV"), aml_int(0)));
	inner = aml_if(aml_ref("MINS"));
	aml_append(inner, aml_call2("MTFY", aml_local(0), aml_int(1)));
	aml_append(inner, store_int(1, "MINS"));
	aml_append(cond, inner);
	elseif = aml_else();
	inner = aml_if(aml_ref("MRMV"));
	aml_append(inner, aml_call2("MTFY", aml_local(0), aml_int(3)));
	aml_append(inner, store_int(1, "MRMV"));
	aml_append(elseif, inner);
	aml_append(cond, elseif);
	aml_append(loop, cond);
	aml_append(loop, aml_increment(aml_local(0)));
	aml_append(m, loop);
	aml_append(m, unlock_mhpc());
	aml_append(dev, m);

	for (i = 0; i < NR_SLOTS; i++)
		aml_append(dev, mhpc_slot(i));
	return dev;
}

static struct aml *ged(void)
{
	static const u32 gsi = GED_GSI;
	struct aml *dev = aml_device("GED0");
	struct aml *crs = aml_resource_template();
	struct aml *m = aml_method("_EVT", 1, false);
	struct aml *cond = aml_if(aml_equal(aml_arg(0), aml_int(GED_GSI)));

	aml_append(dev, aml_name("_HID", aml_string("ACPI0013")));
	aml_append(dev, aml_name("_UID", aml_int(0)));
	aml_res_interrupt(crs, AML_INT_CONSUMER | AML_INT_LEVEL | AML_INT_ACTIVE_HIGH |
			  AML_INT_EXCLUSIVE, &gsi, 1);
	aml_append(dev, aml_name("_CRS", aml_resource_end(crs)));
	aml_append(cond, store_int(0x08, "\\_SB.MHPC.GSTS"));	/* clear before scan */
	aml_append(cond, aml_call0("\\_SB.MHPC.MSCN"));
	aml_append(m, cond);
	aml_append(dev, m);
	return dev;
}

static struct aml *hotplug_tree(void)
{
	struct aml *sb = aml_scope("\\_SB");

	aml_append(sb, mhpc());
	aml_append(sb, ged());
	return sb;
}

static const char HOTPLUG_ASL[] =
	"DefinitionBlock (\"\", \"DSDT\", 2, \"MIRVM \", \"MIRRORVM\", 1)\n"
	"{\n"
	"    Scope (\\_SB)\n"
	"    {\n"
	"        Device (MHPC)\n"
	"        {\n"
	"            Name (_HID, \"PNP0A06\")\n"
	"            Name (_UID, \"mirrorvm memory hotplug\")\n"
	"            OperationRegion (HPMR, SystemIO, 0x0A00, 0x18)\n"
	"            Field (HPMR, ByteAcc, NoLock, WriteAsZeros)\n"
	"            {\n"
	"                Offset (0x14), MES, 1, MINS, 1, MRMV, 1, MEJ, 1, MRSV, 4\n"
	"            }\n"
	"            Field (HPMR, DWordAcc, NoLock, Preserve) { MSEL, 32, MOEV, 32, MOSC, 32 }\n"
	"            OperationRegion (GPE0, SystemIO, 0xAFE0, 0x04)\n"
	"            Field (GPE0, ByteAcc, NoLock, Preserve) { GSTS, 8, Offset (0x02), GEN0, 8 }\n"
	"            Mutex (MLCK, 0x00)\n"
	"            Method (_INI, 0, NotSerialized) { GEN0 = 0x08 }\n"
	"            Method (MSTA, 1, NotSerialized)\n"
	"            {\n"
	"                Acquire (MLCK, 0xFFFF)\n"
	"                MSEL = Arg0\n"
	"                Local0 = Zero\n"
	"                If (((MRSV == Zero) && MES)) { Local0 = 0x0F }\n"
	"                Release (MLCK)\n"
	"                Return (Local0)\n"
	"            }\n"
	"            Method (MEJ0, 2, NotSerialized)\n"
	"            {\n"
	"                Acquire (MLCK, 0xFFFF)\n"
	"                MSEL = Arg0\n"
	"                MEJ = One\n"
	"                Release (MLCK)\n"
	"            }\n"
	"            Method (MOST, 4, NotSerialized)\n"
	"            {\n"
	"                Acquire (MLCK, 0xFFFF)\n"
	"                MSEL = Arg0\n"
	"                MOEV = Arg1\n"
	"                MOSC = Arg2\n"
	"                Release (MLCK)\n"
	"            }\n"
	"            Method (MTFY, 2, NotSerialized)\n"
	"            {\n"
	"                If ((Arg0 == Zero)) { Notify (M000, Arg1) }\n"
	"                If ((Arg0 == One)) { Notify (M001, Arg1) }\n"
	"            }\n"
	"            Method (MSCN, 0, NotSerialized)\n"
	"            {\n"
	"                Acquire (MLCK, 0xFFFF)\n"
	"                Local0 = Zero\n"
	"                While ((Local0 < 0x02))\n"
	"                {\n"
	"                    MSEL = Local0\n"
	"                    If ((MRSV == Zero))\n"
	"                    {\n"
	"                        If (MINS) { MTFY (Local0, One)  MINS = One }\n"
	"                        ElseIf (MRMV) { MTFY (Local0, 0x03)  MRMV = One }\n"
	"                    }\n"
	"                    Local0++\n"
	"                }\n"
	"                Release (MLCK)\n"
	"            }\n"
	"            Device (M000)\n"
	"            {\n"
	"                Name (_HID, EisaId (\"PNP0C80\"))\n"
	"                Name (_UID, Zero)\n"
	"                Name (_PXM, 0x02)\n"
	"                Name (_CRS, ResourceTemplate ()\n"
	"                {\n"
	"                    QWordMemory (ResourceConsumer, PosDecode, MinFixed, MaxFixed, Cacheable, ReadWrite,\n"
	"                        0x0, 0x100000000, 0x13FFFFFFF, 0x0, 0x40000000)\n"
	"                })\n"
	"                Method (_STA, 0, NotSerialized) { Return (MSTA (Zero)) }\n"
	"                Method (_EJ0, 1, NotSerialized) { MEJ0 (Zero, Arg0) }\n"
	"                Method (_OST, 3, NotSerialized) { MOST (Zero, Arg0, Arg1, Arg2) }\n"
	"            }\n"
	"            Device (M001)\n"
	"            {\n"
	"                Name (_HID, EisaId (\"PNP0C80\"))\n"
	"                Name (_UID, One)\n"
	"                Name (_PXM, 0x03)\n"
	"                Name (_CRS, ResourceTemplate ()\n"
	"                {\n"
	"                    QWordMemory (ResourceConsumer, PosDecode, MinFixed, MaxFixed, Cacheable, ReadWrite,\n"
	"                        0x0, 0x140000000, 0x17FFFFFFF, 0x0, 0x40000000)\n"
	"                })\n"
	"                Method (_STA, 0, NotSerialized) { Return (MSTA (One)) }\n"
	"                Method (_EJ0, 1, NotSerialized) { MEJ0 (One, Arg0) }\n"
	"                Method (_OST, 3, NotSerialized) { MOST (One, Arg0, Arg1, Arg2) }\n"
	"            }\n"
	"        }\n"
	"        Device (GED0)\n"
	"        {\n"
	"            Name (_HID, \"ACPI0013\")\n"
	"            Name (_UID, Zero)\n"
	"            Name (_CRS, ResourceTemplate ()\n"
	"            {\n"
	"                Interrupt (ResourceConsumer, Level, ActiveHigh, Exclusive) { 9 }\n"
	"            })\n"
	"            Method (_EVT, 1, NotSerialized)\n"
	"            {\n"
	"                If ((Arg0 == 0x09))\n"
	"                {\n"
	"                    \\_SB.MHPC.GSTS = 0x08\n"
	"                    \\_SB.MHPC.MSCN ()\n"
	"                }\n"
	"            }\n"
	"        }\n"
	"    }\n"
	"}\n";

/* Runs a shell command (printf-style); returns its exit status, or -1. */
static int __attribute__((format(printf, 1, 2))) shell(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	st = system(cmd);
	return st != -1 && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Compares the AML of two tables (after their headers). */
static bool same_aml(const u8 *a, size_t alen, const u8 *b, size_t blen)
{
	size_t h = sizeof(struct acpi_table_header);

	return alen == blen && alen >= h && !memcmp(a + h, b + h, alen - h);
}

static void iasl_checks(const char *dir, const struct acpi_buf *dsdt)
{
	struct err e;
	char path[512];
	u8 *aml = NULL;
	size_t len = 0;

	/* (1) iasl -on compiles the same ASL to the same bytes */
	snprintf(path, sizeof(path), "%s/ref.asl", dir);
	CHECK(!write_file(path, HOTPLUG_ASL, strlen(HOTPLUG_ASL), &e), "%s", e.msg);
	CHECK(shell("cd %s && iasl -on ref.asl > ref.log 2>&1", dir) == 0,
	      "iasl refused the reference ASL (see %s/ref.log)", dir);
	snprintf(path, sizeof(path), "%s/ref.aml", dir);
	if (!read_file(path, &aml, &len, &e)) {
		CHECK(same_aml(aml, len, dsdt->data, dsdt->len),
		      "the DSDT differs from iasl's compilation of HOTPLUG_ASL");
		if (!same_aml(aml, len, dsdt->data, dsdt->len)) {
			dump("got", dsdt->data, dsdt->len);
			dump("iasl", aml, len);
		}
		free(aml);
	}

	/* (2) iasl -d reads it without complaint ... */
	snprintf(path, sizeof(path), "%s/DSDT.dat", dir);
	CHECK(!write_file(path, dsdt->data, dsdt->len, &e), "%s", e.msg);
	CHECK(shell("cd %s && iasl -d DSDT.dat > dis.log 2>&1", dir) == 0,
	      "iasl -d failed (see %s/dis.log)", dir);
	CHECK(shell("grep -qiE 'error|warning|invalid|\\*\\*\\*\\*' %s/dis.log %s/DSDT.dsl",
		    dir, dir) == 1, "iasl -d complained (see %s)", dir);
	/* (3) ... and its output compiles back, to the same bytes */
	CHECK(shell("cd %s && iasl -on DSDT.dsl > asm.log 2>&1 && grep -q ' 0 Errors, 0 Warnings' asm.log",
		    dir) == 0, "the disassembly does not compile back (see %s/asm.log)", dir);
	snprintf(path, sizeof(path), "%s/DSDT.aml", dir);
	if (!read_file(path, &aml, &len, &e)) {
		CHECK(same_aml(aml, len, dsdt->data, dsdt->len),
		      "iasl -d and back changed the bytes");
		free(aml);
	}
}

static void test_hotplug_dsdt(void)
{
	struct acpi_buf b;
	char dir[] = "/tmp/test-aml.XXXXXX";
	int failed;

	acpi_buf_begin(&b, "DSDT", 2);
	acpi_buf_append_aml(&b, hotplug_tree());
	CHECK(acpi_buf_end(&b) == 0, "acpi_buf_end: %d", b.err);
	if (b.err)
		return;
	CHECK(acpi_checksum(b.data, b.len) == 0, "checksum");
	CHECK(((struct acpi_table_header *)b.data)->length == b.len, "length");

	if (shell("command -v iasl > /dev/null") != 0) {
		printf("  SKIP iasl checks: iasl not installed (apt-get install acpica-tools)\n");
		acpi_buf_free(&b);
		return;
	}
	if (!mkdtemp(dir)) {
		CHECK(0, "mkdtemp: %s", strerror(errno));
		acpi_buf_free(&b);
		return;
	}
	failed = unit_failed_checks;
	iasl_checks(dir, &b);
	/* keep the evidence when something failed */
	if (failed == unit_failed_checks)
		shell("rm -rf %s", dir);
	acpi_buf_free(&b);
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

/* The same names in the terms added for memory hot-unplug. */
static void test_bad_names_new_terms(void)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad_names); i++) {
		const char *n = bad_names[i];

		CHECK(append_err(aml_ref(n)) == -EINVAL, "aml_ref(\"%s\")", n);
		CHECK(append_err(aml_method(n, 0, false)) == -EINVAL, "aml_method(\"%s\")", n);
		CHECK(append_err(aml_call1(n, aml_int(1))) == -EINVAL, "aml_call1(\"%s\")", n);
		CHECK(append_err(aml_mutex(n, 0)) == -EINVAL, "aml_mutex(\"%s\")", n);
		CHECK(append_err(aml_operation_region(n, AML_SYSTEM_IO, 0, 1)) == -EINVAL,
		      "aml_operation_region(\"%s\")", n);
		CHECK(append_err(aml_field(n, AML_BYTE_ACC, AML_NOLOCK, AML_PRESERVE)) == -EINVAL,
		      "aml_field(\"%s\")", n);
		CHECK(append_err(aml_named_field(n, 8)) == -EINVAL, "aml_named_field(\"%s\")", n);
	}
	CHECK(append_err(aml_ref(NULL)) == -EINVAL, "aml_ref(NULL)");
	CHECK(append_err(aml_ref("^^A.B")) == 0, "aml_ref(\"^^A.B\")");
	/* a field's name is one NameSeg, not a path */
	CHECK(append_err(aml_named_field("A.B", 8)) == -EINVAL, "path as field name");
	CHECK(append_err(aml_named_field("\\ABC", 8)) == -EINVAL, "root in field name");
	CHECK(append_err(aml_named_field("^ABC", 8)) == -EINVAL, "parent in field name");
	CHECK(append_err(aml_named_field(NULL, 8)) == -EINVAL, "NULL field name");
}

static void test_bad_arguments(void)
{
	CHECK(append_err(aml_arg(6)) == 0, "Arg6");
	CHECK(append_err(aml_arg(7)) == -EINVAL, "Arg7");
	CHECK(append_err(aml_local(7)) == 0, "Local7");
	CHECK(append_err(aml_local(8)) == -EINVAL, "Local8");
	CHECK(append_err(aml_method("M", 8, false)) == -EINVAL, "8 arguments");
	CHECK(append_err(aml_mutex("M", 16)) == -EINVAL, "SyncLevel 16");
	CHECK(append_err(aml_operation_region("R", 0x100, 0, 1)) == -EINVAL, "space 0x100");
	CHECK(append_err(aml_field("R", AML_BUFFER_ACC + 1, AML_NOLOCK, AML_PRESERVE)) == -EINVAL,
	      "access type 6");
	CHECK(append_err(aml_field("R", AML_ANY_ACC, AML_LOCK + 1, AML_PRESERVE)) == -EINVAL,
	      "lock rule 2");
	CHECK(append_err(aml_field("R", AML_ANY_ACC, AML_NOLOCK, AML_WRITE_AS_ZEROS + 1)) == -EINVAL,
	      "update rule 3");
	CHECK(append_err(aml_append(aml_field("R", AML_ANY_ACC, AML_NOLOCK, AML_PRESERVE),
				    aml_named_field("F", 0))) == -EINVAL, "field of 0 bits");
	CHECK(append_err(aml_append(aml_field("R", AML_ANY_ACC, AML_NOLOCK, AML_PRESERVE),
				    aml_reserved_field(0))) == -EINVAL, "reserved field of 0 bits");
	CHECK(append_err(aml_named_field("F", 0x10000000)) == -EINVAL, "field of 2^28 bits");
}

/* A template with one QWordMemory descriptor: its error, if any. */
static int qword_err(u8 flags, u64 gran, u64 min, u64 max, u64 len)
{
	struct aml *rt = aml_resource_template();

	aml_res_qword_memory(rt, flags, AML_MEM_CACHEABLE | AML_MEM_READ_WRITE,
			     gran, min, max, 0, len);
	return append_err(aml_name("_CRS", aml_resource_end(rt)));
}

static int interrupt_err(u8 flags, const u32 *irqs, unsigned int n)
{
	struct aml *rt = aml_resource_template();

	aml_res_interrupt(rt, flags, irqs, n);
	return append_err(aml_name("_CRS", aml_resource_end(rt)));
}

#define FIXED	(AML_RES_CONSUMER | AML_RES_MIN_FIXED | AML_RES_MAX_FIXED)

static void test_bad_resources(void)
{
	/* the address combinations iasl rejects too (its error numbers) */
	static const struct {
		u8 flags;
		u64 gran, min, max, len;
		const char *what;
	} bad[] = {
		{ FIXED, 0, 0x1000, 0x1fff, 0x800, "length is not the fixed window (6050)" },
		{ FIXED, 5, 0x1000, 0x1fff, 0x1000, "granularity 5 (6048)" },
		{ AML_RES_CONSUMER, 0, 0x2000, 0x1fff, 0, "min > max (6051)" },
		{ AML_RES_CONSUMER | AML_RES_MIN_FIXED, 0, 0x1000, 0x1fff, 0x1000,
		  "fixed length, MinFixed only (6043)" },
		{ AML_RES_CONSUMER, 0, 0x1000, 0x1fff, 0x2000, "length beyond the window (6049)" },
		{ AML_RES_CONSUMER, 0, 0, 0, 0, "a null descriptor" },
		{ FIXED, 0xfff, 0x1000, 0x1fff, 0x1000, "fixed window with a granularity" },
		{ FIXED, 0, 0, ~0ULL, 0, "no length, fixed at both ends" },
		{ AML_RES_CONSUMER | AML_RES_MIN_FIXED, 0xfff, 0x1800, 0x1fff, 0,
		  "fixed minimum not aligned to the granularity" },
		{ 0x10, 0, 0x1000, 0x1fff, 0, "reserved general flags" },
	};
	static const u32 irqs[256] = { 9 };
	struct aml *rt;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad); i++)
		CHECK(qword_err(bad[i].flags, bad[i].gran, bad[i].min, bad[i].max,
				bad[i].len) == -EINVAL, "%s", bad[i].what);
	CHECK(qword_err(FIXED, 0, 0x1000, 0x1fff, 0x1000) == 0, "a fixed window");
	CHECK(qword_err(AML_RES_CONSUMER | AML_RES_MIN_FIXED, 0xfff, 0x1000, 0x1fff, 0) == 0,
	      "a fixed, aligned minimum");
	rt = aml_resource_template();
	aml_res_qword_memory(rt, FIXED, 0x40, 0, 0x1000, 0x1fff, 0, 0x1000);
	CHECK(append_err(aml_resource_end(rt)) == -EINVAL, "reserved memory flags");
	rt = aml_device("D");
	aml_res_qword_memory(rt, FIXED, 0, 0, 0x1000, 0x1fff, 0, 0x1000);
	CHECK(append_err(rt) == -EINVAL, "QWordMemory in a Device");

	CHECK(interrupt_err(AML_INT_CONSUMER, irqs, 0) == -EINVAL, "no interrupt");
	CHECK(interrupt_err(AML_INT_CONSUMER, NULL, 1) == -EINVAL, "NULL interrupt list");
	CHECK(interrupt_err(0x20, irqs, 1) == -EINVAL, "reserved interrupt flags");
	CHECK(interrupt_err(AML_INT_CONSUMER, irqs, 256) == -EINVAL, "256 interrupts");
	CHECK(interrupt_err(AML_INT_CONSUMER, irqs, 255) == 0, "255 interrupts");
}

/* Else, fields and operands where the grammar does not take them. */
static void test_bad_control_flow(void)
{
	struct aml *m, *f, *dev;

	m = aml_method("M", 0, false);
	aml_append(m, aml_else());
	CHECK(append_err(m) == -EINVAL, "Else without If");

	m = aml_method("M", 0, false);
	aml_append(m, aml_if(aml_int(1)));
	aml_append(m, aml_else());
	aml_append(m, aml_else());
	CHECK(append_err(m) == -EINVAL, "Else after Else");

	m = aml_method("M", 0, false);
	aml_append(m, aml_finish(aml_if(aml_int(1))));	/* a finished If is an If */
	aml_append(m, aml_else());
	CHECK(append_err(m) == 0, "Else after a finished If");

	dev = aml_device("D");
	aml_append(dev, aml_named_field("F", 8));
	CHECK(append_err(dev) == -EINVAL, "a named field in a Device");
	dev = aml_device("D");
	aml_append(dev, aml_field_offset(4));
	CHECK(append_err(dev) == -EINVAL, "Offset () in a Device");
	f = aml_field("R", AML_BYTE_ACC, AML_NOLOCK, AML_PRESERVE);
	aml_append(f, aml_device("D"));
	CHECK(append_err(f) == -EINVAL, "a Device in a Field");
	f = aml_field("R", AML_BYTE_ACC, AML_NOLOCK, AML_PRESERVE);
	aml_append(f, aml_named_field("F", 16));
	aml_append(f, aml_field_offset(1));
	CHECK(append_err(f) == -EINVAL, "Offset () backwards");

	/* a gap PkgLength cannot encode; the first error is the one kept */
	f = aml_field("R", AML_ANY_ACC, AML_NOLOCK, AML_PRESERVE);
	aml_append(f, aml_field_offset(0x2000000));	/* 2^28 bits */
	CHECK(aml_err(f) == -E2BIG, "a 2^28-bit gap: %d", aml_err(f));
	aml_append(f, aml_named_field("F", 0));
	CHECK(append_err(f) == -E2BIG, "first error kept");

	CHECK(append_err(aml_store(NULL, aml_local(0))) == -EINVAL, "NULL operand");
	CHECK(append_err(aml_store(aml_int(1), NULL)) == -EINVAL, "Store without a target");
	CHECK(append_err(aml_add(aml_int(1), aml_int(2), NULL)) == 0, "Add without a target");
	CHECK(append_err(aml_if(NULL)) == -EINVAL, "If without a predicate");
	CHECK(append_err(aml_call2("M", aml_int(1), NULL)) == -EINVAL, "NULL argument");
	CHECK(append_err(aml_append(aml_scope("\\_SB"),
				    aml_append(aml_device("D"),
					       aml_append(aml_method("M", 0, false),
							  aml_return(aml_local(9)))))) == -EINVAL,
	      "a bad Local deep in a tree");
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
	alloc_failures(hotplug_tree, "the hot-unplug DSDT");
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
	RUN(test_names);
	RUN(test_pkglength);
	RUN(test_method);
	RUN(test_if_else_while);
	RUN(test_store_arg_local);
	RUN(test_logic);
	RUN(test_arithmetic);
	RUN(test_mutex_notify);
	RUN(test_region_field);
	RUN(test_buffer);
	RUN(test_call);
	RUN(test_derefof_index);
	RUN(test_qword_memory);
	RUN(test_interrupt);
	RUN(test_hotplug_dsdt);
	RUN(test_bad_names);
	RUN(test_bad_data);
	RUN(test_bad_composition);
	RUN(test_bad_names_new_terms);
	RUN(test_bad_arguments);
	RUN(test_bad_resources);
	RUN(test_bad_control_flow);
	RUN(test_alloc_failures);
	RUN(test_acpi_buf);
	UNIT_DONE();
}
