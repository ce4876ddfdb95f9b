// SPDX-License-Identifier: GPL-2.0
/*
 * AML encoding of the terms mirrorvm's DSDT needs (ACPI 6.5 chapter 20,
 * resource descriptors from 6.4).  Errors are sticky: see aml.h.
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
#define AML_METHOD_OP		0x14
#define AML_DUAL_NAME_PREFIX	0x2E
#define AML_MULTI_NAME_PREFIX	0x2F
#define AML_EXT_OP		0x5B
#define AML_ROOT_CHAR		'\\'
#define AML_PARENT_PREFIX	'^'
#define AML_LOCAL0_OP		0x60
#define AML_ARG0_OP		0x68
#define AML_STORE_OP		0x70
#define AML_ADD_OP		0x72
#define AML_SUBTRACT_OP		0x74
#define AML_INCREMENT_OP	0x75
#define AML_DECREMENT_OP	0x76
#define AML_SHIFT_LEFT_OP	0x79
#define AML_AND_OP		0x7B
#define AML_OR_OP		0x7D
#define AML_DEREF_OF_OP		0x83
#define AML_NOTIFY_OP		0x86
#define AML_SIZE_OF_OP		0x87
#define AML_INDEX_OP		0x88
#define AML_LAND_OP		0x90
#define AML_LOR_OP		0x91
#define AML_LNOT_OP		0x92
#define AML_LEQUAL_OP		0x93
#define AML_LGREATER_OP		0x94
#define AML_LLESS_OP		0x95
#define AML_IF_OP		0xA0
#define AML_ELSE_OP		0xA1
#define AML_WHILE_OP		0xA2
#define AML_RETURN_OP		0xA4
#define AML_ONES_OP		0xFF
/* second byte after AML_EXT_OP */
#define AML_MUTEX_OP		0x01
#define AML_ACQUIRE_OP		0x23
#define AML_RELEASE_OP		0x27
#define AML_OP_REGION_OP	0x80
#define AML_FIELD_OP		0x81
#define AML_DEVICE_OP		0x82

/* PkgLength (20.2.4) holds at most 28 bits. */
#define AML_PKGLEN_MAX		0x0FFFFFFFU

/* Large resource items (6.4.3) */
#define AML_RES_EXT_IRQ		0x89
#define AML_RES_QWORD		0x8A
#define AML_RES_TYPE_MEMORY	0

/* What a node is, as far as aml_append() must know. */
enum {
	KIND_TERM,		/* any term or list of terms */
	KIND_IF,		/* DefIfElse: an Else may follow */
	KIND_ELSE,
	KIND_FIELD,		/* DefField: takes field elements only */
	KIND_FIELD_ELEM,	/* NamedField, ReservedField; bits = width */
	KIND_FIELD_OFFSET,	/* Offset(); bits = the bit it moves to */
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

static void le16(u8 *p, u16 v)
{
	p[0] = v;
	p[1] = v >> 8;
}

static void le32(u8 *p, u32 v)
{
	le16(p, v);
	le16(p + 2, v >> 16);
}

static void le64(u8 *p, u64 v)
{
	le32(p, v);
	le32(p + 4, v >> 32);
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

/* NameSeg (20.2.2): where the grammar takes one segment, not a path. */
static void put_nameseg(struct aml *a, const char *name)
{
	if (!name || strchr(name, '.') || *name == AML_ROOT_CHAR ||
	    *name == AML_PARENT_PREFIX)
		fail(a, -EINVAL);
	else
		put_namestring(a, name);
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
	bool field_elem = child->kind == KIND_FIELD_ELEM ||
			  child->kind == KIND_FIELD_OFFSET;

	if (parent->kind == KIND_RESOURCES || child->kind == KIND_RESOURCES)
		return false;	/* aml_res_*() and aml_resource_end() */
	if ((parent->kind == KIND_FIELD) != field_elem)
		return false;
	if (child->kind == KIND_ELSE && parent->last_kind != KIND_IF)
		return false;
	return true;
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
	if (child->kind == KIND_FIELD_OFFSET) {
		/* ASL's Offset () is a ReservedField up to there */
		if (child->bits < parent->bits) {
			fail(parent, -EINVAL);
		} else if (child->bits > parent->bits) {
			put8(parent, AML_NULL_NAME);
			put_pkglen_value(parent, child->bits - parent->bits);
		}
		parent->bits = child->bits;
	} else {
		put_term(parent, child);
		if (child->kind == KIND_FIELD_ELEM)
			parent->bits += child->bits;
	}
	parent->last_kind = child->kind;
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
	/* An If stays an If, so that an Else may still follow it. */
	if (!out->err && (a->kind == KIND_IF || a->kind == KIND_ELSE))
		out->kind = a->kind;
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
	u8 b[8];

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
		le16(b, v);
		put(a, b, 2);
	} else if (v <= 0xffffffffULL) {
		put8(a, AML_DWORD_PREFIX);
		le32(b, v);
		put(a, b, 4);
	} else {
		put8(a, AML_QWORD_PREFIX);
		le64(b, v);
		put(a, b, 8);
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

/* DefBuffer (20.2.5.4): BufferOp PkgLength BufferSize ByteList */
struct aml *aml_buffer(size_t len, const u8 *data)
{
	struct aml *a = aml_pkg(AML_BUFFER_OP, 0, 1, KIND_TERM);

	aml_append(a, aml_int(len));
	if (data)
		put(a, data, len);
	return a;
}

struct aml *aml_ref(const char *name)
{
	struct aml *a = aml_raw();

	put_namestring(a, name);
	return a;
}

/* ArgObj (20.2.6.1): Arg0Op 0x68 to Arg6Op 0x6E */
struct aml *aml_arg(unsigned int n)
{
	struct aml *a;

	if (n > 6)
		return &aml_invalid;
	a = aml_raw();
	put8(a, AML_ARG0_OP + n);
	return a;
}

/* LocalObj (20.2.6.2): Local0Op 0x60 to Local7Op 0x67 */
struct aml *aml_local(unsigned int n)
{
	struct aml *a;

	if (n > 7)
		return &aml_invalid;
	a = aml_raw();
	put8(a, AML_LOCAL0_OP + n);
	return a;
}

/*
 * DefMethod (20.2.5.2): MethodOp PkgLength NameString MethodFlags TermList.
 * MethodFlags: ArgCount in bits 0-2, SerializeFlag in bit 3, SyncLevel 0.
 */
struct aml *aml_method(const char *name, unsigned int nargs, bool serialized)
{
	struct aml *a;

	if (nargs > 7)
		return &aml_invalid;
	a = aml_pkg(AML_METHOD_OP, 0, 1, KIND_TERM);
	put_namestring(a, name);
	put8(a, nargs | (serialized ? 1U << 3 : 0));
	return a;
}

/* MethodInvocation (20.2.5.4): NameString TermArgList */
static struct aml *call(const char *name, struct aml **args, unsigned int n)
{
	struct aml *a = aml_raw();
	unsigned int i;

	put_namestring(a, name);
	for (i = 0; i < n; i++)
		aml_append(a, args[i]);
	return a;
}

struct aml *aml_call0(const char *name)
{
	return call(name, NULL, 0);
}

struct aml *aml_call1(const char *name, struct aml *a1)
{
	return call(name, (struct aml *[]){ a1 }, 1);
}

struct aml *aml_call2(const char *name, struct aml *a1, struct aml *a2)
{
	return call(name, (struct aml *[]){ a1, a2 }, 2);
}

struct aml *aml_call3(const char *name, struct aml *a1, struct aml *a2,
		      struct aml *a3)
{
	return call(name, (struct aml *[]){ a1, a2, a3 }, 3);
}

struct aml *aml_call4(const char *name, struct aml *a1, struct aml *a2,
		      struct aml *a3, struct aml *a4)
{
	return call(name, (struct aml *[]){ a1, a2, a3, a4 }, 4);
}

/* A one-byte opcode followed by its operands. */
static struct aml *op1(u8 op, struct aml *x)
{
	struct aml *a = aml_raw();

	put8(a, op);
	return aml_append(a, x);
}

static struct aml *op2(u8 op, struct aml *x, struct aml *y)
{
	return aml_append(op1(op, x), y);
}

/* Target (20.2.2): SuperName or NullName; NULL here means NullName. */
static struct aml *op2_target(u8 op, struct aml *x, struct aml *y,
			      struct aml *target)
{
	struct aml *a = op2(op, x, y);

	if (target)
		return aml_append(a, target);
	put8(a, AML_NULL_NAME);
	return a;
}

/* DefIfElse (20.2.5.3): IfOp PkgLength Predicate TermList DefElse */
struct aml *aml_if(struct aml *predicate)
{
	return aml_append(aml_pkg(AML_IF_OP, 0, 1, KIND_IF), predicate);
}

/* DefElse (20.2.5.3): ElseOp PkgLength TermList */
struct aml *aml_else(void)
{
	return aml_pkg(AML_ELSE_OP, 0, 1, KIND_ELSE);
}

/* DefWhile (20.2.5.3): WhileOp PkgLength Predicate TermList */
struct aml *aml_while(struct aml *predicate)
{
	return aml_append(aml_pkg(AML_WHILE_OP, 0, 1, KIND_TERM), predicate);
}

/* DefNotify (20.2.5.3): NotifyOp NotifyObject NotifyValue */
struct aml *aml_notify(struct aml *object, struct aml *value)
{
	return op2(AML_NOTIFY_OP, object, value);
}

/* DefRelease (20.2.5.3): ReleaseOp MutexObject */
struct aml *aml_release(struct aml *mutex)
{
	struct aml *a = aml_raw();

	put8(a, AML_EXT_OP);
	put8(a, AML_RELEASE_OP);
	return aml_append(a, mutex);
}

/* DefReturn (20.2.5.3): ReturnOp ArgObject */
struct aml *aml_return(struct aml *value)
{
	return op1(AML_RETURN_OP, value);
}

/* DefStore (20.2.5.4): StoreOp TermArg SuperName */
struct aml *aml_store(struct aml *value, struct aml *target)
{
	return op2(AML_STORE_OP, value, target);
}

/* DefLEqual (20.2.5.4): LequalOp Operand Operand */
struct aml *aml_equal(struct aml *a, struct aml *b)
{
	return op2(AML_LEQUAL_OP, a, b);
}

/* DefLLess (20.2.5.4): LlessOp Operand Operand */
struct aml *aml_lless(struct aml *a, struct aml *b)
{
	return op2(AML_LLESS_OP, a, b);
}

/* DefLGreater (20.2.5.4): LgreaterOp Operand Operand */
struct aml *aml_lgreater(struct aml *a, struct aml *b)
{
	return op2(AML_LGREATER_OP, a, b);
}

/* DefLAnd (20.2.5.4): LandOp Operand Operand */
struct aml *aml_land(struct aml *a, struct aml *b)
{
	return op2(AML_LAND_OP, a, b);
}

/* DefLOr (20.2.5.4): LorOp Operand Operand */
struct aml *aml_lor(struct aml *a, struct aml *b)
{
	return op2(AML_LOR_OP, a, b);
}

/* DefLNot (20.2.5.4): LnotOp Operand */
struct aml *aml_lnot(struct aml *a)
{
	return op1(AML_LNOT_OP, a);
}

/* DefAdd (20.2.5.4): AddOp Operand Operand Target */
struct aml *aml_add(struct aml *a, struct aml *b, struct aml *target)
{
	return op2_target(AML_ADD_OP, a, b, target);
}

/* DefSubtract (20.2.5.4): SubtractOp Operand Operand Target */
struct aml *aml_subtract(struct aml *a, struct aml *b, struct aml *target)
{
	return op2_target(AML_SUBTRACT_OP, a, b, target);
}

/* DefAnd (20.2.5.4): AndOp Operand Operand Target */
struct aml *aml_and(struct aml *a, struct aml *b, struct aml *target)
{
	return op2_target(AML_AND_OP, a, b, target);
}

/* DefOr (20.2.5.4): OrOp Operand Operand Target */
struct aml *aml_or(struct aml *a, struct aml *b, struct aml *target)
{
	return op2_target(AML_OR_OP, a, b, target);
}

/* DefShiftLeft (20.2.5.4): ShiftLeftOp Operand ShiftCount Target */
struct aml *aml_shiftleft(struct aml *a, struct aml *count, struct aml *target)
{
	return op2_target(AML_SHIFT_LEFT_OP, a, count, target);
}

/* DefIncrement (20.2.5.4): IncrementOp SuperName */
struct aml *aml_increment(struct aml *target)
{
	return op1(AML_INCREMENT_OP, target);
}

/* DefDecrement (20.2.5.4): DecrementOp SuperName */
struct aml *aml_decrement(struct aml *target)
{
	return op1(AML_DECREMENT_OP, target);
}

/* DefDerefOf (20.2.5.4): DerefOfOp ObjReference */
struct aml *aml_derefof(struct aml *ref)
{
	return op1(AML_DEREF_OF_OP, ref);
}

/* DefIndex (20.2.5.4): IndexOp BuffPkgStrObj IndexValue Target */
struct aml *aml_index(struct aml *obj, struct aml *index)
{
	return op2_target(AML_INDEX_OP, obj, index, NULL);
}

/* DefSizeOf (20.2.5.4): SizeOfOp SuperName */
struct aml *aml_sizeof(struct aml *obj)
{
	return op1(AML_SIZE_OF_OP, obj);
}

/* DefAcquire (20.2.5.4): AcquireOp MutexObject Timeout (WordData) */
struct aml *aml_acquire(struct aml *mutex, u16 timeout)
{
	struct aml *a = aml_raw();
	u8 t[2];

	put8(a, AML_EXT_OP);
	put8(a, AML_ACQUIRE_OP);
	aml_append(a, mutex);
	le16(t, timeout);
	put(a, t, 2);
	return a;
}

/* DefMutex (20.2.5.2): MutexOp NameString SyncFlags (SyncLevel 0-15) */
struct aml *aml_mutex(const char *name, unsigned int sync_level)
{
	struct aml *a;

	if (sync_level > 15)
		return &aml_invalid;
	a = aml_raw();
	put8(a, AML_EXT_OP);
	put8(a, AML_MUTEX_OP);
	put_namestring(a, name);
	put8(a, sync_level);
	return a;
}

/*
 * DefOpRegion (20.2.5.2): OpRegionOp NameString RegionSpace RegionOffset
 * RegionLen, the last two as integers.
 */
struct aml *aml_operation_region(const char *name, enum aml_region_space space,
				 u64 offset, u64 len)
{
	struct aml *a;

	if ((unsigned int)space > 0xff)
		return &aml_invalid;
	a = aml_raw();
	put8(a, AML_EXT_OP);
	put8(a, AML_OP_REGION_OP);
	put_namestring(a, name);
	put8(a, space);
	aml_append(a, aml_int(offset));
	return aml_append(a, aml_int(len));
}

/*
 * DefField (20.2.5.2): FieldOp PkgLength NameString FieldFlags FieldList.
 * FieldFlags: AccessType bits 0-3, LockRule bit 4, UpdateRule bits 5-6.
 */
struct aml *aml_field(const char *region, enum aml_access_type access,
		      enum aml_lock_rule lock, enum aml_update_rule update)
{
	struct aml *a;

	if ((unsigned int)access > AML_BUFFER_ACC || (unsigned int)lock > AML_LOCK ||
	    (unsigned int)update > AML_WRITE_AS_ZEROS)
		return &aml_invalid;
	a = aml_pkg(AML_EXT_OP, AML_FIELD_OP, 2, KIND_FIELD);
	put_namestring(a, region);
	put8(a, access | lock << 4 | update << 5);
	return a;
}

static struct aml *field_elem(unsigned int bits, u8 kind)
{
	struct aml *a;

	if (!bits || bits > AML_PKGLEN_MAX)
		return &aml_invalid;
	a = aml_raw();
	if (!a->err) {
		a->kind = kind;
		a->bits = bits;
	}
	return a;
}

/* NamedField (20.2.5.2): NameSeg PkgLength, the length being the width in bits */
struct aml *aml_named_field(const char *name, unsigned int bits)
{
	struct aml *a = field_elem(bits, KIND_FIELD_ELEM);

	put_nameseg(a, name);
	put_pkglen_value(a, bits);
	return a;
}

/* ReservedField (20.2.5.2): 0x00 PkgLength */
struct aml *aml_reserved_field(unsigned int bits)
{
	struct aml *a = field_elem(bits, KIND_FIELD_ELEM);

	put8(a, AML_NULL_NAME);
	put_pkglen_value(a, bits);
	return a;
}

/* ASL's Offset () has no AML of its own: aml_append() makes the gap. */
struct aml *aml_field_offset(unsigned int byte)
{
	struct aml *a = aml_raw();

	if (!a->err) {
		a->kind = KIND_FIELD_OFFSET;
		a->bits = (u64)byte * 8;
	}
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

/*
 * The valid combinations of an address space descriptor's _LEN, _MIF,
 * _MAF, _MIN, _MAX and _GRA (6.4.3.5, "Valid Combination of Address Space
 * Descriptor Fields"), as iasl enforces them.
 */
static bool address_ok(u8 flags, u64 gran, u64 min, u64 max, u64 len)
{
	bool mif = flags & AML_RES_MIN_FIXED, maf = flags & AML_RES_MAX_FIXED;

	if (!min && !max && !len && !gran)
		return false;	/* describes nothing (iasl: null descriptor) */
	if (min > max || (len && len - 1 > max - min))
		return false;	/* the window cannot hold the length */
	if (gran & (gran + 1))
		return false;	/* _GRA is 0 or a power of two minus one */
	if (len) {
		/* fixed size: fixed at both ends, or movable in steps of _GRA */
		if (mif && maf)
			return !gran && len - 1 == max - min;
		return !mif && !maf && !(len & gran);
	}
	/* variable size: a fixed end must be aligned to _GRA */
	if (mif && maf)
		return false;
	if (mif)
		return !(min & gran);
	if (maf)
		return !((max + 1) & gran);
	return true;
}

/*
 * QWord Address Space Descriptor (6.4.3.5.1) of type memory: tag 0x8A,
 * length 43, resource type, general flags, type specific flags (6.4.3.5.5),
 * then _GRA, _MIN, _MAX, _TRA, _LEN; no resource source.
 */
void aml_res_qword_memory(struct aml *rt, u8 flags, u8 mem_flags, u64 gran,
			  u64 min, u64 max, u64 trans, u64 len)
{
	u8 d[46] = { AML_RES_QWORD, 43, 0, AML_RES_TYPE_MEMORY, flags, mem_flags };

	if (!res_ok(rt))
		return;
	if (flags > 0x0f || mem_flags > 0x3f ||
	    !address_ok(flags, gran, min, max, len)) {
		fail(rt, -EINVAL);
		return;
	}
	le64(d + 6, gran);
	le64(d + 14, min);
	le64(d + 22, max);
	le64(d + 30, trans);
	le64(d + 38, len);
	put(rt, d, sizeof(d));
}

/*
 * Extended Interrupt Descriptor (6.4.3.6): tag 0x89, length, flags,
 * interrupt table length, then 32-bit interrupt numbers; no resource
 * source.
 */
void aml_res_interrupt(struct aml *rt, u8 flags, const u32 *irqs,
		       unsigned int nr_irqs)
{
	u8 d[5], irq[4];
	unsigned int i;

	if (!res_ok(rt))
		return;
	if (flags > 0x1f || !irqs || !nr_irqs || nr_irqs > 255) {
		fail(rt, -EINVAL);
		return;
	}
	d[0] = AML_RES_EXT_IRQ;
	le16(d + 1, 2 + 4 * nr_irqs);
	d[3] = flags;
	d[4] = nr_irqs;
	put(rt, d, sizeof(d));
	for (i = 0; i < nr_irqs; i++) {
		le32(irq, irqs[i]);
		put(rt, irq, sizeof(irq));
	}
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
