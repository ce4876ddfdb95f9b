/* SPDX-License-Identifier: GPL-2.0 */
#ifndef MIRRORVM_AML_H
#define MIRRORVM_AML_H

#include "util.h"

/*
 * A tiny AML encoder (ACPI 6.5 chapter 20).  Each builder returns a node;
 * aml_append() moves a finished child into its parent's body, so package
 * lengths are computed once, when the parent is serialised, never by hand.
 * Build a term completely (append all its children) before appending it.
 *
 * Errors are sticky, so a tree is built without checking every call and
 * checked once, where it is serialised:
 *
 * - A builder never returns NULL.  When it cannot allocate it returns a
 *   node that has failed with -ENOMEM; when an argument is invalid (a name
 *   segment longer than four characters or with a character outside
 *   A-Z, 0-9, '_', a bad EISA id, Arg7, Local8, a field of 0 bits, ...) it
 *   returns a node that has failed with -EINVAL.  A failed node encodes
 *   nothing.
 * - Every builder that takes nodes takes ownership of them, failed or not,
 *   and frees them.  A NULL node argument is not a crash: the result fails
 *   with -EINVAL (except where NULL is documented to mean "none").
 * - aml_append() passes a failed child's error on to the parent, as do the
 *   builders that take operands, so the error reaches the root.  Appending
 *   something the grammar forbids there (an Else that does not follow an
 *   If, a named field outside a Field, an unfinished resource template)
 *   also fails the parent with -EINVAL; a package longer than PkgLength
 *   can encode fails it with -E2BIG.
 * - aml_err() reads a node's error; aml_serialize() (or acpi_buf_append_aml()
 *   in acpi.h) returns it instead of bytes.  aml_free() frees any node,
 *   failed or not, and accepts NULL.
 */
struct aml {
	u8 *body;
	size_t len;
	size_t cap;
	u8 op[2];		/* opcode of a PkgLength-carrying term */
	u8 op_len;		/* 0: raw bytes, no PkgLength */
	/* internal to aml.c */
	u8 kind;		/* what aml_append() accepts or checks */
	u8 last_kind;		/* kind of the last child appended */
	int err;		/* 0, or the first -errno: sticky */
	u64 bits;		/* Field: bits so far; field element: its width */
};

/* Every builder cites the encoding it implements in ACPI 6.5. */
struct aml *aml_raw(void);			/* a list of terms, no opcode */
struct aml *aml_scope(const char *name);	/* DefScope, 20.2.5.1 */
struct aml *aml_device(const char *name);	/* DefDevice, 20.2.5.2 */
struct aml *aml_name(const char *name, struct aml *value); /* DefName, 20.2.5.1 */
struct aml *aml_int(u64 v);			/* ComputationalData, 20.2.3 */
struct aml *aml_string(const char *s);		/* String, 20.2.3 */
struct aml *aml_eisaid(const char *id);		/* EisaId("PNP0501") macro, 19.6.35 */
struct aml *aml_package(unsigned int count);	/* DefPackage, 20.2.5.4 */
/* DefBuffer, 20.2.5.4: Buffer (@len) { @data }; @data NULL: no initialiser. */
struct aml *aml_buffer(size_t len, const u8 *data);

/*
 * A NameString used as a value or a target (20.2.2): "MSEL", "^MSCN",
 * "\\_SB.MHPC.MSCN".  (QEMU calls this aml_name(); here aml_name() is the
 * Name() declaration.)
 */
struct aml *aml_ref(const char *name);
struct aml *aml_arg(unsigned int n);		/* Arg0-6, ArgObj 20.2.6.1 */
struct aml *aml_local(unsigned int n);		/* Local0-7, LocalObj 20.2.6.2 */

/* DefMethod, 20.2.5.2: @nargs 0-7; its body is what is appended to it. */
struct aml *aml_method(const char *name, unsigned int nargs, bool serialized);
/* MethodInvocation, 20.2.5.4: NAME (args...) */
struct aml *aml_call0(const char *name);
struct aml *aml_call1(const char *name, struct aml *a1);
struct aml *aml_call2(const char *name, struct aml *a1, struct aml *a2);
struct aml *aml_call3(const char *name, struct aml *a1, struct aml *a2,
		      struct aml *a3);
struct aml *aml_call4(const char *name, struct aml *a1, struct aml *a2,
		      struct aml *a3, struct aml *a4);

/* Statements, 20.2.5.3 */
struct aml *aml_if(struct aml *predicate);	/* DefIfElse */
/* DefElse: append it right after its If; ElseIf is an If inside an Else. */
struct aml *aml_else(void);
struct aml *aml_while(struct aml *predicate);	/* DefWhile */
struct aml *aml_notify(struct aml *object, struct aml *value);	/* DefNotify */
struct aml *aml_release(struct aml *mutex);	/* DefRelease */
struct aml *aml_return(struct aml *value);	/* DefReturn */

/*
 * Expressions, 20.2.5.4.  @target may be NULL for none (NullName), as in
 * ASL's Add (a, b) whose result is only returned.
 */
struct aml *aml_store(struct aml *value, struct aml *target);	/* DefStore */
struct aml *aml_equal(struct aml *a, struct aml *b);		/* DefLEqual */
struct aml *aml_lless(struct aml *a, struct aml *b);		/* DefLLess */
struct aml *aml_lgreater(struct aml *a, struct aml *b);		/* DefLGreater */
struct aml *aml_land(struct aml *a, struct aml *b);		/* DefLAnd */
struct aml *aml_lor(struct aml *a, struct aml *b);		/* DefLOr */
struct aml *aml_lnot(struct aml *a);				/* DefLNot */
struct aml *aml_add(struct aml *a, struct aml *b, struct aml *target);	/* DefAdd */
struct aml *aml_subtract(struct aml *a, struct aml *b, struct aml *target); /* DefSubtract */
struct aml *aml_and(struct aml *a, struct aml *b, struct aml *target);	/* DefAnd */
struct aml *aml_or(struct aml *a, struct aml *b, struct aml *target);	/* DefOr */
struct aml *aml_shiftleft(struct aml *a, struct aml *count, struct aml *target); /* DefShiftLeft */
struct aml *aml_increment(struct aml *target);			/* DefIncrement */
struct aml *aml_decrement(struct aml *target);			/* DefDecrement */
struct aml *aml_derefof(struct aml *ref);			/* DefDerefOf */
struct aml *aml_index(struct aml *obj, struct aml *index);	/* DefIndex, no target */
struct aml *aml_sizeof(struct aml *obj);			/* DefSizeOf */
/* DefAcquire: @timeout in ms, 0xFFFF waits forever. */
struct aml *aml_acquire(struct aml *mutex, u16 timeout);

/* DefMutex, 20.2.5.2: @sync_level 0-15. */
struct aml *aml_mutex(const char *name, unsigned int sync_level);

/* DefOpRegion, 20.2.5.2, with its RegionSpace byte (same section). */
enum aml_region_space {
	AML_SYSTEM_MEMORY = 0x00,
	AML_SYSTEM_IO = 0x01,
	AML_PCI_CONFIG = 0x02,
};
struct aml *aml_operation_region(const char *name, enum aml_region_space space,
				 u64 offset, u64 len);

/* DefField, 20.2.5.2: FieldFlags = access type | lock rule | update rule. */
enum aml_access_type {
	AML_ANY_ACC = 0,
	AML_BYTE_ACC = 1,
	AML_WORD_ACC = 2,
	AML_DWORD_ACC = 3,
	AML_QWORD_ACC = 4,
	AML_BUFFER_ACC = 5,
};
enum aml_lock_rule {
	AML_NOLOCK = 0,
	AML_LOCK = 1,
};
enum aml_update_rule {
	AML_PRESERVE = 0,
	AML_WRITE_AS_ONES = 1,
	AML_WRITE_AS_ZEROS = 2,
};
/* A Field accepts only the three elements below, appended in order. */
struct aml *aml_field(const char *region, enum aml_access_type access,
		      enum aml_lock_rule lock, enum aml_update_rule update);
struct aml *aml_named_field(const char *name, unsigned int bits); /* NamedField */
struct aml *aml_reserved_field(unsigned int bits);	/* ReservedField: ", bits" */
/*
 * ASL's Offset (@byte) in a field list: a ReservedField up to that byte,
 * nothing when already there; going backwards fails the Field (-EINVAL).
 */
struct aml *aml_field_offset(unsigned int byte);

/* ResourceTemplate (19.3.3): a Buffer of descriptors closed by an end tag. */
struct aml *aml_resource_template(void);
void aml_res_io(struct aml *rt, u16 port, u8 len);	/* IO(Decode16,...), 6.4.2.5 */
void aml_res_irq(struct aml *rt, u8 irq);	/* IRQNoFlags, 6.4.2.1; irq 0-15 */

/* General flags of an address space descriptor (6.4.3.5.1, byte 4) */
#define AML_RES_PRODUCER	0		/* ResourceProducer */
#define AML_RES_CONSUMER	(1U << 0)	/* ResourceConsumer */
#define AML_RES_POS_DECODE	0		/* PosDecode */
#define AML_RES_SUB_DECODE	(1U << 1)	/* SubDecode */
#define AML_RES_MIN_FIXED	(1U << 2)	/* MinFixed (_MIF) */
#define AML_RES_MAX_FIXED	(1U << 3)	/* MaxFixed (_MAF) */
/* Memory type specific flags (6.4.3.5.5, Resource Type = 0) */
#define AML_MEM_READ_ONLY	0		/* ReadOnly */
#define AML_MEM_READ_WRITE	(1U << 0)	/* ReadWrite (_RW) */
#define AML_MEM_NON_CACHEABLE	(0U << 1)	/* NonCacheable (_MEM) */
#define AML_MEM_CACHEABLE	(1U << 1)	/* Cacheable */
#define AML_MEM_WRITE_COMBINING	(2U << 1)	/* WriteCombining */
#define AML_MEM_PREFETCHABLE	(3U << 1)	/* Prefetchable */
/*
 * QWordMemory (6.4.3.5.1), no resource source.  The min/max/length/
 * granularity combination must be one the spec allows (6.4.3.5, "Valid
 * combination of Address Space Descriptor fields"), else -EINVAL.
 */
void aml_res_qword_memory(struct aml *rt, u8 flags, u8 mem_flags, u64 gran,
			  u64 min, u64 max, u64 trans, u64 len);

/* Extended Interrupt descriptor flags (6.4.3.6, byte 3) */
#define AML_INT_PRODUCER	0		/* ResourceProducer */
#define AML_INT_CONSUMER	(1U << 0)	/* ResourceConsumer */
#define AML_INT_LEVEL		0		/* Level (_HE) */
#define AML_INT_EDGE		(1U << 1)	/* Edge */
#define AML_INT_ACTIVE_HIGH	0		/* ActiveHigh (_LL) */
#define AML_INT_ACTIVE_LOW	(1U << 2)	/* ActiveLow */
#define AML_INT_EXCLUSIVE	0		/* Exclusive (_SHR) */
#define AML_INT_SHARED		(1U << 3)	/* Shared */
#define AML_INT_WAKE_CAPABLE	(1U << 4)	/* ExclusiveAndWake, SharedAndWake */
/* Interrupt (...) { irqs } (6.4.3.6): 1 to 255 interrupts, no resource source. */
void aml_res_interrupt(struct aml *rt, u8 flags, const u32 *irqs,
		       unsigned int nr_irqs);
struct aml *aml_resource_end(struct aml *rt);

/* Moves @child into @parent (freeing @child); returns @parent. */
struct aml *aml_append(struct aml *parent, struct aml *child);
/* Serialises @a (with its PkgLength) into a fresh raw node and frees @a. */
struct aml *aml_finish(struct aml *a);
void aml_free(struct aml *a);
/* 0, or the error that @a (or anything appended to it) failed with. */
int aml_err(const struct aml *a);
/*
 * aml_serialize - the bytes of @a, with its opcode and PkgLength.
 * Frees @a.  On success returns 0 and a malloc'ed @out (never NULL) of
 * @len bytes that the caller frees; otherwise the sticky error (-ENOMEM,
 * -EINVAL, -E2BIG), with @out NULL and @len 0.
 */
int aml_serialize(struct aml *a, u8 **out, size_t *len);

/*
 * Fault injection for the unit tests: when set, called before every
 * allocation aml.c makes, and a true return fails it.  NULL otherwise.
 */
extern bool (*aml_fail_alloc_hook)(void);

#endif
