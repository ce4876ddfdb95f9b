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
 *   A-Z, 0-9, '_', a bad EISA id, an ISA IRQ above 15, ...) it returns a
 *   node that has failed with -EINVAL.  A failed node encodes nothing.
 * - Every builder that takes nodes takes ownership of them, failed or not,
 *   and frees them.  A NULL node argument is not a crash: the result fails
 *   with -EINVAL (except where NULL is documented to mean "none").
 * - aml_append() passes a failed child's error on to the parent, so the
 *   error reaches the root.  Appending something the grammar forbids there
 *   (an unfinished resource template) also fails the parent with -EINVAL;
 *   a package longer than PkgLength can encode fails it with -E2BIG.
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
	int err;		/* 0, or the first -errno: sticky */
};

struct aml *aml_raw(void);
struct aml *aml_scope(const char *name);	/* DefScope, 20.2.5.1 */
struct aml *aml_device(const char *name);	/* DefDevice, 20.2.5.2 */
struct aml *aml_name(const char *name, struct aml *value); /* DefName, 20.2.5.1 */
struct aml *aml_int(u64 v);			/* ComputationalData, 20.2.3 */
struct aml *aml_string(const char *s);		/* String, 20.2.3 */
struct aml *aml_eisaid(const char *id);		/* EisaId("PNP0501") macro, 19.6.35 */
struct aml *aml_package(unsigned int count);	/* DefPackage, 20.2.5.4 */
/* ResourceTemplate (19.3.3): a Buffer of descriptors closed by an end tag. */
struct aml *aml_resource_template(void);
void aml_res_io(struct aml *rt, u16 port, u8 len);	/* IO(Decode16,...), 6.4.2.5 */
void aml_res_irq(struct aml *rt, u8 irq);	/* IRQNoFlags, 6.4.2.1; irq 0-15 */
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
