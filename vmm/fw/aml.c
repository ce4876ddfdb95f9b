// SPDX-License-Identifier: GPL-2.0
/*
 * AML encoding of the few terms the DSDT needs (ACPI 6.5 chapter 20).
 * Errors are sticky: see aml.h.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aml.h"

#define AML_ZERO_OP		0x00
#define AML_NULL_NAME		0x00
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
#define AML_DUAL_NAME_PREFIX	0x2E
#define AML_MULTI_NAME_PREFIX	0x2F
#define AML_EXT_OP		0x5B
#define AML_ROOT_CHAR		'\\'
#define AML_PARENT_PREFIX	'^'
#define AML_ONES_OP		0xFF
/* second byte after AML_EXT_OP */
#define AML_DEVICE_OP		0x82

/* PkgLength (20.2.4) holds at most 28 bits. */
#define AML_PKGLEN_MAX		0x0FFFFFFFU

/* What a node is, as far as aml_append() must know. */
enum {
	KIND_TERM,		/* any term or list of terms */
	KIND_RESOURCES,		/* a template before aml_resource_end() */
};

bool (*aml_fail_alloc_hook)(void);

/*
 * What failed builders return.  Never written: every path that writes a
 * node first checks its error, and these carry one from the start.
 */
static struct aml aml_nomem = { .err = -ENOMEM };
static struct aml aml_invalid = { .err = -EINVAL };

static bool is_static(const struct aml *a)
{
	return a == &aml_nomem || a == &aml_invalid;
}

static void *aml_realloc(void *p, size_t n)
{
	if (aml_fail_alloc_hook && aml_fail_alloc_hook())
		return NULL;
	return realloc(p, n);
}

/* Records the first error only: later failures are consequences. */
static void fail(struct aml *a, int err)
{
	if (!a->err)
		a->err = err;
}

static void put(struct aml *a, const void *p, size_t n)
{
	if (a->err || !n)
		return;
	if (n > SIZE_MAX / 4 - a->len) {
		fail(a, -E2BIG);
		return;
	}
	if (a->len + n > a->cap) {
		size_t cap = MAX(a->cap * 2, a->len + n + 64);
		u8 *b = aml_realloc(a->body, cap);

		if (!b) {
			fail(a, -ENOMEM);
			return;
		}
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
	struct aml *a = NULL;

	if (!aml_fail_alloc_hook || !aml_fail_alloc_hook())
		a = calloc(1, sizeof(*a));
	return a ? a : &aml_nomem;
}

static struct aml *aml_pkg(u8 op0, u8 op1, u8 op_len, u8 kind)
{
	struct aml *a = aml_raw();

	if (a->err)
		return a;
	a->op[0] = op0;
	a->op[1] = op1;
	a->op_len = op_len;
	a->kind = kind;
	return a;
}

/*
 * The PkgLength encoding (20.2.4) of @v: 6 bits in one byte, or the count
 * of following bytes in bits 6-7, 4 bits, then 8 bits per byte.
 */
static void put_pkglen_value(struct aml *a, u64 v)
{
	u8 b[4];
	unsigned int n, i;

	if (v > AML_PKGLEN_MAX) {
		fail(a, -E2BIG);
		return;
	}
	if (v < 0x40) {
		put8(a, v);
		return;
	}
	n = v < 0x1000 ? 2 : v < 0x100000 ? 3 : 4;
	b[0] = (n - 1) << 6 | (v & 0xf);
	for (i = 1; i < n; i++)
		b[i] = v >> (4 + 8 * (i - 1));
	put(a, b, n);
}

/*
 * PkgLength (20.2.4) of a package whose body is @body bytes: it counts its
 * own 1 to 4 bytes, so take the shortest encoding that holds the total.
 */
static void put_pkglength(struct aml *a, size_t body)
{
	if (body + 1 < 0x40)
		put_pkglen_value(a, (u64)body + 1);
	else if (body + 2 < 0x1000)
		put_pkglen_value(a, (u64)body + 2);
	else if (body + 3 < 0x100000)
		put_pkglen_value(a, (u64)body + 3);
	else
		put_pkglen_value(a, (u64)body + 4);
}

static bool lead_name_char(char c)
{
	return (c >= 'A' && c <= 'Z') || c == '_';
}

static bool name_char(char c)
{
	return lead_name_char(c) || (c >= '0' && c <= '9');
}

/*
 * NameString (20.2.2): "\\_SB.COM1" -> RootChar, DualNamePrefix, segments.
 * An optional '\' or run of '^', then 1 to 255 NameSegs separated by '.',
 * each 1-4 characters (LeadNameChar, then NameChars) padded with '_';
 * "\\" alone is the root (RootChar NullName).  Fails @a with -EINVAL on
 * anything else.
 */
static void put_namestring(struct aml *a, const char *name)
{
	const char *p = name, *q;
	unsigned int nsegs = 0, n = 0;

	if (!name) {
		fail(a, -EINVAL);
		return;
	}
	if (*p == AML_ROOT_CHAR)
		p++;
	else
		while (*p == AML_PARENT_PREFIX)
			p++;
	if (!*p && p > name && *name == AML_ROOT_CHAR) {
		put8(a, AML_ROOT_CHAR);
		put8(a, AML_NULL_NAME);
		return;
	}
	for (q = p;; q++) {
		if (*q == '.' || !*q) {
			if (!n || n > 4) {
				fail(a, -EINVAL);
				return;
			}
			nsegs++;
			n = 0;
			if (!*q)
				break;
		} else if (n ? name_char(*q) : lead_name_char(*q)) {
			n++;
		} else {
			fail(a, -EINVAL);
			return;
		}
	}
	if (nsegs > 255) {
		fail(a, -EINVAL);
		return;
	}
	put(a, name, p - name);
	if (nsegs == 2) {
		put8(a, AML_DUAL_NAME_PREFIX);
	} else if (nsegs > 2) {
		put8(a, AML_MULTI_NAME_PREFIX);
		put8(a, nsegs);
	}
	while (nsegs--) {
		char seg[4] = { '_', '_', '_', '_' };

		for (n = 0; *p && *p != '.'; p++, n++)
			seg[n] = *p;
		put(a, seg, 4);
		if (*p == '.')
			p++;
	}
}

/* A term with its opcode and PkgLength, or a list of terms as it is. */
static void put_term(struct aml *a, const struct aml *t)
{
	if (t->op_len) {
		put(a, t->op, t->op_len);
		put_pkglength(a, t->len);
	}
	put(a, t->body, t->len);
}

/* What the grammar allows aml_append() to put where. */
static bool may_append(const struct aml *parent, const struct aml *child)
{
	/* descriptors go in with aml_res_*(), out with aml_resource_end() */
	return parent->kind != KIND_RESOURCES && child->kind != KIND_RESOURCES;
}

struct aml *aml_append(struct aml *parent, struct aml *child)
{
	if (!parent) {
		aml_free(child);
		return &aml_invalid;
	}
	if (child == parent) {
		fail(parent, -EINVAL);
		return parent;
	}
	if (parent->err) {
		aml_free(child);
		return parent;
	}
	if (!child) {
		fail(parent, -EINVAL);
		return parent;
	}
	if (child->err || !may_append(parent, child)) {
		fail(parent, child->err ? child->err : -EINVAL);
		aml_free(child);
		return parent;
	}
	put_term(parent, child);
	aml_free(child);
	return parent;
}

struct aml *aml_finish(struct aml *a)
{
	struct aml *out;

	if (!a)
		return &aml_invalid;
	if (a->err || !a->op_len)
		return a;
	out = aml_raw();
	put_term(out, a);
	aml_free(a);
	return out;
}

void aml_free(struct aml *a)
{
	if (a && !is_static(a)) {
		free(a->body);
		free(a);
	}
}

int aml_err(const struct aml *a)
{
	return a ? a->err : -EINVAL;
}

int aml_serialize(struct aml *a, u8 **out, size_t *len)
{
	int ret;

	if (!out || !len) {
		aml_free(a);
		return -EINVAL;
	}
	*out = NULL;
	*len = 0;
	a = aml_finish(a);
	ret = aml_err(a);
	if (!ret && !a->body)
		a->body = aml_realloc(NULL, 1);		/* empty, but not NULL */
	if (!ret && !a->body)
		ret = -ENOMEM;
	if (!ret) {
		*out = a->body;
		*len = a->len;
		a->body = NULL;
	}
	aml_free(a);
	return ret;
}

struct aml *aml_scope(const char *name)
{
	struct aml *a = aml_pkg(AML_SCOPE_OP, 0, 1, KIND_TERM);

	put_namestring(a, name);
	return a;
}

struct aml *aml_device(const char *name)
{
	struct aml *a = aml_pkg(AML_EXT_OP, AML_DEVICE_OP, 2, KIND_TERM);

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

/* String (20.2.3): AsciiChars 0x01-0x7F, then NullChar. */
struct aml *aml_string(const char *s)
{
	struct aml *a;
	const char *p;

	if (!s)
		return &aml_invalid;
	for (p = s; *p; p++)
		if ((u8)*p > 0x7f)
			return &aml_invalid;
	a = aml_raw();
	put8(a, AML_STRING_PREFIX);
	put(a, s, strlen(s) + 1);
	return a;
}

static bool hex_digit(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F') ||
	       (c >= 'a' && c <= 'f');
}

/*
 * "PNP0501": three uppercase letters of 5 bits each and four hex digits,
 * stored big-endian as a DWordConst.  Anything else is refused, as iasl
 * refuses it.
 */
struct aml *aml_eisaid(const char *id)
{
	u32 v;
	u8 be[4];
	struct aml *a;
	unsigned int i;

	if (!id || strlen(id) != 7)
		return &aml_invalid;
	for (i = 0; i < 7; i++)
		if (i < 3 ? id[i] < 'A' || id[i] > 'Z' : !hex_digit(id[i]))
			return &aml_invalid;
	v = ((u32)(id[0] - '@') << 26) | ((u32)(id[1] - '@') << 21) |
	    ((u32)(id[2] - '@') << 16) | (u32)strtoul(id + 3, NULL, 16);
	be[0] = v >> 24;
	be[1] = v >> 16;
	be[2] = v >> 8;
	be[3] = v;
	a = aml_raw();
	put8(a, AML_DWORD_PREFIX);
	put(a, be, 4);
	return a;
}

/* NumElements is one byte: a longer package needs DefVarPackage. */
struct aml *aml_package(unsigned int count)
{
	struct aml *a;

	if (count > 255)
		return &aml_invalid;
	a = aml_pkg(AML_PACKAGE_OP, 0, 1, KIND_TERM);
	put8(a, count);		/* NumElements */
	return a;
}

/* The bytes of a ResourceTemplate are wrapped into a Buffer at the end. */
struct aml *aml_resource_template(void)
{
	struct aml *a = aml_raw();

	if (!a->err)
		a->kind = KIND_RESOURCES;
	return a;
}

/* Whether @rt takes descriptors; fails it when it is not a template. */
static bool res_ok(struct aml *rt)
{
	if (!rt || rt->err)
		return false;
	if (rt->kind != KIND_RESOURCES) {
		fail(rt, -EINVAL);
		return false;
	}
	return true;
}

/* I/O port descriptor (6.4.2.5): 16-bit decode, min == max, alignment 1. */
void aml_res_io(struct aml *rt, u16 port, u8 len)
{
	u8 d[8] = { 0x47, 0x01, port & 0xff, port >> 8, port & 0xff, port >> 8, 1, len };

	if (res_ok(rt))
		put(rt, d, sizeof(d));
}

/* IRQ descriptor without flags (6.4.2.1): a 16-bit mask of ISA IRQs. */
void aml_res_irq(struct aml *rt, u8 irq)
{
	u16 mask = 1U << (irq & 15);
	u8 d[3] = { 0x22, mask & 0xff, mask >> 8 };

	if (!res_ok(rt))
		return;
	if (irq > 15) {
		fail(rt, -EINVAL);
		return;
	}
	put(rt, d, sizeof(d));
}

/* Closes @rt with an End Tag (6.4.2.9) and wraps it into a Buffer. */
struct aml *aml_resource_end(struct aml *rt)
{
	struct aml *buf;
	u8 end[2] = { 0x79, 0x00 };	/* End tag; checksum 0 means "none" */

	if (!rt)
		return &aml_invalid;
	if (rt->err)
		return rt;
	if (rt->kind != KIND_RESOURCES) {
		fail(rt, -EINVAL);
		return rt;
	}
	put(rt, end, sizeof(end));
	buf = aml_pkg(AML_BUFFER_OP, 0, 1, KIND_TERM);
	aml_append(buf, aml_int(rt->len));	/* BufferSize */
	put(buf, rt->body, rt->len);
	if (rt->err)
		fail(buf, rt->err);
	aml_free(rt);
	return buf;
}
