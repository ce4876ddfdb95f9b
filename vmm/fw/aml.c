// SPDX-License-Identifier: GPL-2.0
/* AML encoding of the few terms the DSDT needs (ACPI 6.5 chapter 20). */
#include <stdlib.h>
#include <string.h>

#include "aml.h"

#define AML_ZERO_OP		0x00
#define AML_ONE_OP		0x01
#define AML_NAME_OP		0x08
#define AML_BYTE_PREFIX		0x0A
#define AML_WORD_PREFIX		0x0B
#define AML_DWORD_PREFIX	0x0C
#define AML_STRING_PREFIX	0x0D
#define AML_QWORD_PREFIX	0x0E
#define AML_SCOPE_OP		0x10
#define AML_BUFFER_OP		0x11
#define AML_PACKAGE_OP		0x12
#define AML_EXT_OP		0x5B
#define AML_DEVICE_OP		0x82
#define AML_ROOT_CHAR		'\\'
#define AML_DUAL_NAME_PREFIX	0x2E
#define AML_MULTI_NAME_PREFIX	0x2F
#define AML_ONES_OP		0xFF

static void put(struct aml *a, const void *p, size_t n)
{
	if (a->len + n > a->cap) {
		size_t cap = MAX(a->cap * 2, a->len + n + 64);
		u8 *b = realloc(a->body, cap);

		if (!b)
			die("out of memory building AML");
		a->body = b;
		a->cap = cap;
	}
	memcpy(a->body + a->len, p, n);
	a->len += n;
}

static void put8(struct aml *a, u8 v)
{
	put(a, &v, 1);
}

struct aml *aml_raw(void)
{
	struct aml *a = calloc(1, sizeof(*a));

	if (!a)
		die("out of memory building AML");
	return a;
}

static struct aml *aml_pkg(u8 op0, u8 op1, u8 op_len)
{
	struct aml *a = aml_raw();

	a->op[0] = op0;
	a->op[1] = op1;
	a->op_len = op_len;
	return a;
}

/*
 * NameString (20.2.2): "\\_SB.COM1" -> RootChar, DualNamePrefix, segments.
 * Segments shorter than four characters are padded with '_'.
 */
static void put_namestring(struct aml *a, const char *name)
{
	const char *p = name;
	unsigned int nsegs = 1, i;

	if (*p == AML_ROOT_CHAR) {
		put8(a, AML_ROOT_CHAR);
		p++;
	}
	for (i = 0; p[i]; i++)
		nsegs += p[i] == '.';
	if (nsegs == 2) {
		put8(a, AML_DUAL_NAME_PREFIX);
	} else if (nsegs > 2) {
		put8(a, AML_MULTI_NAME_PREFIX);
		put8(a, nsegs);
	}
	while (nsegs--) {
		char seg[4] = { '_', '_', '_', '_' };

		for (i = 0; *p && *p != '.'; p++, i++)
			if (i < 4)
				seg[i] = *p;
		put(a, seg, 4);
		if (*p == '.')
			p++;
	}
}

struct aml *aml_scope(const char *name)
{
	struct aml *a = aml_pkg(AML_SCOPE_OP, 0, 1);

	put_namestring(a, name);
	return a;
}

struct aml *aml_device(const char *name)
{
	struct aml *a = aml_pkg(AML_EXT_OP, AML_DEVICE_OP, 2);

	put_namestring(a, name);
	return a;
}

struct aml *aml_name(const char *name, struct aml *value)
{
	struct aml *a = aml_raw();

	put8(a, AML_NAME_OP);
	put_namestring(a, name);
	return aml_append(a, value);
}

struct aml *aml_int(u64 v)
{
	struct aml *a = aml_raw();

	if (v == 0) {
		put8(a, AML_ZERO_OP);
	} else if (v == 1) {
		put8(a, AML_ONE_OP);
	} else if (v == ~0ULL) {
		put8(a, AML_ONES_OP);
	} else if (v <= 0xff) {
		put8(a, AML_BYTE_PREFIX);
		put8(a, v);
	} else if (v <= 0xffff) {
		put8(a, AML_WORD_PREFIX);
		put(a, &(u16){ v }, 2);
	} else if (v <= 0xffffffffULL) {
		put8(a, AML_DWORD_PREFIX);
		put(a, &(u32){ v }, 4);
	} else {
		put8(a, AML_QWORD_PREFIX);
		put(a, &v, 8);
	}
	return a;
}

struct aml *aml_string(const char *s)
{
	struct aml *a = aml_raw();

	put8(a, AML_STRING_PREFIX);
	put(a, s, strlen(s) + 1);
	return a;
}

/* "PNP0501": three 5-bit letters and four hex digits, stored big-endian. */
struct aml *aml_eisaid(const char *id)
{
	u32 v;
	u8 be[4];
	struct aml *a = aml_raw();

	v = ((u32)(id[0] - '@') << 26) | ((u32)(id[1] - '@') << 21) |
	    ((u32)(id[2] - '@') << 16) | (u32)strtoul(id + 3, NULL, 16);
	be[0] = v >> 24;
	be[1] = v >> 16;
	be[2] = v >> 8;
	be[3] = v;
	put8(a, AML_DWORD_PREFIX);
	put(a, be, 4);
	return a;
}

struct aml *aml_package(unsigned int count)
{
	struct aml *a = aml_pkg(AML_PACKAGE_OP, 0, 1);

	put8(a, count);		/* NumElements */
	return a;
}

struct aml *aml_resource_template(void)
{
	return aml_raw();	/* descriptors; wrapped into a Buffer at the end */
}

void aml_res_io(struct aml *rt, u16 port, u8 len)
{
	/* I/O port descriptor: 16-bit decode, min == max, alignment 1. */
	u8 d[8] = { 0x47, 0x01, port & 0xff, port >> 8, port & 0xff, port >> 8, 1, len };

	put(rt, d, sizeof(d));
}

void aml_res_irq(struct aml *rt, u8 irq)
{
	u16 mask = 1U << irq;
	u8 d[3] = { 0x22, mask & 0xff, mask >> 8 };

	put(rt, d, sizeof(d));
}

struct aml *aml_resource_end(struct aml *rt)
{
	struct aml *buf = aml_pkg(AML_BUFFER_OP, 0, 1);
	u8 end[2] = { 0x79, 0x00 };	/* End tag; checksum 0 means "none" */

	put(rt, end, sizeof(end));
	aml_append(buf, aml_int(rt->len));	/* BufferSize */
	put(buf, rt->body, rt->len);
	aml_free(rt);
	return buf;
}

/* PkgLength (20.2.4): counts itself; 1 to 4 bytes. */
static void put_pkglength(struct aml *a, size_t body)
{
	size_t total;

	if (body + 1 < 0x40) {
		put8(a, body + 1);
		return;
	}
	if (body + 2 < 0x1000) {
		total = body + 2;
		put8(a, 0x40 | (total & 0xf));
		put8(a, total >> 4);
		return;
	}
	if (body + 3 < 0x100000) {
		total = body + 3;
		put8(a, 0x80 | (total & 0xf));
		put8(a, total >> 4);
		put8(a, total >> 12);
		return;
	}
	total = body + 4;
	put8(a, 0xc0 | (total & 0xf));
	put8(a, total >> 4);
	put8(a, total >> 12);
	put8(a, total >> 20);
}

struct aml *aml_finish(struct aml *a)
{
	struct aml *out;

	if (!a->op_len)
		return a;
	out = aml_raw();
	put(out, a->op, a->op_len);
	put_pkglength(out, a->len);
	put(out, a->body, a->len);
	aml_free(a);
	return out;
}

struct aml *aml_append(struct aml *parent, struct aml *child)
{
	child = aml_finish(child);
	put(parent, child->body, child->len);
	aml_free(child);
	return parent;
}

void aml_free(struct aml *a)
{
	if (a) {
		free(a->body);
		free(a);
	}
}
